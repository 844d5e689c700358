import { LRUCache } from 'lru-cache';
import type { Principal } from '../domain/account.js';
import { SingleFlight } from '../single-flight.js';
import type { Store } from '../store/store.js';
import { parseBasicAuthorization } from './basic-credentials.js';
import type { BearerTokens } from './bearer-tokens.js';
import { hashPassword, verifyPassword } from './password-hash.js';

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: string };

/** Who an anonymous read acts as: no mailbox, so no contacts. */
export const ANONYMOUS_USERNAME = 'anonymous';
const ANONYMOUS: AuthResult = { ok: true, principal: { username: ANONYMOUS_USERNAME, role: 'user' } };

/**
 * Basic authentication against the stored accounts, and bearer JWTs when configured.
 *
 * scrypt is deliberately slow, so a header that verified once is remembered for a
 * short while and the photo hot path pays a map lookup, not a key derivation. The
 * map is keyed by the header as sent: it lives only in this process's memory (which
 * holds the header anyway while the request runs), is never logged or written, and
 * forgets each entry within the TTL; hashing it would cost the hot path a SHA-256
 * per request and protect nothing a memory dump would not already show. A verified
 * bearer token is remembered the same way, until it expires.
 */
export interface AuthenticatorOptions {
  realm: string;
  /** Photos without credentials (the operator's explicit choice). */
  allowAnonymousRead: boolean;
  /** How long a verified header is remembered; a minute unless tests need less. */
  verifiedTtlMs?: number;
  /** Set when bearer tokens are configured. */
  bearer?: BearerTokens;
}

export class Authenticator {
  private readonly verified: LRUCache<string, AuthResult>;
  private readonly verifications = new SingleFlight<AuthResult>();
  private readonly refreshAheadMs: number;
  /** Compared against when the user does not exist, so both cases take as long. */
  private readonly decoyHash: Promise<string>;

  private readonly realm: string;
  private readonly allowAnonymousRead: boolean;
  private readonly bearer: BearerTokens | undefined;

  constructor(
    private readonly store: Store,
    options: AuthenticatorOptions,
  ) {
    const verifiedTtlMs = options.verifiedTtlMs ?? 60_000;
    this.realm = options.realm;
    this.allowAnonymousRead = options.allowAnonymousRead;
    this.bearer = options.bearer;
    this.verified = new LRUCache({ max: 10_000, ttl: verifiedTtlMs });
    this.refreshAheadMs = Math.min(10_000, verifiedTtlMs / 6);
    this.decoyHash = hashPassword('decoy password that matches nothing');
  }

  /** Basic always; Bearer too when tokens are configured (one header, a list of challenges). */
  get challenge(): string {
    const basicChallenge = `Basic realm="${this.realm}"`;
    return this.bearer ? `${basicChallenge}, Bearer realm="${this.realm}"` : basicChallenge;
  }

  /** The synchronous answer for a header that verified recently, else undefined. */
  cached(authorization: string | undefined): AuthResult | undefined {
    if (this.allowAnonymousRead) return ANONYMOUS;
    if (!authorization) return { ok: false, reason: 'authentication required' };
    const result = this.verified.get(authorization);
    // A busy client never waits for scrypt again: its header is re-verified in the
    // background shortly before the remembered answer runs out.
    if (result && authorization.startsWith('Basic ') && this.verified.getRemainingTTL(authorization) < this.refreshAheadMs) {
      void this.verify(authorization);
    }
    return result;
  }

  /** Authenticates a request for reading photos (anonymous reads if the operator allowed them). */
  async authenticateRead(authorization: string | undefined): Promise<AuthResult> {
    return this.cached(authorization) ?? this.verify(authorization);
  }

  /** Authenticates a request that must name a real account, whatever the anonymous setting. */
  async authenticateAccount(authorization: string | undefined): Promise<AuthResult> {
    if (!authorization) return { ok: false, reason: 'authentication required' };
    return this.verified.get(authorization) ?? this.verify(authorization);
  }

  /** Accounts changed: every remembered verification is void. */
  forgetAll(): void {
    this.verified.clear();
  }

  /** Concurrent first requests with the same header share one scrypt run. */
  private verify(authorization: string | undefined): Promise<AuthResult> {
    return this.verifications.run(authorization ?? '', () => this.verifyOnce(authorization));
  }

  private async verifyOnce(authorization: string | undefined): Promise<AuthResult> {
    const token = BEARER.exec(authorization ?? '')?.[1];
    if (token !== undefined && this.bearer) return this.verifyBearer(this.bearer, authorization!, token);
    const credentials = parseBasicAuthorization(authorization);
    if (!credentials) return { ok: false, reason: 'Authorization must be Basic base64(user:password)' };
    const account = await this.store.getAccount(credentials.username);
    const matches = await verifyPassword(credentials.password, account?.passwordHash ?? (await this.decoyHash));
    if (!account || !matches) {
      this.verified.delete(authorization!);
      return { ok: false, reason: 'wrong user name or password' };
    }
    const result: AuthResult = { ok: true, principal: { username: account.username, role: account.role } };
    this.verified.set(authorization!, result);
    return result;
  }

  private async verifyBearer(bearer: BearerTokens, authorization: string, token: string): Promise<AuthResult> {
    const verified = await bearer.verify(token);
    if (!verified.ok) return verified;
    const result: AuthResult = { ok: true, principal: verified.principal };
    this.verified.set(authorization, result, { ttl: Math.max(1, verified.expiresAt - Date.now()) });
    return result;
  }
}

const BEARER = /^Bearer +(\S+)$/i;
