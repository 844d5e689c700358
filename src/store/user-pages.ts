import { canonicalAddressPrefix } from '../domain/email.js';
import { asciiLower } from '../domain/plain-text.js';
import { foldedText, prefixEnd } from './search-text.js';
import { fromUserRow, type UserRow } from './store-rows.js';
import type { UserOrder, UserPage, UserPosition } from './store.js';

/**
 * What a page of users in one of their orders reads (Store.pageUsers): the range of the
 * order's key the prefix spans — a folded display name, or an address in the spelling
 * addresses are kept in — and the position it starts after, its address as the indexes
 * compare it (ASCII case ignored). In name order that position is the one lower bound of
 * the read, (name, address), never before the range's start: given beside `name >= start`
 * SQLite bounded its index walk by the start alone and filtered the rest, so a page a
 * million people deep walked them all (93 ms a page, 344 at worst; 1.3 ms by the
 * position). undefined: a prefix that folds to nothing (punctuation alone) starts no name.
 */
export interface UserPageBounds {
  start: string;
  end: string;
  afterKey: string;
  afterEmail: string;
}

export function userPageBounds(order: UserOrder, prefix: string, after: UserPosition | undefined): UserPageBounds | undefined {
  const start = order === 'name' ? foldedText(prefix) : canonicalAddressPrefix(prefix);
  if (start === '' && prefix.trim() !== '') return undefined;
  // Every address sorts after '': (start, '') is just before the range.
  const position = after && (order === 'address' || after.nameKey >= start) ? after : undefined;
  return { start, end: prefixEnd(start), afterKey: position?.nameKey ?? start, afterEmail: asciiLower(position?.email ?? '') };
}

/** The users of a page, read with their keys and one row more than the page holds: when that row is there, the next page starts after the page's last. */
export function userPageOf(rows: readonly (UserRow & { name_key: string })[], limit: number): UserPage {
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return { users: rows.slice(0, limit).map(fromUserRow), ...(last ? { next: { nameKey: last.name_key, email: last.email } } : {}) };
}
