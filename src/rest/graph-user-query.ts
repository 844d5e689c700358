import { BridgeError } from '../domain/errors.js';
import { canonicalSmtpAddress } from '../domain/email.js';
import { NAME_TIERS, type SearchTier } from '../store/search-text.js';
import type { UserOrder, UserPosition } from '../store/store.js';
import { carriedOptions, countOption, integerOption, orderByClause, readListOptions } from './graph-list-options.js';
import { entityExpand, readSelect, type PropertySelection } from './graph-select.js';
import { GRAPH_USER } from './graph-types.js';

/** The part of a name a `startswith` may compare, which no order of the store's is kept by. */
type NamePart = 'givenName' | 'surname';

/**
 * One `startswith` of a filter and its text: on the key of an order the store lists users
 * in (display name or address), or on a given name or surname.
 */
export type UserPrefix = ({ order: UserOrder; prefix: string } | { part: NamePart; prefix: string }) & {
  /** An `eq` on a name: the text is the whole name, not its start. */
  whole?: true;
};

/**
 * `startswith` clauses joined by `or` and `and`, as groups: a user is found by a group whose
 * every clause finds them (`and` binds tighter than `or`, as in OData), by any group.
 */
type PrefixGroups = UserPrefix[][];

/** A `$filter` beside a `$search`: the users its `startswith` groups find, or those its addresses name. */
export type UserFilter = { groups: PrefixGroups } | { addresses: string[] };

/** An `$orderby`: the order users are listed in, and whether backwards (`desc`). */
export interface UserSort {
  order: UserOrder;
  descending: boolean;
}

/**
 * Where a page of a search ranked by relevance ended: the last user's tier (nameTierOf) and
 * their place in it, as a sorted list's position is the last user's place in its order.
 */
export type RankedPosition = UserPosition & { tier: SearchTier };

/**
 * Which users a `GET /users` lists: everyone or those whose display name or address starts
 * with a text, in name or address order (either way); those groups of `startswith` find, in
 * `sort` (name order by default); the users addresses name (an `eq`, an `or` of them, an
 * `in`), the same way; or a search (and a filter of its matches), ranked (or in `sort`).
 * A `directReports` list: a manager's reports in name order. Each from after a position
 * in its order, the last user's of the page before: a user gained or lost before it moves
 * no other across a page's edge, as an offset would.
 */
export type UserSelection =
  | { kind: 'ordered'; sort: UserSort; prefix: string; after: UserPosition | undefined }
  | { kind: 'prefixes'; groups: PrefixGroups; sort: UserSort | undefined; after: UserPosition | undefined }
  | { kind: 'reports'; manager: string; after: UserPosition | undefined }
  | { kind: 'addresses'; addresses: string[]; sort: UserSort | undefined; after: UserPosition | undefined }
  | { kind: 'search'; text: string; filter: UserFilter | undefined; sort: UserSort; after: UserPosition | undefined }
  | { kind: 'search'; text: string; filter: UserFilter | undefined; sort: undefined; after: RankedPosition | undefined };

export interface UserListQuery {
  selection: UserSelection;
  /** `$count=true`: the answer carries `@odata.count`. */
  count: boolean;
  top: number;
  /** `$select`: the properties each user is written with. */
  select: PropertySelection;
  /** `$expand=manager`: each user is written with their manager, in the properties this selects. */
  expand: ReadonlyMap<'manager', PropertySelection>;
  /** The options the next page's link asks again, as `&$name=value`. */
  carried: string;
}

/** Graph's page size for users when `$top` is not given, and the most `$top` may ask (user-list). */
export const USER_LIST_TOP = { default: 100, max: 999 } as const;
/** The longest text a search or a filter compares: the directory page's. */
const MAX_TEXT_LENGTH = 200;
/** The most `startswith` one `$filter` may join by `or`: one for each property it may name, and some. */
const MAX_PREFIXES = 8;

const LIST_OPTIONS = new Set(['top', 'filter', 'search', 'count', 'orderby', 'select', 'expand', 'skiptoken']);
/**
 * The most users a page with `$expand` holds, whatever `$top` asks: "$expand on directory
 * objects: returns a maximum of 100 objects" (Graph's known issue 13635; the query-parameters
 * page's $expand section). The next page's link carries on from there.
 */
const EXPANDED_PAGE_MAX = 100;
const REPORTS_OPTIONS = new Set(['top', 'select', 'skiptoken']);

/**
 * The properties users are listed in the order of, by Graph name (looked up in lower case), which
 * `startswith` and `$orderby` name: the display name in name order; mail and
 * userPrincipalName (here the primary address) in address order.
 */
export const ORDERED_PROPERTIES = { displayName: 'name', mail: 'address', userPrincipalName: 'address' } as const satisfies Record<string, UserOrder>;
const ORDERED_BY: ReadonlyMap<string, UserOrder> = new Map(Object.entries(ORDERED_PROPERTIES).map(([name, order]) => [name.toLowerCase(), order]));
/** The parts of names `startswith` may name besides, by Graph name (lower case). */
const NAME_PARTS: ReadonlyMap<string, NamePart> = new Map([
  ['givenname', 'givenName'],
  ['surname', 'surname'],
]);
/** What `eq` compares: an address (a user's id is their primary address). */
const ADDRESSED = new Set(['mail', 'userprincipalname', 'id']);
/** The properties a `$search` clause may name: every one is looked for among the names, alias and address. */
const SEARCHED = new Set(['displayname', 'givenname', 'surname', 'mail', 'userprincipalname']);

/** `startswith(property,'…')`, or `eq` on a name (displayName, givenName, surname): found by its start, then kept when whole. */
const STARTS_WITH = /\s*(?:startswith\(\s*([a-z]+)\s*,\s*'((?:[^']|'')*)'\s*\)|(displayName|givenName|surname)\s+eq\s+'((?:[^']|'')*)')\s*/iy;
const JOIN = /(or|and)\s/iy;
/** `property eq '…'`, or `proxyAddresses/any(x:x eq 'smtp:…')`, as address lookups write it (the user resource's proxyAddresses). */
const EQUALS = /\s*(?:([a-z]+)\s+eq\s+'((?:[^']|'')*)'|proxyAddresses\/any\(\s*([a-z]\w*)\s*:\s*\3\s+eq\s+'((?:[^']|'')*)'\s*\))\s*/iy;
const IN_LIST = /\s*([a-z]+)\s+in\s*\(/iy;
/** A value of an `in` list and what follows it: a comma, or the list's end. */
const LIST_VALUE = /\s*'((?:[^']|'')*)'\s*([,)])/y;
/** Graph's limit on the values of an `in`, or the `eq` an `or` joins: 15 expressions (the filter-query-parameter page). */
const MAX_ADDRESSES = 15;
const SEARCH_CLAUSE = /^"([a-z]+):([^"]*)"$/i;

/**
 * Reads the OData options of `GET /users` (https://learn.microsoft.com/en-us/graph/api/user-list):
 * `$top` (1–999, 100 by default), `$filter` — `startswith(displayName|givenName|surname|mail|userPrincipalName,'…')`,
 * up to 8 of those joined by `or` and `and` (a people picker's "starts with what I typed"), or
 * `mail|userPrincipalName|id eq '…'`, up to 15 of those joined by `or` or as `in ('…', …)` —,
 * `$search` of `"property:text"` clauses joined by OR with one text (the way people pickers
 * ask, `"displayName:meg" OR "mail:meg"`; a `$filter` beside it keeps the matches it finds),
 * `$orderby` displayName, mail or userPrincipalName (`asc` or `desc`; the Graph query-parameters
 * page's own example is `/users?$orderby=displayName desc`), `$count`, `$select` (graph-select.ts)
 * and the `$skiptoken` of a nextLink. `$search` and `$count` are Graph's advanced queries,
 * which it answers only with the header `ConsistencyLevel: eventual`
 * (https://learn.microsoft.com/en-us/graph/aad-advanced-queries); without it they are refused
 * as Graph refuses them. Anything else is refused, never ignored.
 */
export function readUserListQuery(search: URLSearchParams, consistencyLevel: string | undefined, counted = false): UserListQuery {
  const options = readListOptions(search, LIST_OPTIONS, 'users');
  const eventual = consistencyLevel?.trim().toLowerCase() === 'eventual';
  const count = counted || countOption(options);
  if (count && !eventual) throw new BridgeError('Request_BadRequest', 400, '$count is not currently supported.');
  const searched = options.get('search');
  if (searched !== undefined && !eventual) {
    throw new BridgeError(
      'Request_UnsupportedQuery',
      400,
      "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
    );
  }
  const expand = entityExpand(search, GRAPH_USER, ['manager'], GRAPH_USER) as ReadonlyMap<'manager', PropertySelection>;
  // Graph's advanced queries do not expand relationships (aad-advanced-queries): said so, rather than answered without the managers.
  if (expand.size > 0 && (count || searched !== undefined)) throw unsupported('$expand is not supported with $search or $count');
  const filter = options.get('filter');
  const sort = readOrderBy(options.get('orderby'));
  const skipToken = options.get('skiptoken');
  const selection =
    searched !== undefined
      ? {
          kind: 'search' as const,
          text: readSearch(searched),
          filter: filter === undefined ? undefined : filterOf(readFilter(filter, undefined)),
          sort,
          after: undefined,
        }
      : filter !== undefined
        ? readFilter(filter, sort)
        : { kind: 'ordered' as const, sort: sort ?? NAME_ORDER, prefix: '', after: undefined };
  return {
    selection: skipToken === undefined ? selection : resumed(selection, skipToken),
    count,
    top: expand.size > 0 ? Math.min(pageSize(options), EXPANDED_PAGE_MAX) : pageSize(options),
    select: readSelect(options.get('select'), GRAPH_USER),
    expand,
    carried: carriedOptions(options),
  };
}

/** `$top` of a directory list, refused as Graph's directory refuses one outside 1–999 (Request_UnsupportedQuery), which clients match on. */
function pageSize(options: ReadonlyMap<string, string>): number {
  const { default: fallback, max } = USER_LIST_TOP;
  return integerOption(options, 'top', fallback, 1, max, (value) =>
    unsupported(`Invalid page size specified: '${value.slice(0, 64)}'. Must be between 1 and ${max} inclusive.`),
  );
}

/** `GET /users/$count`: how many users the list would hold, an advanced query as `$count=true` is. */
export function readUserCountQuery(search: URLSearchParams, consistencyLevel: string | undefined): UserListQuery {
  return readUserListQuery(search, consistencyLevel, true);
}

/** `GET /users/{id}/directReports` (and `/me/…`): `$top`, `$select` and the `$skiptoken` of a nextLink. */
export function readReportsQuery(search: URLSearchParams, manager: string): UserListQuery {
  const options = readListOptions(search, REPORTS_OPTIONS, 'directReports');
  const selection: UserSelection = { kind: 'reports', manager, after: undefined };
  const skipToken = options.get('skiptoken');
  return {
    selection: skipToken === undefined ? selection : resumed(selection, skipToken),
    count: false,
    top: pageSize(options),
    select: readSelect(options.get('select'), GRAPH_USER),
    expand: new Map(),
    carried: carriedOptions(options),
  };
}

function readFilter(filter: string, sort: UserSort | undefined): UserSelection {
  const startsWith = joinedClauses(filter, STARTS_WITH);
  const groups = startsWith && readPrefixGroups(startsWith);
  const sole = groups?.length === 1 && groups[0]!.length === 1 ? groups[0]![0] : undefined;
  if (sole && 'order' in sole && !sole.whole) {
    if (sort !== undefined && sort.order !== sole.order)
      throw unsupported(`a startswith on ${sole.order === 'name' ? 'displayName' : 'an address'} lists users in ${sole.order} order only`);
    return { kind: 'ordered', sort: { order: sole.order, descending: sort?.descending ?? false }, prefix: sole.prefix, after: undefined };
  }
  if (groups) return { kind: 'prefixes', groups, sort, after: undefined };
  const equals = joinedClauses(filter, EQUALS);
  // One address and another: no user has both as their address.
  if (equals?.some((group) => group.length > 1)) throw unsupported('addresses compared with eq are joined by or, not and');
  const addresses = equals
    ? equals.flat().map(([, property, text, , proxy]) => (proxy === undefined ? addressOf(property!, text!) : proxyAddressOf(proxy)))
    : inList(filter);
  if (addresses === undefined) throw unsupportedFilter();
  if (addresses.length > MAX_ADDRESSES) {
    throw unsupported(
      `Too many child clauses specified in search filter expression containing 'OR' operators: ${addresses.length}. Max allowed: ${MAX_ADDRESSES}.`,
    );
  }
  return { kind: 'addresses', addresses, sort, after: undefined };
}

/** What a filter's selection finds, as a test of the users a search found (Graph's advanced queries take both at once). */
function filterOf(selection: UserSelection): UserFilter {
  if (selection.kind === 'ordered') return { groups: [[{ order: selection.sort.order, prefix: selection.prefix }]] };
  if (selection.kind === 'prefixes') return { groups: selection.groups };
  if (selection.kind === 'addresses') return { addresses: selection.addresses };
  throw unsupportedFilter();
}

/**
 * The clauses `clause` (a sticky pattern) reads, joined by `or` and `and`, when they are the
 * whole filter: in groups, a new one after each `or`.
 */
function joinedClauses(filter: string, clause: RegExp): RegExpExecArray[][] | undefined {
  const groups: RegExpExecArray[][] = [[]];
  for (let at = 0; ;) {
    clause.lastIndex = at;
    const read = clause.exec(filter);
    if (!read) return undefined;
    groups.at(-1)!.push(read);
    if (clause.lastIndex === filter.length) return groups;
    JOIN.lastIndex = clause.lastIndex;
    const join = JOIN.exec(filter);
    if (!join) return undefined;
    if (join[1]!.toLowerCase() === 'or') groups.push([]);
    at = JOIN.lastIndex;
  }
}

/** Each group's `startswith`, each once in it (mail and userPrincipalName are one address here); at most MAX_PREFIXES in all. */
function readPrefixGroups(groups: RegExpExecArray[][]): PrefixGroups {
  let count = 0;
  const read = groups.map((clauses) => {
    const prefixes = new Map<string, UserPrefix>();
    for (const [, startsWith, start, equals, whole] of clauses) {
      const [property, prefix, exact] = equals === undefined ? [startsWith!, literal(start!), {}] : [equals, literal(whole!), { whole: true as const }];
      const order = ORDERED_BY.get(property.toLowerCase());
      const part = NAME_PARTS.get(property.toLowerCase());
      const key = `${order ?? part}:${prefix}:${exact.whole ?? false}`;
      if (order !== undefined) prefixes.set(key, { order, prefix, ...exact });
      else if (part !== undefined) prefixes.set(key, { part, prefix, ...exact });
      else throw unsupportedFilter();
    }
    count += prefixes.size;
    return [...prefixes.values()];
  });
  if (count > MAX_PREFIXES) throw unsupported(`a $filter joins at most ${MAX_PREFIXES} startswith`);
  return read;
}

/** `mail in ('a@x', 'b@x')` → the addresses; none when the filter is not one such list. */
function inList(filter: string): string[] | undefined {
  IN_LIST.lastIndex = 0;
  const head = IN_LIST.exec(filter);
  if (!head) return undefined;
  const addresses: string[] = [];
  for (let at = IN_LIST.lastIndex; ;) {
    LIST_VALUE.lastIndex = at;
    const value = LIST_VALUE.exec(filter);
    if (!value) return undefined;
    addresses.push(addressOf(head[1]!, value[1]!));
    at = LIST_VALUE.lastIndex;
    if (value[2] === ')') return filter.slice(at).trim() === '' ? addresses : undefined;
  }
}

/** The address an `eq` or `in` compares `property` with: mail, userPrincipalName or id (each a user's address here). */
function addressOf(property: string, text: string): string {
  if (!ADDRESSED.has(property.toLowerCase())) throw unsupportedFilter();
  return canonicalSmtpAddress(literal(text));
}

/** The address a proxyAddresses test compares with: an SMTP proxy address is written `smtp:` (or `SMTP:`, the primary) and the address. */
function proxyAddressOf(text: string): string {
  const [, address] = /^smtp:(.*)$/is.exec(text) ?? [];
  if (address === undefined) throw unsupported("proxyAddresses are compared as 'smtp:' and an address: a user here has no proxy address of another kind");
  return canonicalSmtpAddress(literal(address));
}

function unsupportedFilter(): BridgeError {
  return unsupported(
    "Unsupported or invalid query filter clause. Users are filtered by startswith(displayName|givenName|surname|mail|userPrincipalName,'…') or displayName|givenName|surname eq '…', several joined by or and and; mail|userPrincipalName|id eq '…' or proxyAddresses/any(x:x eq 'smtp:…'), several joined by or; or mail|userPrincipalName|id in ('…', …).",
  );
}

/** `"displayName:meg" OR "mail:meg"` → meg: clauses joined by OR, all with one text. */
function readSearch(search: string): string {
  const texts = new Set(
    search.split(/\sOR\s/i).map((clause) => {
      const [, property, text] = SEARCH_CLAUSE.exec(clause.trim()) ?? [];
      if (property === undefined || !SEARCHED.has(property.toLowerCase())) {
        throw unsupported(
          `Invalid $search clause '${clause.trim().slice(0, 64)}'; users are searched by "displayName:…", "givenName:…", "surname:…", "mail:…" or "userPrincipalName:…"`,
        );
      }
      return text!.trim();
    }),
  );
  const [text, ...others] = texts;
  if (others.length > 0) throw unsupported('the clauses of a $search must all look for the same text');
  // Searched, an empty text would be no search at all: everyone, paged as a search's first 1,000 matches.
  if (text === '') throw unsupported('a $search clause looks for a text: "displayName:meg"');
  return limited(text!);
}

function readOrderBy(orderBy: string | undefined): UserSort | undefined {
  if (orderBy === undefined) return undefined;
  const clause = orderByClause(orderBy);
  const order = clause && ORDERED_BY.get(clause.property);
  if (order === undefined) throw unsupported('users are ordered by one of displayName, mail or userPrincipalName, asc or desc');
  return { order, descending: clause!.descending };
}

/** Users' order when the query names none. */
export const NAME_ORDER: UserSort = { order: 'name', descending: false };

/** An OData string literal's text (a quote written twice is one), within the length a search takes. */
function literal(text: string): string {
  return limited(text.replaceAll("''", "'"));
}

function limited(text: string): string {
  if (text.length > MAX_TEXT_LENGTH) throw unsupported(`the text is longer than ${MAX_TEXT_LENGTH} characters`);
  return text;
}

/** The skiptoken of a page of `selection`, which the next page's link carries: where the page ended. */
export function skipTokenOf(selection: UserSelection, last: UserPosition | RankedPosition): string {
  const place = 'tier' in last ? [last.tier, last.nameKey, last.email] : [last.nameKey, last.email];
  return Buffer.from(JSON.stringify([positionKind(selection), ...place])).toString('base64url');
}

/** What a selection's skiptoken starts with: its order, so that one order's token does not resume another. */
function positionKind(selection: UserSelection): string {
  if (selection.kind === 'reports') return 'r';
  if (selection.kind === 'search' && selection.sort === undefined) return 't';
  const { order, descending } = selection.sort ?? NAME_ORDER;
  return `${order === 'address' ? 'a' : 'n'}${descending ? 'd' : ''}`;
}

/** The selection from where a skiptoken says its last page ended; one it could not have given for this query is refused. */
function resumed(selection: UserSelection, token: string): UserSelection {
  let state: unknown;
  try {
    state = token.length <= 2048 ? JSON.parse(Buffer.from(token, 'base64url').toString()) : undefined;
  } catch {
    state = undefined;
  }
  if (Array.isArray(state) && state[0] === positionKind(selection)) {
    const place = state.slice(1) as unknown[];
    if (selection.kind === 'search' && selection.sort === undefined) {
      const [tier, nameKey, email] = place;
      const known = NAME_TIERS.find((each) => each === tier);
      if (place.length === 3 && known && typeof nameKey === 'string' && typeof email === 'string')
        return { ...selection, after: { tier: known, nameKey, email } };
    } else {
      const [nameKey, email] = place;
      if (place.length === 2 && typeof nameKey === 'string' && typeof email === 'string') return { ...selection, after: { nameKey, email } };
    }
  }
  throw new BridgeError('Request_BadRequest', 400, 'The $skiptoken is not one this service gave for this query.');
}

export function unsupported(message: string): BridgeError {
  return new BridgeError('Request_UnsupportedQuery', 400, message);
}
