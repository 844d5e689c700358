import autocannon from 'autocannon';
import { cpuSecondsOf, machineBusySeconds } from './machine.js';
import { median } from './statistics.js';

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
  /** measureSideBySide: how many rounds the measured seconds are split into. */
  rounds: number;
}

export interface LoadFigures {
  label: string;
  /** Responses per second of measured time. */
  requestsPerSecond: number;
  /** The same, round by round (measureSideBySide), to be compared with other targets' same rounds. */
  roundRequestsPerSecond: number[];
  /** The median of the rounds' p50s. */
  p50Ms: number;
  /** The highest of the rounds' p99s. */
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

/**
 * Targets to be compared with each other, measured side by side: each is warmed up, then
 * the measured seconds are split into rounds and every round runs each target in turn,
 * every other round in the opposite order (A B C, C B A, A B C, …). The speed of a shared
 * or virtual machine drifts by tens of percent within minutes; measured one after the
 * other, two targets can differ by that drift alone. Within a round they see about the
 * same machine, and over a round and its mirror every target's runs are centred on the
 * same moment, so a steady drift weighs on all of them alike, whichever came first. A
 * ratio between two targets is then taken pair of rounds by pair (see medianRatio).
 */
export async function measureSideBySide(targets: readonly LoadTarget[], settings: LoadSettings): Promise<LoadFigures[]> {
  for (const target of targets) await fire(target, settings.connections, settings.warmupSeconds);
  const runs = targets.map((): Run[] => []);
  const seconds = Math.max(1, Math.round(settings.durationSeconds / settings.rounds));
  for (let round = 0; round < settings.rounds; round++) {
    for (let step = 0; step < targets.length; step++) {
      const index = round % 2 === 0 ? step : targets.length - 1 - step;
      runs[index]!.push(await measureRun(targets[index]!, settings.connections, seconds));
    }
  }
  return targets.map((target, index) => figuresOf(target.label, runs[index]!));
}

/**
 * The median, over each round and its mirror (the last round alone when their number is
 * odd), of one target's req/s divided by another's in the same rounds.
 */
export function medianRatio(numerator: LoadFigures, denominator: LoadFigures): number {
  const ratios: number[] = [];
  for (let round = 0; round < numerator.roundRequestsPerSecond.length; round += 2) {
    ratios.push(pairOfRounds(numerator, round) / pairOfRounds(denominator, round));
  }
  return median(ratios);
}

/** A target's req/s in `round` and its mirror, added up. */
function pairOfRounds(figures: LoadFigures, round: number): number {
  return figures.roundRequestsPerSecond.slice(round, round + 2).reduce((sum, perSecond) => sum + perSecond, 0);
}

/** One measured run, with what each process spent meanwhile. */
interface Run {
  result: autocannon.Result;
  wallSeconds: number;
  serverSeconds: number | undefined;
  clientSeconds: number;
  machineSeconds: number | undefined;
}

async function measureRun(target: LoadTarget, connections: number, seconds: number): Promise<Run> {
  const machineBefore = machineBusySeconds();
  const serverBefore = cpuSecondsOfAll(target.serverPids);
  const clientBefore = process.cpuUsage();
  const startedAt = performance.now();
  const result = await fire(target, connections, seconds);
  const wallSeconds = (performance.now() - startedAt) / 1000;
  const clientUsage = process.cpuUsage(clientBefore);
  const serverAfter = cpuSecondsOfAll(target.serverPids);
  const machineAfter = machineBusySeconds();
  return {
    result,
    wallSeconds,
    serverSeconds: serverBefore === undefined || serverAfter === undefined ? undefined : serverAfter - serverBefore,
    clientSeconds: (clientUsage.user + clientUsage.system) / 1e6,
    machineSeconds: machineBefore === undefined || machineAfter === undefined ? undefined : machineAfter - machineBefore,
  };
}

function figuresOf(label: string, runs: readonly Run[]): LoadFigures {
  const total = (of: (run: Run) => number) => runs.reduce((sum, run) => sum + of(run), 0);
  const totalOrUndefined = (of: (run: Run) => number | undefined) => (runs.some((run) => of(run) === undefined) ? undefined : total((run) => of(run)!));
  const responses = total((run) => run.result.requests.total);
  const wallSeconds = total((run) => run.wallSeconds);
  const serverSeconds = totalOrUndefined((run) => run.serverSeconds);
  const machineSeconds = totalOrUndefined((run) => run.machineSeconds);
  const clientSeconds = total((run) => run.clientSeconds);
  const statusCounts: Record<string, number> = {};
  for (const run of runs) {
    for (const [code, { count }] of Object.entries(run.result.statusCodeStats ?? {})) statusCounts[code] = (statusCounts[code] ?? 0) + (count ?? 0);
  }
  return {
    label,
    requestsPerSecond: responses / wallSeconds,
    roundRequestsPerSecond: runs.map((run) => run.result.requests.total / run.wallSeconds),
    p50Ms: median(runs.map((run) => run.result.latency.p50)),
    p99Ms: Math.max(...runs.map((run) => run.result.latency.p99)),
    responses,
    statusCounts,
    non2xx: total((run) => run.result.non2xx),
    errors: total((run) => run.result.errors),
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
