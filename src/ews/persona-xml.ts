import type { Contact } from '../domain/contact.js';
import type { DirectoryUser } from '../domain/directory.js';
import type { Person } from '../people/find-people.js';
import type { ItemWriting } from './ews-operation.js';
import { ewsDateTime } from './ews-time.js';
import { changeKeyOf, type ItemIds } from './item-ids.js';
import { element, text } from './xml.js';

/**
 * Persona ids. A contact's persona is its item: its id is the contact's ItemId, which GetItem
 * reads too. A directory user has no item: their id is their address, after this mark, in
 * base64 — nothing a caller may not see anyway (GetPersona answers any mailbox by address,
 * as the photo URLs and Graph's /users/{address} do).
 */
const DIRECTORY_PERSONA = 'SMTP:';

/** Whom a PersonaId names: a contact of the caller's (by its row id), or a directory user (by address). */
export type PersonaRef = { kind: 'contact'; id: number } | { kind: 'user'; address: string };

export function readPersonaId(id: string, ids: ItemIds): PersonaRef {
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(id) ? Buffer.from(id, 'base64').toString() : '';
  // Only the spelling personaXml writes, as item ids are read (item-ids.ts).
  if (decoded.startsWith(DIRECTORY_PERSONA) && Buffer.from(decoded).toString('base64') === id) {
    return { kind: 'user', address: decoded.slice(DIRECTORY_PERSONA.length) };
  }
  return { kind: 'contact', id: ids.decode('contact', id) };
}

/**
 * A Persona — `t:Persona` in FindPeople's People, `m:Persona` in GetPersona's answer — its
 * id, then what the bridge keeps of the person, in PersonaType's order (MS-OXWSPERS 2.2.4.19).
 * Beside DisplayName come the name's two orders and its file-as name, as FindPeople's response
 * example has them ("Terry Adams", "Adams Terry"; Learn, "FindPeople operation"); the file-as
 * name is the display name, FileAsId None, as GetItem files a contact (contact-xml.ts).
 * EmailAddresses holds `t:Address` elements, as ArrayOfEmailAddressesType names them (Learn,
 * "EmailAddresses (ArrayOfEmailAddressesType)") and exchangelib reads them.
 */
export function personaXml(
  name: 't:Persona' | 'm:Persona',
  person: Person,
  { ids, timePrecision }: ItemWriting,
  wanted: PersonaSelection = ALL_PERSONA_PROPERTIES,
): string {
  const persona = person.kind === 'user' ? userPersona(person.user) : contactPersona(person.contact, ids);
  const pick = (property: PersonaProperty, xml: () => string | undefined) => (wanted.has(property) ? xml() : undefined);
  return element(
    name,
    {},
    persona.id,
    pick('PersonaType', () => text('t:PersonaType', 'Person')),
    pick('CreationTime', () => text('t:CreationTime', persona.createdAt && ewsDateTime(persona.createdAt, timePrecision))),
    pick('DisplayName', () => text('t:DisplayName', persona.displayName)),
    pick('DisplayNameFirstLast', () => text('t:DisplayNameFirstLast', nameInOrder(persona.givenName, persona.surname) ?? persona.displayName)),
    pick('DisplayNameLastFirst', () => text('t:DisplayNameLastFirst', nameInOrder(persona.surname, persona.givenName) ?? persona.displayName)),
    pick('FileAs', () => text('t:FileAs', persona.displayName)),
    pick('FileAsId', () => text('t:FileAsId', 'None')),
    pick('GivenName', () => text('t:GivenName', persona.givenName)),
    pick('Surname', () => text('t:Surname', persona.surname)),
    pick('Title', () => text('t:Title', persona.title)),
    pick('Department', () => text('t:Department', persona.department)),
    pick('CompanyName', () => text('t:CompanyName', persona.company)),
    pick('EmailAddress', () =>
      persona.addresses[0] === undefined ? undefined : emailAddressXml('t:EmailAddress', persona.displayName, persona.addresses[0], persona.mailboxType),
    ),
    pick('EmailAddresses', () =>
      persona.addresses.length === 0
        ? undefined
        : element(
            't:EmailAddresses',
            {},
            ...persona.addresses.map((address) => emailAddressXml('t:Address', persona.displayName, address, persona.mailboxType)),
          ),
    ),
    pick('PhoneNumber', () => persona.phone && element('t:PhoneNumber', {}, text('t:Number', persona.phone.number), text('t:Type', persona.phone.type))),
    pick('ImAddress', () => text('t:ImAddress', persona.imAddress)),
  );
}

/** The properties of a Persona the bridge writes, in PersonaType's order; a request names one as `persona:` and its name. */
const PERSONA_PROPERTY_NAMES = [
  'PersonaType',
  'CreationTime',
  'DisplayName',
  'DisplayNameFirstLast',
  'DisplayNameLastFirst',
  'FileAs',
  'FileAsId',
  'GivenName',
  'Surname',
  'Title',
  'Department',
  'CompanyName',
  'EmailAddress',
  'EmailAddresses',
  'PhoneNumber',
  'ImAddress',
] as const;
type PersonaProperty = (typeof PERSONA_PROPERTY_NAMES)[number];

/** Which properties a Persona carries beside its id. */
export type PersonaSelection = ReadonlySet<PersonaProperty>;

const ALL_PERSONA_PROPERTIES: PersonaSelection = new Set(PERSONA_PROPERTY_NAMES);
const BY_FIELD_URI: ReadonlyMap<string, PersonaProperty> = new Map(PERSONA_PROPERTY_NAMES.map((property) => [`persona:${property}`, property]));

/**
 * What a PersonaShape asks for: under IdOnly the id and the properties its AdditionalProperties
 * name (Learn's FindPeople example asks `persona:DisplayName` and `persona:Title` so), others
 * it does not know ignored, as GetItem ignores them; any other shape, or none, all the bridge keeps.
 */
export function personaSelection(idOnly: boolean, additional: readonly (string | undefined)[]): PersonaSelection {
  if (!idOnly) return ALL_PERSONA_PROPERTIES;
  return new Set(additional.flatMap((uri) => BY_FIELD_URI.get(uri ?? '') ?? []));
}

interface PersonaFields {
  /** The t:PersonaId element. */
  id: string;
  createdAt?: string;
  displayName: string;
  givenName?: string;
  surname?: string;
  title?: string;
  department?: string;
  company?: string;
  addresses: string[];
  mailboxType: 'Mailbox' | 'Contact';
  phone?: { number: string; type: 'Business' | 'Mobile' | 'Home' };
  imAddress?: string;
}

function userPersona(user: DirectoryUser): PersonaFields {
  return {
    id: element('t:PersonaId', { Id: Buffer.from(DIRECTORY_PERSONA + user.email).toString('base64') }),
    displayName: user.displayName,
    givenName: user.givenName,
    surname: user.surname,
    title: user.title,
    department: user.department,
    company: user.company,
    addresses: [user.email],
    mailboxType: 'Mailbox',
    phone: phoneOf(user.businessPhone, user.mobilePhone, undefined),
    imAddress: user.sipAddress,
  };
}

function contactPersona(contact: Contact, ids: ItemIds): PersonaFields {
  return {
    id: element('t:PersonaId', { Id: ids.encode('contact', contact.id), ChangeKey: changeKeyOf(contact) }),
    createdAt: contact.createdAt,
    displayName: contact.displayName,
    givenName: contact.givenName,
    surname: contact.surname,
    title: contact.jobTitle,
    department: contact.department,
    company: contact.company,
    addresses: contact.emailAddresses,
    mailboxType: 'Contact',
    phone: phoneOf(contact.phones.business, contact.phones.mobile, contact.phones.home),
  };
}

/** A person's two names in the order given, or undefined when either is missing (the display name stands instead). */
function nameInOrder(first: string | undefined, second: string | undefined): string | undefined {
  return first && second ? `${first} ${second}` : undefined;
}

/** The one phone number a Persona carries: the business number first, as Exchange picks it. */
function phoneOf(business: string | undefined, mobile: string | undefined, home: string | undefined): PersonaFields['phone'] {
  if (business) return { number: business, type: 'Business' };
  if (mobile) return { number: mobile, type: 'Mobile' };
  return home ? { number: home, type: 'Home' } : undefined;
}

function emailAddressXml(name: string, displayName: string, address: string, mailboxType: PersonaFields['mailboxType']): string {
  return element(name, {}, text('t:Name', displayName), text('t:EmailAddress', address), text('t:RoutingType', 'SMTP'), text('t:MailboxType', mailboxType));
}
