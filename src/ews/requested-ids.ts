import { BridgeError } from '../domain/errors.js';
import { soapAnswer, type EwsContext, type EwsLimits, type SoapAnswer } from './ews-operation.js';
import { streamedResponse, type MessageOutcome } from './response-messages.js';
import { attribute, child, children } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';

/**
 * The `Id` attributes of a GetItem/GetAttachment id list, at most the configured number:
 * a longer list is refused whole before any work, so one request cannot ask for the same
 * photo thousands of times.
 */
export function readRequestedIds(request: XmlElement, list: string, item: string, limits: EwsLimits): string[] {
  const ids = children(child(request, list), item).map((element) => attribute(element, 'Id') ?? '');
  if (ids.length > limits.maxItemsPerRequest) {
    throw BridgeError.invalidRequest(`at most ${limits.maxItemsPerRequest} ids per request; this one has ${ids.length}`);
  }
  return ids;
}

/**
 * One response message per id, in order, streamed. An id listed again in the same
 * request is answered once, where it first appears; its repeats get a short error.
 */
export function answerEachId(
  operation: string,
  ids: readonly string[],
  answer: (id: string) => Promise<MessageOutcome>,
  emptyPayload: string,
  context: EwsContext,
): SoapAnswer {
  const seen = new Set<string>();
  const answerOnce = (id: string) => {
    if (seen.has(id)) return Promise.reject(BridgeError.invalidRequest('this id was already asked for earlier in the same request'));
    seen.add(id);
    return answer(id);
  };
  return soapAnswer(streamedResponse(operation, ids, answerOnce, emptyPayload, context));
}
