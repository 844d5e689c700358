import { performance } from 'node:perf_hooks';
import {
  CircuitState,
  circuitBreaker,
  ConsecutiveBreaker,
  DelegateBackoff,
  ExponentialBackoff,
  handleWhen,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
  type IBackoff,
  type IBackoffFactory,
  type IPolicy,
  type IRetryBackoffContext,
} from 'cockatiel';
import { BridgeError, imageRefused } from '../domain/errors.js';
import { CallQueue, CutAtTimeUpError } from './call-queue.js';
import { CredentialGate } from './credential-gate.js';
import { timeLimit } from './time-limit.js';
import type { NormalizedPhoto } from '../domain/photo.js';
import {
  mayPassLater,
  PermanentSourceError,
  RetryAfterError,
  UnusableAnswerError,
  type BreakerState,
  type PhotoReference,
  type PhotoSource,
  type SourceAnswer,
} from './photo-source.js';

/**
 * How long one call may wait between its attempts, Retry-After and backoff together.
 * Someone is waiting for the photo: a Retry-After longer than what is left fails the call
 * at once, and the next source (or the stored photo) answers instead. Per call, not per
 * retry: two Retry-After of 9 s once made one lookup wait 18 s. With its attempts, a call
 * takes at most timeoutMs × (retries + 1) plus this, counted from when it is asked.
 */
const WAITING_PER_CALL_MS = 10_000;
/** Longest Retry-After believed for the pause of a whole source, so a misread header cannot silence it for days. */
const MAX_PAUSE_MS = 3_600_000;

export interface ResilienceOptions {
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts after the first, for failures that may pass (network, 5xx, timeouts). */
  retries: number;
  /** What one call may wait between its attempts in all; WAITING_PER_CALL_MS unless a test shortens it. */
  waitingMs?: number;
  /** Told each wait before a retry, in ms, as it begins: a test sees what was waited without reading a clock. */
  onRetryWait?: (delayMs: number) => void;
  /** Consecutive failed lookups that open the circuit, each counted once with all its retries… */
  breakerThreshold: number;
  /** …and how long it stays open before one lookup may try again. */
  breakerHalfOpenMs: number;
  /**
   * Told why the circuit opened, each time it does: the calls failed by the open circuit say
   * only that it is open, and with lookups at once every one of them did — the failure that
   * opened it (a timeout, a 500) reached no log.
   */
  onOpen?: (reason: string) => void;
  /** The clock credential refusals are paused by (credential-gate.ts): performance.now unless a test moves time itself. */
  now?: () => number;
  /**
   * Calls in flight at once (BRIDGE_SOURCE_CONCURRENCY); four times as many may wait, then a
   * call fails at once, as one does still waiting when its time is up.
   */
  callsAtOnce?: number;
  /**
   * Checks and normalises the bytes a source answers, as uploads are, within the call: an
   * unusable answer is then a failure the breaker counts (outside it, each counted as the
   * call's success, and a source sending garbage for everyone was asked at full rate).
   */
  usable?: (bytes: Buffer) => Promise<NormalizedPhoto>;
}

export const DEFAULT_SOURCE_CONCURRENCY = 8;

/**
 * The same resilience around every source: a timeout per attempt, bounded retries
 * with exponential backoff (never for permanent answers such as 403; as long as the
 * upstream asked when it sent Retry-After; all waits of a call within one budget), and a
 * circuit breaker so a dead upstream costs nothing until it has had time to come back;
 * credentials it refused are not sent again for a while (credential-gate.ts).
 * Around it all, a bulkhead: each call
 * may hold an answer of up to the photo limit, and a breaker counts failures only once
 * they are done, so a burst of misses for different people (a hundred at once from one
 * login against a hostile upstream: RSS 2.2 GB) would all be in flight before it opened.
 * A call past the queue fails at once, and the next source or the stored photo answers.
 *
 * A lookup's time — its attempts and the waits between them — counts from when it is asked,
 * time waiting in the queue or behind the first lookup after a start (credential-gate.ts)
 * included: counted from its first attempt, a lookup at a source that never answered took
 * up to a minute in a burst. One still waiting when its time is up fails then, as a call past
 * the queue does; one that got its turn has only what is left of its time.
 *
 * A Retry-After (429, 503) speaks for the whole source, not only the call that was told:
 * Graph's throttling "limits any further requests from that client app for some time", and
 * asking meanwhile stretches it (learn.microsoft.com/graph/throttling). Until it is up, every
 * other call fails at once, unsent, and the next source or the stored photo answers; the call
 * that was told waits its Retry-After within its own retries.
 */
export function resilient(source: PhotoSource, options: ResilienceOptions): PhotoSource {
  // The bridge's own refusals (its decoders busy) say nothing of the source, nor does an
  // attempt cut when its lookup's time was up, which it had spent waiting for its turn.
  const upstreamFailure = (error: unknown) => !(error instanceof BridgeError) && !(error instanceof CutAtTimeUpError);
  const failed = handleWhen((error) => upstreamFailure(error) && (!(error instanceof PermanentSourceError) || error instanceof UnusableAnswerError));
  // What the bridge's own outbound policy refused (an answer over the size limit, a host
  // that is not allowed) is refused again: an oversized answer was read to the limit three times.
  const worthRetrying = (error: unknown) => upstreamFailure(error) && mayPassLater(error);
  const breaker = circuitBreaker(failed, { halfOpenAfter: options.breakerHalfOpenMs, breaker: new ConsecutiveBreaker(options.breakerThreshold) });
  const { onOpen } = options;
  if (onOpen) breaker.onBreak((reason) => onOpen('error' in reason ? reason.error.message : 'isolated' in reason ? 'isolated' : 'a failed answer'));
  const callsAtOnce = options.callsAtOnce ?? DEFAULT_SOURCE_CONCURRENCY;
  // The time limit is the upstream's; checking what it sent waits for a decode slot, which is the bridge's.
  // Aggressive: the attempt fails on time even if a source ignored the signal. Its abort
  // reaches the request (outbound-http.ts), body read included, so a body trickling in
  // after the headers is cut off, not read on in the background.
  const answerInTime = timeout(options.timeoutMs, TimeoutStrategy.Aggressive);
  const calls = new CallQueue(callsAtOnce, 4 * callsAtOnce);
  const waitingMs = options.waitingMs ?? WAITING_PER_CALL_MS;
  const lookupMs = options.timeoutMs * (options.retries + 1) + waitingMs;
  // The retries are made per call, as they carry what that call has left to wait.
  const policyOfOneCall = (endsAt: number): IPolicy => {
    const waits = waitingWithin(waitingMs, () => endsAt - performance.now());
    const retries = retry(
      handleWhen((error) => worthRetrying(error) && waits.fit(error)),
      { maxAttempts: options.retries, backoff: waits.backoff },
    );
    const { onRetryWait } = options;
    if (onRetryWait) retries.onRetry(({ delay }) => onRetryWait(delay));
    // The breaker around the retries, not inside them: it counts a lookup once, however many
    // attempts it took (inside, one lookup's 500 and its two retries were three failures of
    // the five that open it), and an open circuit fails a lookup without retrying it.
    return wrap(breaker, retries);
  };
  const now = options.now ?? (() => performance.now());
  const gate = new CredentialGate(now);
  let pausedUntil = 0;
  const { usable } = options;
  const pause = (): RetryAfterError | undefined => {
    const pausedMs = pausedUntil - now();
    return pausedMs > 0 ? new RetryAfterError(`${source.name} asked for a pause; ${Math.ceil(pausedMs / 1000)} s left`, pausedMs) : undefined;
  };
  const call = async (reference: PhotoReference, signal: AbortSignal, timeUp: AbortSignal): Promise<SourceAnswer> => {
    const answer = await answerInTime
      .execute(({ signal: attemptSignal }) => source.fetch(reference, attemptSignal), signal)
      .catch((error: unknown) => {
        if (error instanceof RetryAfterError && error.delayMs) pausedUntil = Math.max(pausedUntil, now() + Math.min(error.delayMs, MAX_PAUSE_MS));
        throw timeUp.aborted ? new CutAtTimeUpError(error) : error;
      });
    if (answer.kind === 'none' || !usable) return answer;
    try {
      return { ...answer, photo: await usable(answer.bytes) };
    } catch (error) {
      if (imageRefused(error)) throw new UnusableAnswerError(`unusable image: ${error.message}`);
      throw error;
    }
  };
  return {
    name: source.name,
    keepsShape: source.keepsShape,
    accepts: (reference) => source.accepts(reference),
    fetch(reference, signal) {
      const paused = pause();
      if (paused) return Promise.reject(paused);
      // Its attempts are cut short when its time is up (the timeout above is aggressive).
      const endsAt = performance.now() + lookupMs;
      const timeUp = timeLimit(lookupMs, signal);
      // A pause asked for while it waited for its turn holds it too: it is still unsent.
      const lookup = async () => {
        const pausedMeanwhile = pause();
        if (pausedMeanwhile) throw pausedMeanwhile;
        return policyOfOneCall(endsAt).execute(({ signal: attemptSignal }) => call(reference, attemptSignal, timeUp.signal), timeUp.signal);
      };
      return gate.run(() => calls.run(lookup, timeUp.signal), timeUp.signal).finally(timeUp.end);
    },
    check: (sample, signal) => source.check(sample, signal),
    breakerState: () => BREAKER_STATES[breaker.state],
  };
}

const BREAKER_STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/**
 * The waits between one call's attempts, `budgetMs` in all and never past the lookup's
 * time (`timeLeftMs`): as long as a RetryAfterError asks, when that fits in what is left
 * (else the failure is not retried); otherwise an exponential backoff, cut to what is left
 * since its length is the bridge's to choose.
 */
function waitingWithin(budgetMs: number, timeLeftMs: () => number): { fit(error: unknown): boolean; backoff: IBackoffFactory<IRetryBackoffContext<unknown>> } {
  let budgetLeftMs = budgetMs;
  const leftMs = () => Math.max(0, Math.min(budgetLeftMs, timeLeftMs()));
  const exponential = new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 });
  return {
    fit: (error) => !(error instanceof RetryAfterError) || (error.delayMs ?? 0) <= leftMs(),
    backoff: new DelegateBackoff<IRetryBackoffContext<unknown>, IBackoff<unknown>>((context, previous) => {
      const next = previous ? previous.next(context) : exponential.next();
      const asked = 'error' in context.result && context.result.error instanceof RetryAfterError ? context.result.error.delayMs : undefined;
      const delay = asked ?? Math.min(next.duration, leftMs());
      budgetLeftMs -= delay;
      return { delay, state: next };
    }),
  };
}
