import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors, importSPKI, jwtVerify, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import { ConfigError } from '../config.js';
import { readProblemOf } from '../file-problem.js';
import type { Principal } from '../domain/account.js';
import { isSmtpAddress } from '../domain/email.js';
import { AnswerTooLarge, outboundRequest, type OutboundResponse } from '../sources/outbound-http.js';
import { normalizeUsername } from './username.js';

interface BearerSettings {
  jwtJwksUrl: string;
  jwtPublicKeyFile: string;
  jwtIssuer: string;
  jwtAudience: string;
  jwtAlgorithms: string;
  jwtClockSkewSeconds: number;
  jwtMailboxClaim: string;
}

/** `unavailable`: the token could not be judged (the key set's host failed), which says nothing against it. */
type BearerResult = { ok: true; principal: Principal; expiresAt: number } | { ok: false; reason: string; unavailable?: true };

const FALLBACK_MAILBOX_CLAIM = 'upn';

/**
 * Verifies `Authorization: Bearer` JWTs (Outlook add-ins, SSO) with jose: signature by
 * the configured key, issuer, audience, expiry within the clock skew, and only the
 * allowed algorithms. A valid token reads photos as the mailbox its claim names.
 */
export class BearerTokens {
  private constructor(
    private readonly keyFor: JWTVerifyGetKey,
    private readonly settings: BearerSettings,
    private readonly algorithms: string[],
  ) {}

  /**
   * Undefined when neither a JWKS URL nor a key file is configured: bearer tokens are then refused.
   * `now`: milliseconds on a clock that only moves forward, for the key set's rest after a failed read.
   */
  static async fromSettings(settings: BearerSettings, now: () => number = () => performance.now()): Promise<BearerTokens | undefined> {
    if (!settings.jwtJwksUrl && !settings.jwtPublicKeyFile) {
      // An operator who names an issuer or audience means tokens to be accepted; without a key every one would be refused.
      if (settings.jwtIssuer || settings.jwtAudience)
        throw new ConfigError(['bearer tokens need BRIDGE_JWT_JWKS_URL or BRIDGE_JWT_PUBLIC_KEY_FILE to verify them']);
      return undefined;
    }
    if (!settings.jwtIssuer || !settings.jwtAudience) {
      throw new ConfigError(['bearer tokens need BRIDGE_JWT_ISSUER and BRIDGE_JWT_AUDIENCE']);
    }
    const algorithms = settings.jwtAlgorithms
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    if (settings.jwtJwksUrl) return new BearerTokens(remoteKeys(new URL(settings.jwtJwksUrl), now), settings, algorithms);
    const keys = await keysByAlgorithm(keyFileText(settings.jwtPublicKeyFile), algorithms);
    if (keys.size === 0) throw new ConfigError([`the key in ${settings.jwtPublicKeyFile} fits none of BRIDGE_JWT_ALGORITHMS (${algorithms.join(', ')})`]);
    const keyFor: JWTVerifyGetKey = ({ alg }) => {
      const key = keys.get(alg);
      if (!key) throw new errors.JOSEAlgNotAllowed(`the configured key cannot verify ${alg} signatures`);
      return key;
    };
    return new BearerTokens(keyFor, settings, algorithms);
  }

  async verify(token: string): Promise<BearerResult> {
    try {
      const options = {
        issuer: this.settings.jwtIssuer,
        audience: this.settings.jwtAudience,
        algorithms: this.algorithms,
        clockTolerance: this.settings.jwtClockSkewSeconds,
        requiredClaims: ['exp'],
      };
      const { payload } = await jwtVerify(token, this.keyFor, options);
      const mailbox = payload[this.settings.jwtMailboxClaim] ?? payload[FALLBACK_MAILBOX_CLAIM];
      if (typeof mailbox !== 'string' || mailbox === '') return { ok: false, reason: `the token names no mailbox (${this.settings.jwtMailboxClaim})` };
      // A token acts for a mailbox: a name that is no address (a control character in it, which would reach the access log and answers; blanks around it, which made a mailbox of their own) names none.
      if (!isSmtpAddress(mailbox)) return { ok: false, reason: `the token's mailbox (${this.settings.jwtMailboxClaim}) is not an address` };
      // The same name a Basic login with that address acts as (NFC, Unicode case folding).
      return { ok: true, principal: { username: normalizeUsername(mailbox), role: 'user' }, expiresAt: payload.exp! * 1000 };
    } catch (error) {
      if (error instanceof KeySetUnavailable) return { ok: false, reason: error.message, unavailable: true };
      // jose's message says what failed (`unexpected "aud" claim value`); its code (ERR_JWT_…) is the library's, not the client's.
      if (error instanceof errors.JOSEError) return { ok: false, reason: `bearer token refused: ${error.message}` };
      // jose reports a key that does not fit the token's algorithm as a TypeError (e.g. a
      // JWKS key whose type disagrees with its alg); to the client it is just a bad token.
      if (error instanceof TypeError) return { ok: false, reason: `bearer token refused: ${error.message}` };
      throw error;
    }
  }
}

/** The key set's host failed (down, slow, an error status, no key set): no token can be judged, none is to blame. */
class KeySetUnavailable extends Error {}

/** A key set is a few keys; a host sending more is broken, and jose would hold all of it and parse it on the event loop. */
const KEY_SET_MAX_BYTES = 1024 * 1024;

/** After a failed read of the key set, its host is not asked again for this long: the tokens meanwhile are judged by the last key set read, or not at all. */
export const KEY_SET_REST_SECONDS = 30;

/**
 * The key set's host asked through jose (its cache, its one read at a time, its timeout), each
 * answer read up to KEY_SET_MAX_BYTES (read whole, 400 MB took 15 s of the event loop and
 * 2.4 GB). A host that fails leaves the last key set in use rather than every token refused
 * once it is ten minutes old, and is then left to rest KEY_SET_REST_SECONDS: jose waits 30 s
 * between reads only after one that succeeded, so while the host failed, every token (an
 * unknown `kid` is anyone's to send) was a read of its own — 200 tokens, 200 reads in a second.
 */
function remoteKeys(url: URL, now: () => number): JWTVerifyGetKey {
  let failure: { error: KeySetUnavailable; until: number } | undefined;
  const resting = () => failure !== undefined && now() < failure.until;
  const fetchUnlessResting: typeof keySetFetch = (href, init) => (resting() ? Promise.reject(failure!.error) : keySetFetch(href, init));
  const remote = createRemoteJWKSet(url, { [customFetch]: fetchUnlessResting });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      // JWKSInvalid: JSON, but no key set.
      if (!(error instanceof KeySetUnavailable || error instanceof errors.JWKSInvalid)) throw error;
      const unavailable = error instanceof KeySetUnavailable ? error : new KeySetUnavailable(`the key set at ${url.host} cannot be read: ${error.message}`);
      // A read that failed starts the rest; one refused for resting does not prolong it.
      if (!resting()) failure = { error: unavailable, until: now() + KEY_SET_REST_SECONDS * 1000 };
      const last = remote.jwks();
      if (last) return createLocalJWKSet(last)(header, token);
      throw unavailable;
    }
  };
}

/** jose's own timeout (5 s) ends a read first; this is outboundRequest's backstop. */
const KEY_SET_TIMEOUT_MS = 10_000;

/** jose's fetch, made through the bridge's one outbound path (outboundRequest: no redirects, bytes and time capped). */
async function keySetFetch(url: string, init: RequestInit): Promise<Response> {
  const failed = (why: string) => new KeySetUnavailable(`the key set at ${new URL(url).host} cannot be read: ${why}`);
  const policy = { allowedHosts: [new URL(url).hostname], maxBytes: KEY_SET_MAX_BYTES, timeoutMs: KEY_SET_TIMEOUT_MS };
  let answer: OutboundResponse;
  try {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    answer = await outboundRequest(url, policy, { headers, signal: init.signal ?? undefined });
  } catch (error) {
    if (error instanceof AnswerTooLarge) throw failed(`it is larger than ${KEY_SET_MAX_BYTES} bytes`);
    throw failed(error instanceof Error && error.name === 'TimeoutError' ? 'no answer in time' : 'its host cannot be reached');
  }
  if (answer.status !== 200) throw failed(`its host answered ${answer.status}`);
  try {
    JSON.parse(answer.body.toString('utf8'));
  } catch {
    // jose's own words for it would refuse the token as if it were bad.
    throw failed('it is not JSON');
  }
  return new Response(new Uint8Array(answer.body), { status: 200 });
}

/**
 * The key file's key imported once for each allowed algorithm it can verify: an RSA key
 * serves RS256 but not ES256 or HS256. A token naming any other algorithm is refused by
 * name, rather than reaching the crypto layer with a key of the wrong type.
 */
async function keysByAlgorithm(pem: string, algorithms: string[]): Promise<Map<string, CryptoKey>> {
  const keys = new Map<string, CryptoKey>();
  for (const algorithm of algorithms) {
    const key = await importSPKI(pem, algorithm).catch(() => undefined);
    if (key) keys.set(algorithm, key);
  }
  return keys;
}

/** The key file's text; one that cannot be read is a setting to mend, said in one line. */
function keyFileText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`BRIDGE_JWT_PUBLIC_KEY_FILE: cannot read ${path}: ${readProblemOf(error)}`]);
  }
}
