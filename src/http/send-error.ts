import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { oneLine } from '../domain/plain-text.js';
import type { Logger } from '../logger.js';
import { answerFailure, type FailureWriter } from './failure-answer.js';

/**
 * A failure as a plain-text HTTP answer (answerFailure): the status and a one-line reason
 * for a BridgeError; a bare 500 (details only in the log) for anything unexpected.
 */
export function sendError(res: ServerResponse, error: unknown, log: Logger, requestId: string, extraHeaders: Record<string, string> = {}): void {
  answerFailure(res, error, log, requestId, extraHeaders, writeTextError);
}

const writeTextError: FailureWriter = (res, known, log, requestId, headers) => {
  const body = `${known ? oneLine(known.message) : `internal error (request ${requestId})`}\n`;
  endErrorAnswer(
    res,
    known ? known.httpStatus : 500,
    {
      ...headers,
      'content-type': 'text/plain; charset=utf-8',
      // The reason may quote what the client sent: no browser is to read it as anything but text.
      'x-content-type-options': 'nosniff',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      ...(known ? { 'x-ews-response-code': known.responseCode } : {}),
      ...(known && known.retryAfterSeconds !== undefined ? { 'retry-after': String(known.retryAfterSeconds) } : {}),
    },
    body,
    log,
    requestId,
  );
};

/**
 * Writes an error answer, or drops the connection when its head cannot be written (a header
 * node:http refuses): thrown from an error answer in a callback, that took the process down.
 */
export function endErrorAnswer(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: string, log: Logger, requestId: string): void {
  try {
    res.writeHead(status, headers);
  } catch (error) {
    log.error({ reqId: requestId, err: error }, 'an error answer could not be written');
    res.destroy();
    return;
  }
  res.end(body);
}
