import { BulkheadRejectedError } from 'cockatiel';

/**
 * A lookup whose time was up before its source was asked: it was still waiting for a free
 * call (CallQueue) or behind the first lookup after a start (credential-gate.ts). Like a full
 * queue, it says nothing of the person: "try again".
 */
export class NotAskedInTimeError extends Error {
  constructor() {
    super("the lookup's time was up while it waited for the source");
  }
}

/**
 * An attempt cut because its lookup's time was up: its turn came late, the lookup having
 * waited for a free call, so the cut is the bridge's doing, not a failure of the source (the
 * circuit breaker does not count it). "Try again", as NotAskedInTimeError.
 */
export class CutAtTimeUpError extends Error {
  constructor(cut: unknown) {
    super("the lookup's time was up during an attempt, its turn having come late", { cause: cut });
  }
}

/**
 * Calls to one source in flight at once, and a bounded queue of calls waiting for one to
 * end; a call past the queue fails at once (cockatiel's BulkheadRejectedError). A waiting
 * call whose signal aborts leaves the queue then, with NotAskedInTimeError: cockatiel's
 * bulkhead kept it, and its place, until its turn came, so a lookup's time in the queue
 * was not bounded (60 lookups at a source that never answered waited up to a minute).
 */
export class CallQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly atOnce: number,
    private readonly mayWait: number,
  ) {}

  async run<T>(call: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) throw new NotAskedInTimeError();
    if (this.running < this.atOnce) this.running++;
    else await this.turn(signal);
    try {
      return await call();
    } finally {
      // The place passes straight to the first call waiting, if any.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  private turn(signal: AbortSignal): Promise<void> {
    if (this.waiting.length >= this.mayWait) return Promise.reject(new BulkheadRejectedError(this.atOnce, this.mayWait));
    return new Promise((resolve, reject) => {
      const take = () => {
        signal.removeEventListener('abort', leave);
        resolve();
      };
      const leave = () => {
        this.waiting.splice(this.waiting.indexOf(take), 1);
        reject(new NotAskedInTimeError());
      };
      signal.addEventListener('abort', leave, { once: true });
      this.waiting.push(take);
    });
  }
}

/** Waits for `work` as long as `signal` allows; then NotAskedInTimeError, the work going on for whoever else waits for it. */
export function inTime<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new NotAskedInTimeError());
  return new Promise<T>((resolve, reject) => {
    const leave = () => reject(new NotAskedInTimeError());
    signal.addEventListener('abort', leave, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', leave));
  });
}
