import { setTimeout as sleep } from 'node:timers/promises';

/** What the waiting reads time from and waits with; tests pass their own. */
interface Clock {
  now(): number;
  sleep(ms: number): Promise<unknown>;
}

const SYSTEM_CLOCK: Clock = { now: Date.now, sleep: (ms) => sleep(ms) };

interface RetryPolicy {
  /** How long to go on trying after the first try; 0 = one try. */
  readonly waitMs: number;
  /** The wait after the first failure; it doubles after each one, up to `maxDelayMs`. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** Whether a failure is worth another try; any other is thrown at once. */
  readonly mayRetry: (error: unknown) => boolean;
  /** Told of each failure that will be tried again, and how long until then. */
  readonly onRetry: (error: unknown, delayMs: number) => void;
  readonly clock?: Clock;
}

/**
 * Tries `attempt` until it succeeds or the wait is over. The last wait is cut short to end
 * at the deadline and a try is made there: a wait of 15 s means 15 s, not the 7 s after
 * which the next doubled back-off would overshoot it.
 */
export async function retryUntil<T>(attempt: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const clock = policy.clock ?? SYSTEM_CLOCK;
  const giveUpAt = clock.now() + policy.waitMs;
  for (let delayMs = policy.firstDelayMs; ; delayMs = Math.min(delayMs * 2, policy.maxDelayMs)) {
    try {
      return await attempt();
    } catch (error) {
      const left = giveUpAt - clock.now();
      if (left <= 0 || !policy.mayRetry(error)) throw error;
      const waitMs = Math.min(delayMs, left);
      policy.onRetry(error, waitMs);
      await clock.sleep(waitMs);
    }
  }
}
