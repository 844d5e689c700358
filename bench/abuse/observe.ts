import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { rawRequest } from '../../test/abuse/raw-request.js';

/** What an attack cost the bridge while it ran, measured from outside. */
export interface Observation<T> {
  result: T;
  ms: number;
  rssBeforeMiB: number | undefined;
  rssAfterMiB: number | undefined;
  /** The highest RSS seen by the /healthz poller during the attack. */
  rssPeakMiB: number | undefined;
  /** The slowest /healthz answer during the attack: how long any other client waited. */
  healthzMaxMs: number;
  /** /healthz answers other than 200, timeouts included. */
  healthzFailures: number;
}

const HEALTHZ_EVERY_MS = 50;
const HEALTHZ_TIMEOUT_MS = 30_000;

/** The resident memory of a process, from /proc (Linux). */
export function rssMiB(pid: number): number | undefined {
  try {
    const kilobytes = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kilobytes === undefined ? undefined : Number(kilobytes) / 1024;
  } catch {
    return undefined;
  }
}

/**
 * Runs one attack while another client polls `/healthz` every 50 ms on its own
 * connection, and reads the bridge's RSS before, during and after.
 */
export async function observe<T>(pid: number, base: string, attack: () => Promise<T>): Promise<Observation<T>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const rssBeforeMiB = rssMiB(pid);
  let rssPeakMiB = rssBeforeMiB;
  let healthzMaxMs = 0;
  let healthzFailures = 0;
  let attacking = true;
  const poll = async () => {
    while (attacking) {
      const started = performance.now();
      const answer = await rawRequest(`${base}/healthz`, { agent, timeoutMs: HEALTHZ_TIMEOUT_MS });
      healthzMaxMs = Math.max(healthzMaxMs, performance.now() - started);
      if (answer.status !== 200) healthzFailures++;
      rssPeakMiB = Math.max(rssPeakMiB ?? 0, rssMiB(pid) ?? 0);
      if (attacking) await sleep(HEALTHZ_EVERY_MS);
    }
  };
  const polling = poll();
  const started = performance.now();
  try {
    const result = await attack();
    const ms = performance.now() - started;
    const rssAfterMiB = rssMiB(pid);
    attacking = false;
    await polling;
    return { result, ms, rssBeforeMiB, rssAfterMiB, rssPeakMiB: Math.max(rssPeakMiB ?? 0, rssAfterMiB ?? 0), healthzMaxMs, healthzFailures };
  } finally {
    attacking = false;
    agent.destroy();
  }
}
