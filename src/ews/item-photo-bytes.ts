import type { Contact } from '../domain/contact.js';
import { contactOwner } from '../domain/photo-owner.js';
import type { Store } from '../store/store.js';
import type { ContactField } from './contact-xml.js';

/** The fields whose answer carries the photo's bytes: the MimeContent's vCard (its PHOTO) and `contacts:Photo`. */
export const PHOTO_BYTES_FIELDS = ['MimeContent', 'Photo'] as const satisfies readonly ContactField[];

/**
 * The photo an item's answer carries, read only when a field that carries it is asked for and
 * the contact has one: the bytes GetAttachment serves as its attachment.
 */
export async function itemPhotoBytes(contact: Contact, fields: ReadonlySet<ContactField>, store: Store): Promise<Buffer | undefined> {
  if (!PHOTO_BYTES_FIELDS.some((field) => fields.has(field)) || !contact.photo) return undefined;
  return (await store.getPhoto(contactOwner(contact.id)))?.bytes;
}
