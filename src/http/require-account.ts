import type { NextFunction, Request, Response } from 'express';
import { ANONYMOUS_USERNAME, type AuthNeed, type Authenticator } from '../auth/authenticator.js';
import type { RequestContext } from './request-context.js';

/**
 * Express guard: lets a request through when its credentials meet `need` (see AuthNeed —
 * only `photo` may be anonymous, and only when the operator allowed it); otherwise the
 * authenticator's error (401 with the challenge, 403, 429 or 503 with Retry-After).
 */
export function requireAccount(auth: Authenticator, need: AuthNeed) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const context = res.locals.context as RequestContext;
    const result = await auth.authenticate(req.headers.authorization, need, context.clientAddress);
    if (!result.ok) {
      context.attemptedUser = result.attemptedUser;
      if (result.error.httpStatus === 401) res.setHeader('www-authenticate', auth.challenge);
      throw result.error;
    }
    context.principal = result.principal;
    res.locals.principal = result.principal;
    next();
  };
}

/** The mailbox a guarded request acts for: its account's name; none for an anonymous read. */
export function mailboxOf(res: Response): string | undefined {
  const principal = res.locals.principal as { username: string } | undefined;
  return principal && principal.username !== ANONYMOUS_USERNAME ? principal.username.toLowerCase() : undefined;
}
