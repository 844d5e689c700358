import type { ContactOrder, ContactSortKey } from './store.js';

/**
 * What each sort key orders by, in both stores' SQL, most significant first. Names sort as
 * Exchange sorts them, case ignored: each by its key (case and accents folded, search-text.ts;
 * a missing name's key is empty, so it sorts first going up), the display name then by
 * itself, so that equal folds keep one order. Each key has an index by mailbox (the display
 * name's holds the name too), read forwards or backwards with the id last. Every text column
 * is compared by code point in both stores (SQLite's BINARY, PostgreSQL's COLLATE "C"), and
 * the times are ISO 8601 text, so the two stores give the same order.
 */
const SORT_EXPRESSIONS: Readonly<Record<ContactSortKey, readonly string[]>> = {
  displayName: ['c.name_key', 'c.display_name'],
  givenName: ['c.given_name_key'],
  surname: ['c.surname_key'],
  companyName: ['c.company_key'],
  department: ['c.department_key'],
  jobTitle: ['c.job_title_key'],
  createdAt: ['c.created_at'],
  updatedAt: ['c.updated_at'],
};

/** What a contact is sorted by first for `key`: what a restriction's bounds on it compare. */
export function sortKeyOf(key: ContactSortKey): string {
  return SORT_EXPRESSIONS[key][0]!;
}

/** The order of a folder's contacts when none is asked: by display name, as Exchange lists a Contacts folder. */
export const BY_DISPLAY_NAME: readonly ContactOrder[] = [{ key: 'displayName', descending: false }];

/**
 * An ORDER BY list for `order`, the id last (in the last key's direction, so that one key's
 * index is read straight through, either way) so that pages never overlap. Built from the
 * fixed expressions above only. A key named again is left out: it orders nothing its first
 * use did not, and FindPeople's seventeen names of one property (17 FieldOrders) sorted
 * 150,000 contacts seventeen times over (9 s of the event loop).
 */
export function contactOrderSql(order: readonly ContactOrder[]): string {
  const named = new Set<ContactSortKey>();
  const firstUses = order.filter(({ key }) => !named.has(key) && named.add(key));
  const direction = (descending: boolean) => (descending ? ' DESC' : '');
  const keys = firstUses.flatMap(({ key, descending }) => SORT_EXPRESSIONS[key].map((expression) => `${expression}${direction(descending)}`));
  return [...keys, `c.id${direction(firstUses.at(-1)?.descending ?? false)}`].join(', ');
}

/** A mailbox's contacts in name order, as listed when no order is asked: what the name-order index holds. */
export const NAME_ORDER_SQL = contactOrderSql(BY_DISPLAY_NAME);
