import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../domain/account.js';
import { ANONYMOUS_PRINCIPAL } from '../auth/authenticator.js';
import { CLIENT_CLOSED_REQUEST } from '../domain/errors.js';
import { DIRECT, type Addressing } from './addressing.js';
import { echoClientRequestId, requestIdOf } from './request-id.js';

/**
 * The one piece of per-request state every front door passes along: who asked, from
 * where, since when, and — once the auth step has run — as whom. The access line is
 * written from it, so it reads the same whichever path answered.
 */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  /** Who sent the request: the peer, or the client a trusted proxy forwarded (addressing.ts). */
  readonly clientAddress: string;
  /** How this request's client address and public URL are told. */
  readonly addressing: Addressing;
  readonly startedAt: number;
  /** Set by the auth step; the access line names it. */
  principal?: Principal;
  /** The name a failed login tried, for the access line (never the password). */
  attemptedUser?: string;
  /** What the request turned out to be, for the metrics (an EWS operation, an Autodiscover flavour): a name from a fixed set, never from the URL. */
  route?: string;
}

// Kept on the request itself: a WeakMap entry per request costs the hot path more (and the GC).
const CONTEXT = Symbol('request context');
type WithContext = IncomingMessage & { [CONTEXT]?: RequestContext };

/**
 * When each pipelined request that waited arrived. Few requests wait, and every request
 * asks: a WeakMap answers a miss at once, where a property missing from the request is
 * looked for up its whole prototype chain (some 240 instructions under callgrind).
 */
const arrivals = new WeakMap<IncomingMessage, number>();

/** A pipelined request is held until the answer ahead of it is out (front-server.ts): its time, as logged, counts from its arrival. */
export function markArrival(req: IncomingMessage): void {
  arrivals.set(req, performance.now());
}

/** Made once, by the front door, for every request; Express routes find it again with `contextOf`. */
export function createRequestContext(req: IncomingMessage, res: ServerResponse, addressing: Addressing = DIRECT): RequestContext {
  const context: RequestContext = {
    req,
    res,
    requestId: requestIdOf(req, addressing),
    clientAddress: addressing.clientAddress(req),
    addressing,
    startedAt: arrivals.get(req) ?? performance.now(),
    // Present from the start, so every context has one shape and the hot path's reads of it stay monomorphic.
    principal: undefined,
    attemptedUser: undefined,
    route: undefined,
  };
  (req as WithContext)[CONTEXT] = context;
  echoClientRequestId(req, res);
  return context;
}

/** The context the front door made for this request. */
export function contextOf(req: IncomingMessage): RequestContext {
  const context = (req as WithContext)[CONTEXT];
  if (!context) throw new Error('a request reached a route without passing the front door');
  return context;
}

/** Answers node:http wrote itself to a request already handed on (its body too slow: 408), by their status. */
const answeredByServer = new WeakMap<ServerResponse, number>();

/** Records that node:http answered `res`'s request itself, with `status`, before the route could. */
export function markAnsweredByServer(res: ServerResponse, status: number): void {
  answeredByServer.set(res, status);
}

/**
 * The status a request is logged and counted with once its exchange is over: its answer's,
 * the one node:http wrote in its place, or CLIENT_CLOSED_REQUEST when none was sent.
 */
export function answeredStatus(context: RequestContext): number {
  const { res } = context;
  return res.writableEnded ? res.statusCode : (answeredByServer.get(res) ?? CLIENT_CLOSED_REQUEST);
}

/** The mailbox a request acts for: its account's name; none for an anonymous read. */
export function mailboxOf(context: RequestContext): string | undefined {
  const principal = context.principal;
  return principal && principal !== ANONYMOUS_PRINCIPAL ? principal.username : undefined;
}

/** The URL the client reached the bridge at (no trailing slash); undefined without a usable host. */
export function baseUrlOf(context: RequestContext): string | undefined {
  return context.addressing.baseUrl(context.req);
}

/** The base of absolute links in an answer (WSDL, OData): the URL the client reached, or `http://localhost` for a request made in memory without a Host. */
export function linkBaseOf(context: RequestContext): string {
  return baseUrlOf(context) ?? 'http://localhost';
}
