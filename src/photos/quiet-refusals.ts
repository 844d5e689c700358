import { performance } from 'node:perf_hooks';
import { isBrokenCircuitError, isBulkheadRejectedError } from 'cockatiel';
import type { Logger } from '../logger.js';
import { NotAskedInTimeError } from '../sources/call-queue.js';
import { SourcePausedError } from '../sources/credential-gate.js';

/** How long one warning stands for a source's later refusals. */
const WINDOW_MS = 10_000;

/** A lookup its source never saw: the circuit open (or isolated), its queue full or its time up in it, or its credentials' refusal standing. */
export function sourceNotAsked(error: unknown): boolean {
  return isBrokenCircuitError(error) || isBulkheadRejectedError(error) || error instanceof NotAskedInTimeError || error instanceof SourcePausedError;
}

/**
 * Warnings that a source was not asked, at most one a window per source, each saying how
 * many went unlogged before it: every lookup refused had logged its own line, a thousand a
 * second from one login asking for missing people while a source was down. Why the source
 * stopped being asked is logged once, as its circuit opens (source-settings.ts).
 */
export class QuietRefusals {
  private readonly lastLogged = new Map<string, { at: number; unlogged: number }>();

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = () => performance.now(),
  ) {}

  warn(source: string, reason: string): void {
    const now = this.now();
    const last = this.lastLogged.get(source);
    if (last && now - last.at < WINDOW_MS) {
      last.unlogged++;
      return;
    }
    this.lastLogged.set(source, { at: now, unlogged: 0 });
    this.log.warn({ source, reason, unloggedBefore: last?.unlogged ?? 0 }, 'photo source not asked; trying the next');
  }
}
