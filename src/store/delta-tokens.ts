import { randomBytes } from 'node:crypto';

/**
 * How many Graph delta tokens a mailbox keeps: its newest. For Outlook entities, contacts
 * among them, Graph's token lifetime "is dependent on the size of the internal delta token
 * cache … after the cache capacity is exceeded, the older delta tokens are deleted"
 * (https://learn.microsoft.com/en-us/graph/delta-query-overview, "Synchronization reset"): a
 * client then gets 410 and syncs again. So here, with a bound a login cannot raise by asking
 * delta after delta.
 */
export const DELTA_TOKENS_PER_MAILBOX = 32;

/** A new delta token: random, so that one cannot be guessed from another. */
export function newDeltaToken(): string {
  return randomBytes(18).toString('base64url');
}
