import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { hostUnreachable } from '../network-errors.js';
import { quotedErrorCode } from './blank-secrets.js';
import { outboundRequest, OutboundRefused, type OutboundPolicy, type OutboundResponse } from './outbound-http.js';
import { CredentialsRefusedError, MisconfiguredSourceError, PermanentSourceError } from './photo-source.js';
import { noUsableToken, renewalTime, usableToken } from './token-renewal.js';
import { asSetupFailure, httpFailure } from './upstream-http.js';
import { upstreamJson } from './upstream-json.js';

export interface UcwaClientOptions {
  /** The autodiscover roots, tried in order (autodiscoverRoots): the first that can be reached answers. */
  autodiscoverUrls: readonly string[];
  username: string;
  password: string;
  policy: OutboundPolicy;
  /** Milliseconds on a clock that only moves forward, for the token's lifetime: performance.now unless a test moves time itself. */
  now?: () => number;
}

/** The links of a created application that lookups start from. */
export interface UcwaApplication {
  self: string;
  /** `_embedded.people._links.search`: the address book search (SearchForUsersContact). */
  search: string;
}

/** A UCWA resource: properties plus `_links` and `_embedded`. */
export type UcwaResource = { _links?: Record<string, { href?: string } | undefined>; _embedded?: Record<string, unknown> } & Record<string, unknown>;

type UcwaRequest = { method?: string; headers: Record<string, string>; body?: string };

interface Token {
  authorization: string;
  expiresAt: number;
}

/** A UCWA error body (ErrorsAndInformationalMessages, "Error response body"): `code` always, `subcode` often. */
interface UcwaError {
  code: string;
  subcode?: string;
}

/**
 * The server dropped the application ("Application lifetime", ApplicationDashboard):
 * 404 ApplicationNotFound and 410 InactiveApplicationExpired are recreated at once (the
 * bridge parks no event channel, so its applications idle out by design, and the "restart"
 * the documentation asks of the user is a new application); the other documented 410s (too many applications, user agent no longer allowed) would only
 * be dropped again, so they are reported, and the next lookup starts a new application.
 */
class ApplicationLost extends PermanentSourceError {
  constructor(
    loss: string,
    readonly recreate: boolean,
  ) {
    super(`UCWA dropped the application: ${APPLICATION_LOSSES[loss]} (${loss})`);
  }
}

/** The documented losses, by status and subcode, in words. */
const APPLICATION_LOSSES: Record<string, string> = {
  '404 ApplicationNotFound': 'it no longer exists on the server',
  '410 InactiveApplicationExpired': 'it was inactive too long',
  '410 TooManyApplications': 'the account has too many applications',
  '410 UserAgentNotAllowed': 'the server no longer allows this user agent',
};
const RECREATED = new Set(['404 ApplicationNotFound', '410 InactiveApplicationExpired']);

const USER_AGENT = 'ews-photo-bridge';
const CULTURE = 'en-US';
const JSON_HEADERS = { Accept: 'application/json' };
/** A user homed in another pool is redirected; more hops than this is a loop. */
const MAX_POOL_REDIRECTS = 3;

/**
 * A signed-in UCWA 2.0 client, as the Skype for Business clients do it: autodiscover,
 * the MsRtcOAuth challenge, a password grant for a `cwt=` bearer token, then one
 * application resource. Token and application are kept and shared by every lookup;
 * concurrent lookups wait for the same sign-in. An expired token is renewed once on
 * 401, an application the server forgot is created again, and a 429 keeps every
 * request away from the server until its Retry-After has passed.
 */
export class UcwaClient {
  /** Unique per application of this user, as the applications resource asks. */
  private readonly endpointId = randomUUID();
  private home?: { tokenUrl: string; applicationsUrl: string };
  private token?: Token;
  private tokenFlight?: Promise<Token>;
  private application?: UcwaApplication;
  private applicationFlight?: Promise<UcwaApplication>;
  private readonly now: () => number;

  constructor(private readonly options: UcwaClientOptions) {
    // A clock that only moves forward: a wall clock stepped back an hour held a 429's pause an hour longer, as it did the login throttle's back-off.
    this.now = options.now ?? (() => performance.now());
  }

  /** The application, created (and signed in) on first use, shared afterwards. */
  currentApplication(signal?: AbortSignal): Promise<UcwaApplication> {
    if (this.application) return Promise.resolve(this.application);
    this.applicationFlight ??= this.createApplication().finally(() => (this.applicationFlight = undefined));
    return untilAborted(this.applicationFlight, signal);
  }

  /** Signs in (autodiscover, challenge, token, user resource) unless signed in already. */
  async signIn(signal?: AbortSignal): Promise<void> {
    await this.currentToken(signal);
  }

  /** Runs a lookup against the application, creating the application again once if the server dropped it. */
  async withApplication<T>(signal: AbortSignal, lookup: (application: UcwaApplication) => Promise<T>): Promise<T> {
    const application = await this.currentApplication(signal);
    try {
      return await lookup(application);
    } catch (error) {
      if (!(error instanceof ApplicationLost)) throw error;
      if (this.application === application) this.application = undefined;
      if (!error.recreate) throw error;
      return lookup(await this.currentApplication(signal));
    }
  }

  /** A request with the bearer token; a 401 renews the token and tries once more. */
  async request(url: string, init: UcwaRequest, signal?: AbortSignal): Promise<OutboundResponse> {
    const token = await this.currentToken(signal);
    let response = await this.send(url, withAuthorization(init, token), signal);
    if (response.status === 401) {
      if (this.token === token) this.token = undefined;
      response = await this.send(url, withAuthorization(init, await this.currentToken(signal)), signal);
    }
    // Only these: a 410 CannotRedirect, say, leaves the application as it was.
    const loss = `${response.status} ${ucwaErrorOf(response)?.subcode}`;
    if (Object.hasOwn(APPLICATION_LOSSES, loss)) throw new ApplicationLost(loss, RECREATED.has(loss));
    return response;
  }

  private currentToken(signal?: AbortSignal): Promise<Token> {
    if (this.token && this.now() < this.token.expiresAt) return Promise.resolve(this.token);
    this.tokenFlight ??= this.obtainToken()
      .then((token) => (this.token = token))
      .finally(() => (this.tokenFlight = undefined));
    return untilAborted(this.tokenFlight, signal);
  }

  /** A fresh token: from the known token service, or through autodiscover on first use. */
  private async obtainToken(): Promise<Token> {
    if (this.home) {
      try {
        return await this.requestToken(this.home.tokenUrl);
      } catch (error) {
        this.home = undefined; // the topology may have changed: discover again next time
        throw error;
      }
    }
    let userUrl = await this.firstUserLink();
    for (let hop = 0; hop <= MAX_POOL_REDIRECTS; hop++) {
      const tokenUrl = tokenServiceOf(await this.send(userUrl, { headers: JSON_HEADERS }), userUrl);
      const token = await this.requestToken(tokenUrl);
      const user = await this.send(userUrl, withAuthorization({ headers: JSON_HEADERS }, token));
      if (user.status !== 200) throw signInStepFailure(user, 'user resource');
      const resource = readJson(user, 'user resource');
      const applicationsUrl = linkOf(resource, 'applications', userUrl);
      if (applicationsUrl) {
        this.home = { tokenUrl, applicationsUrl };
        return token;
      }
      // redirect_ref: the user is homed on another server; the redirect resource names its user
      // resource, where credentials may have to be given again.
      const redirect = linkOf(resource, 'redirect', userUrl);
      if (!redirect) throw new MisconfiguredSourceError('the UCWA user resource names neither applications nor a redirect');
      userUrl = await this.userLinkOf(redirect, token);
    }
    throw tooManyRedirects();
  }

  /**
   * The `user` link of the first autodiscover root that can be reached. One that cannot (no
   * such name in this network's DNS, nothing listening) passes to the next; an answer, even
   * a refusal, is that root's word.
   */
  private async firstUserLink(): Promise<string> {
    const roots = this.options.autodiscoverUrls;
    for (let i = 0; ; i++) {
      try {
        return await this.userLinkOf(roots[i]!);
      } catch (error) {
        if (i === roots.length - 1 || !hostUnreachable(error)) throw error;
      }
    }
  }

  /**
   * The `user` link of the autodiscover root or of a redirect resource (which, like every
   * UCWA resource, wants the token). A root that cannot serve the user names the next hop
   * as `redirect` instead (MS-OCDISCWS 3.1.5.2), followed as Microsoft's sign-in sample does.
   */
  private async userLinkOf(url: string, token?: Token): Promise<string> {
    for (let hop = 0; hop <= MAX_POOL_REDIRECTS; hop++) {
      const response = await this.send(url, token ? withAuthorization({ headers: JSON_HEADERS }, token) : { headers: JSON_HEADERS });
      if (response.status !== 200) throw signInStepFailure(response, `autodiscover ${url}`);
      const resource = readJson(response, 'autodiscover');
      const userUrl = linkOf(resource, 'user', url);
      if (userUrl) return userUrl;
      const next = linkOf(resource, 'redirect', url);
      if (!next) throw new MisconfiguredSourceError(`autodiscover ${url} names no user resource`);
      url = next;
    }
    throw tooManyRedirects();
  }

  private async requestToken(tokenUrl: string): Promise<Token> {
    const body = new URLSearchParams({ grant_type: 'password', username: this.options.username, password: this.options.password }).toString();
    const response = await this.send(tokenUrl, {
      method: 'POST',
      headers: { ...JSON_HEADERS, 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8' },
      body,
    });
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      const error = quotedErrorCode(/"error"\s*:\s*"([\w-]+)"/.exec(response.body.toString('utf8'))?.[1], [this.options.password]);
      throw new CredentialsRefusedError(`UCWA refused the sign-in of ${this.options.username} (${response.status}${error ? ` ${error}` : ''})`);
    }
    if (response.status !== 200) throw signInStepFailure(response, 'token service');
    const grant = readJson(response, 'token service');
    const token = usableToken(grant.access_token);
    if (token === undefined) throw noUsableToken('the UCWA token service');
    return {
      authorization: `${typeof grant.token_type === 'string' ? grant.token_type : 'Bearer'} ${token}`,
      // Without an expires_in it was taken as expired at once: every request signed in again with the password.
      expiresAt: renewalTime(grant.expires_in, this.now()),
    };
  }

  private async createApplication(): Promise<UcwaApplication> {
    await this.currentToken();
    const response = await this.request(this.home!.applicationsUrl, {
      method: 'POST',
      headers: { ...JSON_HEADERS, 'Content-Type': 'application/json' },
      body: JSON.stringify({ UserAgent: USER_AGENT, EndpointId: this.endpointId, Culture: CULTURE }),
    });
    if (response.status !== 201 && response.status !== 200) throw signInStepFailure(response, 'application creation');
    const base = this.home!.applicationsUrl;
    const resource = readJson(response, 'application');
    const people = resource._embedded?.people as UcwaResource | undefined;
    const self = linkOf(resource, 'self', base);
    const search = people && linkOf(people, 'search', base);
    if (!self || !search) throw new Error('the UCWA application has no people search link');
    this.application = { self, search };
    return this.application;
  }

  private async send(url: string, init: UcwaRequest, signal?: AbortSignal): Promise<OutboundResponse> {
    const response = await outboundRequest(url, this.options.policy, { ...init, signal });
    // Every lookup stays away, not only the one that was told: the shared resilience pauses the source (resilient-source.ts).
    if (response.status === 429) throw ucwaFailure(response, 'request');
    return response;
  }
}

/**
 * An answer that is neither what was asked nor "no photo", in words, with UCWA's code and
 * subcode. A 5xx (504 too: UCWA's backend, Exchange, was slow) may pass and is tried
 * again later — except 500 InvalidExchangeServerVersion, which stays until the mailbox
 * moves. 410 CannotRedirect (the user's pool is down and has no backup pool) passes when
 * the pool is back, so it is tried again too.
 */
export function ucwaFailure(response: OutboundResponse, what: string): Error {
  const error = ucwaErrorOf(response);
  const said = error && [error.code, error.subcode].filter(Boolean).join(' ');
  if (response.status === 500 && error?.subcode === 'InvalidExchangeServerVersion') {
    return new PermanentSourceError(`UCWA ${what} answered 500 ${said}: the Exchange mailbox is on a version Skype for Business cannot use for this`);
  }
  if (response.status === 410 && error?.subcode === 'CannotRedirect') {
    return new Error(`UCWA ${what} answered 410 ${said}: the user's pool is unavailable and no backup pool is configured`);
  }
  return httpFailure(`UCWA ${what}`, response, said);
}

/** A failure of signing in (autodiscover, the token service, the user resource, the application): the setup's, whoever is asked for. */
function signInStepFailure(response: OutboundResponse, what: string): Error {
  return asSetupFailure(ucwaFailure(response, what), 'autodiscoverUrl');
}

/** The error body of an answer that UCWA itself gave: proxies answer too, and UCWA's are JSON (ErrorsAndInformationalMessages). */
const UCWA_CODE = /^[A-Za-z]{1,64}$/;

function ucwaErrorOf(response: OutboundResponse): UcwaError | undefined {
  if (response.status < 400 || !/json/i.test(String(response.headers['content-type'] ?? ''))) return undefined;
  try {
    const body = upstreamJson(response.body) as Partial<Record<keyof UcwaError, unknown>> | null;
    // Codes are names ("Forbidden", "InvalidExchangeServerVersion"): anything else is not quoted, so an echo of the sign-in cannot reach the log.
    if (typeof body?.code !== 'string' || !UCWA_CODE.test(body.code)) return undefined;
    return { code: body.code, subcode: typeof body.subcode === 'string' && UCWA_CODE.test(body.subcode) ? body.subcode : undefined };
  } catch {
    return undefined;
  }
}

/** Whether UCWA itself gave this error answer (its JSON error body), not a proxy or firewall in front of it. */
export function isUcwaError(response: OutboundResponse): boolean {
  return ucwaErrorOf(response) !== undefined;
}

/**
 * UCWA's own 404 — an error body with its code; the subcode (ResourceNotFound) is optional,
 * and "clients should ignore missing or unknown subcodes" — not a proxy's page. A lost
 * application is not "not found": it is made again (RECREATED).
 */
export function isUcwaNotFound(response: OutboundResponse): boolean {
  const error = response.status === 404 ? ucwaErrorOf(response) : undefined;
  return error !== undefined && error.subcode !== 'ApplicationNotFound';
}

export function readJson(response: OutboundResponse, what: string, maxBytes?: number): UcwaResource {
  try {
    const parsed = upstreamJson(response.body, maxBytes);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as UcwaResource;
  } catch {
    // reported below, like any other shape
  }
  throw new Error(`${what}: UCWA answered something that is not a JSON resource`);
}

/** A link of a resource as an absolute URL; UCWA's hrefs are mostly relative to the server. */
export function linkOf(resource: UcwaResource, rel: string, base: string): string | undefined {
  const href = resource._links?.[rel]?.href;
  return typeof href === 'string' && href ? followable(href, base) : undefined;
}

/**
 * A link found in the answer from `base`, as an absolute URL, refused when it would leave
 * https for plain http: the password and the token travel on these links, and the Root URL
 * page says "Preference should always be given to the HTTPS form". Judged hop by hop, on
 * the parsed scheme (`HTTPS://` is https), so everything discovered from an https root
 * stays https whatever else the list of roots holds.
 */
function followable(href: string, base: string): string {
  const link = new URL(href, base);
  const from = new URL(base);
  if (from.protocol === 'https:' && link.protocol !== 'https:') {
    throw new OutboundRefused(`UCWA at ${from.origin} handed out a link to ${link.origin}: a link found over https must be https`);
  }
  return link.href;
}

/** The token service named by `WWW-Authenticate: MsRtcOAuth href="…",grant_type="…"`. */
function tokenServiceOf(response: OutboundResponse, userUrl: string): string {
  const header = String(response.headers['www-authenticate'] ?? '');
  const challenge = /MsRtcOAuth\s+(.*)/i.exec(header)?.[1];
  if (response.status !== 401 || !challenge) {
    throw new MisconfiguredSourceError(
      `the UCWA user resource did not ask for MsRtcOAuth (answered ${response.status}${header ? `, ${header.split(/\s/)[0]}` : ''})`,
    );
  }
  const params = challengeParameters(challenge);
  const grants = (params.get('grant_type') ?? '').split(',').map((grant) => grant.trim());
  if (!grants.includes('password')) throw new MisconfiguredSourceError(`UCWA does not offer the password grant (offers: ${grants.join(', ') || 'none'})`);
  const href = params.get('href');
  if (!href) throw new MisconfiguredSourceError('the MsRtcOAuth challenge names no token service');
  return followable(href, userUrl);
}

/**
 * The `name=value` pairs of a challenge (RFC 7235 §2.1 auth-params), names in lower case. A
 * name is tried from a word's start only (\b): tried from each of its letters, a long word
 * without `=` in an upstream's header was scanned to its end every time, quadratic.
 */
export function challengeParameters(challenge: string): Map<string, string> {
  return new Map([...challenge.matchAll(/\b(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g)].map((m) => [m[1]!.toLowerCase(), m[2] ?? m[3] ?? '']));
}

/** Signing in is the same for every person: a loop of redirects is a setup to mend, not one photo missing. */
const tooManyRedirects = () => new MisconfiguredSourceError(`UCWA autodiscover redirected more than ${MAX_POOL_REDIRECTS} times`);

function withAuthorization(init: UcwaRequest, token: Token): UcwaRequest {
  return { ...init, headers: { ...init.headers, Authorization: token.authorization } };
}

/** Waits for shared work, but lets one waiter give up without cancelling it for the others. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(abortReason(signal));
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** Why the caller gave up (a TimeoutError or AbortError, or whatever it aborted with), as an Error. */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason));
}
