import type { ServerResponse } from 'node:http';
import { BridgeError, clientLeft } from '../domain/errors.js';
import type { Logger } from '../logger.js';

/**
 * Writes a failure as one protocol does (text, Graph's JSON, a SOAP fault): `known` is the
 * BridgeError, or undefined for anything unexpected (already logged, its details never sent).
 * A plain function, not a closure, so that answering a failure makes none.
 */
export type FailureWriter = (res: ServerResponse, known: BridgeError | undefined, log: Logger, requestId: string, headers: Record<string, string>) => void;

/**
 * What every front door does before a failure becomes its answer: a client that left is let
 * go (no one to answer, nothing to log: clientLeft); an answer whose head is out is cut, as
 * ending it normally would pass a part off as whole; anything but a BridgeError is logged as
 * `failed`. Then `write` answers it in the door's protocol.
 */
export function answerFailure(
  res: ServerResponse,
  error: unknown,
  log: Logger,
  requestId: string,
  headers: Record<string, string>,
  write: FailureWriter,
  failed = 'request failed',
): void {
  if (clientLeft(error)) {
    res.destroy();
    return;
  }
  const known = error instanceof BridgeError ? error : undefined;
  if (res.headersSent) {
    // Part of the answer is out (a streamed one): only the log can tell what went wrong; a
    // refusal (the store busy, say) is no fault of the bridge's, so not an error.
    if (!res.destroyed) log[known ? 'warn' : 'error']({ reqId: requestId, err: error }, 'answer failed while streaming');
    res.destroy();
    return;
  }
  if (!known) log.error({ reqId: requestId, err: error }, failed);
  write(res, known, log, requestId, headers);
}

/** Whether a failure is a body refused unread, too large (413) or in a content coding (415): a SOAP door answers it with a Client fault on that status. */
export function bodyRefusedUnread(error: BridgeError): boolean {
  return error.httpStatus === 413 || error.httpStatus === 415;
}
