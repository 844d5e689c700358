import { contactsFolderXml } from '../folders.js';
import { inTurnWithRoom } from '../../loop-turns.js';
import type { Contact } from '../../domain/contact.js';
import { BridgeError } from '../../domain/errors.js';
import { isRenditionOf } from '../../domain/photo.js';
import { contactOwner } from '../../domain/photo-owner.js';
import { LARGEST_PHOTO_SIZE } from '../../domain/size-code.js';
import { contactItemXml, requestedFields, type ContactField } from '../contact-xml.js';
import { soapAnswer, type EwsContext, type EwsOperation } from '../ews-operation.js';
import { itemPhotoBytes, PHOTO_BYTES_FIELDS } from '../item-photo-bytes.js';
import { answerEachId, readRequestedIds, type RequestedId } from '../requested-ids.js';
import { failure, operationResponse, success } from '../response-messages.js';
import { soleChild } from '../soap-args.js';
import { element } from '../xml.js';

const EMPTY = '<m:Items/>';

/** The fields that show the contact's photo, or whether it has one. */
const PHOTO_FIELDS = ['Attachments', 'HasAttachments', 'HasPicture', ...PHOTO_BYTES_FIELDS] as const satisfies readonly ContactField[];

interface GetItemArgs {
  fields: ReadonlySet<ContactField>;
  itemIds: RequestedId[];
}

/**
 * The ids ItemIds may hold besides ItemId (NonEmptyArrayOfBaseItemIdsType): each names a
 * calendar item, an occurrence or its recurring master, and the bridge holds contacts only.
 */
const CALENDAR_IDS: ReadonlyMap<string, () => BridgeError> = new Map(
  ['OccurrenceItemId', 'RecurringMasterItemId', 'RecurringMasterItemIdRanges'].map((kind) => [
    kind,
    () => new BridgeError('ErrorItemNotFound', 404, `the bridge holds contacts only, and no calendar item by ${kind}`),
  ]),
);

/**
 * GetItem on the caller's contacts: one response message per id, in order. An id of
 * another mailbox's contact is answered exactly like a missing one.
 */
export const getItem: EwsOperation<GetItemArgs> = {
  need: 'user',
  read: (request, limits) => ({
    fields: requestedFields(soleChild(request, 'ItemShape')),
    itemIds: readRequestedIds(request, 'ItemIds', 'ItemId', limits, CALENDAR_IDS),
  }),

  run: ({ fields, itemIds }, context) => {
    const parentFolder = contactsFolderXml(fields, context);
    return answerEachId(
      'GetItem',
      itemIds,
      async (itemId) => {
        const id = context.ids.decode('contact', itemId);
        const contact = context.mailbox ? await context.store.getContact(context.mailbox, id) : undefined;
        if (!contact) throw BridgeError.itemNotFound();
        const current = PHOTO_FIELDS.some((field) => fields.has(field)) ? await withCurrentPhoto(contact, context) : contact;
        const photoBytes = await itemPhotoBytes(current, fields, context.store);
        // Made in a turn with room: reads of ten such requests finish in one turn, and their vCards (6 ms each for a large photo) ran in it together.
        return inTurnWithRoom(() => success(element('m:Items', {}, contactItemXml(current, context, fields, parentFolder, photoBytes))));
      },
      EMPTY,
      context,
      PHOTO_BYTES_FIELDS.some((field) => fields.has(field)),
    );
  },

  refuse: (error) => soapAnswer(operationResponse('GetItem', [failure(error, EMPTY)])),
};

/**
 * The contact as it is once the photo service has had its say: a photo kept upstream
 * (a CRM, WhatsApp) is fetched, refreshed or dropped there, and the item's attachment
 * must show what GetAttachment will then serve.
 */
async function withCurrentPhoto(contact: Contact, context: EwsContext): Promise<Contact> {
  const current = await context.photos.photoIfKnown(contactOwner(contact.id), LARGEST_PHOTO_SIZE, context.turn);
  if (current && contact.photo ? isRenditionOf(current, contact.photo) : !current && !contact.photo) return contact;
  return (await context.store.getContact(contact.mailbox, contact.id)) ?? contact;
}
