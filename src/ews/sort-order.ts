import { BridgeError } from '../domain/errors.js';
import type { ContactOrder, ContactSortKey } from '../store/store.js';
import { personaPaths } from './persona-paths.js';
import { attribute, child, enumValue, requiredAttribute } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';

/** SortDirectionType. */
const SORT_DIRECTIONS = ['Ascending', 'Descending'] as const;

/** The properties FindItem sorts a contact folder by, by their EWS FieldURI. */
const CONTACT_SORT_KEYS: ReadonlyMap<string, ContactSortKey> = new Map([
  ['contacts:DisplayName', 'displayName'],
  ['contacts:GivenName', 'givenName'],
  ['contacts:Surname', 'surname'],
  ['contacts:CompanyName', 'companyName'],
  ['contacts:Department', 'department'],
  ['contacts:JobTitle', 'jobTitle'],
  // Every contact is filed under its display name (contact-xml.ts: FileAs): exchangelib's `order_by('file_as')`.
  ['contacts:FileAs', 'displayName'],
  ['item:DateTimeCreated', 'createdAt'],
  ['item:LastModifiedTime', 'updatedAt'],
]);

/**
 * The properties FindPeople sorts the Contacts folder's people by: a persona's
 * (exchangelib's `folder.people().order_by('-surname')`), and a contact's, as its
 * Restrictions may name them (restriction.ts).
 */
export const PERSONA_SORT_KEYS: ReadonlyMap<string, ContactSortKey> = new Map([
  ...personaPaths(CONTACT_SORT_KEYS),
  ['persona:CreationTime', 'createdAt'],
  ...CONTACT_SORT_KEYS,
]);

/**
 * A FindItem or FindPeople SortOrder → the store's sort, most significant key first (exchangelib's
 * `order_by('-display_name')`, ews-javascript-api's `view.OrderBy`). Each FieldOrder names
 * one property with `Order` Ascending or Descending (required by the schema). A property the bridge
 * cannot sort by is refused with the code Exchange uses for it, never ignored: a client
 * that asked for an order takes the answer to be in it. None: undefined (display-name order).
 */
export function readSortOrder(sortOrder: XmlElement | undefined, sortable = CONTACT_SORT_KEYS): ContactOrder[] | undefined {
  if (!sortOrder) return undefined;
  // NonEmptyArrayOfFieldOrdersType: an empty SortOrder fails schema validation, as Exchange's does.
  if (sortOrder.children.length === 0)
    throw BridgeError.schemaValidation("The element 'SortOrder' has incomplete content. List of possible elements expected: 'FieldOrder'.");
  if (sortOrder.children.length > sortable.size) throw unsortable(`a SortOrder holds at most ${sortable.size} FieldOrders`);
  return sortOrder.children.map((fieldOrder) => {
    const uri = attribute(child(fieldOrder, 'FieldURI'), 'FieldURI');
    const key = uri === undefined ? undefined : sortable.get(uri);
    if (fieldOrder.local !== 'FieldOrder' || !key) {
      throw unsortable(`the folder can be sorted by ${[...sortable.keys()].join(', ')} only, not ${uri ?? 'that property'}`);
    }
    const order = enumValue(requiredAttribute(fieldOrder, 'Order'), SORT_DIRECTIONS, 'Order', 'Ascending');
    return { key, descending: order === 'Descending' };
  });
}

function unsortable(reason: string): BridgeError {
  return new BridgeError('ErrorUnsupportedPathForSortGroup', 400, reason);
}
