import { BridgeError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { logWhenDone } from './access-log.js';
import type { RequestContext } from './request-context.js';
import { sendError } from './send-error.js';

/**
 * The longest request target (path and query) the bridge reads, in characters. IIS's
 * defaults are maxUrl 4096 and maxQueryString 2048; no URL a client of this bridge
 * builds comes near either, and without a cap every request could make the bridge
 * parse and hold up to Node's 16 KiB header limit.
 */
export const MAX_URL_LENGTH = 4096;

/** The front door's first check, for every path: a longer URL is answered 414 and goes no further. */
export function refuseOverlongUrl(context: RequestContext, log: Logger, accessLog: boolean): boolean {
  const { req, res } = context;
  if ((req.url?.length ?? 0) <= MAX_URL_LENGTH) return false;
  if (accessLog) logWhenDone(log, context);
  const error = new BridgeError('ErrorInvalidRequest', 414, `the URL is longer than ${MAX_URL_LENGTH} characters`);
  sendError(res, error, log, context.requestId, { 'request-id': context.requestId });
  return true;
}
