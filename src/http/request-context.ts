import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../domain/account.js';
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

export function createRequestContext(req: IncomingMessage, res: ServerResponse): RequestContext {
  return { req, res, requestId: requestIdOf(req), clientAddress: req.socket.remoteAddress ?? '', startedAt: performance.now() };
}
