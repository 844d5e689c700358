import { LRUCache } from 'lru-cache';

export interface LoginThrottleOptions {
  /** Failures allowed before the back-off starts. */
  maxFailures: number;
  /** The first back-off; each further failure doubles it. */
  backoffSeconds: number;
  backoffMaxSeconds: number;
  /** Accounts and addresses remembered at most (least recently failed are forgotten first). */
  maxTracked: number;
}

interface Failures {
  count: number;
  /** Epoch ms before which a further attempt is refused without being checked. */
  blockedUntil: number;
}

/** Names longer than this share one entry per prefix: memory stays bounded per entry. */
const MAX_KEY_LENGTH = 256;

/**
 * Counts failed logins per account name and per client address. Once either has failed
 * `maxFailures` times, it must wait a back-off that doubles with each further failure.
 * Unknown accounts count exactly like wrong passwords, so the answer never tells whether
 * an account exists. A success clears both counts; a quiet spell of twice the longest
 * back-off forgets them too, so an old typo does not linger.
 */
export class LoginThrottle {
  private readonly failures: LRUCache<string, Failures>;

  constructor(private readonly options: LoginThrottleOptions) {
    this.failures = new LRUCache({ max: options.maxTracked, ttl: 2 * options.backoffMaxSeconds * 1000 });
  }

  /**
   * Seconds this login must still wait, or 0 when it may be checked now. `username` is
   * undefined for a bearer token, whose account is known only once it verified: then the
   * address alone is counted.
   */
  waitSeconds(username: string | undefined, clientAddress: string, now = Date.now()): number {
    const account = username === undefined ? 0 : this.blockedUntil(accountKey(username));
    const blockedUntil = Math.max(account, this.blockedUntil(addressKey(clientAddress)));
    return blockedUntil > now ? Math.ceil((blockedUntil - now) / 1000) : 0;
  }

  recordFailure(username: string | undefined, clientAddress: string, now = Date.now()): void {
    if (username !== undefined) this.count(accountKey(username), now);
    this.count(addressKey(clientAddress), now);
  }

  recordSuccess(username: string | undefined, clientAddress: string): void {
    if (username !== undefined) this.failures.delete(accountKey(username));
    this.failures.delete(addressKey(clientAddress));
  }

  private blockedUntil(key: string): number {
    return this.failures.get(key, { updateAgeOnGet: false })?.blockedUntil ?? 0;
  }

  private count(key: string, now: number): void {
    const { maxFailures, backoffSeconds, backoffMaxSeconds } = this.options;
    const count = (this.failures.get(key)?.count ?? 0) + 1;
    const beyond = count - maxFailures;
    const backoff = beyond < 0 ? 0 : Math.min(backoffSeconds * 2 ** Math.min(beyond, 30), backoffMaxSeconds);
    this.failures.set(key, { count, blockedUntil: now + backoff * 1000 });
  }
}

const accountKey = (username: string) => `account:${username.slice(0, MAX_KEY_LENGTH)}`;
const addressKey = (clientAddress: string) => `address:${clientAddress.slice(0, MAX_KEY_LENGTH)}`;
