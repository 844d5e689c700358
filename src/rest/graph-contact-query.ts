import { BridgeError } from '../domain/errors.js';
import type { AddressMatch, ContactOrder, ContactSortKey } from '../store/store.js';

/** What a `GET /me/contacts` asks besides its page: which contacts, in what order, and whether their number is wanted. */
export interface ContactListQuery {
  /** `$filter`, as the store matches it; undefined for every contact. */
  match: AddressMatch | undefined;
  /** `$count=true`: the answer carries `@odata.count`. */
  count: boolean;
  /** `$orderby`; display-name order without one. */
  order: ContactOrder[] | undefined;
}

/** The properties contacts can be ordered by, by their Graph names. */
const SORTABLE: ReadonlyMap<string, ContactSortKey> = new Map([
  ['displayName', 'displayName'],
  ['givenName', 'givenName'],
  ['surname', 'surname'],
  ['companyName', 'companyName'],
  ['createdDateTime', 'createdAt'],
  ['lastModifiedDateTime', 'updatedAt'],
]);

/** One `$orderby` item: a property, then `asc` (OData's default) or `desc`. */
const ORDER_ITEM = /^\s*(\w+)(?:\s+(asc|desc))?\s*$/i;

/**
 * The one filter Graph documents for contacts (user-list-contacts, "Optional query
 * parameters"): `emailAddresses/any(a:a/address eq 'garth@contoso.com')` — `any` and `eq`
 * on the address of an entry only, with any lambda variable. The literal is OData's: a
 * quote inside it is written twice. Linear: the literal's two alternatives start with
 * different characters.
 */
const ADDRESS_FILTER = /^\s*emailAddresses\/any\(\s*([A-Za-z_]\w*)\s*:\s*\1\/address\s+eq\s+'((?:[^']|'')*)'\s*\)\s*$/i;

/**
 * Reads the OData options of a contact list. A filter other than the documented one is
 * refused as Graph refuses it (400 ErrorInvalidUrlQueryFilter), and so is `$search`:
 * ignored, either listed every contact as a match, and a client taking the first of them
 * as the person it looked for showed someone else's photo. `$orderby` sorts by the
 * properties the store can sort by and refuses others. `$select` stays ignored: every
 * property answers it.
 */
export function readContactListQuery(query: Record<string, unknown>): ContactListQuery {
  if (query.$search !== undefined) {
    throw new BridgeError('ErrorInvalidUrlQuery', 400, "$search is not supported on contacts; filter them with $filter=emailAddresses/any(a:a/address eq '…')");
  }
  const filter = query.$filter;
  let match: AddressMatch | undefined;
  if (filter !== undefined) {
    const parsed = typeof filter === 'string' ? ADDRESS_FILTER.exec(filter) : null;
    if (!parsed) {
      throw new BridgeError(
        'ErrorInvalidUrlQueryFilter',
        400,
        "The query filter contains one or more invalid nodes. Contacts are filtered by emailAddresses/any(a:a/address eq '…') only.",
      );
    }
    match = { address: parsed[2]!.replaceAll("''", "'") };
  }
  const count = query.$count;
  if (count !== undefined && count !== 'true' && count !== 'false') throw BridgeError.invalidRequest('$count must be true or false');
  return { match, count: count === 'true', order: readOrderBy(query.$orderby) };
}

/** `$orderby` → the store's sort, most significant first; a property the store cannot sort by is refused, never ignored. */
function readOrderBy(orderBy: unknown): ContactOrder[] | undefined {
  if (orderBy === undefined) return undefined;
  const items = typeof orderBy === 'string' ? orderBy.split(',') : [];
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
