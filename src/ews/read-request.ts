import { BridgeError } from '../domain/errors.js';
import type { EwsLimits, EwsOperation } from './ews-operation.js';
import { readTimePrecision, type TimePrecision } from './ews-time.js';
import { mailboxesNamed } from './folders.js';
import { impersonatedName, privilegeRefusal } from './impersonation.js';
import { MESSAGES_NS } from './namespaces.js';
import type { OperationTable } from './operation-table.js';
import { MalformedEnvelope, readSoapRequest } from './soap-reader.js';

/** A request as read: the operation and its typed arguments, or why it cannot be served. */
export type ReadRequest =
  /** `precision`: how the answer writes times, as its arguments compare them. */
  | ({ kind: 'operation'; name: string; operation: EwsOperation; args: unknown; precision: TimePrecision } & Impersonating)
  | ({ kind: 'refused'; name: string; operation: EwsOperation; error: BridgeError } & Impersonating)
  | ({ kind: 'unsupported'; name: string } & Impersonating)
  /** A Body whose element is in no namespace EWS declares operations in: `name` as qualified. */
  | ({ kind: 'undeclared'; name: string } & Impersonating)
  | { kind: 'malformed'; reason: string; faultCode: MalformedEnvelope['faultCode'] };

/**
 * Whom the request's ExchangeImpersonation header names, when it has one, or why the request
 * may act as no one (that header is malformed, or another asks for a privilege:
 * privilegeRefusal); and the mailboxes its folder ids name, when they name any (mailboxesNamed).
 */
export interface Impersonating {
  impersonated?: string | BridgeError;
  mailboxes?: readonly string[];
}

/** A body that is no SOAP envelope EWS reads (or no text at all), as read. */
export function malformedRequest(error: MalformedEnvelope): ReadRequest {
  return { kind: 'malformed', reason: error.message, faultCode: error.faultCode };
}

/**
 * Reads an envelope's text into the operation the table dispatches its Body element to, with
 * the arguments that operation reads from it within `limits`. A pure function of the text:
 * what it returns may be remembered (envelope-memo.ts).
 */
export function readRequest(body: string, table: OperationTable, limits: EwsLimits): ReadRequest {
  let request;
  try {
    request = readSoapRequest(body);
  } catch (error) {
    if (error instanceof MalformedEnvelope) return malformedRequest(error);
    throw error;
  }
  const { operation: operationElement, headers } = request;
  const impersonations = headers.filter((header) => header.local === 'ExchangeImpersonation');
  const refused = privilegeRefusal(headers);
  const impersonating = refused ? { impersonated: refused } : impersonations.length > 0 ? { impersonated: impersonatedName(impersonations) } : {};
  if (operationElement.ns !== MESSAGES_NS) {
    const qualified = operationElement.ns === '' ? operationElement.local : `${operationElement.ns}:${operationElement.local}`;
    return { kind: 'undeclared', name: qualified, ...impersonating };
  }
  const entry = table.get(operationElement.local);
  if (!entry) return { kind: 'unsupported', name: operationElement.local, ...impersonating };
  try {
    const precision = readTimePrecision(headers);
    const args = entry.operation.read(operationElement, limits, precision);
    const mailboxes = mailboxesNamed(operationElement);
    return { kind: 'operation', name: entry.name, operation: entry.operation, args, precision, ...impersonating, ...(mailboxes.length > 0 && { mailboxes }) };
  } catch (error) {
    if (error instanceof BridgeError) return { kind: 'refused', name: entry.name, operation: entry.operation, error, ...impersonating };
    throw error;
  }
}
