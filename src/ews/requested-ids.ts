import { BridgeError } from '../domain/errors.js';
import { soapAnswer, type EwsContext, type EwsLimits, type SoapAnswer } from './ews-operation.js';
import { streamedResponse, type MessageOutcome } from './response-messages.js';
import { requiredAttribute, requiredChild } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';

/**
 * An id of a request's list, in its place: the `Id` of an element of the kind the operation
 * reads, or the error the element is answered with (an id of a kind the bridge holds none of).
 */
export type RequestedId = string | BridgeError;

/** The `Id`s of a GetItem/GetAttachment id list, each in its place (idList). */
export function readRequestedIds(
  request: XmlElement,
  list: string,
  item: string,
  limits: EwsLimits,
  others: ReadonlyMap<string, () => BridgeError> = new Map(),
): RequestedId[] {
  return idList(request, list, item, (element) => requiredAttribute(element, 'Id'), others, limits);
}

/**
 * An id list (checkedIdList), each element in its place: `item` as `read` reads it, or
 * `others`' error for the other kinds the schema lets the list hold (a calendar occurrence's
 * id, a public folder's). Skipped, they shifted every later answer off the id it answers, and
 * clients pair answers with ids by position. An element the schema does not allow there fails
 * schema validation, as Exchange's does.
 */
export function idList<T>(
  request: XmlElement,
  list: string,
  item: string,
  read: (element: XmlElement) => T,
  others: ReadonlyMap<string, () => BridgeError>,
  limits: EwsLimits,
): (T | BridgeError)[] {
  const listed = requiredChild(request, list).children.map((element) => {
    if (element.local === item) return read(element);
    const unheld = others.get(element.local);
    if (unheld) return unheld();
    const expected = [item, ...others.keys()].join("', '");
    throw BridgeError.schemaValidation(
      `The element '${list}' has invalid child element '${element.local}'. List of possible elements expected: '${expected}'.`,
    );
  });
  return checkedIdList(listed, list, limits.maxItemsPerRequest);
}

/**
 * An id list of one to `max` (the configured number, or a folder list's own bound): a longer
 * one is refused whole before any work, so one request cannot ask for the same photo
 * thousands of times; an empty one fails schema validation, as Exchange's does (the lists are
 * NonEmptyArrayOf… types).
 */
export function checkedIdList<T>(ids: T[], list: string, max: number): T[] {
  if (ids.length === 0) throw BridgeError.schemaValidation(`The element '${list}' has incomplete content: it names no id.`);
  if (ids.length > max) throw BridgeError.invalidRequest(`at most ${max} ids per request; this one has ${ids.length}`);
  return ids;
}

/**
 * One response message per id, in order, streamed. An id listed again in the same
 * request is answered once, where it first appears; its repeats get a short error.
 *
 * `charged`: each answer carries a photo's bytes (an attachment, a vCard), some 15 ms of the
 * event loop for a large one, and is charged to the account's share of the store's time as a
 * search is; a share already spent refuses the request before its answer starts (the
 * back-off clients read). Uncharged, one login's hundred GetItems of MimeContent at once held
 * /healthz 0.7–2.2 s for 19 s.
 */
export function answerEachId(
  operation: string,
  ids: readonly RequestedId[],
  answer: (id: string) => Promise<MessageOutcome>,
  emptyPayload: string,
  context: EwsContext,
  charged = false,
): Promise<SoapAnswer> {
  const account = context.mailbox!;
  const each = onceEach((id: string) => id, charged ? (id: string) => context.searches.run(account, () => answer(id)) : answer);
  // A refusal rejects the promise, as a search's does: the request's fault, not an item's.
  return new Promise((resolve) => {
    if (charged) context.searches.admit(account);
    resolve(soapAnswer(streamedResponse(operation, ids, (id) => (typeof id === 'string' ? each(id) : Promise.reject(id)), emptyPayload, context)));
  });
}

/**
 * `answer` for each item of a request once: an item that names (`keyOf`) what an earlier
 * one of the same request did gets a short error instead, so a list of repeats costs
 * no more than its first. (`keyOf` may throw: that is the item's answer.)
 */
export function onceEach<T>(keyOf: (item: T) => string, answer: (item: T) => Promise<MessageOutcome>): (item: T) => Promise<MessageOutcome> {
  const seen = new Set<string>();
  return async (item) => {
    const key = keyOf(item);
    if (seen.has(key)) throw BridgeError.invalidRequest('this id was already asked for earlier in the same request');
    seen.add(key);
    return answer(item);
  };
}
