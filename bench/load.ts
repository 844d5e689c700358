import autocannon from 'autocannon';
import { cpuSecondsOf, machineBusySeconds } from './machine.js';

export interface LoadTarget {
  label: string;
  /** One URL, or one per replica: autocannon then spreads its connections over them in turn. */
  url: string | readonly string[];
  headers: Record<string, string>;
  /** For POST targets (SOAP): the request body. */
  body?: string;
  /** The server processes (one per URL's server), whose CPU time is read around the run. */
  serverPids: readonly number[];
}

export interface LoadSettings {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
}

export interface LoadFigures {
  label: string;
  /** Mean of autocannon's per-second samples. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  responses: number;
  /** Responses by status code, e.g. { '200': 123456 }. */
  statusCounts: Record<string, number>;
  non2xx: number;
  /** Connection errors, timeouts included. */
  errors: number;
  /** Server CPU (user + system, all threads) per response: what a request costs, far less tied to the load generator than req/s. */
  serverCpuMicrosPerResponse: number | undefined;
  /** The load generator's own CPU, in % of one core; near 100 % it, not the server, sets the pace. */
  clientCpuPercent: number;
  /**
   * The rest of the machine's busy time during the run, in % of one core: mostly the
   * kernel's loopback TCP work; a much larger figure means other work disturbed the run.
   */
  otherCpuPercent: number | undefined;
}

/** A discarded warm-up run (JIT, keep-alive sockets, caches), then the measured one. */
export async function measureLoad(target: LoadTarget, settings: LoadSettings): Promise<LoadFigures> {
  await fire(target, settings.connections, settings.warmupSeconds);

  const machineBefore = machineBusySeconds();
  const serverBefore = cpuSecondsOfAll(target.serverPids);
  const clientBefore = process.cpuUsage();
  const startedAt = performance.now();
  const result = await fire(target, settings.connections, settings.durationSeconds);
  const wallSeconds = (performance.now() - startedAt) / 1000;
  const clientUsage = process.cpuUsage(clientBefore);
  const serverAfter = cpuSecondsOfAll(target.serverPids);
  const machineAfter = machineBusySeconds();

  const responses = result.requests.total;
  const clientSeconds = (clientUsage.user + clientUsage.system) / 1e6;
  const serverSeconds = serverBefore === undefined || serverAfter === undefined ? undefined : serverAfter - serverBefore;
  const machineSeconds = machineBefore === undefined || machineAfter === undefined ? undefined : machineAfter - machineBefore;
  return {
    label: target.label,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    responses,
    statusCounts: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count ?? 0])),
    non2xx: result.non2xx,
    errors: result.errors,
    serverCpuMicrosPerResponse: serverSeconds === undefined || responses === 0 ? undefined : (serverSeconds * 1e6) / responses,
    clientCpuPercent: (100 * clientSeconds) / wallSeconds,
    otherCpuPercent:
      serverSeconds === undefined || machineSeconds === undefined ? undefined : (100 * (machineSeconds - serverSeconds - clientSeconds)) / wallSeconds,
  };
}

/** Undefined if any one cannot be read. */
function cpuSecondsOfAll(pids: readonly number[]): number | undefined {
  const each = pids.map(cpuSecondsOf);
  return each.includes(undefined) ? undefined : each.reduce<number>((sum, seconds) => sum + seconds!, 0);
}

function fire(target: LoadTarget, connections: number, durationSeconds: number): Promise<autocannon.Result> {
  const method = target.body === undefined ? 'GET' : 'POST';
  // autocannon takes an array of URLs (connection i goes to url[i % n]); its type definitions say string only.
  const url = target.url as string;
  return autocannon({ url, method, headers: target.headers, body: target.body, connections, duration: durationSeconds });
}
