import {
  bulkhead,
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
import { PermanentSourceError, RetryAfterError, type BreakerState, type PhotoSource } from './photo-source.js';

/**
 * The longest Retry-After a retry waits for. Someone is waiting for the photo: beyond
 * this the call fails at once and the next source (or the stored photo) answers instead.
 */
const LONGEST_RETRY_AFTER_MS = 10_000;

export interface ResilienceOptions {
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts after the first, for failures that may pass (network, 5xx, timeouts). */
  retries: number;
  /** Consecutive failed calls that open the circuit… */
  breakerThreshold: number;
  /** …and how long it stays open before one call may try again. */
  breakerHalfOpenMs: number;
  /** Calls in flight at once (BRIDGE_SOURCE_CONCURRENCY); four times as many may wait, then a call fails at once. */
  callsAtOnce?: number;
}

export const DEFAULT_SOURCE_CONCURRENCY = 8;

/**
 * The same resilience around every source: a timeout per attempt, bounded retries
 * with exponential backoff (never for permanent answers such as 403; as long as the
 * upstream asked when it sent Retry-After), and a circuit breaker so a dead upstream
 * costs nothing until it has had time to come back. Around it all, a bulkhead: each call
 * may hold an answer of up to the photo limit, and a breaker counts failures only once
 * they are done, so a burst of misses for different people (a hundred at once from one
 * login against a hostile upstream: RSS 2.2 GB) would all be in flight before it opened.
 * A call past the queue fails at once, and the next source or the stored photo answers.
 */
export function resilient(source: PhotoSource, options: ResilienceOptions): PhotoSource {
  const retriable = handleWhen((error) => !(error instanceof PermanentSourceError));
  const worthRetrying = handleWhen(
    (error) => !(error instanceof PermanentSourceError) && !(error instanceof RetryAfterError && (error.delayMs ?? 0) > LONGEST_RETRY_AFTER_MS),
  );
  const breaker = circuitBreaker(retriable, { halfOpenAfter: options.breakerHalfOpenMs, breaker: new ConsecutiveBreaker(options.breakerThreshold) });
  const callsAtOnce = options.callsAtOnce ?? DEFAULT_SOURCE_CONCURRENCY;
  const policy: IPolicy = wrap(
    bulkhead(callsAtOnce, 4 * callsAtOnce),
    retry(worthRetrying, { maxAttempts: options.retries, backoff: retryAfterOrExponential() }),
    breaker,
    timeout(options.timeoutMs, TimeoutStrategy.Aggressive),
  );
  return {
    name: source.name,
    keepsShape: source.keepsShape,
    accepts: (reference) => source.accepts(reference),
    fetch: (reference, signal) => policy.execute(({ signal: attemptSignal }) => source.fetch(reference, attemptSignal), signal),
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

/** Waits as long as a RetryAfterError asks; otherwise backs off exponentially. */
function retryAfterOrExponential(): IBackoffFactory<IRetryBackoffContext<unknown>> {
  const exponential = new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 });
  return new DelegateBackoff<IRetryBackoffContext<unknown>, IBackoff<unknown>>((context, previous) => {
    const next = previous ? previous.next(context) : exponential.next();
    const asked = 'error' in context.result && context.result.error instanceof RetryAfterError ? context.result.error.delayMs : undefined;
    return { delay: asked ?? next.duration, state: next };
  });
}
