import { BridgeError } from '../domain/errors.js';
import { MESSAGES_NS, TYPES_NS } from './namespaces.js';
import { element, text } from './xml.js';

export type ResponseClass = 'Success' | 'Warning' | 'Error';

export interface MessageOutcome {
  responseClass: ResponseClass;
  responseCode: string;
  messageText?: string;
  /** The operation's payload (ResolutionSet, Items, Attachments), already XML. */
  payload?: string;
}

export const success = (payload: string): MessageOutcome => ({ responseClass: 'Success', responseCode: 'NoError', payload });

/** A BridgeError as a per-item error: HTTP stays 200, the code travels in the message. */
export function failure(error: BridgeError, emptyPayload?: string): MessageOutcome {
  return { responseClass: 'Error', responseCode: error.responseCode, messageText: error.message, payload: emptyPayload };
}

/** The children every response message starts with, in schema order. */
export function messageHead(outcome: MessageOutcome): string {
  const isFailure = outcome.responseClass !== 'Success';
  return [
    isFailure ? text('m:MessageText', outcome.messageText ?? outcome.responseCode) : undefined,
    text('m:ResponseCode', outcome.responseCode),
    isFailure ? text('m:DescriptiveLinkKey', 0) : undefined,
  ].join('');
}

/**
 * `m:{Op}Response/m:ResponseMessages/m:{Op}ResponseMessage*`, one message per item
 * asked for. Namespaces are declared here so the body stands on its own.
 */
export function operationResponse(operation: string, outcomes: readonly MessageOutcome[]): string {
  const messages = outcomes.map((outcome) =>
    element(`m:${operation}ResponseMessage`, { ResponseClass: outcome.responseClass }, messageHead(outcome), outcome.payload),
  );
  return element(`m:${operation}Response`, { 'xmlns:m': MESSAGES_NS, 'xmlns:t': TYPES_NS }, element('m:ResponseMessages', {}, ...messages));
}

/** Runs one item's work, turning a BridgeError into that item's error message. */
export async function perItem(work: () => Promise<MessageOutcome>, emptyPayload?: string): Promise<MessageOutcome> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof BridgeError) return failure(error, emptyPayload);
    throw error;
  }
}
