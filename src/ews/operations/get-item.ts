import type { Contact } from '../../domain/contact.js';
import { BridgeError } from '../../domain/errors.js';
import { contactOwner } from '../../domain/photo-owner.js';
import { LARGEST_PHOTO_SIZE } from '../../domain/size-code.js';
import { contactItemXml, FIELD_URIS, ITEM_ALL_FIELDS, ITEM_DEFAULT_FIELDS, type ContactField } from '../contact-xml.js';
import type { EwsContext } from '../ews-context.js';
import { operationResponse, perItem, success } from '../response-messages.js';
import { attribute, child, children, textOf } from '../soap-args.js';
import { element } from '../xml.js';

/**
 * GetItem on the caller's contacts: one response message per ItemId, in order. An id
 * of another mailbox's contact is answered exactly like a missing one.
 */
export async function getItem(args: unknown, context: EwsContext): Promise<string> {
  const fields = requestedFields(child(args, 'ItemShape'));
  const itemIds = children(child(args, 'ItemIds'), 'ItemId');
  const outcomes = await Promise.all(
    itemIds.map((itemId) =>
      perItem(async () => {
        const id = context.ids.decode('contact', attribute(itemId, 'Id'));
        const contact = context.mailbox ? await context.store.getContact(context.mailbox, id) : undefined;
        if (!contact) throw BridgeError.itemNotFound();
        const current = fields.has('Attachments') || fields.has('HasAttachments') || fields.has('HasPicture') ? await withCurrentPhoto(contact, context) : contact;
        return success(element('m:Items', {}, contactItemXml(current, context.ids, fields)));
      }, '<m:Items/>'),
    ),
  );
  return operationResponse('GetItem', outcomes);
}

/**
 * The contact as it is once the photo service has had its say: a photo kept upstream
 * (a CRM, WhatsApp) is fetched, refreshed or dropped there, and the item's attachment
 * must show what GetAttachment will then serve.
 */
async function withCurrentPhoto(contact: Contact, context: EwsContext): Promise<Contact> {
  const original = await context.photos.photo(contactOwner(contact.id), LARGEST_PHOTO_SIZE);
  if (original?.bytes.length === contact.photo?.bytesLength) return contact;
  return (await context.store.getContact(contact.mailbox, contact.id)) ?? contact;
}

/** BaseShape, plus whatever AdditionalProperties name that the bridge knows; unknown FieldURIs are ignored. */
function requestedFields(shape: unknown): ReadonlySet<ContactField> {
  const base = textOf(child(shape, 'BaseShape'));
  const fields = new Set<ContactField>(base === 'AllProperties' ? ITEM_ALL_FIELDS : base === 'IdOnly' ? [] : ITEM_DEFAULT_FIELDS);
  const additional = child(shape, 'AdditionalProperties');
  for (const path of [...children(additional, 'FieldURI'), ...children(additional, 'IndexedFieldURI')]) {
    const field = FIELD_URIS.get(attribute(path, 'FieldURI') ?? '');
    if (field) fields.add(field);
  }
  return fields;
}
