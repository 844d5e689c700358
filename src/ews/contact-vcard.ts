import ICAL from 'ical.js';
import type { Contact } from '../domain/contact.js';

/** The vCard types of a contact's phones, as Outlook writes them. */
const PHONE_TYPES = { business: 'WORK,VOICE', mobile: 'CELL,VOICE', home: 'HOME,VOICE' } as const;

/**
 * A contact as the vCard 3.0 (RFC 2426) Exchange gives as a contact's MimeContent, what
 * exchangelib's `mime_content` and ews-javascript-api's ItemSchema.MimeContent export:
 * its names, organisation, title, addresses, phones, photo, the UID it was imported with, and
 * when it last changed. Written by ical.js, which escapes the values and folds the lines.
 */
export function contactVcard(contact: Contact, photo?: Buffer): string {
  const card = new ICAL.Component('vcard');
  card.addPropertyWithValue('version', '3.0');
  structured(card, 'n', [contact.surname ?? '', contact.givenName ?? '', '', '', '']);
  card.addPropertyWithValue('fn', contact.displayName);
  if (contact.company !== undefined || contact.department !== undefined) structured(card, 'org', [contact.company ?? '', contact.department ?? '']);
  if (contact.jobTitle !== undefined) card.addPropertyWithValue('title', contact.jobTitle);
  contact.emailAddresses.forEach((address, i) => {
    card.addPropertyWithValue('email', address).setParameter('type', i === 0 ? ['INTERNET', 'PREF'] : ['INTERNET']);
  });
  for (const [kind, type] of Object.entries(PHONE_TYPES) as [keyof typeof PHONE_TYPES, string][]) {
    const number = contact.phones[kind];
    if (number !== undefined) card.addPropertyWithValue('tel', number).setParameter('type', type.split(','));
  }
  // MS-OXVCARD 2.1.3.2.4: the contact photo attachment, exported as `PHOTO;ENCODING=b;TYPE=<type>`.
  if (photo) {
    const property = card.addPropertyWithValue('photo', photo.toString('base64'));
    property.setParameter('encoding', 'b');
    property.setParameter('type', 'JPEG');
  }
  if (contact.refs.vcardUid !== undefined) card.addPropertyWithValue('uid', contact.refs.vcardUid);
  card.addPropertyWithValue('rev', `${contact.updatedAt.slice(0, 19)}Z`);
  return `${card.toString()}\r\n`;
}

/** A property of several fields (N, ORG), each escaped on its own. */
function structured(card: ICAL.Component, name: string, fields: string[]): void {
  const property = new ICAL.Property(name, card);
  property.setValue(fields);
  card.addProperty(property);
}
