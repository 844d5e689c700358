import { BridgeError } from '../../domain/errors.js';
import { contactOwner } from '../../domain/photo-owner.js';
import { fileAttachmentXml } from '../contact-xml.js';
import { soapAnswer, type EwsOperation } from '../ews-operation.js';
import { answerEachId, readRequestedIds, type RequestedId } from '../requested-ids.js';
import { failure, operationResponse, success } from '../response-messages.js';
import { element } from '../xml.js';

const EMPTY = '<m:Attachments/>';

/** GetAttachment for contact photos: the stored photo's bytes as t:FileAttachment/t:Content. */
export const getAttachment: EwsOperation<RequestedId[]> = {
  need: 'user',
  read: (request, limits) => readRequestedIds(request, 'AttachmentIds', 'AttachmentId', limits),

  run: (attachmentIds, context) =>
    answerEachId(
      'GetAttachment',
      attachmentIds,
      async (attachmentId) => {
        const id = context.ids.decode('contactPhoto', attachmentId);
        const contact = context.mailbox ? await context.store.getContact(context.mailbox, id) : undefined;
        const photo = contact?.photo && (await context.store.getPhoto(contactOwner(id)));
        // Another mailbox's contact photo is answered as a missing one, as items are; and a photo
        // replaced since its id was given as a deleted attachment, as Exchange's replacement is a
        // new attachment (EWS changes none in place) and clients keep photos by AttachmentId.
        if (!contact || !photo || !context.ids.isOfVersion(attachmentId, photo.sha256)) throw BridgeError.attachmentNotFound();
        return success(element('m:Attachments', {}, fileAttachmentXml(contact, context, photo.bytes)));
      },
      EMPTY,
      context,
      true,
    ),

  refuse: (error) => soapAnswer(operationResponse('GetAttachment', [failure(error, EMPTY)])),
};
