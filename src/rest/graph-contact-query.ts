import { BridgeError } from '../domain/errors.js';
import { FILTERABLE, readContactFilter } from './graph-contact-filter.js';
import { carriedOptions, countOption, integerOption, readListOptions } from './graph-list-options.js';
import { readSelect, type PropertySelection } from './graph-select.js';
import type { ContactMatch, ContactOrder, ContactSortKey } from '../store/store.js';
import { GRAPH_CONTACT } from './graph-types.js';

/** What a `GET /me/contacts` asks: which contacts, in what order, which page, and whether their number is wanted. */
interface ContactListQuery {
  /** `$filter`, as the store matches it; undefined for every contact. */
  match: ContactMatch | undefined;
  /** `$count=true`: the answer carries `@odata.count`. */
  count: boolean;
  /** `$orderby`; display-name order without one. */
  order: ContactOrder[] | undefined;
  top: number;
  skip: number;
  /** `$select`: the properties each contact is written with. */
  select: PropertySelection;
  /** The options the next page's link carries on, as `&$name=value`. */
  carried: string;
}

/** Graph's page size for contacts when `$top` is not given, and the most `$top` may ask. */
export const CONTACT_LIST_TOP = { default: 10, max: 1000 } as const;

/** The system query options a contact list reads, by name without `$`. */
const LIST_OPTIONS = new Set(['top', 'skip', 'filter', 'orderby', 'count', 'search', 'select']);

/** The properties contacts can be ordered by, by their Graph names: those a filter compares, and the two times. */
export const SORTABLE: ReadonlyMap<string, ContactSortKey> = new Map<string, ContactSortKey>([
  ...FILTERABLE,
  ['createdDateTime', 'createdAt'],
  ['lastModifiedDateTime', 'updatedAt'],
]);

/** One `$orderby` item: a property, then `asc` (OData's default) or `desc`. */
const ORDER_ITEM = /^\s*(\w+)(?:\s+(asc|desc))?\s*$/i;

/**
 * Reads the OData options of a contact list. A filter other than those graph-contact-filter.ts
 * reads is refused as Graph refuses what it cannot filter (400
 * ErrorInvalidUrlQueryFilter), and so is `$search`: ignored, either listed every contact
 * as a match, and a client taking the first of them as the person it looked for showed
 * someone else's photo. `$orderby` sorts by the
 * properties the store can sort by and refuses others. An option is never ignored
 * (graph-list-options.ts): `$skiptoken` is one contacts do not take.
 */
export function readContactListQuery(search: URLSearchParams): ContactListQuery {
  const options = readListOptions(search, LIST_OPTIONS, 'contacts');
  if (options.has('search')) {
    throw new BridgeError('ErrorInvalidUrlQuery', 400, "$search is not supported on contacts; filter them with $filter=emailAddresses/any(a:a/address eq '…')");
  }
  const filter = options.get('filter');
  const match = filter === undefined ? undefined : readContactFilter(filter);
  if (filter !== undefined && match === undefined) {
    throw new BridgeError(
      'ErrorInvalidUrlQueryFilter',
      400,
      `The query filter contains one or more invalid nodes. Contacts are filtered by ${[...FILTERABLE.keys()].join(', ')} (eq, ne, lt, le, gt, ge, startswith) and emailAddresses/any(a:a/address eq '…'), joined by and, or, not.`,
    );
  }
  return {
    match,
    count: countOption(options),
    order: readOrderBy(options.get('orderby')),
    top: integerOption(options, 'top', CONTACT_LIST_TOP.default, 1, CONTACT_LIST_TOP.max),
    skip: integerOption(options, 'skip', 0, 0, 1_000_000),
    select: readSelect(options.get('select'), GRAPH_CONTACT),
    carried: carriedOptions(options),
  };
}

/** `$orderby` → the store's sort, most significant first; a property the store cannot sort by is refused, never ignored. */
function readOrderBy(orderBy: string | undefined): ContactOrder[] | undefined {
  if (orderBy === undefined) return undefined;
  const items = orderBy.split(',');
  const order = items.flatMap((item) => readOrderItem(item) ?? []);
  if (order.length === 0 || order.length !== items.length || order.length > SORTABLE.size) {
    throw new BridgeError('ErrorInvalidUrlQuery', 400, `contacts can be ordered by ${[...SORTABLE.keys()].join(', ')} only, each asc or desc`);
  }
  return order;
}

function readOrderItem(item: string): ContactOrder | undefined {
  const [, name, direction] = ORDER_ITEM.exec(item) ?? [];
  const key = name === undefined ? undefined : SORTABLE.get(name);
  return key && { key, descending: direction?.toLowerCase() === 'desc' };
}
