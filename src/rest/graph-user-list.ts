import { addressesOf, type DirectoryUser } from '../domain/directory.js';
import { canonicalAddressPrefix, canonicalSmtpAddress } from '../domain/email.js';
import { asciiLower } from '../domain/plain-text.js';
import { compareKeys, foldedText, NAME_TIERS, nameTierOf, peopleQuery } from '../store/search-text.js';
import type { Store, UserPosition } from '../store/store.js';
import { MAX_SEARCH_MATCHES } from '../people/find-people.js';
import {
  NAME_ORDER,
  skipTokenOf,
  type RankedPosition,
  type UserFilter,
  type UserListQuery,
  type UserPrefix,
  type UserSelection,
  type UserSort,
} from './graph-user-query.js';

/** One page of a `GET /users`: its users, the skiptoken of the next page when there is one, and (`$count`) how many the query finds. */
interface UserListPage {
  users: DirectoryUser[];
  skipToken?: string;
  count?: number;
}

/** A list's users in its order, each with their place in it, and how two places compare in it. */
interface PlacedUsers<Place extends UserPosition> {
  placed: { user: DirectoryUser; place: Place }[];
  compare: (a: Place, b: Place) => number;
}

/**
 * Answers a `GET /users` from the store. Everyone, or a prefix, is paged by position in its
 * order, read by its index, so a client may walk the whole directory. The other lists are
 * read whole each page and paged by position too: a search through its first 1,000 matches,
 * as the directory page does (MAX_SEARCH_MATCHES), `startswith` groups through each group's
 * first 1,000; `$count` and `$orderby` read all of those, and `@odata.count` then counts them.
 */
export async function listUsers(store: Store, { selection, count, top }: UserListQuery): Promise<UserListPage> {
  if (selection.kind === 'addresses') {
    // By any of a user's addresses, hidden mailboxes too, as a user is read by address; each user once.
    const users = await Promise.all(selection.addresses.map((address) => store.getUser(address)));
    const found = new Map(users.flatMap((user) => (user ? [[user.email, user] as const] : [])));
    return pageAfter(sortedBy(selection.sort ?? NAME_ORDER, [...found.values()]), selection, top, count);
  }
  if (selection.kind === 'reports') {
    const page = await store.pageDirectReports(selection.manager, selection.after, top);
    return { users: page.users, ...(page.next ? { skipToken: skipTokenOf(selection, page.next) } : {}) };
  }
  if (selection.kind === 'ordered') {
    const { sort, prefix, after } = selection;
    const [page, total] = await Promise.all([
      store.pageUsers(sort.order, prefix, after, top, sort.descending),
      count ? store.countUsersByPrefix(sort.order, prefix) : undefined,
    ]);
    return { users: page.users, ...(page.next ? { skipToken: skipTokenOf(selection, page.next) } : {}), ...(total === undefined ? {} : { count: total }) };
  }
  if (selection.kind === 'prefixes') {
    // Each group's first 1,000, as a search's first 1,000 matches: then one list, each user once,
    // not cut again (a cut of the union left out one group's users for another's). A filter
    // joins at most 8 clauses, so the list holds at most 8,000.
    const lists = await Promise.all(selection.groups.map((group) => usersOfGroup(store, group)));
    const found = new Map(lists.flatMap((users) => users.map((user) => [user.email, user] as const)));
    return pageAfter(sortedBy(selection.sort ?? NAME_ORDER, [...found.values()]), selection, top, count);
  }
  const { text, filter } = selection;
  // A first page ranked needs only its users and one more; any other, all the matches it is among.
  const wanted = count || selection.sort || filter || selection.after ? MAX_SEARCH_MATCHES : Math.min(top + 1, MAX_SEARCH_MATCHES);
  const matches = (await store.searchUsers(text, wanted)).slice(0, MAX_SEARCH_MATCHES);
  const found = filter ? matches.filter(filterTest(filter)) : matches;
  return selection.sort ? pageAfter(sortedBy(selection.sort, found), selection, top, count) : pageAfter(rankedBy(text, found), selection, top, count);
}

/**
 * The users a group of `startswith` joined by `and` finds among the first 1,000 of a read
 * of them: a display name's or address's by its order's index, read first when the group has
 * one; else the first 1,000 a search for all of the group's texts finds (each the start of a
 * word of a user's names). The group's clauses are tested on those. A search for one
 * clause's text alone (`startswith(surname,'b') and startswith(givenName,'m')`: everyone with
 * a "b" word) had the users the others hold past its first 1,000, and counted none.
 */
async function usersOfGroup(store: Store, group: UserPrefix[]): Promise<DirectoryUser[]> {
  const indexed = group.find((prefix) => 'order' in prefix);
  const found = indexed
    ? (await store.pageUsers(indexed.order, indexed.prefix, undefined, MAX_SEARCH_MATCHES)).users
    : await store.searchUsers(group.map((prefix) => prefix.prefix).join(' '), MAX_SEARCH_MATCHES);
  // An index finds only the users its clause finds (those whose name starts with an eq's text too); a search finds more, so every clause is tested.
  const tests = group.filter((prefix) => prefix !== indexed || prefix.whole).map(prefixTest);
  return tests.length === 0 ? found : found.filter((user) => tests.every((test) => test(user)));
}

/** Whether a filter finds a user: every `startswith` of one of its groups, or one of the addresses it names among the user's. */
function filterTest(filter: UserFilter): (user: DirectoryUser) => boolean {
  if ('addresses' in filter) {
    // Both in the one spelling: the filter's written so as it was read, the store's as kept.
    const named = new Set(filter.addresses);
    return (user) => addressesOf(user).some((address) => named.has(address));
  }
  const groups = filter.groups.map((group) => group.map(prefixTest));
  return (user) => groups.some((tests) => tests.every((test) => test(user)));
}

/**
 * Whether a user's property starts with a `startswith`'s text as the store compares it (is
 * it, for an `eq`): a name (display, given or surname) folded, accents and case ignored; the
 * primary address in any spelling of it.
 */
function prefixTest(prefix: UserPrefix): (user: DirectoryUser) => boolean {
  if ('order' in prefix && prefix.order === 'address') {
    const start = canonicalAddressPrefix(prefix.prefix);
    return (user) => canonicalSmtpAddress(user.email).startsWith(start);
  }
  const folded = foldedText(prefix.prefix);
  const nameOf = 'order' in prefix ? (user: DirectoryUser) => user.displayName : (user: DirectoryUser) => user[prefix.part];
  return (user) => {
    const name = nameOf(user);
    return name !== undefined && (prefix.whole ? foldedText(name) === folded : foldedText(name).startsWith(folded));
  };
}

/**
 * The page of a list after the selection's position (from its start without one), with the
 * skiptoken of the next and (`$count`) how many the list holds. The position is a place in the
 * list's order, not an index: a user gained or lost before it shifts no other across it.
 */
function pageAfter<Place extends UserPosition>(
  { placed, compare }: PlacedUsers<Place>,
  selection: UserSelection & { after: Place | undefined },
  top: number,
  count: boolean,
): UserListPage {
  const { after } = selection;
  const start = after === undefined ? 0 : placed.findIndex(({ place }) => compare(place, after) > 0);
  const rest = start < 0 ? [] : placed.slice(start);
  const last = rest.length > top ? rest[top - 1] : undefined;
  return {
    users: rest.slice(0, top).map(({ user }) => user),
    ...(last ? { skipToken: skipTokenOf(selection, last.place) } : {}),
    ...(count ? { count: placed.length } : {}),
  };
}

/** A user's place in name order: their folded display name and address, as the store keys them (ASCII case ignored). */
function placeOf(user: DirectoryUser): UserPosition {
  return { nameKey: foldedText(user.displayName), email: asciiLower(user.email) };
}

/** Users in the order the store lists them in: folded display name then address, or address; backwards descending. */
function sortedBy({ order, descending }: UserSort, users: DirectoryUser[]): PlacedUsers<UserPosition> {
  const ascending = (a: UserPosition, b: UserPosition) => (order === 'name' ? compareKeys(a.nameKey, b.nameKey) : 0) || compareKeys(a.email, b.email);
  const compare = descending ? (a: UserPosition, b: UserPosition) => ascending(b, a) : ascending;
  return inOrder(
    users.map((user) => ({ user, place: placeOf(user) })),
    compare,
  );
}

/**
 * A search's matches in the order the store ranks them: by tier, the address tier in address
 * order within it and the others in name order. Sorted by that again, the pages hold to it
 * whatever the store gained or lost since the last.
 */
function rankedBy(text: string, users: DirectoryUser[]): PlacedUsers<RankedPosition> {
  const query = peopleQuery(text);
  // Without a query (no letter or digit in the text) the store found no one: no tier is ever asked.
  const placed = users.map((user) => {
    const place = placeOf(user);
    return { user, place: { ...place, tier: query ? nameTierOf(query, place.nameKey, place.email) : NAME_TIERS[0]! } };
  });
  return inOrder(placed, (a, b) => {
    const tier = NAME_TIERS.indexOf(a.tier) - NAME_TIERS.indexOf(b.tier);
    return tier || (a.tier === 'addressPrefix' ? 0 : compareKeys(a.nameKey, b.nameKey)) || compareKeys(a.email, b.email);
  });
}

/** The users sorted by their places, with the comparison a page finds its start by. */
function inOrder<Place extends UserPosition>(placed: PlacedUsers<Place>['placed'], compare: (a: Place, b: Place) => number): PlacedUsers<Place> {
  return { placed: placed.sort((a, b) => compare(a.place, b.place)), compare };
}
