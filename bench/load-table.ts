import type { LoadFigures } from './load.js';
import { fixed, renderTable } from './table.js';

/** On a quiet machine "other CPU" stays under ~10 % (kernel work not billed to either process). */
const DISTURBED_OTHER_CPU_PERCENT = 25;
/** autocannon is one JavaScript thread: from about here on a core, it sets the pace, not the server. */
const CLIENT_BOUND_CPU_PERCENT = 95;

/** One row per load run, with the CPU columns that say who set the pace. */
export function renderLoadTable(runs: readonly LoadFigures[]): string {
  const header = ['target', 'req/s', 'p50 ms', 'p99 ms', 'responses', 'statuses', 'non-2xx', 'errors', 'server CPU µs/resp', 'client CPU %', 'other CPU %'];
  const rows = runs.map((f) => [
    f.label,
    fixed(f.requestsPerSecond, 0),
    fixed(f.p50Ms, 0),
    fixed(f.p99Ms, 0),
    String(f.responses),
    Object.entries(f.statusCounts)
      .map(([code, count]) => `${code}×${count}`)
      .join(' '),
    String(f.non2xx),
    String(f.errors),
    fixed(f.serverCpuMicrosPerResponse, 1),
    fixed(f.clientCpuPercent, 0),
    fixed(f.otherCpuPercent, 0),
  ]);
  return renderTable(header, rows);
}

/** A warning line when other work on the machine skewed some of the runs, else undefined. */
export function disturbanceWarning(runs: readonly LoadFigures[]): string | undefined {
  const disturbed = runs.filter((f) => (f.otherCpuPercent ?? 0) > DISTURBED_OTHER_CPU_PERCENT);
  if (disturbed.length === 0) return undefined;
  return `WARNING: other work ran during ${disturbed.map((f) => f.label).join(', ')}; rerun on a quiet machine before trusting these figures`;
}

/** A note when the load generator was the limit of some runs (their req/s is its ceiling, not the server's), else undefined. */
export function clientBoundNote(runs: readonly LoadFigures[]): string | undefined {
  const bound = runs.filter((f) => f.clientCpuPercent >= CLIENT_BOUND_CPU_PERCENT);
  if (bound.length === 0) return undefined;
  return `NOTE: autocannon used ${CLIENT_BOUND_CPU_PERCENT} % or more of a core during ${bound.map((f) => f.label).join(', ')}: there it set the pace, so a ratio over such a run flatters the other target`;
}
