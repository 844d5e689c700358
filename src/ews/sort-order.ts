import { BridgeError } from '../domain/errors.js';
import type { ContactOrder, ContactSortKey } from '../store/store.js';
import { attribute, child, enumValue } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';

/** SortDirectionType: EWS's default is Ascending. */
const SORT_DIRECTIONS = ['Ascending', 'Descending'] as const;

/** The properties a contact folder can be sorted by, by their EWS FieldURI. */
const SORTABLE: ReadonlyMap<string, ContactSortKey> = new Map([
  ['contacts:DisplayName', 'displayName'],
  ['contacts:GivenName', 'givenName'],
  ['contacts:Surname', 'surname'],
  ['contacts:CompanyName', 'companyName'],
  ['item:DateTimeCreated', 'createdAt'],
  ['item:LastModifiedTime', 'updatedAt'],
]);

/**
 * A FindItem SortOrder → the store's sort, most significant key first (exchangelib's
 * `order_by('-display_name')`, ews-javascript-api's `view.OrderBy`). Each FieldOrder names
 * one property with `Order` Ascending (EWS's default) or Descending. A property the bridge
 * cannot sort by is refused with the code Exchange uses for it, never ignored: a client
 * that asked for an order takes the answer to be in it. None: undefined (display-name order).
 */
export function readSortOrder(sortOrder: XmlElement | undefined): ContactOrder[] | undefined {
  if (!sortOrder || sortOrder.children.length === 0) return undefined;
  if (sortOrder.children.length > SORTABLE.size) throw unsortable(`a SortOrder holds at most ${SORTABLE.size} FieldOrders`);
  return sortOrder.children.map((fieldOrder) => {
    const uri = attribute(child(fieldOrder, 'FieldURI'), 'FieldURI');
    const key = uri === undefined ? undefined : SORTABLE.get(uri);
    if (fieldOrder.local !== 'FieldOrder' || !key) {
      throw unsortable(`contacts can be sorted by ${[...SORTABLE.keys()].join(', ')} only, not ${uri ?? 'that property'}`);
    }
    const order = enumValue(attribute(fieldOrder, 'Order'), SORT_DIRECTIONS, 'Order', 'Ascending');
    return { key, descending: order === 'Descending' };
  });
}

function unsortable(reason: string): BridgeError {
  return new BridgeError('ErrorUnsupportedPathForSortGroup', 400, reason);
}
