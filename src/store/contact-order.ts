import type { ContactOrder, ContactSortKey } from './store.js';

/**
 * What each sort key orders by, in both stores' SQL. A missing name sorts as an empty one,
 * first going up: SQLite and PostgreSQL put NULLs at opposite ends. Every text column is
 * compared by code point in both (SQLite's BINARY, PostgreSQL's COLLATE "C"), and the
 * times are ISO 8601 text, so the two stores give the same order.
 */
const SORT_EXPRESSIONS: Readonly<Record<ContactSortKey, string>> = {
  displayName: 'c.display_name',
  givenName: "coalesce(c.given_name, '')",
  surname: "coalesce(c.surname, '')",
  companyName: "coalesce(c.company, '')",
  createdAt: 'c.created_at',
  updatedAt: 'c.updated_at',
};

/** The order of a folder's contacts when none is asked: by display name, as Exchange lists a Contacts folder. */
export const BY_DISPLAY_NAME: readonly ContactOrder[] = [{ key: 'displayName', descending: false }];

/** An ORDER BY list for `order`, the id last so that pages never overlap. Built from the fixed expressions above only. */
export function contactOrderSql(order: readonly ContactOrder[]): string {
  return [...order.map(({ key, descending }) => `${SORT_EXPRESSIONS[key]}${descending ? ' DESC' : ''}`), 'c.id'].join(', ');
}
