import type { LoadSettings } from './load.js';
import { renderTable } from './table.js';

/** One thing a bench run checks. */
export interface Check {
  what: string;
  ok: boolean;
  /** A failed correctness check voids the figures; a missed target is a finding. */
  kind: 'correctness' | 'target';
}

/** Load settings from BENCH_DURATION (seconds measured per target, 10 by default) and BENCH_ROUNDS (10 by default: five rounds and their mirrors, a second each). */
export function loadSettingsOf(env: NodeJS.ProcessEnv): LoadSettings {
  const duration = Number(env.BENCH_DURATION ?? 10);
  if (!Number.isFinite(duration) || duration < 1) throw new Error(`BENCH_DURATION must be a number of seconds ≥ 1, got '${env.BENCH_DURATION}'`);
  const rounds = Number(env.BENCH_ROUNDS ?? 10);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > duration)
    throw new Error(`BENCH_ROUNDS must be a whole number from 1 to BENCH_DURATION, got '${env.BENCH_ROUNDS}'`);
  return { connections: 50, warmupSeconds: 2, durationSeconds: duration, rounds };
}

/** Prints the checks; the exit status: 0 all good, 1 a correctness check failed (the figures are void), 2 a target was missed. */
export function verdict(checks: readonly Check[]): number {
  console.log(
    `\n${renderTable(
      ['check', 'kind', 'result'],
      checks.map((c) => [c.what, c.kind, c.ok ? 'ok' : 'FAIL']),
    )}`,
  );
  if (checks.some((c) => !c.ok && c.kind === 'correctness')) return 1;
  return checks.some((c) => !c.ok) ? 2 : 0;
}

/**
 * Runs a bench's main and exits with its status, however it goes: a hung server or a
 * stalled connection ends it after `loadRuns` load runs' worth of time plus set-up; a
 * signal or a throw ends it too (child processes are stopped on exit, see children.ts).
 */
export function runBench(main: () => Promise<number>, load: LoadSettings, loadRuns: number): void {
  const budgetMs = (loadRuns * (load.warmupSeconds + load.durationSeconds) + 180) * 1000;
  setTimeout(() => {
    console.error(`bench: gave up after ${budgetMs / 1000} s`);
    process.exit(1);
  }, budgetMs).unref();
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
