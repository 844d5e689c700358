import type { ContactOrder, ContactSortKey } from './store.js';

/**
 * What each sort key orders by, in both stores' SQL, most significant first. Names sort as
 * Exchange sorts them, case ignored: the display name by its name_key (case and accents
 * folded, search-text.ts), the others by their lower() — ASCII letters folded in both
 * stores — then each by itself, so that equal folds keep one order. A missing name sorts as
 * an empty one, first going up: SQLite and PostgreSQL put NULLs at opposite ends. Every
 * text column is compared by code point in both (SQLite's BINARY, PostgreSQL's
 * COLLATE "C"), and the times are ISO 8601 text, so the two stores give the same order.
 */
const SORT_EXPRESSIONS: Readonly<Record<ContactSortKey, readonly string[]>> = {
  displayName: ['c.name_key', 'c.display_name'],
  givenName: foldedThenAsIs('c.given_name'),
  surname: foldedThenAsIs('c.surname'),
  companyName: foldedThenAsIs('c.company'),
  department: foldedThenAsIs('c.department'),
  jobTitle: foldedThenAsIs('c.job_title'),
  createdAt: ['c.created_at'],
  updatedAt: ['c.updated_at'],
};

function foldedThenAsIs(column: string): string[] {
  return [`lower(coalesce(${column}, ''))`, `coalesce(${column}, '')`];
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
