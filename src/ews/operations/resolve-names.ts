import type { Contact } from '../../domain/contact.js';
import type { DirectoryUser } from '../../domain/directory.js';
import { BridgeError } from '../../domain/errors.js';
import { findPeople, routingOf, SEARCH_SCOPES, type SearchScope } from '../../people/find-people.js';
import { contactOwner, userOwner, type PhotoOwner } from '../../domain/photo-owner.js';
import { asciiLower } from '../../domain/plain-text.js';
import type { PhotoSize } from '../../domain/size-code.js';
import { cardOfContact, cardOfUser, contactCardXml, RESOLVE_SHAPE_FIELDS, shapeOf, type ContactCard, type ContactField } from '../contact-xml.js';
import { folderOf, readParentFolders, type FolderRef } from '../folders.js';
import { changeKeyOf } from '../item-ids.js';
import { soapAnswer, type EwsContext, type EwsOperation } from '../ews-operation.js';
import { boundedResponse, failure, operationResponse, type MessageOutcome } from '../response-messages.js';
import { attribute, enumValue, nonEmptyText, requiredChild, xsBoolean } from '../soap-args.js';
import { element, text } from '../xml.js';

/** Exchange returns at most 100 resolutions and says whether that was all of them. */
const MAX_RESOLUTIONS = 100;
/** The photo ResolveNames carries is the directory thumbnail size, as AD's thumbnailPhoto. */
const CONTACT_PHOTO_SIZE: PhotoSize = 96;

interface Candidate {
  card: ContactCard;
  mailboxXml: () => string;
  owner: PhotoOwner;
  /** undefined: no t:Contact at all. */
  fields: ReadonlySet<ContactField> | undefined;
}

/** The t:Contact fields of each kind of resolution; undefined: no t:Contact at all. */
interface ResolutionFields {
  users: ReadonlySet<ContactField> | undefined;
  contacts: ReadonlySet<ContactField>;
}

interface ResolveNamesArgs {
  entry: string;
  scope: SearchScope;
  /** ParentFolderIds: the folders whose contacts are searched; undefined: the Contacts folder. */
  folders: FolderRef[] | undefined;
  fields: ResolutionFields;
}

/**
 * People whose photos are looked up at once. A lookup may wait on a source (a timeout and
 * its retries) rather than on the image threads, which the caller's turn shares out two at
 * a time: resolved as few at a time as that, a hundred people's took fifty rounds of
 * lookups. A hundred at once overflowed the turn's queue (64).
 */
const LOOKED_UP_AT_ONCE = 8;

/** ReturnFullContactData: false when absent (wsdl/messages.xsd), else an xs:boolean. */
function fullContactData(value: string | undefined): boolean {
  return value !== undefined && xsBoolean(value, 'ReturnFullContactData');
}

/**
 * ResolveNames: prefix search over the directory and the caller's own contacts
 * (`SMTP:` asks for an exact address), in the order the SearchScope names them.
 */
export const resolveNames: EwsOperation<ResolveNamesArgs> = {
  need: 'user',

  read(request) {
    return {
      entry: nonEmptyText(requiredChild(request, 'UnresolvedEntry')),
      scope: enumValue(attribute(request, 'SearchScope'), SEARCH_SCOPES, 'SearchScope', 'ActiveDirectoryContacts'),
      folders: readParentFolders(request, false),
      fields: resolutionFields(fullContactData(attribute(request, 'ReturnFullContactData')), attribute(request, 'ContactDataShape')),
    };
  },

  async run({ entry, scope, folders, fields }, context) {
    let searched: string | undefined;
    try {
      // Learn's ResolveNames: ParentFolderIds name the folders searched "if the SearchScope
      // attribute is set to ActiveDirectoryContacts, Contacts, or ContactsActiveDirectory";
      // a directory-only search had failed on an Inbox named there.
      searched = scope === 'ActiveDirectory' ? undefined : searchedMailbox(folders, context);
    } catch (error) {
      if (error instanceof BridgeError) return answer(failure(error));
      throw error;
    }
    const people = await context.searches.run(context.mailbox!, () => findPeople(context.store, searched, entry, scope, MAX_RESOLUTIONS));
    if (people.length === 0) {
      return answer({ responseClass: 'Error', responseCode: 'ErrorNameResolutionNoResults', messageText: 'No results were found.' });
    }
    const shown = people
      .slice(0, MAX_RESOLUTIONS)
      .map((person) => (person.kind === 'user' ? userCandidate(person.user, fields.users) : contactCandidate(person.contact, entry, fields.contacts, context)));
    const resolutions: string[] = [];
    for (let first = 0; first < shown.length; first += LOOKED_UP_AT_ONCE) {
      resolutions.push(...(await Promise.all(shown.slice(first, first + LOOKED_UP_AT_ONCE).map((candidate) => resolutionXml(candidate, context)))));
    }
    const resolutionSet = element(
      'm:ResolutionSet',
      { TotalItemsInView: shown.length, IncludesLastItemInRange: people.length <= MAX_RESOLUTIONS },
      ...resolutions,
    );
    const outcome: MessageOutcome =
      shown.length === 1
        ? { responseClass: 'Success', responseCode: 'NoError', payload: resolutionSet }
        : { responseClass: 'Warning', responseCode: 'ErrorNameResolutionMultipleResults', messageText: 'Multiple results were found.', payload: resolutionSet };
    return soapAnswer(boundedResponse('ResolveNames', outcome, context));
  },

  refuse: (error) => answer(failure(error)),
};

const answer = (outcome: MessageOutcome) => soapAnswer(operationResponse('ResolveNames', [outcome]));

/**
 * The mailbox whose contacts are searched, if any: the caller's, unless ParentFolderIds
 * name only folders that hold no contacts (the two above Contacts; ResolveNames searches
 * no subfolders). A folder that is not the caller's is ErrorFolderNotFound, as in FindItem.
 */
function searchedMailbox(folders: FolderRef[] | undefined, context: EwsContext): string | undefined {
  if (folders === undefined) return context.mailbox;
  return folders.map((folder) => folderOf(folder, context)).includes('contacts') ? context.mailbox : undefined;
}

/**
 * ReturnFullContactData decides a directory user's t:Contact alone; the caller's contacts carry
 * theirs in the ContactDataShape either way. Learn's "ResolveNames operation": the attribute
 * "does not affect the data that is returned for contacts and private distribution lists from
 * the user's contact folder"; its "ResolveNames" element: "This value does not affect private
 * contacts and private distribution lists", and ContactDataShape "Identifies the property set
 * returned for contacts".
 */
function resolutionFields(fullContactData: boolean, shape: string | undefined): ResolutionFields {
  const fields = RESOLVE_SHAPE_FIELDS[shapeOf(shape, 'ContactDataShape')];
  return { users: fullContactData ? fields : undefined, contacts: fields };
}

function userCandidate(user: DirectoryUser, fields: ReadonlySet<ContactField> | undefined): Candidate {
  return {
    fields,
    card: cardOfUser(user, false),
    owner: userOwner(user.email),
    mailboxXml: () => mailboxXml(user.displayName, user.email, 'Mailbox'),
  };
}

function contactCandidate(contact: Contact, entry: string, fields: ReadonlySet<ContactField>, context: EwsContext): Candidate {
  return {
    fields,
    card: cardOfContact(contact),
    owner: contactOwner(contact.id),
    // The ItemId here is the only way a client gets from a name to GetItem.
    mailboxXml: () =>
      mailboxXml(
        contact.displayName,
        addressResolved(contact.emailAddresses, entry),
        'Contact',
        element('t:ItemId', { Id: context.ids.encode('contact', contact.id), ChangeKey: changeKeyOf(contact) }),
      ),
  };
}

/**
 * The contact's address the entry starts (routed or not, ASCII case ignored, as it was
 * found), else its first: a contact resolved by its second or third address had come back
 * with its first, and a script resolving an address got another one.
 */
function addressResolved(addresses: readonly string[], entry: string): string | undefined {
  const term = entry.trim();
  const typed = routingOf(term)?.prefix ?? asciiLower(term);
  return addresses.find((address) => asciiLower(address).startsWith(typed)) ?? addresses[0];
}

function mailboxXml(name: string, address: string | undefined, type: 'Mailbox' | 'Contact', itemId?: string): string {
  return element('t:Mailbox', {}, text('t:Name', name), text('t:EmailAddress', address), text('t:RoutingType', 'SMTP'), text('t:MailboxType', type), itemId);
}

async function resolutionXml(candidate: Candidate, context: EwsContext): Promise<string> {
  const { fields } = candidate;
  if (!fields) return element('t:Resolution', {}, candidate.mailboxXml());
  const photo = fields.has('Photo') ? await context.photos.photoIfKnown(candidate.owner, CONTACT_PHOTO_SIZE, context.turn) : null;
  const card = fields.has('HasPicture') ? { ...candidate.card, hasPicture: photo !== null } : candidate.card;
  return element('t:Resolution', {}, candidate.mailboxXml(), element('t:Contact', {}, contactCardXml(card, fields, photo?.bytes)));
}
