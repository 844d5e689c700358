import { BridgeError } from '../../domain/errors.js';
import type { Person } from '../../people/find-people.js';
import { canonicalSmtpAddress, isSmtpAddress } from '../../domain/email.js';
import { refusingErrors, soapAnswer, type EwsContext, type EwsOperation, type SoapAnswer } from '../ews-operation.js';
import { personaXml, readPersonaId } from '../persona-xml.js';
import { failure, singleMessageResponse, success } from '../response-messages.js';
import { attribute, requiredChild } from '../soap-args.js';

/**
 * GetPersona: the one person a PersonaId from FindPeople names, as exchangelib fetches each
 * of `folder.people()` (one request a persona). A contact of another mailbox, or a mailbox
 * hidden from address lists, is not found, exactly as a missing one; a forged or damaged id is ErrorInvalidIdMalformed, as GetItem
 * answers one.
 */
export const getPersona: EwsOperation<string | undefined> = {
  need: 'user',

  read(request) {
    return attribute(requiredChild(request, 'PersonaId'), 'Id');
  },

  run: (id, context) =>
    refusingErrors(async () => {
      const person = await personOf(id, context);
      if (!person) throw new BridgeError('ErrorItemNotFound', 404, 'no such persona in this mailbox or the directory');
      return soapAnswer(singleMessageResponse(RESPONSE, success(personaXml('m:Persona', person, context.ids, false))));
    }, refuse),

  refuse,
};

async function personOf(id: string | undefined, context: EwsContext): Promise<Person | undefined> {
  const ref = readPersonaId(id, context.ids);
  if (ref.kind === 'contact') {
    const contact = await context.store.getContact(context.mailbox!, ref.id);
    return contact && { kind: 'contact', contact };
  }
  const user = isSmtpAddress(ref.address) ? await context.store.getUser(canonicalSmtpAddress(ref.address)) : undefined;
  // A directory persona is someone of the address book: a mailbox hidden from it is no one FindPeople finds, nor GetPersona.
  return user && !user.hiddenFromAddressLists ? { kind: 'user', user } : undefined;
}

/** GetPersonaResponseMessage is itself the response: no ResponseMessages wrapper, nor a …Response around it. */
const RESPONSE = 'm:GetPersonaResponseMessage';

function refuse(error: BridgeError): SoapAnswer {
  return soapAnswer(singleMessageResponse(RESPONSE, failure(error)));
}
