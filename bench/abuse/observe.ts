import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { on, once } from 'node:events';

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

interface PollerReport {
  healthzMaxMs: number;
  healthzFailures: number;
  rssPeakMiB: number;
}

const HEALTHZ_EVERY_MS = 50;
const HEALTHZ_TIMEOUT_MS = 30_000;

/** The resident memory of a process, from /proc (Linux). */
function rssMiB(pid: number): number | undefined {
  try {
    const kilobytes = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kilobytes === undefined ? undefined : Number(kilobytes) / 1024;
  } catch {
    return undefined;
  }
}

// A process of its own, so that the attack's client work (writing 30 MB, reading 4 MB)
// cannot delay a poll and be billed to the bridge: a worker thread of this process was
// starved meanwhile (a poll took 400 ms while a poller in another process, and the
// bridge's own loop, saw 70 at most). Plain CommonJS source, as no loader is needed.
const POLLER_SOURCE = `
const { Agent, get } = require('node:http');
const { readFileSync } = require('node:fs');
const { url, pid, everyMs, timeoutMs } = JSON.parse(process.argv[1]);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const report = { healthzMaxMs: 0, healthzFailures: 0, rssPeakMiB: 0 };
let polling = true;
const rss = () => {
  try { return Number(/VmRSS:\\s+(\\d+) kB/.exec(readFileSync('/proc/' + pid + '/status', 'utf8'))[1]) / 1024; } catch { return 0; }
};
const pollOnce = () => new Promise((done) => {
  const started = performance.now();
  const finish = (ok) => {
    report.healthzMaxMs = Math.max(report.healthzMaxMs, performance.now() - started);
    if (!ok) report.healthzFailures++;
    report.rssPeakMiB = Math.max(report.rssPeakMiB, rss());
    done();
  };
  const req = get(url, { agent }, (res) => { res.resume(); res.on('end', () => finish(res.statusCode === 200)); res.on('error', () => finish(false)); });
  req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
  req.on('error', () => finish(false));
});
process.once('message', () => { polling = false; });
(async () => {
  process.send('polling');
  while (polling) {
    await pollOnce();
    if (polling) await new Promise((resume) => setTimeout(resume, everyMs));
  }
  agent.destroy();
  process.send(report, () => process.disconnect());
})();
`;

async function startPoller(pid: number, base: string): Promise<{ stop(): Promise<PollerReport> }> {
  const settings = { url: `${base}/healthz`, pid, everyMs: HEALTHZ_EVERY_MS, timeoutMs: HEALTHZ_TIMEOUT_MS };
  const poller = spawn(process.execPath, ['-e', POLLER_SOURCE, JSON.stringify(settings)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const messages = on(poller, 'message');
  const failed = once(poller, 'exit').then(([code]) => Promise.reject(new Error(`the /healthz poller exited (${String(code)})`)));
  // Its exit once it has reported is expected: only a race before that reads this.
  failed.catch(() => {});
  const next = async () => (await Promise.race([messages.next(), failed])).value as unknown[];
  await next();
  return {
    async stop() {
      poller.send('stop');
      const [report] = await next();
      return report as PollerReport;
    },
  };
}

/**
 * Runs one attack while another process polls `/healthz` every 50 ms on its own connection,
 * and reads the bridge's RSS before, during and after.
 */
export async function observe<T>(pid: number, base: string, attack: () => Promise<T>): Promise<Observation<T>> {
  const rssBeforeMiB = rssMiB(pid);
  const poller = await startPoller(pid, base);
  const started = performance.now();
  let result: T;
  try {
    result = await attack();
  } catch (error) {
    await poller.stop();
    throw error;
  }
  const ms = performance.now() - started;
  const rssAfterMiB = rssMiB(pid);
  const report = await poller.stop();
  return {
    result,
    ms,
    rssBeforeMiB,
    rssAfterMiB,
    rssPeakMiB: Math.max(report.rssPeakMiB, rssBeforeMiB ?? 0, rssAfterMiB ?? 0),
    healthzMaxMs: report.healthzMaxMs,
    healthzFailures: report.healthzFailures,
  };
}
