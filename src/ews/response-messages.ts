import { BridgeError } from '../domain/errors.js';
import { pauseIfLong, PROCESS_TURNS, type LoopTurns } from '../loop-turns.js';
import { ENVELOPE_BYTES } from './envelope.js';
import type { EwsContext } from './ews-operation.js';
import { MESSAGES_NS, TYPES_NS } from './namespaces.js';
import { element, text } from './xml.js';

/** What writing an answer's messages reads of the request: its byte limit, and where an item's bug is logged. */
export type AnswerWriting = Pick<EwsContext, 'limits' | 'log' | 'requestId'>;

type ResponseClass = 'Success' | 'Warning' | 'Error';

export interface MessageOutcome {
  responseClass: ResponseClass;
  responseCode: string;
  messageText?: string;
  /** Busy answers: how long the client should wait, sent as MessageXml/BackOffMilliseconds as Exchange does. */
  backOffMilliseconds?: number;
  /** The operation's payload (ResolutionSet, Items, Attachments), already XML. */
  payload?: string;
}

export const success = (payload: string): MessageOutcome => ({ responseClass: 'Success', responseCode: 'NoError', payload });

/** A BridgeError as a per-item error: HTTP stays 200, the code travels in the message. */
export function failure(error: BridgeError, emptyPayload?: string): MessageOutcome {
  return {
    responseClass: 'Error',
    responseCode: error.responseCode,
    messageText: error.message,
    backOffMilliseconds: error.retryAfterSeconds === undefined ? undefined : error.retryAfterSeconds * 1000,
    payload: emptyPayload,
  };
}

/** The children every response message starts with, in schema order. */
export function messageHead(outcome: MessageOutcome): string {
  const isFailure = outcome.responseClass !== 'Success';
  const backOff = outcome.backOffMilliseconds;
  return [
    isFailure ? text('m:MessageText', outcome.messageText ?? outcome.responseCode) : undefined,
    text('m:ResponseCode', outcome.responseCode),
    isFailure ? text('m:DescriptiveLinkKey', 0) : undefined,
    backOff === undefined ? undefined : element('m:MessageXml', {}, element('t:Value', { Name: 'BackOffMilliseconds' }, String(backOff))),
  ].join('');
}

const messageXml = (operation: string, outcome: MessageOutcome) =>
  element(`m:${operation}ResponseMessage`, { ResponseClass: outcome.responseClass }, messageHead(outcome), outcome.payload);

const open = (operation: string) => `<m:${operation}Response xmlns:m="${MESSAGES_NS}" xmlns:t="${TYPES_NS}"><m:ResponseMessages>`;
const close = (operation: string) => `</m:ResponseMessages></m:${operation}Response>`;

/**
 * `m:{Op}Response/m:ResponseMessages/m:{Op}ResponseMessage*`, one message per item
 * asked for. Namespaces are declared here so the body stands on its own.
 */
export function operationResponse(operation: string, outcomes: readonly MessageOutcome[]): string {
  return open(operation) + outcomes.map((outcome) => messageXml(operation, outcome)).join('') + close(operation);
}

/**
 * The same response for operations whose items may be large (photos as base64), made
 * one item at a time and written out as it goes, so memory holds one item, not the whole
 * answer, and other requests are let in between items once the turn has run long
 * (loop-turns.ts). The whole envelope is at most the byte limit, and every item has its
 * message, in its place (clients pair answers with ids by position): an item whose message
 * would leave no room for an ErrorMessageSizeExceeded for each item after it is answered with
 * one itself. A list too long for even those (~300 bytes each) is refused whole before any
 * item's work, as a list over the id cap is: at the smallest limit, 3 MiB, that takes over
 * 10,000 ids, more than a request can hold (2,000 elements), but the limit is held whatever it is.
 */
export async function* streamedResponse<T>(
  operation: string,
  items: readonly T[],
  answer: (item: T) => Promise<MessageOutcome>,
  emptyPayload: string | undefined,
  context: AnswerWriting,
  // A test's own, on the clock it moves: the process's are measured on the real one.
  turns: Pick<LoopTurns, 'pauseIfLong'> = PROCESS_TURNS,
): AsyncIterable<string> {
  const maxBytes = context.limits.maxAnswerBytes;
  let remaining = roomForMessages(operation, maxBytes);
  const tooLarge = tooLargeXml(operation, emptyPayload, context);
  const tooLargeBytes = Buffer.byteLength(tooLarge);
  if (items.length * tooLargeBytes > remaining) {
    const fit = Math.floor(remaining / tooLargeBytes);
    const refusal = BridgeError.invalidRequest(`at most ${fit} ids per request fit in an answer of ${maxBytes} bytes; this one has ${items.length}`);
    yield operationResponse(operation, [failure(refusal, emptyPayload)]);
    return;
  }
  // Once one item has not fitted, the rest are refused unmade: 120 contacts with their vCards were each made, 2 s in all, to give 8.
  let full = false;
  yield open(operation);
  for (let i = 0; i < items.length; i++) {
    const reserved = (items.length - i - 1) * tooLargeBytes;
    let xml = full ? undefined : messageXml(operation, await perItem(() => answer(items[i]!), emptyPayload, context));
    if (xml === undefined || Buffer.byteLength(xml) > remaining - reserved) {
      full = true;
      xml = tooLarge;
    }
    remaining -= Buffer.byteLength(xml);
    yield xml;
    const pause = turns.pauseIfLong();
    if (pause) await pause;
  }
  yield close(operation);
}

/**
 * A response of one successful message whose payload comes in parts (a Sync operation's
 * changes, each as large as a photo's vCard), written part by part and pausing between them
 * as streamedResponse does: joined and encoded whole, a 4 MiB answer held one turn 80 ms.
 */
export async function* partedResponse(operation: string, parts: readonly string[]): AsyncIterable<string> {
  yield `${open(operation)}<m:${operation}ResponseMessage ResponseClass="Success">${messageHead(success(''))}`;
  for (const part of parts) {
    yield part;
    const pause = pauseIfLong();
    if (pause) await pause;
  }
  yield `</m:${operation}ResponseMessage>${close(operation)}`;
}

/** A whole response with one message (ResolveNames), held to the same byte limit. */
export function boundedResponse(operation: string, outcome: MessageOutcome, context: AnswerWriting): string {
  return open(operation) + messageWithin(operation, outcome, roomForMessages(operation, context.limits.maxAnswerBytes), undefined, context) + close(operation);
}

/**
 * A response that is itself its one message and carries its ResponseClass (FindPeopleResponse,
 * GetPersonaResponseMessage), namespaces declared so it stands on its own; held to `maxBytes`.
 */
export function singleMessageResponse(name: string, outcome: MessageOutcome, maxBytes = Infinity): string {
  const xml = element(name, { 'xmlns:m': MESSAGES_NS, 'xmlns:t': TYPES_NS, ResponseClass: outcome.responseClass }, messageHead(outcome), outcome.payload);
  return Buffer.byteLength(xml) <= maxBytes - ENVELOPE_BYTES ? xml : singleMessageResponse(name, failure(answerTooLarge(maxBytes)));
}

/** The bytes an answer of `maxBytes` has for its messages: the SOAP envelope and the response element around them count too. */
function roomForMessages(operation: string, maxBytes: number): number {
  return maxBytes - ENVELOPE_BYTES - Buffer.byteLength(open(operation)) - Buffer.byteLength(close(operation));
}

/** The message, or ErrorMessageSizeExceeded in its place when it is over `remaining` bytes. */
function messageWithin(operation: string, outcome: MessageOutcome, remaining: number, emptyPayload: string | undefined, context: AnswerWriting): string {
  const xml = messageXml(operation, outcome);
  return Buffer.byteLength(xml) > remaining ? tooLargeXml(operation, emptyPayload, context) : xml;
}

function tooLargeXml(operation: string, emptyPayload: string | undefined, context: AnswerWriting): string {
  return messageXml(operation, failure(answerTooLarge(context.limits.maxAnswerBytes), emptyPayload));
}

function answerTooLarge(maxBytes: number): BridgeError {
  return new BridgeError('ErrorMessageSizeExceeded', 413, `the answer would exceed ${maxBytes} bytes; ask for fewer items per request`);
}

/**
 * Runs one item's work, turning a BridgeError into that item's error message. Anything
 * else is a bug: logged, and answered as that item's internal error, so one bad item
 * never breaks the envelope the others are written into.
 */
async function perItem(work: () => Promise<MessageOutcome>, emptyPayload: string | undefined, context: AnswerWriting): Promise<MessageOutcome> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof BridgeError) return failure(error, emptyPayload);
    context.log.error({ reqId: context.requestId, err: error }, 'EWS item failed');
    return failure(new BridgeError('ErrorInternalServerError', 500, `internal error (request ${context.requestId})`), emptyPayload);
  }
}
