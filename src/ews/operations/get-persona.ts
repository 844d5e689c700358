import { BridgeError } from '../../domain/errors.js';
import type { Person } from '../../people/find-people.js';
import { canonicalSmtpAddress, isSmtpAddress } from '../../domain/email.js';
import { soapAnswer, type EwsContext, type EwsOperation } from '../ews-operation.js';
import { MESSAGES_NS, TYPES_NS } from '../namespaces.js';
import { personaXml, readPersonaId } from '../persona-xml.js';
import { failure, messageHead, success, type MessageOutcome } from '../response-messages.js';
import { attribute, soleChild } from '../soap-args.js';
import { element } from '../xml.js';

/**
 * GetPersona: the one person a PersonaId from FindPeople names, as exchangelib fetches each
 * of `folder.people()` (one request a persona). A contact of another mailbox is not found,
 * exactly as a missing one; a forged or damaged id is ErrorInvalidIdMalformed, as GetItem
 * answers one.
 */
export const getPersona: EwsOperation<string | undefined> = {
  need: 'user',

  read(request) {
    const id = soleChild(request, 'PersonaId');
    if (!id) throw BridgeError.invalidRequest('GetPersona needs a PersonaId');
    return attribute(id, 'Id');
  },

  async run(id, context) {
    try {
      const person = await personOf(id, context);
      if (!person) throw new BridgeError('ErrorItemNotFound', 404, 'no such persona in this mailbox or the directory');
      return soapAnswer(response(success(personaXml('m:Persona', person, context.ids, false))));
    } catch (error) {
      if (error instanceof BridgeError && error.responseCode !== 'ErrorServerBusy') return soapAnswer(response(failure(error)));
      throw error;
    }
  },

  refuse: (error) => soapAnswer(response(failure(error))),
};

async function personOf(id: string | undefined, context: EwsContext): Promise<Person | undefined> {
  const ref = readPersonaId(id, context.ids);
  if (ref.kind === 'contact') {
    const contact = await context.store.getContact(context.mailbox!, ref.id);
    return contact && { kind: 'contact', contact };
  }
  const user = isSmtpAddress(ref.address) ? await context.store.getUser(canonicalSmtpAddress(ref.address)) : undefined;
  return user && { kind: 'user', user };
}

/** GetPersonaResponseMessage is itself the response: no ResponseMessages wrapper, nor a …Response around it. */
function response(outcome: MessageOutcome): string {
  return element(
    'm:GetPersonaResponseMessage',
    { 'xmlns:m': MESSAGES_NS, 'xmlns:t': TYPES_NS, ResponseClass: outcome.responseClass },
    messageHead(outcome),
    outcome.payload,
  );
}
