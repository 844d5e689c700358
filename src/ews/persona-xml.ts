import type { Contact } from '../domain/contact.js';
import type { DirectoryUser } from '../domain/directory.js';
import type { Person } from '../people/find-people.js';
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

export function readPersonaId(id: string | undefined, ids: ItemIds): PersonaRef {
  const decoded = id !== undefined && /^[A-Za-z0-9+/]+={0,2}$/.test(id) ? Buffer.from(id, 'base64').toString() : '';
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
export function personaXml(name: 't:Persona' | 'm:Persona', person: Person, ids: ItemIds, idOnly: boolean): string {
  const persona = person.kind === 'user' ? userPersona(person.user) : contactPersona(person.contact, ids);
  if (idOnly) return element(name, {}, persona.id);
  const addresses = persona.addresses.map((address) => emailAddressXml('t:Address', persona.displayName, address, persona.mailboxType));
  return element(
    name,
    {},
    persona.id,
    text('t:PersonaType', 'Person'),
    text('t:CreationTime', persona.createdAt),
    text('t:DisplayName', persona.displayName),
    text('t:DisplayNameFirstLast', nameInOrder(persona.givenName, persona.surname) ?? persona.displayName),
    text('t:DisplayNameLastFirst', nameInOrder(persona.surname, persona.givenName) ?? persona.displayName),
    text('t:FileAs', persona.displayName),
    text('t:FileAsId', 'None'),
    text('t:GivenName', persona.givenName),
    text('t:Surname', persona.surname),
    text('t:Title', persona.title),
    text('t:Department', persona.department),
    text('t:CompanyName', persona.company),
    persona.addresses[0] === undefined ? undefined : emailAddressXml('t:EmailAddress', persona.displayName, persona.addresses[0], persona.mailboxType),
    addresses.length === 0 ? undefined : element('t:EmailAddresses', {}, ...addresses),
    persona.phone && element('t:PhoneNumber', {}, text('t:Number', persona.phone.number), text('t:Type', persona.phone.type)),
    text('t:ImAddress', persona.imAddress),
  );
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
