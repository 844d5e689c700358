import type { IncomingMessage, ServerResponse } from 'node:http';
import { BridgeError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { logWhenFinished } from './access-log.js';
import { createRequestContext } from './request-context.js';
import { sendError } from './send-error.js';

/**
 * The longest request target (path and query) the bridge reads, in characters. IIS's
 * defaults are maxUrl 4096 and maxQueryString 2048; no URL a client of this bridge
 * builds comes near either, and without a cap every request could make the bridge
 * parse and hold up to Node's 16 KiB header limit.
 */
export const MAX_URL_LENGTH = 4096;

/** The front door's first check, for every path: a longer URL is answered 414 and goes no further. */
export function refuseOverlongUrl(req: IncomingMessage, res: ServerResponse, log: Logger, accessLog: boolean): boolean {
  if ((req.url?.length ?? 0) <= MAX_URL_LENGTH) return false;
  const context = createRequestContext(req, res);
  if (accessLog) logWhenFinished(log, context);
  const error = new BridgeError('ErrorInvalidRequest', 414, `the URL is longer than ${MAX_URL_LENGTH} characters`);
  sendError(res, error, log, context.requestId, { 'request-id': context.requestId });
  return true;
}
