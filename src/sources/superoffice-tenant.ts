import { SingleFlight } from '../single-flight.js';
import { withoutTrailingSlashes } from '../domain/plain-text.js';
import { hostAllowed, outboundRequest, type OutboundPolicy } from './outbound-http.js';
import { MisconfiguredSourceError } from './photo-source.js';
import { upstreamJsonObject } from './upstream-json.js';

/**
 * SuperOffice Online's three environments, by the hosts they answer on: where people sign
 * in (and SuperID's keys and tokens are), and where the state API says where a tenant is.
 * docs.superoffice.com, "Application environments" (the environment matrix) and "Check
 * tenant status" (`GET https://{sod, stage or online}.superoffice.com/api/state/{CustId}`).
 */
const ENVIRONMENTS = {
  sod: { login: 'https://sod.superoffice.com/login', state: 'https://sod.superoffice.com/api/state' },
  stage: { login: 'https://qaonline.superoffice.com/login', state: 'https://stage.superoffice.com/api/state' },
  online: { login: 'https://online.superoffice.com/login', state: 'https://online.superoffice.com/api/state' },
} as const;

type SuperOfficeEnvironment = keyof typeof ENVIRONMENTS;

/** The matrix's hosts under superoffice.com, its tenant hosts (`sod2`, `app-sod`, `stage`, `online2`, `app`) included. */
const HOSTS: [RegExp, SuperOfficeEnvironment][] = [
  [/^(?:sod\d*|app-sod)$/, 'sod'],
  [/^(?:stage\d*|app-stage|qaonline)$/, 'stage'],
  [/^(?:online\d*|app)$/, 'online'],
];
const ONLINE_DOMAIN = '.superoffice.com';

/** The SuperOffice Online environment a tenant URL is in; undefined for any other host (an on-site installation). */
export function environmentOf(baseUrl: string): SuperOfficeEnvironment | undefined {
  const host = new URL(baseUrl).hostname.toLowerCase();
  if (!host.endsWith(ONLINE_DOMAIN)) return undefined;
  const label = host.slice(0, -ONLINE_DOMAIN.length);
  return HOSTS.find(([pattern]) => pattern.test(label))?.[1];
}

/** Where the bridge may follow the state API: any host of SuperOffice Online's domain. */
export const ONLINE_HOSTS = `*${ONLINE_DOMAIN}`;

/** The login service and state API of an environment; the login service of an on-site host is `/login` on it. */
export function environmentUrls(baseUrl: string): { login: string; state: string | undefined } {
  const environment = environmentOf(baseUrl);
  return environment ? ENVIRONMENTS[environment] : { login: `${new URL(baseUrl).origin}/login`, state: undefined };
}

/** Where the tenant's API is: its root (`https://online2.superoffice.com/Cust12345`), and a way to say it has moved. */
interface TenantEndpoint {
  current(): Promise<string>;
  /** The API at `root` answered 421 Misdirected Request: the tenant has moved since. */
  moved(root: string): void;
}

/** An on-site installation, or a lab: the API is where `baseUrl` says, always. */
export function fixedEndpoint(baseUrl: string): TenantEndpoint {
  return { current: () => Promise.resolve(baseUrl), moved: () => {} };
}

/** How long a state answer is trusted at least and at most, whatever its ValidUntil says. */
const TRUSTED_MIN_MS = 60_000;
const TRUSTED_MAX_MS = 24 * 3600_000;
/** How long to go on with what is known when the state API cannot be asked. */
const RETRY_STATE_MS = 60_000;
/**
 * How long an answer that the tenant is not running is believed at most, whatever its
 * ValidUntil: a tenant back from maintenance early was still refused, unasked, for up to the
 * 24 hours a running one's root is kept.
 */
const NOT_RUNNING_MAX_MS = 60_000;

/**
 * States, by name or number, of a tenant that is not there: deleted. The others that are
 * not "IsRunning" (provisioning, suspended, offline for maintenance) pass.
 */
const ABSENT_STATES = new Set<unknown>(['Deleted', 'Deleting', 'DeleteFailed', 3, 10, 11]);
/**
 * "Unknown (0): The customer tenant is unknown, or there is something wrong with the
 * environment. If the customer was previously in another state, we probably have an
 * incident" (docs.superoffice.com, "Status page"): not a setup to mend for certain.
 */
const UNKNOWN_STATES = new Set<unknown>(['Unknown', 0]);

/**
 * A SuperOffice Online tenant's API root as the state API gives it. The root "will change
 * routinely to balance the load" (sod2 → sod3), and the old one answers 421 Misdirected
 * Request, so it is asked for, kept until the answer's ValidUntil, and asked for again
 * at once when the API says it has moved (docs.superoffice.com, "Status page"). An answer
 * that the tenant is not running (or Unknown, or deleted) is kept until its ValidUntil too,
 * "when to check next time", but a minute at most: the lookups meanwhile fail at once, unasked. While the state
 * API cannot be asked, the last root known (else `baseUrl`) is used.
 */
export function stateApiEndpoint(tenant: { stateUrl: string; contextIdentifier: string; baseUrl: string }, policy: OutboundPolicy): TenantEndpoint {
  let known: { root: string; until: number } | undefined;
  let notRunning: { error: Error; until: number } | undefined;
  const asking = new SingleFlight<string>();

  // Asked for all the lookups waiting on it, so no one lookup's signal may end it: the policy's timeout bounds it.
  const ask = async (): Promise<string> => {
    const fallback = known?.root ?? tenant.baseUrl;
    let response;
    try {
      response = await outboundRequest(`${tenant.stateUrl}/${encodeURIComponent(tenant.contextIdentifier)}`, policy, {
        headers: { accept: 'application/json' },
      });
    } catch {
      known = { root: fallback, until: Date.now() + RETRY_STATE_MS };
      return fallback;
    }
    const state = response.status === 200 ? upstreamJsonObject(response.body) : {};
    const remembered = (error: Error): Error => {
      notRunning = { error, until: Math.min(trustedUntil(state.ValidUntil), Date.now() + NOT_RUNNING_MAX_MS) };
      return error;
    };
    if (UNKNOWN_STATES.has(state.State)) {
      throw remembered(
        new Error(
          `SuperOffice's state API says tenant ${tenant.contextIdentifier} is ${String(state.State)}: a problem on SuperOffice's side for now (an incident), or a tenant id it does not know`,
        ),
      );
    }
    if (ABSENT_STATES.has(state.State)) {
      throw remembered(new MisconfiguredSourceError(`SuperOffice's state API says tenant ${tenant.contextIdentifier} is ${String(state.State)}`));
    }
    const root = typeof state.Endpoint === 'string' ? tenantRoot(state.Endpoint, tenant.stateUrl, policy) : undefined;
    if (root === undefined) {
      known = { root: fallback, until: Date.now() + RETRY_STATE_MS };
      return fallback;
    }
    if (state.IsRunning !== true) throw remembered(new Error(`SuperOffice tenant ${tenant.contextIdentifier} is not running now (${String(state.State)})`));
    known = { root, until: trustedUntil(state.ValidUntil) };
    return root;
  };

  return {
    current() {
      if (notRunning && Date.now() < notRunning.until) return Promise.reject(notRunning.error);
      if (known && Date.now() < known.until) return Promise.resolve(known.root);
      return asking.run('state', ask);
    },
    moved(root) {
      if (known?.root === root) known = undefined;
    },
  };
}

/**
 * The root an answer named, when it may carry the tenant's credentials (a ticket and the
 * client secret go to it): the state API's own scheme — https for SuperOffice Online, so
 * an answer cannot move the bridge to plain http — a host the policy allows, no other port
 * than the scheme's own but on the state API's host itself (a lab), and no credentials,
 * query or fragment of its own.
 */
export function tenantRoot(endpoint: string, stateUrl: string, policy: OutboundPolicy): string | undefined {
  if (!URL.canParse(endpoint)) return undefined;
  const url = new URL(endpoint);
  const state = new URL(stateUrl);
  const otherPort = url.port !== '' && url.hostname !== state.hostname;
  if (url.protocol !== state.protocol || otherPort || url.username || url.password || endpoint.includes('?') || url.hash) return undefined;
  return hostAllowed(url.hostname, policy.allowedHosts) ? `${url.origin}${withoutTrailingSlashes(url.pathname)}` : undefined;
}

function trustedUntil(validUntil: unknown): number {
  const now = Date.now();
  const at = typeof validUntil === 'string' ? Date.parse(validUntil) : NaN;
  return Number.isNaN(at) ? now + TRUSTED_MIN_MS : Math.min(now + TRUSTED_MAX_MS, Math.max(now + TRUSTED_MIN_MS, at));
}
