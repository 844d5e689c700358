import type { ServerResponse } from 'node:http';

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
