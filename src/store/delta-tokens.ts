import { randomBytes } from 'node:crypto';

/**
 * How many Graph delta tokens a mailbox keeps: its newest. Graph keeps Outlook items' tokens
 * in a cache of its own and lets the oldest go when it is full (a client then gets 410 and
 * syncs again); so here, with a bound a login cannot raise by asking delta after delta.
 */
export const DELTA_TOKENS_PER_MAILBOX = 32;

/** A new delta token: random, so that one cannot be guessed from another. */
export function newDeltaToken(): string {
  return randomBytes(18).toString('base64url');
}
