import { BridgeError } from '../domain/errors.js';

/**
 * Express tells a client's mistake by an error with a 4xx `status`: a route parameter
 * whose percent-encoding does not decode (decoded as routes are matched, before any
 * login). It becomes the BridgeError it is — a 4xx with a plain reason, neither a 500 nor
 * a stack in the log; the library's own message only where it marks it fit to show
 * (`expose`).
 */
export function fromHttpClientError(error: unknown): unknown {
  if (error instanceof BridgeError || typeof error !== 'object' || error === null) return error;
  const { status, expose, message } = error as { status?: unknown; expose?: boolean; message?: string };
  if (typeof status !== 'number' || status < 400 || status > 499) return error;
  const reason = error instanceof URIError ? 'the URL is not validly percent-encoded' : expose && message ? message : 'bad request';
  return new BridgeError('ErrorInvalidRequest', status, reason);
}
