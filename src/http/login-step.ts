import type { ServerResponse } from 'node:http';
import type { AuthNeed, AuthResult, Authenticator } from '../auth/authenticator.js';
import { BridgeError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { RequestContext } from './request-context.js';
import { sendError } from './send-error.js';

/**
 * Puts a login's outcome on the request, for the access line: the account let in, or for a
 * refusal the login it tried and the account refused (logged in, but not allowed this: an
 * auditor's first question). Returns the refusal's error; undefined when let in.
 */
export function applyLogin(context: RequestContext, result: AuthResult): BridgeError | undefined {
  if (result.ok) {
    context.principal = result.principal;
    return undefined;
  }
  context.attemptedUser = result.attemptedUser;
  context.principal = result.refused;
  return result.error;
}

/**
 * `next` once the caller is logged in for `need`, else `refused` with why not; `broken` when
 * the check itself failed. A login remembered (`known`, asked of the authenticator unless the
 * caller asked already) goes on at once, with no callback made for it: the common case.
 */
export function withLogin(
  auth: Authenticator,
  context: RequestContext,
  need: AuthNeed,
  next: () => void,
  refused: (error: BridgeError) => void,
  broken: (error: unknown) => void,
  known = auth.cached(context.req.headers.authorization, need, context.clientAddress),
): void {
  if (known) afterLogin(context, known, next, refused);
  else auth.authenticate(context.req.headers.authorization, need, context.clientAddress).then((result) => afterLogin(context, result, next, refused), broken);
}

function afterLogin(context: RequestContext, result: AuthResult, next: () => void, refused: (error: BridgeError) => void): void {
  const refusal = applyLogin(context, result);
  if (refusal) refused(refusal);
  else next();
}

/** The headers a refusal is answered with: `headers`, and for a 401 the challenge (Basic, and Bearer when tokens are configured). */
export function refusalHeaders(auth: Authenticator, error: unknown, headers: Record<string, string>): Record<string, string> {
  return error instanceof BridgeError && error.httpStatus === 401 ? { ...headers, 'www-authenticate': auth.challengeFor(error) } : headers;
}

/** A refused login as every front door answers it: 401 with the challenge, 403, 429 or 503 with Retry-After. */
export function refuseLogin(
  auth: Authenticator,
  res: ServerResponse,
  error: BridgeError,
  log: Logger,
  requestId: string,
  headers: Record<string, string>,
): void {
  sendError(res, error, log, requestId, refusalHeaders(auth, error, headers));
}
