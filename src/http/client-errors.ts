import { BridgeError } from '../domain/errors.js';

/**
 * Express and body-parser tell a client's mistake by an error with a 4xx `status`: a body
 * over the limit or that does not parse, a route parameter whose percent-encoding does
 * not decode (decoded as routes are matched, before any login). Each becomes the
 * BridgeError it is — a 4xx with a plain reason, neither a 500 nor a stack in the log; a
 * library's own message only where it marks it fit to show (`expose`).
 */
export function asBridgeError(error: unknown): unknown {
  if (error instanceof BridgeError || typeof error !== 'object' || error === null) return error;
  const { status, expose, message } = error as { status?: unknown; expose?: boolean; message?: string };
  if (typeof status !== 'number' || status < 400 || status > 499) return error;
  if (status === 413) return new BridgeError('ErrorMessageSizeExceeded', 413, 'the body is larger than the upload limit');
  const reason = error instanceof URIError ? 'the URL is not validly percent-encoded' : expose && message ? message : 'bad request';
  return new BridgeError('ErrorInvalidRequest', status, reason);
}
