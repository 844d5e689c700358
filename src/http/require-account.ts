import type { NextFunction, Request, Response } from 'express';
import { ANONYMOUS_USERNAME, type Authenticator } from '../auth/authenticator.js';
import type { Role } from '../domain/account.js';
import { BridgeError } from '../domain/errors.js';

/**
 * Express guard. `admin`: a real account with the admin role, whatever the anonymous-read
 * switch says. `user`: any account — or anyone, when the operator allowed anonymous reads.
 */
export function requireAccount(auth: Authenticator, role: Role) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const authorization = req.headers.authorization;
    const result = await (role === 'admin' ? auth.authenticateAccount(authorization) : auth.authenticateRead(authorization));
    if (!result.ok) {
      res.setHeader('www-authenticate', auth.challenge);
      throw BridgeError.unauthenticated(result.reason);
    }
    if (role === 'admin' && result.principal.role !== 'admin') {
      throw BridgeError.forbidden(`account '${result.principal.username}' is not an administrator`);
    }
    res.locals.principal = result.principal;
    (res as Response & { principal?: string }).principal = result.principal.username;
    next();
  };
}

/** The mailbox a guarded request acts for: its account's name; none for an anonymous read. */
export function mailboxOf(res: Response): string | undefined {
  const principal = res.locals.principal as { username: string } | undefined;
  return principal && principal.username !== ANONYMOUS_USERNAME ? principal.username.toLowerCase() : undefined;
}
