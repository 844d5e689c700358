import type { OutboundPolicy, OutboundResponse } from './outbound-http.js';
import { CredentialsRefusedError, MisconfiguredSourceError, PermanentSourceError, RetryAfterError } from './photo-source.js';

/**
 * The default upload limit (BRIDGE_MAX_UPLOAD_BYTES): a larger photo would be refused by
 * the image limits anyway, after it was held. 20 MiB before: a hundred hostile answers at
 * once took the RSS to 2.2 GB.
 */
const PHOTO_MAX_BYTES = 10 * 1024 * 1024;
/** A backstop only: each call to a source is timed by BRIDGE_SOURCE_TIMEOUT_MS. */
const BACKSTOP_TIMEOUT_MS = 30_000;

/** The outbound policy of a source that talks only to the hosts of the URLs its operator configured. */
export function upstreamPolicy(urls: readonly string[]): OutboundPolicy {
  return { allowedHosts: urls.map((url) => new URL(url).hostname), maxBytes: PHOTO_MAX_BYTES, timeoutMs: BACKSTOP_TIMEOUT_MS };
}

/**
 * What an upstream's HTTP answer that is neither a photo nor "no photo" means for the
 * shared retry: throttling waits as long as asked, a 5xx may pass, refused credentials
 * and other 4xx will not.
 */
export function httpFailure(upstream: string, response: OutboundResponse, said?: string): Error {
  const { status } = response;
  const why = said ? `: ${said}` : '';
  if (status === 429 || status === 503) {
    return new RetryAfterError(`${upstream} answered ${status}${why}`, retryAfterMs(response.headers['retry-after']));
  }
  // 421 Misdirected Request is about the host asked, not the resource (RFC 9110 §15.5.20): a
  // SuperOffice tenant host the tenant has left, while the state API cannot say where it went.
  if (status >= 500 || status === 421) return new Error(`${upstream} answered ${status}${why}`);
  // Whoever's photo is asked: the URL the operator set up is not the API's (it was "no photo" for everyone).
  if (status >= 300 && status < 400) return new MisconfiguredSourceError(`${upstream} answered ${status}${why}: redirects are not followed; check its URL`);
  if (status === 401) return new CredentialsRefusedError(`${upstream} refused the credentials (401${why})`);
  // Credentials it took, and access it refuses (RFC 9110 §15.5.4), maybe only to this person's:
  // Exchange Online's application access policies keep an app to some mailboxes.
  if (status === 403) return new PermanentSourceError(`${upstream} refused access (403${why})`);
  return new PermanentSourceError(`${upstream} answered ${status}${why}`);
}

/**
 * httpFailure for a sign-in service (a token endpoint, a ticket service, the keys it signs
 * with): see asSetupFailure.
 */
export function signInFailure(upstream: string, response: OutboundResponse, setting: string): Error {
  return asSetupFailure(httpFailure(upstream, response), setting);
}

/**
 * A sign-in step's failure, whose answer is never about one person: a 4xx that httpFailure
 * takes as this person's "no photo" (a 404 from a wrong login URL was that for everyone) is
 * the setup's, "try again" until the operator mends `setting`. Throttling and 5xx pass as they are.
 */
export function asSetupFailure(failure: Error, setting: string): Error {
  const thisPersons = failure instanceof PermanentSourceError && !(failure instanceof MisconfiguredSourceError);
  return thisPersons ? new MisconfiguredSourceError(`${failure.message}: check ${setting}`) : failure;
}

/** Retry-After as seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
