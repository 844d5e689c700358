import type { ServerResponse } from 'node:http';
import { BridgeError } from '../domain/errors.js';
import { declaredLength } from './read-body.js';
import type { RequestContext } from './request-context.js';

/**
 * What the requests of one kind hold per account while in progress, held to a budget:
 * one login must not hold more than its share of the process (a SOAP request or an
 * upload holds its body in memory while it arrives). A request's cost counts from its
 * admission until its response closes — answered, cut, or timed out — so nothing leaks
 * when a client goes away.
 */
export class InProgressPerAccount {
  private readonly held = new Map<string, number>();

  constructor(readonly budget: number) {}

  /** Counts `cost` against `account` until `res` closes; false, counting nothing, when it would pass the budget. */
  admit(account: string, res: ServerResponse, cost = 1): boolean {
    const held = this.held.get(account) ?? 0;
    if (held + cost > this.budget) return false;
    // A response closed already (its client left while the login was checked) will not emit 'close' again.
    if (res.closed) return true;
    this.held.set(account, held + cost);
    res.once('close', () => {
      const left = (this.held.get(account) ?? cost) - cost;
      // Deleted at zero: many accounts leave nothing behind.
      if (left > 0) this.held.set(account, left);
      else this.held.delete(account);
    });
    return true;
  }

  /** What `account` holds now. */
  of(account: string): number {
    return this.held.get(account) ?? 0;
  }
}

/** Bodies this small are not counted against an account's budget (see BodyBudget), nor is reading them charged to its share of time (ews-endpoint.ts). */
export const UNCOUNTED_BODY_BYTES = 16 * 1024;

/**
 * The bytes of request bodies each account has in progress, over every door that reads
 * one after the login (SOAP, Autodiscover), held to BRIDGE_EWS_BODY_BYTES_PER_ACCOUNT: a
 * request holds its body while it arrives, and one login held 256 connections with a
 * 1 MiB body each. A body counts by its Content-Length (a chunked one as the most a door
 * reads). A body of a few kilobytes — nearly every request — is not counted: the
 * per-client connection cap holds those to a few MiB, and the photo path is spared the
 * bookkeeping.
 */
export class BodyBudget {
  private readonly held: InProgressPerAccount;

  constructor(budget: number) {
    this.held = new InProgressPerAccount(budget);
  }

  /** Whether the logged-in caller's request may read its body now (`maxBytes`: the most its door reads); the error to answer when not. */
  admit(context: RequestContext, maxBytes: number): true | BridgeError {
    const { req, res, principal } = context;
    const declared = declaredLength(req.headers);
    const cost = Number.isSafeInteger(declared) && declared >= 0 ? declared : maxBytes;
    const account = principal?.username ?? '';
    if (cost <= UNCOUNTED_BODY_BYTES || this.held.admit(account, res, cost)) return true;
    return BridgeError.exceededConnectionCount(
      `this account's requests in progress hold ${this.held.of(account)} bytes of ${this.held.budget} it may; try again once they are done`,
    );
  }
}
