import type { Contact } from '../domain/contact.js';
import { contactOwner } from '../domain/photo-owner.js';
import type { Store } from '../store/store.js';
import type { ContactField } from './contact-xml.js';

/**
 * The photo a contact's MimeContent carries (its vCard's PHOTO), read only when MimeContent
 * is asked for and the contact has one: the bytes GetAttachment serves as its attachment.
 */
export async function mimePhotoOf(contact: Contact, fields: ReadonlySet<ContactField>, store: Store): Promise<Buffer | undefined> {
  if (!fields.has('MimeContent') || !contact.photo) return undefined;
  return (await store.getPhoto(contactOwner(contact.id)))?.bytes;
}
