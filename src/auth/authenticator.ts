import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Account, Principal } from '../domain/account.js';
import { BridgeError, ShuttingDownError, StoreUnreachableError } from '../domain/errors.js';
import { SETTINGS } from '../config.js';
import type { Logger } from '../logger.js';
import { clip } from '../domain/plain-text.js';
import { LOGGED_NAME_MAX } from '../http/access-log.js';
import { clientSite } from '../http/addressing.js';
import { SingleFlight } from '../single-flight.js';
import type { Store } from '../store/store.js';
import { parseBasicAuthorization } from './basic-credentials.js';
import { KEY_SET_REST_SECONDS, type BearerTokens } from './bearer-tokens.js';
import { HashWorkers, type HashWorkersOptions } from './hash-workers.js';
import { KnownClients } from './known-clients.js';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import { hashPassword, verifyPassword } from './password-hash.js';
import { withLoginDomain, type LoginDomains } from './login-domains.js';
import { normalizeUsername, SIGNED_OUT_USER } from './username.js';

/**
 * What a request needs to be let in: `photo` reads a photo (anonymous when the operator
 * allowed it), `user` any real login (directory data, contacts, the page), `admin` a
 * login with the admin role.
 */
export type AuthNeed = 'photo' | 'user' | 'admin';

/** A refusal names the login a failed attempt tried, or the account a role refused (both for the access line). */
export type AuthResult = { ok: true; principal: Principal } | { ok: false; error: BridgeError; attemptedUser?: string; refused?: Principal };

/** Refused logins so far, for metrics. */
interface LoginStats {
  /** Wrong user name or password. */
  basicFailures: number;
  /** Bearer tokens that did not verify. */
  bearerFailures: number;
  /** Attempts refused unchecked (429) because the account name or address failed too often. */
  throttled: number;
  /** Passwords checked against their scrypt hash (each costs a hashing thread tens of milliseconds). */
  passwordChecks: number;
}

/**
 * A header that verified: who it is, and — for a password — the account row it was
 * checked against and the store generation that row was read in.
 */
interface Verified {
  principal: Principal;
  passwordHash?: string;
  generation: number;
  /**
   * A password login's: the name it was checked under, and the client addresses it has been
   * used from, each with the throttle's `counted` when it was last found fit to use there
   * without a check (`mayUse`).
   */
  login?: string;
  usedFrom?: Map<string, number>;
  /** When the password was last checked against its account row (the clock `now`). */
  checkedAt?: number;
  /** The addresses the login was checked from (its password, or its account row): where it is believed while the store cannot be reached. */
  checkedFrom?: Set<string>;
  /** Believed from memory while the store cannot be reached: only where it was checked from (mayUse). */
  inOutage?: true;
}

/**
 * How long a checked bearer token is believed before it is checked again, however far off
 * its `exp`: a token signed to last for ever (`exp` 1e20 was taken) would have outlived the
 * key that signed it, taken out of the key set to revoke it. Ten minutes, as long as jose
 * keeps a key set it read (createRemoteJWKSet's cacheMaxAge).
 */
const TOKEN_BELIEVED_MS = 10 * 60_000;

/**
 * The bytes of the headers remembered, at most, beside their count: a header respelled (blanks,
 * the scheme's case) is another key, and 10,000 of 4 KiB each, all valid, held 40 MB for a
 * minute, and for as long again until pushed out. Headers of everyday size fit many times over.
 */
export const REMEMBERED_HEADER_BYTES = 8 * 1024 * 1024;

/**
 * How often a password login believed while the store cannot be reached (outageGraceMs) is
 * asked of it again meanwhile.
 */
const OUTAGE_RECHECK_MS = 5_000;
const DEFAULT_OUTAGE_GRACE_MS = SETTINGS.storeOutageLoginGraceSeconds.default * 1000;

/** Addresses remembered per login: beyond them, a new one is judged on each request rather than remembered. */
const USED_FROM_MAX = 32;

/**
 * Who an anonymous read acts as: no mailbox, so no contacts. Told apart from an account by identity, not by its name,
 * so an account or a token's mailbox called "anonymous" is an ordinary user.
 */
export const ANONYMOUS_PRINCIPAL: Principal = Object.freeze({ username: 'anonymous', role: 'user' });
const ANONYMOUS: AuthResult = { ok: true, principal: ANONYMOUS_PRINCIPAL };
const MISSING: AuthResult = { ok: false, error: BridgeError.unauthenticated('authentication required') };

export interface AuthenticatorOptions {
  realm: string;
  /** Photos without credentials (the operator's explicit choice); nothing else. */
  allowAnonymousRead: boolean;
  /** Failed logins are logged here (user name and client address, never the password). */
  log: Logger;
  throttle: LoginThrottleOptions;
  hashing: HashWorkersOptions;
  /** How long a verified header is remembered; a minute unless tests need less. */
  verifiedTtlMs?: number;
  /**
   * How long a password login checked against its account row is still believed while the
   * store cannot be reached (BRIDGE_STORE_OUTAGE_LOGIN_GRACE_SECONDS; 0: not at all): cached
   * photos went 503 for everyone a minute into a database outage, when the remembered logins
   * ran out.
   */
  outageGraceMs?: number;
  /**
   * Milliseconds on a clock that only moves forward, read by what is remembered and by the
   * login throttle: performance.now unless a test moves time itself instead of waiting.
   */
  now?: () => number;
  /** Set when bearer tokens are configured. */
  bearer?: BearerTokens;
  /** BRIDGE_LOGIN_DOMAINS: the Windows domains whose `DOMAIN\\user` logins name `user@` their DNS domain. */
  loginDomains?: LoginDomains;
}

const NO_LOGIN_DOMAINS: LoginDomains = new Map();

/**
 * Basic authentication against the stored accounts, and bearer JWTs when configured.
 *
 * scrypt is deliberately slow, so a header that verified once is remembered for a
 * short while and the photo hot path pays a map lookup, not a key derivation. The
 * map is keyed by the header as sent: it lives only in this process's memory (which
 * holds the header anyway while the request runs), is never logged or written, and
 * forgets each entry within the TTL; hashing it would cost the hot path a SHA-256
 * per request and protect nothing a memory dump would not already show. A remembered
 * password is believed only while its account row holds the hash it verified against:
 * when another process commits to the store, or near the TTL, that row is read again
 * (a row, not scrypt), and a changed or removed account ends it. A verified
 * bearer token is remembered the same way, until it expires or for ten minutes. Only successes are
 * remembered, so a remembered header is never throttled: an attacker guessing a
 * password does not lock out the clients already using it.
 *
 * A password login not remembered goes through the login throttle (per account name and per
 * client address) before any hashing, then through a small pool of hashing threads with
 * a bounded queue, so failed logins cost neither unbounded CPU nor image throughput.
 */
export class Authenticator {
  private readonly verified: LRUCache<string, Verified>;
  /**
   * The same verifications by login — the normalised name and a SHA-256 of the password —
   * whatever spelling of the header carried it: `Basic` in any case, any run of blanks,
   * the name in any case. Keyed by the header alone, every respelling of one valid login
   * cost a scrypt: one login kept the hashing thread busy and other accounts' first
   * logins got 503 (16 of 22 in a 30 s run). A respelling now costs a SHA-256, and a
   * flood of them cannot push other logins out of this map.
   */
  private readonly verifiedLogins: LRUCache<string, Verified>;
  /** Bumped when another process may have changed accounts: remembered passwords must be re-read before they are believed. */
  private generation = 0;
  private readonly now: () => number;
  /**
   * The header `cached` last found verified, kept while nothing remembered changes and it is
   * not due for re-verification: a client sends its one header on every request, and
   * comparing it costs less than an LRU look and a TTL read.
   */
  private lastHit: { authorization: string; clientAddress: string; counted: number; principal: Principal; until: number } | undefined;
  private readonly verifications = new SingleFlight<AuthResult>();
  private readonly refreshAheadMs: number;
  private readonly throttle: LoginThrottle;
  private readonly knownClients: KnownClients;
  private readonly hashWorkers: HashWorkers;
  /** The errors of refused bearer tokens, whose 401s challenge with `error="invalid_token"`. */
  private readonly refusedTokens = new WeakSet<BridgeError>();
  readonly stats: LoginStats = { basicFailures: 0, bearerFailures: 0, throttled: 0, passwordChecks: 0 };
  /** Compared against when the user does not exist, so both cases take as long. */
  private decoyHash: Promise<string> | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: AuthenticatorOptions,
  ) {
    const verifiedTtlMs = options.verifiedTtlMs ?? 60_000;
    const now = options.now ?? (() => performance.now());
    this.now = now;
    // Whatever enters or leaves it may change what a look finds: the last hit goes.
    const forgetLastHit = () => (this.lastHit = undefined);
    // ttlResolution 0: the clock is read on each look (as in photo-service.ts, a timer a millisecond cost more).
    this.verified = new LRUCache({
      max: 10_000,
      maxSize: REMEMBERED_HEADER_BYTES,
      sizeCalculation: (_verified, header) => header.length,
      ttl: verifiedTtlMs,
      ttlResolution: 0,
      perf: { now },
      onInsert: forgetLastHit,
      dispose: forgetLastHit,
    });
    this.verifiedLogins = new LRUCache({ max: 10_000, ttl: verifiedTtlMs, ttlResolution: 0, perf: { now } });
    this.refreshAheadMs = Math.min(10_000, verifiedTtlMs / 6);
    this.throttle = new LoginThrottle({ ...options.throttle, now });
    this.knownClients = new KnownClients({ max: options.throttle.maxTracked, now });
    this.hashWorkers = new HashWorkers(options.hashing);
  }

  /**
   * Basic always; Bearer too when tokens are configured (one header, a list of challenges).
   * The 401 of a token refused says so in the Bearer challenge, as RFC 6750 §3 asks:
   * `error="invalid_token"` and why, so a client gets a new token rather than a password.
   */
  challengeFor(error?: BridgeError): string {
    const basicChallenge = `Basic realm="${this.options.realm}"`;
    if (!this.options.bearer) return basicChallenge;
    const refused = error !== undefined && this.refusedTokens.has(error) ? `, error="invalid_token", error_description="${quotable(error.message)}"` : '';
    return `${basicChallenge}, Bearer realm="${this.options.realm}"${refused}`;
  }

  /** Whether photo reads need no login (the operator's choice); every other need always does. */
  get anonymousPhotoReads(): boolean {
    return this.options.allowAnonymousRead;
  }

  /**
   * The synchronous answer for the hot path: anonymous for a photo when the operator
   * allowed it (the header is then ignored), else a remembered verification of this
   * header for this need; undefined when only `authenticate` can tell.
   */
  cached(authorization: string | undefined, need: AuthNeed, clientAddress: string): AuthResult | undefined {
    if (need === 'photo' && this.options.allowAnonymousRead) return ANONYMOUS;
    if (!authorization) return MISSING;
    const hit = this.lastHit;
    if (
      hit !== undefined &&
      hit.authorization === authorization &&
      hit.clientAddress === clientAddress &&
      hit.counted === this.throttle.counted &&
      this.now() < hit.until
    )
      return admitted(hit.principal, need);
    const verified = this.verified.get(authorization);
    if (!verified || (verified.passwordHash !== undefined && verified.generation !== this.generation)) return undefined;
    if (!this.mayUse(verified, clientAddress)) return undefined;
    // A busy client never waits for scrypt again: its header is re-verified in the
    // background shortly before the remembered answer runs out (outside any request,
    // hence no client address). A failure there is logged, never left unhandled; one the
    // shutdown abandoned is no failure.
    const basic = authorization.startsWith('Basic ');
    const leftMs = this.verified.getRemainingTTL(authorization) - (basic ? this.refreshAheadMs : 0);
    if (basic && leftMs < 0) {
      this.verify(authorization, '').catch((error: unknown) => {
        if (!(error instanceof ShuttingDownError)) this.options.log.warn({ err: error }, 'background re-verification failed');
      });
    } else this.lastHit = { authorization, clientAddress, counted: this.throttle.counted, principal: verified.principal, until: this.now() + leftMs };
    return admitted(verified.principal, need);
  }

  /**
   * Whether a remembered password login may be used from this address without a check. A
   * remembered login skips the throttle, so that a guesser cannot lock out the clients using
   * it; but a guess that is right finds it remembered, and answered 200 where a wrong one is
   * 429, the throttle told a guesser the password at full speed. So, while the account or the
   * address is held back, a remembered login is used only from an address that used it before
   * (a client logged in) and has not failed as that login since; from any other, and from an
   * address a guesser shares with it, it is an attempt like any other, refused unchecked.
   * Never a check that would forgive the failures there: a client beside a guesser then gave
   * them fresh tries on each of its requests. Judged again only when the throttle's counts move.
   */
  private mayUse(verified: Verified, clientAddress: string): boolean {
    const { usedFrom, login } = verified;
    if (usedFrom === undefined || login === undefined) return true;
    if (verified.inOutage && !checkedThere(verified, clientAddress)) return false;
    const counted = this.throttle.counted;
    const judged = usedFrom.get(clientAddress);
    if (judged === counted) return true;
    const fit = (judged !== undefined && !this.throttle.mayHaveFailedAt(login, clientAddress)) || this.throttle.waitSeconds(login, clientAddress) === 0;
    if (fit && (judged !== undefined || usedFrom.size < USED_FROM_MAX)) usedFrom.set(clientAddress, counted);
    return fit;
  }

  async authenticate(authorization: string | undefined, need: AuthNeed, clientAddress: string): Promise<AuthResult> {
    const known = this.cached(authorization, need, clientAddress);
    if (known) return known;
    const result = await this.verify(authorization!, clientAddress);
    return result.ok ? admitted(result.principal, need) : result;
  }

  /**
   * Another process committed to the store, perhaps to accounts: each remembered password
   * login reads its account row again before it is believed (a row read, not scrypt —
   * a photo change on another replica must not make every client's login cost a hash).
   */
  accountsMayHaveChanged(): void {
    this.generation++;
    this.lastHit = undefined;
  }

  /** Ends the hashing threads. */
  close(): Promise<void> {
    return this.hashWorkers.close();
  }

  /**
   * Concurrent first requests with the same header share one verification, a password
   * login's only from one address: its answer is judged for that address (the throttle, and
   * which addresses a remembered login may be used from). Shared across addresses, a guesser
   * held back joined a client's renewal in flight and was answered its 200.
   */
  private verify(authorization: string, clientAddress: string): Promise<AuthResult> {
    const token = bearerTokenOf(authorization);
    const { bearer } = this.options;
    if (token !== undefined && bearer) return this.verifications.run(authorization, () => this.verifyBearer(bearer, authorization, token, clientAddress));
    const credentials = parseBasicAuthorization(authorization);
    if (!credentials) return Promise.resolve({ ok: false, error: BridgeError.unauthenticated('Authorization must be Basic base64(user:password)') });
    // A browser the directory page signed out sends this name to every URL of the realm, a
    // photo's and the page's searches too: asked to log in, not counted as a failed login
    // (five of them throttled every login from its address, the people behind its NAT too).
    if (credentials.username === SIGNED_OUT_USER) return Promise.resolve({ ok: false, error: BridgeError.unauthenticated('signed out: sign in again') });
    const login = loginOf(credentials, this.options.loginDomains ?? NO_LOGIN_DOMAINS);
    // Respellings of one login share its verification too.
    return this.verifications.run(`${clientAddress}\n${login.key}`, () => this.verifyPasswordLogin(authorization, login, clientAddress));
  }

  private async verifyPasswordLogin(authorization: string, login: Login, clientAddress: string): Promise<AuthResult> {
    const { username, password } = login;
    const renewed = await this.renewedFromAccount(authorization, login, clientAddress);
    // Not counted either way: a remembered login renewed (about once a minute while its client
    // is busy) cleared the account's failures, so a guesser got a fresh burst of tries each
    // minute against exactly the accounts in use. The caller is let in before the throttle.
    if (renewed) return renewed;
    // A login known at this network, that has not failed there since, is held back only by its
    // own failures: not by the back-offs others' failures caused, nor counted or forgiven at the
    // account (its checks, each a minute or more apart, would give guessers fresh tries).
    const known = this.knownClients.has(login.key, clientAddress) && !this.throttle.mayHaveFailedAt(username, clientAddress);
    const wait = known ? 0 : this.throttle.attempt(username, clientAddress);
    if (wait > 0) {
      this.stats.throttled++;
      return { ok: false, error: BridgeError.loginThrottled(wait), attemptedUser: username };
    }
    try {
      const generation = this.generation;
      const account = await this.store.getAccount(username);
      this.stats.passwordChecks++;
      const matches = await verifyPassword(password, account?.passwordHash ?? (await this.decoy()), this.hashWorkers, clientSite(clientAddress));
      if (!account || !matches) return this.failed(authorization, login, clientAddress, known);
      if (!known) this.throttle.passed(username, clientAddress);
      return this.remember(authorization, login, account, generation, clientAddress);
    } catch (error) {
      // A full hashing queue or a busy store: nothing was checked, so nothing is counted.
      if (!known) this.throttle.uncounted(username);
      if (error instanceof BridgeError) return { ok: false, error, attemptedUser: username };
      throw error;
    }
  }

  /**
   * A remembered login whose account row still holds the hash it verified against (so
   * the password in it still matches) is renewed from that row alone — after a store
   * change, before it runs out, or in another spelling of the header — without scrypt
   * and without counting as an attempt — from an address it may be used from (`mayUse`; the
   * background re-verification has none).
   */
  private async renewedFromAccount(authorization: string, login: Login, clientAddress: string): Promise<AuthResult | undefined> {
    // Stale too (kept, not deleted), for an outage of the store; only then is a stale one believed.
    const known = this.verifiedLogins.get(login.key, { allowStale: true, noDeleteOnStaleGet: true });
    if (known?.passwordHash === undefined || (clientAddress !== '' && !this.mayUse(known, clientAddress))) return undefined;
    const fresh = this.verifiedLogins.getRemainingTTL(login.key) > 0;
    const generation = this.generation;
    let account: Account | undefined;
    try {
      account = await this.store.getAccount(login.username);
    } catch (error) {
      // What it served stays served: nothing about accounts changes in a store no replica reaches (one cut off alone may miss a change).
      if (!(error instanceof StoreUnreachableError)) throw error;
      if (!checkedThere(known, clientAddress) || this.now() - (known.checkedAt ?? -Infinity) > (this.options.outageGraceMs ?? DEFAULT_OUTAGE_GRACE_MS)) {
        return { ok: false, error, attemptedUser: login.username };
      }
      // Answered from memory meanwhile, re-verified in the background (as any remembered login is) once the recheck is due.
      this.verified.set(authorization, { ...known, generation, inOutage: true }, { ttl: OUTAGE_RECHECK_MS + this.refreshAheadMs });
      return { ok: true, principal: known.principal };
    }
    if (!fresh || account?.passwordHash !== known.passwordHash) return undefined;
    return this.remember(authorization, login, account, generation, clientAddress);
  }

  /** A login that verified, remembered with the addresses it was used from, this one too. */
  private remember(authorization: string, login: Login, account: Account, generation: number, clientAddress: string): AuthResult {
    const remembered = this.verifiedLogins.get(login.key, { allowStale: true });
    const usedFrom = remembered?.usedFrom ?? new Map<string, number>();
    const checkedFrom = remembered?.checkedFrom ?? new Set<string>();
    if (clientAddress !== '' && (usedFrom.has(clientAddress) || usedFrom.size < USED_FROM_MAX)) usedFrom.set(clientAddress, this.throttle.counted);
    if (clientAddress !== '' && checkedFrom.size < USED_FROM_MAX) checkedFrom.add(clientAddress);
    const principal = { username: account.username, role: account.role };
    const verified: Verified = {
      principal,
      passwordHash: account.passwordHash,
      generation,
      login: login.username,
      usedFrom,
      checkedFrom,
      checkedAt: this.now(),
    };
    this.verified.set(authorization, verified);
    this.verifiedLogins.set(login.key, verified);
    // Renewed in the background too, with no address: each address that uses it stays known while it does.
    this.knownClients.used(login.key, usedFrom.keys());
    return { ok: true, principal };
  }

  /** `known`: the attempt was let through as a known client's (KnownClients), so its account has not counted it yet. */
  private failed(authorization: string, { key, username }: Login, clientAddress: string, known: boolean): AuthResult {
    this.verified.delete(authorization);
    this.verifiedLogins.delete(key);
    if (known) this.throttle.knownClientFailed(username, clientAddress);
    else this.throttle.failed(username, clientAddress);
    this.stats.basicFailures++;
    this.options.log.warn({ user: clip(username, LOGGED_NAME_MAX), clientAddress }, 'login failed: wrong user name or password');
    return { ok: false, error: BridgeError.unauthenticated('wrong user name or password'), attemptedUser: username };
  }

  /**
   * A bearer token is judged before anything else and held back by nothing: it is signed, so it
   * cannot be guessed as a password can, and judging one costs a signature check (no password
   * hash) and at most a read of the key set, which remoteKeys bounds for everyone at once. Counted
   * against its address, five junk tokens from a stranger there answered every valid token of
   * the add-in users behind it 429 (and an expired one 429, not the 401 that asks for a new one).
   */
  private async verifyBearer(bearer: BearerTokens, authorization: string, token: string, clientAddress: string): Promise<AuthResult> {
    const verified = await bearer.verify(token);
    if (!verified.ok && verified.unavailable) {
      // Not the token's fault: the client is to try the same token again once the key set's host has rested.
      this.options.log.warn({ clientAddress, reason: verified.reason }, 'bearer token not judged: the key set cannot be read');
      return { ok: false, error: BridgeError.serverBusy(`${verified.reason}; try again shortly`, KEY_SET_REST_SECONDS) };
    }
    if (!verified.ok) {
      this.stats.bearerFailures++;
      this.options.log.warn({ clientAddress, reason: verified.reason }, 'login failed: bearer token refused');
      const error = BridgeError.unauthenticated(verified.reason);
      this.refusedTokens.add(error);
      return { ok: false, error };
    }
    const ttl = Math.min(verified.expiresAt - Date.now(), TOKEN_BELIEVED_MS);
    this.verified.set(authorization, { principal: verified.principal, generation: this.generation }, { ttl: Math.max(1, ttl) });
    return { ok: true, principal: verified.principal };
  }

  private decoy(): Promise<string> {
    this.decoyHash ??= hashPassword('decoy password that matches nothing', this.hashWorkers).catch((error: unknown) => {
      this.decoyHash = undefined; // a full queue now must not spoil every later attempt
      throw error;
    });
    return this.decoyHash;
  }
}

/**
 * Whether a remembered login was checked from this address (the background re-verification
 * has none). While the store cannot be reached it is believed only there: the attempts an
 * outage leaves unchecked count nowhere, so a guesser elsewhere, never held back, was told the
 * right password (200, from memory) from every wrong one (503).
 */
function checkedThere({ checkedFrom }: Verified, clientAddress: string): boolean {
  return clientAddress === '' || checkedFrom?.has(clientAddress) === true;
}

/** A login lets a request in unless it needs an administrator and the account is not one. */
function admitted(principal: Principal, need: AuthNeed): AuthResult {
  if (need === 'admin' && principal.role !== 'admin') {
    return { ok: false, error: BridgeError.forbidden(`account '${principal.username}' is not an administrator`), refused: principal };
  }
  return { ok: true, principal };
}

/** The token of a `Bearer` Authorization, the scheme in any case (RFC 9110 §11.1); undefined for another scheme. */
export function bearerTokenOf(authorization: string): string | undefined {
  return BEARER.exec(authorization)?.[1];
}

const BEARER = /^Bearer +(\S+)$/i;

/** Text as an error_description may hold it (RFC 6750 §3: printable ASCII but `"` and `\`). */
function quotable(text: string): string {
  return text.replace(/"/g, "'").replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');
}

/** A Basic login as it is checked and remembered: whatever spelling of the header carried it. */
interface Login {
  username: string;
  password: string;
  /** The normalised name and a SHA-256 of the password: never the password itself, even in memory's keys. */
  key: string;
}

function loginOf(credentials: { username: string; password: string }, domains: LoginDomains): Login {
  const username = normalizeUsername(withLoginDomain(credentials.username, domains));
  return { username, password: credentials.password, key: `${username}\n${createHash('sha256').update(credentials.password).digest('base64')}` };
}
