import type { Contact } from '../../domain/contact.js';
import { BridgeError } from '../../domain/errors.js';
import type { Person } from '../../people/find-people.js';
import { canonicalSmtpAddress, isSmtpAddress } from '../../domain/email.js';
import { refusingErrors, soapAnswer, type EwsContext, type EwsOperation, type SoapAnswer } from '../ews-operation.js';
import { folderOf, readTargetFolder, type FolderRef } from '../folders.js';
import { personaXml, readPersonaId } from '../persona-xml.js';
import { failure, singleMessageResponse, success } from '../response-messages.js';
import { child, requiredAttribute, soleChild, textOf } from '../soap-args.js';

/** Who a GetPersona names: a PersonaId, or an address, in one folder (ParentFolderId) or, without one, in Contacts and then the directory. */
type PersonaRequest = { by: 'id'; id: string } | { by: 'address'; address: string; folder: FolderRef | undefined };

/**
 * GetPersona: the one person a PersonaId from FindPeople names, as exchangelib fetches each
 * of `folder.people()` (one request a persona); or, as Exchange 2016's request type also
 * allows, the person an `EmailAddress` is — the caller's contact with that address, else the
 * directory's user, or only in the folder a `ParentFolderId` names. A contact of another
 * mailbox, or a mailbox hidden from address lists, is not found, exactly as a missing one; a
 * forged or damaged id is ErrorInvalidIdMalformed, as GetItem answers one.
 */
export const getPersona: EwsOperation<PersonaRequest> = {
  need: 'user',

  read(request) {
    const personaId = soleChild(request, 'PersonaId');
    if (personaId) return { by: 'id', id: requiredAttribute(personaId, 'Id') };
    const address = soleChild(request, 'EmailAddress');
    if (!address) {
      throw BridgeError.schemaValidation("The element 'GetPersona' has incomplete content. List of possible elements expected: 'PersonaId, EmailAddress'.");
    }
    const parent = soleChild(request, 'ParentFolderId');
    return { by: 'address', address: textOf(child(address, 'EmailAddress')), folder: parent && readTargetFolder(parent) };
  },

  run: (request, context) =>
    refusingErrors(async () => {
      const person = request.by === 'id' ? await personOf(request.id, context) : await personAt(request.address, request.folder, context);
      if (!person) throw new BridgeError('ErrorItemNotFound', 404, 'no such persona in this mailbox or the directory');
      // Unbounded: a persona is text alone, 32 KB with every field 1,024 characters, far under BRIDGE_EWS_MAX_ANSWER_BYTES' 3 MiB.
      return soapAnswer(singleMessageResponse(RESPONSE, success(personaXml('m:Persona', person, context))));
    }, refuse),

  refuse,
};

async function personOf(id: string, context: EwsContext): Promise<Person | undefined> {
  const ref = readPersonaId(id, context.ids);
  return ref.kind === 'contact' ? contactPerson(await context.store.getContact(context.mailbox!, ref.id)) : directoryPerson(ref.address, context);
}

/** The person at an address: in the folder named, or the caller's contact first and then the directory's user, as FindPeople lists them. */
async function personAt(address: string, folder: FolderRef | undefined, context: EwsContext): Promise<Person | undefined> {
  const where = folder && folderOf(folder, context);
  if (!isSmtpAddress(address) || (where !== undefined && where !== 'contacts' && where !== 'directory')) return undefined;
  const canonical = canonicalSmtpAddress(address);
  // Every contact's addresses are compared, as a FindItem's restriction compares them: charged to the caller's share as that is.
  const contact =
    where === 'directory'
      ? undefined
      : await context.searches.run(context.mailbox!, async () =>
          contactPerson((await context.store.pageContacts(context.mailbox!, { address: canonical }, 0, 1)).contacts[0]),
        );
  return contact ?? (where === 'contacts' ? undefined : directoryPerson(canonical, context));
}

function contactPerson(contact: Contact | undefined): Person | undefined {
  return contact && { kind: 'contact', contact };
}

async function directoryPerson(address: string, context: EwsContext): Promise<Person | undefined> {
  const user = isSmtpAddress(address) ? await context.store.getUser(canonicalSmtpAddress(address)) : undefined;
  // A directory persona is someone of the address book: a mailbox hidden from it is no one FindPeople finds, nor GetPersona.
  return user && !user.hiddenFromAddressLists ? { kind: 'user', user } : undefined;
}

/** GetPersonaResponseMessage is itself the response: no ResponseMessages wrapper, nor a …Response around it. */
const RESPONSE = 'm:GetPersonaResponseMessage';

function refuse(error: BridgeError): SoapAnswer {
  return soapAnswer(singleMessageResponse(RESPONSE, failure(error)));
}
