import { performance } from 'node:perf_hooks';
import { LRUCache } from 'lru-cache';
import { clientNetwork } from '../http/addressing.js';

export interface LoginThrottleOptions {
  /** Failures allowed before the back-off starts. */
  maxFailures: number;
  /** The first back-off; each further failure doubles it. */
  backoffSeconds: number;
  backoffMaxSeconds: number;
  /** Accounts and addresses remembered at most (least recently failed are forgotten first). */
  maxTracked: number;
  /**
   * Milliseconds on a clock that only moves forward: back-offs and forgetting both read it.
   * performance.now unless a test moves time itself. Not Date.now: a wall clock stepped back
   * an hour (NTP, a host resumed) made a 60 s back-off answer Retry-After 3572.
   */
  now?: () => number;
}

interface Failures {
  count: number;
  /** The clock's ms before which a further attempt is refused without being checked. */
  blockedUntil: number;
  /** At an address: how many of its failures each login made (an account name, or BEARER for refused tokens). */
  byLogin?: Map<string, number>;
  /** At an address: some login's failures were dropped from byLogin, so any login may have failed there. */
  forgotLogins?: true;
}

/** What refused bearer tokens count under at an address: their account is not known. */
const BEARER = '\0bearer';

/** Names longer than this share one entry per prefix: memory stays bounded per entry. */
const MAX_KEY_LENGTH = 256;

/**
 * The logins an address remembers having failed, the least recently failed forgotten first.
 * Its count keeps every failure; a forgotten login's success forgives none of them, and once
 * one is forgotten every login may have failed there (mayHaveFailedAt). Unbounded, an address
 * failing a new name every back-off (a guesser spraying names, or a company's NAT over weeks
 * of typos) kept every name, and its entry never expired.
 */
export const MAX_LOGINS_PER_ADDRESS = 32;

/**
 * Counts failed logins per account name and per client address. Once either has failed
 * `maxFailures` times, it must wait a back-off that doubles with each further failure.
 * Unknown accounts count exactly like wrong passwords, so the answer never tells whether
 * an account exists. A quiet spell of twice the longest back-off forgets the counts, so an
 * old typo does not linger.
 *
 * An attempt counts against its account from the moment it is let through: forty guesses
 * at one account sent at once were all checked while none had failed yet (33 checks where
 * 5 were allowed). At the address, failures count as they happen, so colleagues behind one
 * NAT logging in together are not held up by each other's checks in flight. A success
 * clears its account's count and, at the address, the failures that login made there: a
 * success clearing the whole address let a guesser with a login of their own reset it
 * between guesses (77 passwords tried across 20 accounts, 3 refused).
 */
export class LoginThrottle {
  private readonly failures: LRUCache<string, Failures>;
  private readonly now: () => number;
  /**
   * Bumped whenever a count grows (a login let through to be checked, or a failure): what
   * was judged of an account or address before holds until it moves, so a judgement can be
   * kept and re-used without a look here on every request.
   */
  counted = 0;

  constructor(private readonly options: LoginThrottleOptions) {
    this.now = options.now ?? (() => performance.now());
    // ttlResolution 0: the clock is read on each look, not kept for a millisecond (a moved test clock would not be seen).
    this.failures = new LRUCache({ max: options.maxTracked, ttl: 2 * options.backoffMaxSeconds * 1000, perf: { now: this.now }, ttlResolution: 0 });
  }

  /**
   * Seconds this login must still wait, nothing counted; or 0, and it is counted against
   * its account until `passed` or `uncounted` says otherwise. `username` is undefined for a
   * bearer token, whose account is known only once it verified.
   */
  attempt(username: string | undefined, clientAddress: string): number {
    const wait = this.waitSeconds(username, clientAddress);
    if (wait === 0 && username !== undefined) this.count(accountKey(username));
    return wait;
  }

  /** Seconds a login of this account from this address must still wait; 0 when it may be checked now. */
  waitSeconds(username: string | undefined, clientAddress: string): number {
    const now = this.now();
    const account = username === undefined ? 0 : this.blockedUntil(accountKey(username));
    const blockedUntil = Math.max(account, this.blockedUntil(addressKey(clientAddress)));
    return blockedUntil > now ? Math.ceil((blockedUntil - now) / 1000) : 0;
  }

  /** The attempt was checked and refused: it counts at the address too (its account counted it as it began). */
  failed(username: string | undefined, clientAddress: string): void {
    this.count(addressKey(clientAddress), username ?? BEARER);
  }

  /** The login was right (checked now, or renewed from what a check found): its account's failures are forgiven, and what it failed at this address. */
  passed(username: string | undefined, clientAddress: string): void {
    if (username !== undefined) this.failures.delete(accountKey(username));
    const key = addressKey(clientAddress);
    const login = username ?? BEARER;
    this.forgive(key, this.failures.get(key, { updateAgeOnGet: false })?.byLogin?.get(loginKey(login)) ?? 0, login);
  }

  /** The attempt was let through but nothing was checked (a full hashing queue, a busy store): it does not count. */
  uncounted(username: string | undefined): void {
    if (username !== undefined) this.forgive(accountKey(username), 1);
  }

  /**
   * Whether this login (an account name) may have failed at this address (its network) since
   * its failures there were last forgiven: it did, or the address forgot which logins failed
   * there. Said false of a forgotten one, a guesser who sprayed 32 other names after guessing
   * at a remembered login was told its right password (200) from its wrong ones (429).
   */
  mayHaveFailedAt(username: string, clientAddress: string): boolean {
    const entry = this.failures.get(addressKey(clientAddress), { updateAgeOnGet: false });
    return entry?.forgotLogins === true || (entry?.byLogin?.get(loginKey(username)) ?? 0) > 0;
  }

  private blockedUntil(key: string): number {
    return this.failures.get(key, { updateAgeOnGet: false })?.blockedUntil ?? 0;
  }

  private count(key: string, login?: string): void {
    const { maxFailures, backoffSeconds, backoffMaxSeconds } = this.options;
    this.counted++;
    const entry = this.failures.get(key);
    const count = (entry?.count ?? 0) + 1;
    const beyond = count - maxFailures;
    const backoff = beyond < 0 ? 0 : Math.min(backoffSeconds * 2 ** Math.min(beyond, 30), backoffMaxSeconds);
    const byLogin = login === undefined ? undefined : (entry?.byLogin ?? new Map<string, number>());
    const forgot = byLogin !== undefined && failedAgain(byLogin, loginKey(login!));
    this.failures.set(key, {
      count,
      blockedUntil: this.now() + backoff * 1000,
      ...(byLogin ? { byLogin } : {}),
      ...(forgot || entry?.forgotLogins ? { forgotLogins: true as const } : {}),
    });
  }

  /** Takes `failures` off a count (made by `login`, at an address); under the limit again, its back-off ends too. */
  private forgive(key: string, failures: number, login?: string): void {
    const entry = this.failures.get(key, { updateAgeOnGet: false });
    if (!entry || failures <= 0) return;
    if (login !== undefined) entry.byLogin?.delete(loginKey(login));
    const count = entry.count - failures;
    if (count <= 0) this.failures.delete(key);
    else this.failures.set(key, { ...entry, count, blockedUntil: count < this.options.maxFailures ? 0 : entry.blockedUntil }, { noUpdateTTL: true });
  }
}

/** Counts a failure of `login` in `byLogin`, which keeps insertion order: moved to the end, the oldest dropped beyond the limit (then true). */
function failedAgain(byLogin: Map<string, number>, login: string): boolean {
  const failures = (byLogin.get(login) ?? 0) + 1;
  byLogin.delete(login);
  byLogin.set(login, failures);
  if (byLogin.size <= MAX_LOGINS_PER_ADDRESS) return false;
  byLogin.delete(byLogin.keys().next().value!);
  return true;
}

const loginKey = (login: string) => login.slice(0, MAX_KEY_LENGTH);
const accountKey = (username: string) => `account:${username.slice(0, MAX_KEY_LENGTH)}`;
const addressKey = (clientAddress: string) => `address:${clientNetwork(clientAddress).slice(0, MAX_KEY_LENGTH)}`;
