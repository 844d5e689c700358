import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** One line that says what the figures were measured on. */
export function describeMachine(): string {
  const all = cpus();
  return `${all[0]?.model.trim() ?? 'unknown CPU'}, ${all.length} cores, node ${process.version}, linux clock ${CLOCK_TICKS_PER_SECOND ?? 'n/a'} Hz`;
}

const CLOCK_TICKS_PER_SECOND = linuxClockTicks();

function linuxClockTicks(): number | undefined {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc; undefined where
 * there is no /proc. It lets the report say what a request costs the server, a figure
 * that does not depend on how fast the load generator is.
 */
export function cpuSecondsOf(pid: number): number | undefined {
  if (!CLOCK_TICKS_PER_SECOND) return undefined;
  try {
    // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND; // utime, stime
  } catch {
    return undefined;
  }
}

/**
 * How busy the whole machine is over `ms`, in % of all cores, before the bench starts
 * anything: on a shared host, other work there skews every throughput figure.
 */
export async function machineBusyPercent(ms = 1000): Promise<number | undefined> {
  const before = cpuTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuTicks();
  if (!before || !after) return undefined;
  const total = after.total - before.total;
  return total > 0 ? (100 * (after.busy - before.busy)) / total : undefined;
}

/** CPU seconds all cores have spent busy since boot (kernel work included); undefined without /proc. */
export function machineBusySeconds(): number | undefined {
  const ticks = cpuTicks();
  return ticks && CLOCK_TICKS_PER_SECOND ? ticks.busy / CLOCK_TICKS_PER_SECOND : undefined;
}

function cpuTicks(): { total: number; busy: number } | undefined {
  try {
    // First line of /proc/stat: "cpu user nice system idle iowait irq softirq steal …", in ticks.
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((sum, value) => sum + value, 0);
    return { total, busy: total - ticks[3]! - ticks[4]! };
  } catch {
    return undefined;
  }
}
