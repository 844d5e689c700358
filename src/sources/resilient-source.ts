import {
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { PermanentSourceError, type PhotoSource } from './photo-source.js';

export interface ResilienceOptions {
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts after the first, for failures that may pass (network, 5xx, timeouts). */
  retries: number;
  /** Consecutive failed calls that open the circuit… */
  breakerThreshold: number;
  /** …and how long it stays open before one call may try again. */
  breakerHalfOpenMs: number;
}

/**
 * The same resilience around every source: a timeout per attempt, bounded retries
 * with exponential backoff (never for permanent answers such as 403), and a circuit
 * breaker so a dead upstream costs nothing until it has had time to come back.
 */
export function resilient(source: PhotoSource, options: ResilienceOptions): PhotoSource {
  const retriable = handleWhen((error) => !(error instanceof PermanentSourceError));
  const policy: IPolicy = wrap(
    retry(retriable, { maxAttempts: options.retries, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }) }),
    circuitBreaker(retriable, { halfOpenAfter: options.breakerHalfOpenMs, breaker: new ConsecutiveBreaker(options.breakerThreshold) }),
    timeout(options.timeoutMs, TimeoutStrategy.Aggressive),
  );
  return {
    name: source.name,
    accepts: (reference) => source.accepts(reference),
    fetch: (reference, signal) => policy.execute(({ signal: attemptSignal }) => source.fetch(reference, attemptSignal), signal),
    check: (sample, signal) => source.check(sample, signal),
  };
}
