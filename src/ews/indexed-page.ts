import { BridgeError } from '../domain/errors.js';
import type { ContactMatch, ContactOrder, ContactPage, Store } from '../store/store.js';
import type { EwsLimits } from './ews-operation.js';
import { attribute, enumValue, requiredAttribute, xsInt } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';

/** An IndexedPageItemView or IndexedPageFolderView as read: without one, the first page of the largest size allowed. */
export interface IndexedPage {
  offset: number;
  maxEntries: number;
  fromEnd: boolean;
}

const BASE_POINTS = ['Beginning', 'End'] as const;

export function readIndexedPage(view: XmlElement | undefined, limits: EwsLimits): IndexedPage {
  // ResponseCodeType (EWS reference): "a zero or a negative value for the maximum rows", and
  // "the offset for indexed paging is negative", each its own code. A page of none would also
  // say "more from this same offset" for ever to a client paging on.
  const maxEntries = intOr(view, 'MaxEntriesReturned', limits.maxItemsPerRequest);
  if (maxEntries <= 0) throw new BridgeError('ErrorInvalidPagingMaxRows', 400, 'MaxEntriesReturned must be at least 1');
  if (!view) return { offset: 0, maxEntries, fromEnd: false };
  // IndexedPageViewType requires Offset and BasePoint (MS-OXWSSRCH 2.2.4.16): a view without either is the schema's fault, not page one.
  const offset = xsInt(requiredAttribute(view, 'Offset'), 'Offset');
  if (offset < 0) throw new BridgeError('ErrorInvalidIndexedPagingParameters', 400, 'Offset must not be negative');
  return {
    offset,
    maxEntries: Math.min(maxEntries, limits.maxItemsPerRequest),
    fromEnd: enumValue(requiredAttribute(view, 'BasePoint'), BASE_POINTS, 'BasePoint', 'Beginning') === 'End',
  };
}

/**
 * Where a page of `total` entries starts and how many it holds. Counted back from the end
 * (BasePoint="End"): `offset` entries before the end, and the `maxEntries` before that
 * (MS-OXWSSRCH; Exchange's example: of 100, offset 25 and 10 asked → entries 65 to 74).
 * An offset past the first entry is an empty page, never a negative count (which SQLite
 * reads as "no limit").
 */
export function pageBounds(page: IndexedPage, total: number): { start: number; count: number } {
  if (!page.fromEnd) return { start: page.offset, count: page.maxEntries };
  const end = Math.max(0, total - page.offset);
  return { start: Math.max(0, end - page.maxEntries), count: Math.min(page.maxEntries, end) };
}

/** The page of a mailbox's contacts an IndexedPageItemView asks (FindItem, FindPeople): counted first when it is counted from the end. */
export async function contactsPage(
  store: Store,
  mailbox: string,
  match: ContactMatch | undefined,
  page: IndexedPage,
  order?: readonly ContactOrder[],
): Promise<ContactPage & { start: number }> {
  const { start, count } = pageBounds(page, page.fromEnd ? (await store.pageContacts(mailbox, match, 0, 0)).total : 0);
  return { start, ...(await store.pageContacts(mailbox, match, start, count, order)) };
}

/**
 * The paging attributes of a RootFolder, which clients page by (exchangelib stops after one
 * page without them): the next Offset from the same BasePoint, and whether no page is left
 * that way. From the end, paging goes backward ("seeking from the end always searches
 * backward"), so the last entry in range is the first one: a client that went on while
 * this said otherwise stopped after one page, or asked for empty pages for ever.
 */
export function pagingAttributes(page: IndexedPage, start: number, shown: number, total: number) {
  return {
    IndexedPagingOffset: page.offset + shown,
    TotalItemsInView: total,
    IncludesLastItemInRange: page.fromEnd ? start === 0 : start + shown >= total,
  };
}

/**
 * An xs:int attribute; the fallback when it is absent. What is no xs:int at all ("abc",
 * "1e2") is the schema's fault, as Exchange's schema check answers it.
 */
function intOr(view: XmlElement | undefined, name: string, fallback: number): number {
  const value = attribute(view, name);
  return value === undefined ? fallback : xsInt(value, name);
}
