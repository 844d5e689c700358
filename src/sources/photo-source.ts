import { imageRefused } from '../domain/errors.js';
import type { NormalizedPhoto } from '../domain/photo.js';
import type { ExternalRefs } from '../domain/directory.js';
import { OutboundRefused } from './outbound-http.js';

/**
 * Everything known about whose photo is wanted: each source picks the reference it
 * understands (an email, a SIP address, a phone, a CRM id, an LDAP DN).
 */
export interface PhotoReference extends ExternalRefs {
  kind: 'user' | 'contact';
  emails: string[];
  sipAddress?: string;
}

/** What a source answers: image bytes — checked and normalised as `photo` once the resilient wrapper has done so — or a definite "no photo". */
export type SourceAnswer = { kind: 'photo'; bytes: Buffer; photo?: NormalizedPhoto } | { kind: 'none' };

export const NO_PHOTO: SourceAnswer = { kind: 'none' };

/** One plain-words line of `sources check`. */
export interface CheckStep {
  step: string;
  ok: boolean;
  detail: string;
}

/**
 * An upstream that holds photos. A source only turns a reference into bytes or "no
 * photo"; timeouts, retries, circuit breaking, single-flight, normalising and caching
 * are the photo service's, the same for every source. A source throws for anything
 * that is neither (unreachable, refused credentials, a 5xx): the next source is tried.
 */
export interface PhotoSource {
  /** The operator's name for this source, as configured; also recorded with stored photos. */
  readonly name: string;
  /**
   * Its photos are served in their own shape, never cropped to a square: Exchange's directory
   * thumbnail "is not necessarily square, even if the size code specifies a square image"
   * (MS-OXWSPHOTO 3.1.5.1.1).
   */
  readonly keepsShape?: boolean;
  /** Whether the reference carries something this source can look up. */
  accepts(reference: PhotoReference): boolean;
  fetch(reference: PhotoReference, signal: AbortSignal): Promise<SourceAnswer>;
  /** Reachability, authentication and a sample lookup, for `sources check`. */
  check(sample: PhotoReference | undefined, signal: AbortSignal): Promise<CheckStep[]>;
  /** Its circuit breaker's state, for metrics; only the resilient wrapper (resilient-source.ts) has one. */
  breakerState?(): BreakerState;
}

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/**
 * Whether a failed call may go otherwise if made again: not when the source's answer said
 * so (403, bytes that are no usable photo) or the bridge's own policy refused it (a host not
 * allowed, an answer over the size limit).
 */
export function mayPassLater(error: unknown): boolean {
  return !(error instanceof PermanentSourceError) && !(error instanceof OutboundRefused) && !imageRefused(error);
}

/** Thrown by a source for an answer that says "retrying now is pointless" (403, 4xx misuse). */
export class PermanentSourceError extends Error {}

/** The source answered bytes that are no usable photo (garbage, too large, a bomb): not worth asking again, but a failure all the same. */
export class UnusableAnswerError extends PermanentSourceError {}

/**
 * Thrown by a source when the upstream asks to be left alone for a while (429 or 503
 * with Retry-After): the retry waits that long instead of its own backoff.
 */
export class RetryAfterError extends Error {
  constructor(
    message: string,
    /** How long the upstream asked to wait; undefined when it did not say. */
    readonly delayMs: number | undefined,
  ) {
    super(message);
  }
}
