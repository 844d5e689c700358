import type { ContactOrder, ContactSortKey } from './store.js';

/**
 * What each sort key orders by, in both stores' SQL, most significant first. Names sort as
 * Exchange sorts them, case ignored: each by its key (case and accents folded, search-text.ts;
 * a missing name's key is empty, so it sorts first going up), then by itself, so that equal
 * folds keep one order (a missing name as an empty one: SQLite and PostgreSQL put NULLs at
 * opposite ends). Every text column is compared by code point in both (SQLite's BINARY,
 * PostgreSQL's COLLATE "C"), and the times are ISO 8601 text, so the two stores give the
 * same order.
 */
const SORT_EXPRESSIONS: Readonly<Record<ContactSortKey, readonly string[]>> = {
  displayName: ['c.name_key', 'c.display_name'],
  givenName: keyThenAsIs('c.given_name'),
  surname: keyThenAsIs('c.surname'),
  companyName: keyThenAsIs('c.company'),
  department: keyThenAsIs('c.department'),
  jobTitle: keyThenAsIs('c.job_title'),
  createdAt: ['c.created_at'],
  updatedAt: ['c.updated_at'],
};

function keyThenAsIs(column: string): string[] {
  return [`${column}_key`, `coalesce(${column}, '')`];
}

/** What a contact is sorted by first for `key`: what a restriction's bounds on it compare. */
export function sortKeyOf(key: ContactSortKey): string {
  return SORT_EXPRESSIONS[key][0]!;
}

/** The order of a folder's contacts when none is asked: by display name, as Exchange lists a Contacts folder. */
export const BY_DISPLAY_NAME: readonly ContactOrder[] = [{ key: 'displayName', descending: false }];

/** An ORDER BY list for `order`, the id last so that pages never overlap. Built from the fixed expressions above only. */
export function contactOrderSql(order: readonly ContactOrder[]): string {
  return [...order.flatMap(({ key, descending }) => SORT_EXPRESSIONS[key].map((expression) => `${expression}${descending ? ' DESC' : ''}`)), 'c.id'].join(', ');
}

/** A mailbox's contacts in name order, as listed when no order is asked: what the name-order index holds. */
export const NAME_ORDER_SQL = contactOrderSql(BY_DISPLAY_NAME);
