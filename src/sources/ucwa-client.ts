import { randomUUID } from 'node:crypto';
import { outboundRequest, type OutboundPolicy, type OutboundResponse } from './outbound-http.js';
import { PermanentSourceError, RetryAfterError } from './photo-source.js';
import { httpFailure, retryAfterMs } from './upstream-http.js';

export interface UcwaClientOptions {
  /** `https://lyncdiscover.<domain>/`, or wherever the operator says autodiscover answers. */
  autodiscoverUrl: string;
  username: string;
  password: string;
  policy: OutboundPolicy;
}

/** The links of a created application that lookups start from. */
export interface UcwaApplication {
  self: string;
  people: string;
  search: string;
}

/** A UCWA resource: properties plus `_links` and `_embedded`. */
export type UcwaResource = { _links?: Record<string, { href?: string } | undefined>; _embedded?: Record<string, unknown> } & Record<string, unknown>;

type UcwaRequest = { method?: string; headers: Record<string, string>; body?: string };

interface Token {
  authorization: string;
  expiresAt: number;
}

/** The server forgot the application (it idled out); it must be created again. */
class ApplicationExpired extends Error {}

const USER_AGENT = 'ews-photo-bridge';
const CULTURE = 'en-US';
const JSON_HEADERS = { Accept: 'application/json' };
/** A user homed in another pool is redirected; more hops than this is a loop. */
const MAX_POOL_REDIRECTS = 3;
/** Longest Retry-After believed, so a misread header cannot silence the source for days. */
const MAX_QUIET_MS = 3_600_000;

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
  private quietUntil = 0;

  constructor(private readonly options: UcwaClientOptions) {}

  /** The application, created (and signed in) on first use, shared afterwards. */
  currentApplication(signal?: AbortSignal): Promise<UcwaApplication> {
    if (this.application) return Promise.resolve(this.application);
    this.applicationFlight ??= this.createApplication().finally(() => (this.applicationFlight = undefined));
    return untilAborted(this.applicationFlight, signal);
  }

  /** Runs a lookup against the application, creating the application again once if the server forgot it. */
  async withApplication<T>(signal: AbortSignal, lookup: (application: UcwaApplication) => Promise<T>): Promise<T> {
    const application = await this.currentApplication(signal);
    try {
      return await lookup(application);
    } catch (error) {
      if (!(error instanceof ApplicationExpired)) throw error;
      if (this.application === application) this.application = undefined;
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
    if (response.status === 410 || (response.status === 404 && /ApplicationNotFound|InactiveApplicationExpired/.test(response.body.toString('utf8')))) {
      throw new ApplicationExpired(`the UCWA application expired (${response.status})`);
    }
    return response;
  }

  private currentToken(signal?: AbortSignal): Promise<Token> {
    if (this.token && Date.now() < this.token.expiresAt) return Promise.resolve(this.token);
    this.tokenFlight ??= this.signIn()
      .then((token) => (this.token = token))
      .finally(() => (this.tokenFlight = undefined));
    return untilAborted(this.tokenFlight, signal);
  }

  /** A fresh token: from the known token service, or through autodiscover on first use. */
  private async signIn(): Promise<Token> {
    if (this.home) {
      try {
        return await this.requestToken(this.home.tokenUrl);
      } catch (error) {
        this.home = undefined; // the topology may have changed: discover again next time
        throw error;
      }
    }
    let root = this.options.autodiscoverUrl;
    for (let hop = 0; hop <= MAX_POOL_REDIRECTS; hop++) {
      const userUrl = await this.discoverFrom(root);
      const tokenUrl = tokenServiceOf(await this.send(userUrl, { headers: JSON_HEADERS }), userUrl);
      const token = await this.requestToken(tokenUrl);
      const user = await this.send(userUrl, withAuthorization({ headers: JSON_HEADERS }, token));
      if (user.status !== 200) throw ucwaFailure(user, 'user resource');
      const resource = readJson(user, 'user resource');
      const applicationsUrl = linkOf(resource, 'applications', userUrl);
      if (applicationsUrl) {
        this.home = { tokenUrl, applicationsUrl };
        return token;
      }
      // The user is homed in another pool, which signs in on its own.
      root = linkOf(resource, 'redirect', userUrl) ?? '';
      if (!root) throw new PermanentSourceError('the UCWA user resource names neither applications nor a redirect');
    }
    throw new PermanentSourceError(`UCWA autodiscover redirected more than ${MAX_POOL_REDIRECTS} times`);
  }

  /** The user resource named by an autodiscover root. */
  private async discoverFrom(root: string): Promise<string> {
    const response = await this.send(root, { headers: JSON_HEADERS });
    if (response.status !== 200) throw ucwaFailure(response, `autodiscover ${root}`);
    const userUrl = linkOf(readJson(response, 'autodiscover'), 'user', root);
    if (!userUrl) throw new PermanentSourceError(`autodiscover ${root} names no user resource`);
    return userUrl;
  }

  private async requestToken(tokenUrl: string): Promise<Token> {
    const body = new URLSearchParams({ grant_type: 'password', username: this.options.username, password: this.options.password }).toString();
    const response = await this.send(tokenUrl, {
      method: 'POST',
      headers: { ...JSON_HEADERS, 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8' },
      body,
    });
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      const error = /"error"\s*:\s*"([\w-]+)"/.exec(response.body.toString('utf8'))?.[1];
      throw new PermanentSourceError(`UCWA refused the sign-in of ${this.options.username} (${response.status}${error ? ` ${error}` : ''})`);
    }
    if (response.status !== 200) throw ucwaFailure(response, 'token service');
    const grant = readJson(response, 'token service');
    if (typeof grant.access_token !== 'string' || !grant.access_token) throw new Error('the UCWA token service answered no access_token');
    const lifetimeMs = (Number(grant.expires_in) || 0) * 1000;
    return {
      authorization: `${typeof grant.token_type === 'string' ? grant.token_type : 'Bearer'} ${grant.access_token}`,
      // Renew a little early so a token never expires between check and use.
      expiresAt: Date.now() + lifetimeMs - Math.min(60_000, lifetimeMs / 10),
    };
  }

  private async createApplication(): Promise<UcwaApplication> {
    await this.currentToken();
    const response = await this.request(this.home!.applicationsUrl, {
      method: 'POST',
      headers: { ...JSON_HEADERS, 'Content-Type': 'application/json' },
      body: JSON.stringify({ UserAgent: USER_AGENT, EndpointId: this.endpointId, Culture: CULTURE }),
    });
    if (response.status !== 201 && response.status !== 200) throw ucwaFailure(response, 'application creation');
    const base = this.home!.applicationsUrl;
    const resource = readJson(response, 'application');
    const people = resource._embedded?.people as UcwaResource | undefined;
    const application = {
      self: linkOf(resource, 'self', base),
      people: people && linkOf(people, 'self', base),
      search: people && linkOf(people, 'search', base),
    };
    if (!application.self || !application.people || !application.search) throw new Error('the UCWA application has no people or search link');
    this.application = application as UcwaApplication;
    return this.application;
  }

  private async send(url: string, init: UcwaRequest, signal?: AbortSignal): Promise<OutboundResponse> {
    const quietMs = this.quietUntil - Date.now();
    if (quietMs > 0) throw new RetryAfterError(`UCWA asked for a pause (429); ${Math.ceil(quietMs / 1000)} s left`, quietMs);
    const response = await outboundRequest(url, this.options.policy, { ...init, signal });
    if (response.status === 429) {
      // Every lookup stays away, not only the one that was told.
      this.quietUntil = Date.now() + Math.min(retryAfterMs(response.headers['retry-after']) ?? 0, MAX_QUIET_MS);
      throw ucwaFailure(response, 'request');
    }
    return response;
  }
}

/**
 * An answer that is neither what was asked nor "no photo", with UCWA's error code: a 5xx
 * (504 too: UCWA's backend, Exchange, was slow) may pass and is tried again later.
 */
export function ucwaFailure(response: OutboundResponse, what: string): Error {
  return httpFailure(`UCWA ${what}`, response, /"code"\s*:\s*"(\w+)"/.exec(response.body.toString('utf8'))?.[1]);
}

export function readJson(response: OutboundResponse, what: string): UcwaResource {
  try {
    const parsed: unknown = JSON.parse(response.body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as UcwaResource;
  } catch {
    // reported below, like any other shape
  }
  throw new Error(`${what}: UCWA answered something that is not a JSON resource`);
}

/** A link of a resource as an absolute URL; UCWA's hrefs are mostly relative to the server. */
export function linkOf(resource: UcwaResource, rel: string, base: string): string | undefined {
  const href = resource._links?.[rel]?.href;
  return typeof href === 'string' && href ? new URL(href, base).href : undefined;
}

/** The token service named by `WWW-Authenticate: MsRtcOAuth href="…",grant_type="…"`. */
function tokenServiceOf(response: OutboundResponse, userUrl: string): string {
  const header = String(response.headers['www-authenticate'] ?? '');
  const challenge = /MsRtcOAuth\s+(.*)/i.exec(header)?.[1];
  if (response.status !== 401 || !challenge) {
    throw new PermanentSourceError(`the UCWA user resource did not ask for MsRtcOAuth (answered ${response.status}${header ? `, ${header.split(/\s/)[0]}` : ''})`);
  }
  const params = new Map([...challenge.matchAll(/(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g)].map((m) => [m[1]!.toLowerCase(), m[2] ?? m[3] ?? '']));
  const grants = (params.get('grant_type') ?? '').split(',').map((grant) => grant.trim());
  if (!grants.includes('password')) throw new PermanentSourceError(`UCWA does not offer the password grant (offers: ${grants.join(', ') || 'none'})`);
  const href = params.get('href');
  if (!href) throw new PermanentSourceError('the MsRtcOAuth challenge names no token service');
  return new URL(href, userUrl).href;
}

function withAuthorization(init: UcwaRequest, token: Token): UcwaRequest {
  return { ...init, headers: { ...init.headers, Authorization: token.authorization } };
}

/** Waits for shared work, but lets one waiter give up without cancelling it for the others. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}
