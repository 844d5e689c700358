import type { NextFunction, Request, Response } from 'express';
import type { AuthNeed, Authenticator } from '../auth/authenticator.js';
import { applyLogin } from './login-step.js';
import { contextOf } from './request-context.js';

/**
 * Express guard: lets a request through when its credentials meet `need` (see AuthNeed —
 * only `photo` may be anonymous, and only when the operator allowed it); otherwise the
 * authenticator's error (401 with the challenge, 403, 429 or 503 with Retry-After).
 */
export function requireAccount(auth: Authenticator, need: AuthNeed) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const context = contextOf(req);
    const refusal = applyLogin(context, await auth.authenticate(req.headers.authorization, need, context.clientAddress));
    if (refusal) {
      if (refusal.httpStatus === 401) res.setHeader('www-authenticate', auth.challengeFor(refusal));
      throw refusal;
    }
    next();
  };
}
