import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { BridgeError } from '../domain/errors.js';

/** First pause after a busy answer; it doubles up to the cap, each pause jittered so waiters do not retry in step. */
const FIRST_PAUSE_MS = 2;
const MAX_PAUSE_MS = 100;

/**
 * Runs one piece of synchronous SQLite work that must not wait for a lock on the event
 * loop: the connection's own busy timeout is (nearly) zero, so a lock held by another
 * connection (the CLI, a second server) fails the attempt at once, and the wait happens
 * here, between attempts, with timers — only this caller waits, other requests go on.
 * Each attempt is a whole statement or transaction, so a failed one leaves nothing behind.
 * Every pause is counted in `waits`, for the metrics.
 */
export async function retryWhileBusy<T>(attempt: () => T, budgetMs: number, waits: { count: number }): Promise<T> {
  const deadline = performance.now() + budgetMs;
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    try {
      return attempt();
    } catch (error) {
      if (!isBusy(error)) throw error;
      const left = deadline - performance.now();
      if (left <= 0) throw BridgeError.storeBusy(budgetMs);
      waits.count++;
      await sleep(Math.min(left, pause * (0.5 + Math.random())));
    }
  }
}

/** SQLITE_BUSY and SQLITE_LOCKED with their extended codes (SQLITE_BUSY_SNAPSHOT, …): another connection is in the way. */
export function isBusy(error: unknown): boolean {
  return error instanceof Database.SqliteError && isBusyCode(error.code);
}

export function isBusyCode(code: string | undefined): boolean {
  return code !== undefined && /^SQLITE_(BUSY|LOCKED)/.test(code);
}
