import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../domain/account.js';
import { ANONYMOUS_USERNAME } from '../auth/authenticator.js';
import { requestIdOf } from './request-id.js';

/**
 * The one piece of per-request state every front door passes along: who asked, from
 * where, since when, and — once the auth step has run — as whom. The access line is
 * written from it, so it reads the same whichever path answered.
 */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  /** The peer's address (issue 11 adds trusted proxies). */
  readonly clientAddress: string;
  readonly startedAt: number;
  /** Set by the auth step; the access line names it. */
  principal?: Principal;
  /** The name a failed login tried, for the access line (never the password). */
  attemptedUser?: string;
}

// Kept on the request itself: a WeakMap entry per request costs the hot path more (and the GC).
const CONTEXT = Symbol('request context');
type WithContext = IncomingMessage & { [CONTEXT]?: RequestContext };

/** Made once, by the front door, for every request; Express routes find it again with `contextOf`. */
export function createRequestContext(req: IncomingMessage, res: ServerResponse): RequestContext {
  const context: RequestContext = { req, res, requestId: requestIdOf(req), clientAddress: req.socket.remoteAddress ?? '', startedAt: performance.now() };
  (req as WithContext)[CONTEXT] = context;
  return context;
}

/** The context the front door made for this request. */
export function contextOf(req: IncomingMessage): RequestContext {
  const context = (req as WithContext)[CONTEXT];
  if (!context) throw new Error('a request reached a route without passing the front door');
  return context;
}

/** The mailbox a request acts for: its account's name; none for an anonymous read. */
export function mailboxOf(context: RequestContext): string | undefined {
  const principal = context.principal;
  return principal && principal.username !== ANONYMOUS_USERNAME ? principal.username : undefined;
}
