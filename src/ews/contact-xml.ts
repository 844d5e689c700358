import type { Contact, ContactFields, ContactPhones } from '../domain/contact.js';
import type { DirectoryUser } from '../domain/directory.js';
import { contactVcard } from './contact-vcard.js';
import type { ItemWriting } from './ews-operation.js';
import { ewsDateTime } from './ews-time.js';
import { changeKeyOf } from './item-ids.js';
import { attribute, children, enumValue, requiredChild, soleChild, textOf, xsBoolean } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';
import { element, escapeXml, text } from './xml.js';

/** The contact fields the bridge can write, named as EWS FieldURIs name them. */
export type ContactField =
  | 'MimeContent'
  | 'ParentFolderId'
  | 'ItemClass'
  | 'Subject'
  | 'Sensitivity'
  | 'Attachments'
  | 'DateTimeReceived'
  | 'Size'
  | 'Importance'
  | 'IsSubmitted'
  | 'IsDraft'
  | 'IsFromMe'
  | 'IsResend'
  | 'IsUnmodified'
  | 'DateTimeSent'
  | 'DateTimeCreated'
  | 'HasAttachments'
  | 'Culture'
  | 'LastModifiedTime'
  | 'IsAssociated'
  | 'FileAs'
  | 'FileAsMapping'
  | 'DisplayName'
  | 'GivenName'
  | 'CompleteName'
  | 'CompanyName'
  | 'EmailAddresses'
  | 'PhoneNumbers'
  | 'ContactSource'
  | 'Department'
  | 'JobTitle'
  | 'PostalAddressIndex'
  | 'Surname'
  | 'HasPicture'
  | 'Alias'
  | 'Photo'
  | DictionaryMember;

/** The contact's dictionaries, which a client asks for whole (FieldURI) or a member at a time (IndexedFieldURI). */
type Dictionary = 'EmailAddresses' | 'PhoneNumbers';
/** One member of a dictionary, by the key its entry carries: `EmailAddresses:EmailAddress2`. */
type DictionaryMember = `${Dictionary}:${string}`;

/** FieldURI (as clients send it) → field. Anything not here is ignored, never an error. */
const FIELD_URIS: ReadonlyMap<string, ContactField> = new Map([
  ['item:MimeContent', 'MimeContent'],
  ['item:ParentFolderId', 'ParentFolderId'],
  ['item:ItemClass', 'ItemClass'],
  ['item:Subject', 'Subject'],
  ['item:Sensitivity', 'Sensitivity'],
  ['item:Attachments', 'Attachments'],
  ['item:DateTimeReceived', 'DateTimeReceived'],
  ['item:Size', 'Size'],
  ['item:Importance', 'Importance'],
  ['item:IsSubmitted', 'IsSubmitted'],
  ['item:IsDraft', 'IsDraft'],
  ['item:IsFromMe', 'IsFromMe'],
  ['item:IsResend', 'IsResend'],
  ['item:IsUnmodified', 'IsUnmodified'],
  ['item:DateTimeSent', 'DateTimeSent'],
  ['item:DateTimeCreated', 'DateTimeCreated'],
  ['item:HasAttachments', 'HasAttachments'],
  ['item:Culture', 'Culture'],
  ['item:LastModifiedTime', 'LastModifiedTime'],
  ['item:IsAssociated', 'IsAssociated'],
  ['contacts:FileAs', 'FileAs'],
  ['contacts:FileAsMapping', 'FileAsMapping'],
  ['contacts:PostalAddressIndex', 'PostalAddressIndex'],
  ['contacts:DisplayName', 'DisplayName'],
  ['contacts:GivenName', 'GivenName'],
  ['contacts:CompleteName', 'CompleteName'],
  ['contacts:CompanyName', 'CompanyName'],
  ['contacts:EmailAddresses', 'EmailAddresses'],
  ['contacts:PhoneNumbers', 'PhoneNumbers'],
  ['contacts:ContactSource', 'ContactSource'],
  ['contacts:Department', 'Department'],
  ['contacts:JobTitle', 'JobTitle'],
  ['contacts:Surname', 'Surname'],
  ['contacts:HasPicture', 'HasPicture'],
  ['contacts:Alias', 'Alias'],
  ['contacts:Photo', 'Photo'],
]);

const CARD_FIELDS: ContactField[] = [
  'FileAs',
  'DisplayName',
  'GivenName',
  'CompanyName',
  'EmailAddresses',
  'PhoneNumbers',
  'ContactSource',
  'Department',
  'JobTitle',
  'Surname',
  'Alias',
];
/** EWS's BaseShape and ContactDataShape values. */
const SHAPES = ['IdOnly', 'Default', 'AllProperties'] as const;
type Shape = (typeof SHAPES)[number];

/** A missing shape reads as Default; an unknown one fails schema validation. */
export function shapeOf(value: string | undefined, what: string): Shape {
  return enumValue(value, SHAPES, what, 'Default');
}

/**
 * GetItem's shapes; Photo (the bytes, base64) only when asked for by FieldURI. Default holds
 * what Learn's table of a contact's default properties names of what the bridge keeps
 * (CompanyName, CompleteName, EmailAddresses, FileAs, HasAttachments, JobTitle, PhoneNumbers:
 * "Property sets and response shapes in EWS"), and the card and photo attachment besides.
 */
const ITEM_SHAPE_FIELDS: Readonly<Record<Shape, ReadonlySet<ContactField>>> = {
  IdOnly: new Set(),
  Default: new Set<ContactField>(['Attachments', 'HasAttachments', ...CARD_FIELDS, 'CompleteName', 'HasPicture']),
  // What Exchange's AllProperties answer for a contact holds of what the bridge keeps
  // ("GetItem operation (contact)"); the EWS Managed API and its ports throw when a program
  // reads a property AllProperties should have brought and did not.
  AllProperties: new Set<ContactField>([
    'ParentFolderId',
    'ItemClass',
    'Subject',
    'Sensitivity',
    'Attachments',
    'DateTimeReceived',
    'Size',
    'Importance',
    'IsSubmitted',
    'IsDraft',
    'IsFromMe',
    'IsResend',
    'IsUnmodified',
    'DateTimeSent',
    'DateTimeCreated',
    'HasAttachments',
    'Culture',
    'LastModifiedTime',
    'IsAssociated',
    ...CARD_FIELDS,
    'CompleteName',
    'FileAsMapping',
    'PostalAddressIndex',
    'HasPicture',
  ]),
};

/** IndexedFieldURI's FieldURI (as clients send it) → the dictionary whose member its FieldIndex names. */
const DICTIONARY_URIS: ReadonlyMap<string, Dictionary> = new Map([
  ['contacts:EmailAddress', 'EmailAddresses'],
  ['contacts:PhoneNumber', 'PhoneNumbers'],
]);

/**
 * An ItemShape: its BaseShape, plus whatever AdditionalProperties name that the bridge knows;
 * unknown FieldURIs are ignored. None (GetItem's, wsdl/messages.xsd) is the Default shape.
 */
export function requestedFields(shape: XmlElement | undefined): Set<ContactField> {
  if (!shape) return new Set(ITEM_SHAPE_FIELDS.Default);
  const fields = new Set(ITEM_SHAPE_FIELDS[shapeOf(textOf(requiredChild(shape, 'BaseShape')), 'BaseShape')]);
  const additional = soleChild(shape, 'AdditionalProperties');
  for (const path of children(additional, 'FieldURI')) {
    const field = FIELD_URIS.get(attribute(path, 'FieldURI') ?? '');
    if (field) fields.add(field);
  }
  for (const path of children(additional, 'IndexedFieldURI')) {
    const member = dictionaryMemberOf(path);
    if (member) fields.add(member);
  }
  // The shape's own way to ask for it, beside the FieldURI.
  const includeMime = soleChild(shape, 'IncludeMimeContent');
  if (includeMime && xsBoolean(textOf(includeMime), 'IncludeMimeContent')) fields.add('MimeContent');
  return fields;
}

/**
 * The one dictionary member an IndexedFieldURI asks for, not the whole dictionary: Learn's
 * "IndexedFieldURI" has FieldIndex "Identifies the member of the dictionary to return".
 */
function dictionaryMemberOf(path: XmlElement): DictionaryMember | undefined {
  const dictionary = DICTIONARY_URIS.get(attribute(path, 'FieldURI') ?? '');
  const index = attribute(path, 'FieldIndex');
  return dictionary && index ? `${dictionary}:${index}` : undefined;
}

/** ResolveNames' ContactDataShape (AllProperties carries the photo). */
export const RESOLVE_SHAPE_FIELDS: Readonly<Record<Shape, ReadonlySet<ContactField>>> = {
  IdOnly: new Set(),
  Default: new Set<ContactField>(CARD_FIELDS),
  AllProperties: new Set<ContactField>([...CARD_FIELDS, 'HasPicture', 'Photo']),
};

const CONTACT_PHOTO_NAME = 'ContactPicture.jpg';

/** One person as a contact card, whether a mailbox's contact or a directory user. */
export interface ContactCard extends Omit<ContactFields, 'refs'> {
  alias?: string;
  source: 'ActiveDirectory' | 'Store';
  hasPicture: boolean;
}

export function cardOfContact(contact: Contact): ContactCard {
  return { ...contact, source: 'Store', hasPicture: contact.photo !== undefined };
}

export function cardOfUser(user: DirectoryUser, hasPicture: boolean): ContactCard {
  return {
    displayName: user.displayName,
    givenName: user.givenName,
    surname: user.surname,
    company: user.company,
    department: user.department,
    jobTitle: user.title,
    alias: user.alias,
    // As Exchange writes a directory entry's addresses, its proxyAddresses' way (Learn's
    // ResolveNames example: `<t:Entry Key="EmailAddress1">SMTP:User2@example.com</t:Entry>`).
    emailAddresses: [`SMTP:${user.email}`],
    phones: { business: user.businessPhone, mobile: user.mobilePhone },
    source: 'ActiveDirectory',
    hasPicture,
  };
}

const PHONE_KEYS: [keyof ContactPhones, string][] = [
  ['business', 'BusinessPhone'],
  ['home', 'HomePhone'],
  ['mobile', 'MobilePhone'],
];

/** The contact part of t:Contact, in the schema's order, limited to the wanted fields. */
export function contactCardXml(card: ContactCard, wanted: ReadonlySet<ContactField>, photo?: Buffer): string {
  const emailEntries = card.emailAddresses.map((address, i): DictionaryEntry => [`EmailAddress${i + 1}`, address]);
  const phoneEntries = PHONE_KEYS.filter(([key]) => card.phones[key]).map(([key, name]): DictionaryEntry => [name, card.phones[key]!]);
  const pick = <T>(field: ContactField, value: T) => (wanted.has(field) ? value : undefined);
  return [
    pick('FileAs', text('t:FileAs', card.displayName)),
    // The bridge files a contact under its display name, the one mapping of its own; it keeps no postal addresses.
    pick('FileAsMapping', text('t:FileAsMapping', 'None')),
    pick('DisplayName', text('t:DisplayName', card.displayName)),
    pick('GivenName', text('t:GivenName', card.givenName)),
    pick('CompleteName', completeNameXml(card)),
    pick('CompanyName', text('t:CompanyName', card.company)),
    dictionaryXml('EmailAddresses', emailEntries, wanted),
    dictionaryXml('PhoneNumbers', phoneEntries, wanted),
    pick('ContactSource', text('t:ContactSource', card.source)),
    pick('Department', text('t:Department', card.department)),
    pick('JobTitle', text('t:JobTitle', card.jobTitle)),
    pick('PostalAddressIndex', text('t:PostalAddressIndex', 'None')),
    pick('Surname', text('t:Surname', card.surname)),
    pick('HasPicture', text('t:HasPicture', card.hasPicture)),
    pick('Alias', text('t:Alias', card.alias)),
    pick('Photo', photo && text('t:Photo', photo.toString('base64'))),
  ].join('');
}

/**
 * The name's parts as CompleteNameType has them (first, last, full: the display name), the
 * others the bridge does not keep left out. Exchange writes one for every contact, and
 * clients read it unchecked: exchangelib asks for it in every GetItem, and
 * ews-javascript-api's `Contact.CompleteName.FullName` threw on a contact without one.
 */
function completeNameXml(card: ContactCard): string {
  return element('t:CompleteName', {}, text('t:FirstName', card.givenName), text('t:LastName', card.surname), text('t:FullName', card.displayName));
}

/** A dictionary entry: its key (EmailAddress1, MobilePhone) and its value. */
type DictionaryEntry = [key: string, value: string];

/** The dictionary's wanted entries: all of them if it is wanted whole, else the members asked for; nothing if none is there. */
function dictionaryXml(dictionary: Dictionary, entries: DictionaryEntry[], wanted: ReadonlySet<ContactField>): string | undefined {
  const shown = wanted.has(dictionary) ? entries : entries.filter(([key]) => wanted.has(`${dictionary}:${key}`));
  if (shown.length === 0) return undefined;
  return element(`t:${dictionary}`, {}, ...shown.map(([key, value]) => element('t:Entry', { Key: key }, escapeXml(value))));
}

/**
 * A mailbox contact as GetItem returns it: t:ItemId, then the item part, then the
 * contact part — the order the EWS schema fixes and strict clients rely on. `photoBytes` are
 * the photo's, for the MimeContent's vCard and `t:Photo` (itemPhotoBytes).
 */
export function contactItemXml(
  contact: Contact,
  writing: ItemWriting,
  wanted: ReadonlySet<ContactField>,
  parentFolderXml?: string,
  photoBytes?: Buffer,
): string {
  const photo = contact.photo;
  const { ids, timePrecision } = writing;
  return element(
    't:Contact',
    {},
    // First in ItemType's sequence, and only when asked: no shape includes it (Learn's "MimeContent").
    wanted.has('MimeContent') ? element('t:MimeContent', { CharacterSet: 'UTF-8' }, contactVcard(contact, photoBytes).toString('base64')) : undefined,
    element('t:ItemId', { Id: ids.encode('contact', contact.id), ChangeKey: changeKeyOf(contact) }),
    wanted.has('ParentFolderId') ? parentFolderXml : undefined,
    wanted.has('ItemClass') ? text('t:ItemClass', 'IPM.Contact') : undefined,
    wanted.has('Subject') ? text('t:Subject', contact.displayName) : undefined,
    wanted.has('Sensitivity') ? text('t:Sensitivity', 'Normal') : undefined,
    wanted.has('Attachments') && photo ? element('t:Attachments', {}, fileAttachmentXml(contact, writing)) : undefined,
    wanted.has('DateTimeReceived') ? text('t:DateTimeReceived', ewsDateTime(contact.createdAt, timePrecision)) : undefined,
    wanted.has('Size') ? text('t:Size', sizeOf(contact)) : undefined,
    wanted.has('Importance') ? text('t:Importance', 'Normal') : undefined,
    // A contact is never sent: the message flags as Exchange writes them for one, its "sent" time its creation.
    ...MESSAGE_FLAGS.map((flag) => (wanted.has(flag) ? text(`t:${flag}`, false) : undefined)),
    wanted.has('DateTimeSent') ? text('t:DateTimeSent', ewsDateTime(contact.createdAt, timePrecision)) : undefined,
    wanted.has('DateTimeCreated') ? text('t:DateTimeCreated', ewsDateTime(contact.createdAt, timePrecision)) : undefined,
    wanted.has('HasAttachments') ? text('t:HasAttachments', photo !== undefined) : undefined,
    wanted.has('Culture') ? text('t:Culture', 'en-US') : undefined,
    wanted.has('LastModifiedTime') ? text('t:LastModifiedTime', ewsDateTime(contact.updatedAt, timePrecision)) : undefined,
    wanted.has('IsAssociated') ? text('t:IsAssociated', false) : undefined,
    contactCardXml(cardOfContact(contact), wanted, photoBytes),
  );
}

/** The item's message flags, in the schema's order. */
const MESSAGE_FLAGS = ['IsSubmitted', 'IsDraft', 'IsFromMe', 'IsResend', 'IsUnmodified'] as const satisfies readonly ContactField[];

/** An item's size in bytes, as the store holds it: its text fields and its photo. */
function sizeOf(contact: Contact): number {
  const { phones } = contact;
  const texts: (string | undefined)[] = [contact.displayName, contact.givenName, contact.surname, contact.company, contact.department, contact.jobTitle];
  texts.push(...contact.emailAddresses, phones.business, phones.mobile, phones.home);
  let size = contact.photo?.bytesLength ?? 0;
  for (const value of texts) if (value) size += Buffer.byteLength(value);
  return size;
}

/** The contact's photo as t:FileAttachment; with `content`, the bytes as one unbroken base64 string. */
export function fileAttachmentXml(contact: Contact, { ids, timePrecision }: ItemWriting, content?: Buffer): string {
  const photo = contact.photo!;
  return element(
    't:FileAttachment',
    {},
    // This photo's id, not the contact's photo's: another photo is another attachment (get-attachment.ts).
    element('t:AttachmentId', { Id: ids.encode('contactPhoto', contact.id, photo.sha256) }),
    text('t:Name', CONTACT_PHOTO_NAME),
    text('t:ContentType', 'image/jpeg'),
    text('t:Size', content?.length ?? photo.bytesLength),
    text('t:LastModifiedTime', ewsDateTime(photo.updatedAt, timePrecision)),
    text('t:IsInline', false),
    text('t:IsContactPhoto', true),
    content && text('t:Content', content.toString('base64')),
  );
}
