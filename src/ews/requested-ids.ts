import { BridgeError } from '../domain/errors.js';
import { soapAnswer, type EwsContext, type EwsLimits, type SoapAnswer } from './ews-operation.js';
import { streamedResponse, type MessageOutcome } from './response-messages.js';
import { attribute, children, requiredChild } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';

/**
 * The `Id` attributes of a GetItem/GetAttachment id list (checkedIdList).
 */
export function readRequestedIds(request: XmlElement, list: string, item: string, limits: EwsLimits): string[] {
  return checkedIdList(
    children(requiredChild(request, list), item).map((element) => attribute(element, 'Id') ?? ''),
    list,
    limits.maxItemsPerRequest,
  );
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
  ids: readonly string[],
  answer: (id: string) => Promise<MessageOutcome>,
  emptyPayload: string,
  context: EwsContext,
  charged = false,
): Promise<SoapAnswer> {
  const account = context.mailbox!;
  const each = charged ? (id: string) => context.searches.run(account, () => answer(id)) : answer;
  // A refusal rejects the promise, as a search's does: the request's fault, not an item's.
  return new Promise((resolve) => {
    if (charged) context.searches.admit(account);
    resolve(
      soapAnswer(
        streamedResponse(
          operation,
          ids,
          onceEach((id) => id, each),
          emptyPayload,
          context,
        ),
      ),
    );
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
