import { BridgeError } from '../../domain/errors.js';
import { contactOwner } from '../../domain/photo-owner.js';
import { fileAttachmentXml } from '../contact-xml.js';
import type { EwsContext } from '../ews-context.js';
import { operationResponse, perItem, success } from '../response-messages.js';
import { attribute, child, children } from '../soap-args.js';
import { element } from '../xml.js';

/** GetAttachment for contact photos: the stored photo's bytes as t:FileAttachment/t:Content. */
export async function getAttachment(args: unknown, context: EwsContext): Promise<string> {
  const attachmentIds = children(child(args, 'AttachmentIds'), 'AttachmentId');
  const outcomes = await Promise.all(
    attachmentIds.map((attachmentId) =>
      perItem(async () => {
        const id = context.ids.decode('contactPhoto', attribute(attachmentId, 'Id'));
        const contact = context.mailbox ? await context.store.getContact(context.mailbox, id) : undefined;
        const photo = contact?.photo && (await context.store.getPhoto(contactOwner(id)));
        if (!contact || !photo) throw BridgeError.itemNotFound();
        return success(element('m:Attachments', {}, fileAttachmentXml(contact, context.ids, photo.bytes)));
      }, '<m:Attachments/>'),
    ),
  );
  return operationResponse('GetAttachment', outcomes);
}
