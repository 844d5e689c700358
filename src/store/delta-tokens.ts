import { randomBytes } from 'node:crypto';

/** What a delta token is given as: a round's next page (`@odata.nextLink`) or its end (`@odata.deltaLink`). */
export type DeltaTokenKind = 'page' | 'delta';

/** What a delta token stands for (a SyncState of the mailbox's contacts), and what it was given as. */
export interface KeptDeltaState {
  state: string;
  kind: DeltaTokenKind;
}

/**
 * How many Graph delta tokens of each kind a mailbox keeps: its newest. For Outlook entities, contacts
 * among them, Graph's token lifetime "is dependent on the size of the internal delta token
 * cache … after the cache capacity is exceeded, the older delta tokens are deleted"
 * (https://learn.microsoft.com/en-us/graph/delta-query-overview, "Synchronization reset"): a
 * client then gets 410 and syncs again. So here, with a bound a login cannot raise by asking
 * delta after delta. The kinds are bounded apart: a round of 20,000 contacts is 101 pages, and
 * one device's round pushed every other device's deltaLink out; a page's token is needed only
 * until its round asks the next, so 32 serve 32 rounds under way at once.
 */
export const DELTA_TOKENS_PER_MAILBOX: Readonly<Record<DeltaTokenKind, number>> = { page: 32, delta: 32 };

/** A new delta token: random, so that one cannot be guessed from another. */
export function newDeltaToken(): string {
  return randomBytes(18).toString('base64url');
}
