import { canonicalAddressPrefix } from '../domain/email.js';
import { asciiLower } from '../domain/plain-text.js';
import { compareKeys, foldedText, prefixEnd } from './search-text.js';
import { fromUserRow, type UserRow } from './store-rows.js';
import type { UserOrder, UserPage, UserPosition } from './store.js';

/**
 * What a page of users in one of their orders reads (Store.pageUsers): the range of the
 * order's key the prefix spans — a folded display name, or an address in the spelling
 * addresses are kept in — and the position the page starts from (after it ascending, before
 * it descending), its address as the indexes compare it (ASCII case ignored). In name order
 * that position is the read's one bound on that side, (name, address), never outside the
 * range: given beside `name >= start` SQLite bounded its index walk by the start alone and
 * filtered the rest, so a page a million people deep walked them all (93 ms a page, 344 at
 * worst; 1.3 ms by the position). Without a position it is the range's edge: (start, '')
 * ascending, (end, '') descending — every address sorts after ''. In address order the
 * position is its address alone, kept within the range's end descending. undefined: a
 * prefix that folds to nothing (punctuation alone) starts no name.
 */
export interface UserPageBounds {
  start: string;
  end: string;
  fromKey: string;
  fromEmail: string;
}

export function userPageBounds(order: UserOrder, prefix: string, from: UserPosition | undefined, descending = false): UserPageBounds | undefined {
  const start = order === 'name' ? foldedText(prefix) : canonicalAddressPrefix(prefix);
  if (start === '' && prefix.trim() !== '') return undefined;
  const end = prefixEnd(start);
  const edge = descending ? end : start;
  if (order === 'address') {
    // The key is the address: a position past the range's end is its end.
    const email = from && asciiLower(from.email);
    return { start, end, fromKey: '', fromEmail: email !== undefined && (!descending || compareKeys(email, end) < 0) ? email : descending ? end : '' };
  }
  const position = from && (descending ? compareKeys(from.nameKey, end) < 0 : compareKeys(from.nameKey, start) >= 0) ? from : undefined;
  return { start, end, fromKey: position?.nameKey ?? edge, fromEmail: asciiLower(position?.email ?? '') };
}

/** The users of a page, read with their keys and one row more than the page holds: when that row is there, the next page starts after the page's last. */
export function userPageOf(rows: readonly (UserRow & { name_key: string })[], limit: number): UserPage {
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return { users: rows.slice(0, limit).map(fromUserRow), ...(last ? { next: { nameKey: last.name_key, email: last.email } } : {}) };
}

/**
 * One page from several, each in name order and read as userPageOf reads one (a row more than
 * the page holds): their rows in that order — name key, then address as the indexes compare it.
 */
export function mergedUserPage(pages: readonly (readonly (UserRow & { name_key: string })[])[], limit: number): UserPage {
  const rows = pages.flat().sort((a, b) => compareKeys(a.name_key, b.name_key) || compareKeys(asciiLower(a.email), asciiLower(b.email)));
  return userPageOf(rows, limit);
}
