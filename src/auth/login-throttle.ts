import { createHmac, randomBytes } from 'node:crypto';
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
  /**
   * At an address: how many of its failures each login (an account name, as its loginTag) made;
   * 0 for a login only tried there while held back, unchecked.
   */
  byLogin?: Map<number, number>;
  /** At an address: the logins byLogin let go of, each as one bit (its tag modulo FORGOTTEN_BITS): a login whose bit is set may have failed there. */
  forgotten?: Uint8Array;
}

/** Names longer than this share one entry per prefix: memory stays bounded per entry. */
const MAX_KEY_LENGTH = 256;

/**
 * A login as an address remembers it: 30 bits of a keyed hash, a small integer V8 keeps
 * unboxed. Kept by name, an address held 32 names of up to 256 characters (each holding on
 * to the whole text it was cut from): one client sending long names from 20,000 forged
 * addresses through a trusted proxy grew the process 3.9 KB an address, toward 400 MB at
 * the default 100,000 entries. Keyed by a secret of this process, so no one can choose names
 * that share another's tag or bit (two of 32 logins at one address share a tag about once in
 * 2 million addresses; sharing, one's success forgives the other's failures there).
 */
const TAG_KEY = randomBytes(32);
const loginTag = (login: string) => createHmac('sha256', TAG_KEY).update(login).digest().readUInt32BE(0) >>> 2;

/**
 * The logins an address remembers by tag, the least recently tried forgotten first. Unbounded,
 * an address failing a new name every back-off (a guesser spraying names, or a company's NAT
 * over weeks of typos) kept every name, and its entry never expired. Its count keeps every
 * failure; a forgotten login's success forgives none of them, and a forgotten login leaves a bit
 * set in FORGOTTEN_BITS, so it is still one that may have failed there (mayHaveFailedAt): taken
 * as never having failed, a guesser who sprayed 32 names after guessing at a remembered login
 * was told its right password (200) from its wrong ones (429). A bit, not a flag for all: a flag
 * held back every remembered login at a NAT once 33 names had failed there.
 */
export const MAX_LOGINS_PER_ADDRESS = 32;
/** 1,024 bits, 128 bytes an address: some 1 login in 30 is taken for another after 32 are forgotten, 1 in 3 after 400. */
const FORGOTTEN_BITS = 1024;

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
   * its account until `passed` or `uncounted` says otherwise.
   */
  attempt(username: string, clientAddress: string): number {
    const wait = this.waitSeconds(username, clientAddress);
    if (wait === 0) this.count(accountKey(username));
    else this.triedAt(addressKey(clientAddress), username);
    return wait;
  }

  /** Seconds a login of this account from this address must still wait; 0 when it may be checked now. */
  waitSeconds(username: string, clientAddress: string): number {
    const now = this.now();
    const blockedUntil = Math.max(this.blockedUntil(accountKey(username)), this.blockedUntil(addressKey(clientAddress)));
    return blockedUntil > now ? Math.ceil((blockedUntil - now) / 1000) : 0;
  }

  /** The attempt was checked and refused: it counts at the address too (its account counted it as it began). */
  failed(username: string, clientAddress: string): void {
    this.count(addressKey(clientAddress), username);
  }

  /** A known client's attempt (KnownClients), let through uncounted, failed: it counts at its account, and at the address, as any failure. */
  knownClientFailed(username: string, clientAddress: string): void {
    this.count(accountKey(username));
    this.failed(username, clientAddress);
  }

  /** The login was right (checked now, or renewed from what a check found): its account's failures are forgiven, and what it failed at this address. */
  passed(username: string, clientAddress: string): void {
    this.failures.delete(accountKey(username));
    const key = addressKey(clientAddress);
    const entry = this.failures.get(key, { updateAgeOnGet: false });
    if (entry?.byLogin) {
      const login = loginTag(username);
      this.forgive(key, entry.byLogin.get(login) ?? 0, login);
    }
  }

  /** The attempt was let through but nothing was checked (a full hashing queue, a busy store): it does not count. */
  uncounted(username: string): void {
    this.forgive(accountKey(username), 1);
  }

  /**
   * Whether this login (an account name) may have failed at this address (its network) since
   * its failures there were last forgiven: it did, or the address forgot which logins failed
   * there. Said false of a forgotten one, a guesser who sprayed 32 other names after guessing
   * at a remembered login was told its right password (200) from its wrong ones (429).
   */
  mayHaveFailedAt(username: string, clientAddress: string): boolean {
    const entry = this.failures.get(addressKey(clientAddress), { updateAgeOnGet: false });
    if (!entry?.byLogin) return false;
    const login = loginTag(username);
    return entry.byLogin.has(login) || (entry.forgotten !== undefined && hasBit(entry.forgotten, login % FORGOTTEN_BITS));
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
    const logins = login === undefined ? {} : loginsTried(entry, loginTag(login), 1);
    this.failures.set(key, { count, blockedUntil: this.now() + backoff * 1000, ...logins });
  }

  /**
   * An attempt of this login refused unchecked at an address, while its account or the address
   * was held back: the login may have been guessed at there. Else a guesser beside a client that
   * logged in, once the account was held back from elsewhere, had every guess refused unchecked
   * and unmarked here, and the right one let through as the client's remembered login: 200.
   */
  private triedAt(key: string, username: string): void {
    this.counted++;
    const entry = this.failures.get(key, { updateAgeOnGet: false });
    this.failures.set(key, { count: entry?.count ?? 0, blockedUntil: entry?.blockedUntil ?? 0, ...loginsTried(entry, loginTag(username), 0) });
  }

  /** Takes `failures` off a count (made by `login`, at an address); under the limit again, its back-off ends too. */
  private forgive(key: string, failures: number, login?: number): void {
    const entry = this.failures.get(key, { updateAgeOnGet: false });
    if (!entry) return;
    if (login !== undefined) entry.byLogin?.delete(login);
    if (failures <= 0) return;
    const count = entry.count - failures;
    if (count <= 0) this.failures.delete(key);
    else this.failures.set(key, { ...entry, count, blockedUntil: count < this.options.maxFailures ? 0 : entry.blockedUntil }, { noUpdateTTL: true });
  }
}

/**
 * An address's logins once `login` was tried there again, `failures` more of its failures
 * counted: moved to the end of byLogin (it keeps insertion order), and the least recently
 * tried let go of beyond the limit, its bit set in `forgotten`.
 */
function loginsTried(entry: Failures | undefined, login: number, failures: number): Pick<Failures, 'byLogin' | 'forgotten'> {
  const byLogin = entry?.byLogin ?? new Map<number, number>();
  const count = (byLogin.get(login) ?? 0) + failures;
  byLogin.delete(login);
  byLogin.set(login, count);
  let forgotten = entry?.forgotten;
  if (byLogin.size > MAX_LOGINS_PER_ADDRESS) {
    const oldest = byLogin.keys().next().value!;
    byLogin.delete(oldest);
    forgotten ??= new Uint8Array(FORGOTTEN_BITS / 8);
    const bit = oldest % FORGOTTEN_BITS;
    forgotten[bit >> 3]! |= 1 << (bit & 7);
  }
  return { byLogin, ...(forgotten ? { forgotten } : {}) };
}

const hasBit = (bits: Uint8Array, bit: number) => (bits[bit >> 3]! & (1 << (bit & 7))) !== 0;

const accountKey = (username: string) => `account:${username.slice(0, MAX_KEY_LENGTH)}`;
const addressKey = (clientAddress: string) => `address:${clientNetwork(clientAddress).slice(0, MAX_KEY_LENGTH)}`;
