import { imageRefused } from '../domain/errors.js';
import type { NormalizedPhoto } from '../domain/photo.js';
import type { ExternalRefs } from '../domain/directory.js';
import { AnswerTooLarge, OutboundRefused } from './outbound-http.js';

/**
 * Everything known about whose photo is wanted: each source picks the reference it
 * understands (an email, a SIP address, a phone, a CRM id, an LDAP DN).
 */
export interface PhotoReference extends ExternalRefs {
  kind: 'user' | 'contact';
  emails: string[];
  /**
   * The other addresses a user is known by (secondary proxy addresses, a userPrincipalName):
   * not looked up, but a directory entry holding one is theirs.
   */
  otherAddresses?: string[];
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

/**
 * A failure of the source as the operator set it up, whoever's photo is asked: credentials
 * refused, a key or CA file that does not load, no such tenant or instance. Retrying now
 * is pointless, but the photo is unknown, not absent, so failureOf makes it "try again":
 * as "no photo" (404), clients kept it (the EWS Managed API keeps a 404) after the
 * operator mended the setting.
 */
export class MisconfiguredSourceError extends PermanentSourceError {}

/**
 * The upstream refused the bridge's own credentials (a bind, a password or client secret, a
 * token): asking again with them may lock the account out, so the source is paused
 * (credential-gate.ts).
 */
export class CredentialsRefusedError extends MisconfiguredSourceError {}

/**
 * An answer that cannot say whether this person has a photo: a search the source cut off
 * (a size limit, more results than it lists) before it reached them. Asking again now is
 * cut off the same way and says nothing of the source's health, so it is neither retried
 * nor held against the source; but the photo is unknown, not absent: "try again".
 */
export class InconclusiveAnswerError extends PermanentSourceError {}

/**
 * How a lookup failed. `permanent`: the source answered in a way that asking again will not
 * change for this person (a 403 on them, bytes that are no usable photo, an answer over the
 * size limit), which stands for "no photo" for now. `transient`: anything else — the source
 * down or slow (5xx or 429 after the retries, its breaker open, its queue full), or set up
 * wrongly (MisconfiguredSourceError, or a call the outbound policy refused for where it
 * goes: a host the operator did not allow, which no one's photo gets past), or its answer
 * cut off before it could tell (InconclusiveAnswerError) — so whether there is a photo is
 * unknown, and asking again later may tell. A photo link refused is one person's:
 * whatsapp-link.ts makes it a PermanentSourceError.
 */
export type SourceFailure = 'transient' | 'permanent';

export function failureOf(error: unknown): SourceFailure {
  const thisPersons =
    (error instanceof PermanentSourceError && !(error instanceof MisconfiguredSourceError) && !(error instanceof InconclusiveAnswerError)) ||
    error instanceof AnswerTooLarge ||
    imageRefused(error);
  return thisPersons ? 'permanent' : 'transient';
}

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
