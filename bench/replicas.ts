/**
 * Replicas on one PostgreSQL (issue 11 §8): the cached REST photo through one bridge,
 * then through two on the same database; how long a photo PUT on one takes to show on
 * the other; start-up time and memory on SQLite and PostgreSQL. `npm run bench:replicas`;
 * see bench/README.md.
 *
 * Exit status: 0 all good; 1 a correctness check failed or the run broke (the figures
 * mean nothing); 2 the figures are sound but a performance target was missed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freshDatabase } from '../test/support/postgres.js';
import { freePort, startChild, stopAllChildren, stopChild, waitUntilAnswering, type Child } from './children.js';
import { BASIC_AUTHORIZATION, BENCH_USER, benchEnv, photoLikeJpeg, prepareDatabase } from './fixture.js';
import { CLI, fetchPhoto } from './http.js';
import { measureSideBySide, medianRatio, type LoadFigures, type LoadSettings } from './load.js';
import { disturbanceWarning, renderLoadTable } from './load-table.js';
import { describeMachine, machineBusyPercent } from './machine.js';
import { rssMebibytesOf } from './rss.js';
import { median } from './statistics.js';
import { fixed, renderTable } from './table.js';
import { loadSettingsOf, runBench, verdict, type Check } from './verdict.js';

/** Issue 11 §8: two replicas serve at least 1.8× one, when the load generator has the cores. */
const TARGET_TWO_TO_ONE = 1.8;
/** Issue 11 §2: a change made through one replica drops the others' cached renditions within a second. */
const TARGET_PROPAGATION_MS = 1000;
const PROPAGATION_CHANGES = 10;
/** Between two GETs of replica B while it still serves the old ETag. */
const PROPAGATION_POLL_MS = 5;
/** A change not seen by then counts as lost. */
const PROPAGATION_PATIENCE_MS = 5000;
/** Start-up is timed to this resolution. */
const STARTUP_POLL_MS = 5;
const STARTUP_TIMEOUT_MS = 30_000;
const CONTACT_PHOTO_SIDE = 200;
/** The photos PUT during the propagation runs: all different, so every PUT changes the ETag. */
const CHANGED_PHOTO_SIDE = 240;
const ADMIN = { email: 'bench.admin@example.com', password: 'bench admin password' };
const ADMIN_AUTHORIZATION = `Basic ${Buffer.from(`${ADMIN.email}:${ADMIN.password}`).toString('base64')}`;

/** One `serve` process, timed from spawn to its first /healthz 200. */
interface Replica {
  name: string;
  child: Child;
  base: string;
  startMs: number;
  rssAtStartMiB: number | undefined;
  rssAfterLoadMiB?: number | undefined;
}

interface PropagationSample {
  /** From the PUT's answer on A (its transaction committed) to B's first answer with another ETag. */
  ms: number;
  putMs: number;
  /**
   * The GET that brought B's new ETag, on its own: B reads the new photo and resizes it,
   * and re-reads the caller's account row (a change from another process makes every
   * remembered login do that once; no password hashing).
   */
  lastGetMs: number;
  seen: boolean;
  /** B's new ETag is the one A serves: the ETag is the same on every replica. */
  sameAsA: boolean;
}

interface Figures {
  sqliteLoad: LoadFigures;
  oneReplica: LoadFigures;
  twoReplicas: LoadFigures;
  replicas: Replica[];
  propagation: PropagationSample[];
  checks: Check[];
}

async function main(load: LoadSettings): Promise<number> {
  const busy = await machineBusyPercent();
  console.log(`machine: ${describeMachine()}; ${fixed(busy, 0)} % busy before the bench started; ${new Date().toISOString()}`);
  console.log(
    `load: ${load.connections} connections in all, ${load.warmupSeconds} s warm-up + ${load.durationSeconds} s measured per run in ${load.rounds} rounds, the runs in turn within each, every other round in reverse\n`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'epb-bench-replicas-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const [photo, contactPhoto] = [await photoLikeJpeg(648), await photoLikeJpeg(CONTACT_PHOTO_SIDE)];
  const sqliteEnv = { BRIDGE_DB: prepareDatabase(CLI, dir, photo, contactPhoto) };
  const postgresEnv = { BRIDGE_DATABASE_URL: await freshDatabase() };
  prepareDatabase(CLI, dir, photo, contactPhoto, postgresEnv);
  addAdminAccount(postgresEnv);

  const figures = await measure(load, sqliteEnv, postgresEnv);
  report(figures);
  const { checks } = figures;
  return verdict(checks);
}

/** The admin login the propagation runs PUT photos with, made as an operator would. */
function addAdminAccount(storeEnv: Record<string, string>): void {
  execFileSync(process.execPath, [CLI, 'account', 'add', ADMIN.email, '--role', 'admin', '--password-stdin'], {
    env: benchEnv(storeEnv),
    input: `${ADMIN.password}\n`,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

async function measure(load: LoadSettings, sqliteEnv: Record<string, string>, postgresEnv: Record<string, string>): Promise<Figures> {
  const checks: Check[] = [];
  try {
    const sqlite = await startReplica('bridge on SQLite', sqliteEnv);
    const a = await startReplica('replica A on PostgreSQL', postgresEnv);
    const b = await startReplica('replica B on PostgreSQL', postgresEnv);
    const [sqliteEtag, etagOnA, etagOnB] = [await firstPhotoEtag(sqlite), await firstPhotoEtag(a), await firstPhotoEtag(b)];
    checks.push({
      what: `the same photo has the same ETag on SQLite, A and B (${etagOnA})`,
      ok: etagOnA === etagOnB && etagOnA === sqliteEtag,
      kind: 'correctness',
    });
    // Side by side, in rounds (load.ts): one replica and two are compared on the same minutes of this machine.
    const headers = { authorization: BASIC_AUTHORIZATION };
    const [sqliteLoad, oneReplica, twoReplicas] = (await measureSideBySide(
      [
        { label: 'SQLite, one bridge', url: photoUrl(sqlite), headers, serverPids: [pid(sqlite)] },
        { label: 'PostgreSQL, one replica (A)', url: photoUrl(a), headers, serverPids: [pid(a)] },
        { label: 'PostgreSQL, two replicas (A+B)', url: [photoUrl(a), photoUrl(b)], headers, serverPids: [pid(a), pid(b)] },
      ],
      load,
    )) as [LoadFigures, LoadFigures, LoadFigures];
    for (const replica of [sqlite, a, b]) replica.rssAfterLoadMiB = rssMebibytesOf(pid(replica));
    await stopChild(sqlite.child);

    const propagation = await measurePropagation(a, b);
    checks.push(...loadChecks([sqliteLoad, oneReplica, twoReplicas]), ...targetChecks(oneReplica, twoReplicas, propagation));
    return { sqliteLoad, oneReplica, twoReplicas, replicas: [sqlite, a, b], propagation, checks };
  } finally {
    await stopAllChildren();
  }
}

async function startReplica(name: string, storeEnv: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const started = performance.now();
  const child = startChild(name, [CLI, 'serve', '--port', String(port), '--no-demo'], benchEnv(storeEnv));
  const base = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(child, `${base}/healthz`, STARTUP_TIMEOUT_MS, STARTUP_POLL_MS);
  const startMs = performance.now() - started;
  return { name, child, base, startMs, rssAtStartMiB: rssMebibytesOf(child.process.pid!) };
}

function pid(replica: Replica): number {
  return replica.child.process.pid!;
}

function photoUrl(replica: Replica): string {
  return `${replica.base}/ews/exchange.asmx/s/GetUserPhoto?email=${encodeURIComponent(BENCH_USER.email)}&size=HR96x96`;
}

/** Without a real 200 there is nothing worth measuring: the load runs would time 401s. */
async function firstPhotoEtag(replica: Replica): Promise<string> {
  const first = await fetchPhoto(photoUrl(replica), 96);
  if (!first.ok) throw new Error(`${replica.name} did not serve ${BENCH_USER.email}'s photo at HR96x96:\n${replica.child.stderrTail()}`);
  return first.etag;
}

/** The ETag the replica serves now, as a polling client sees it. */
async function currentEtag(replica: Replica): Promise<string> {
  const response = await fetch(photoUrl(replica), { headers: { authorization: BASIC_AUTHORIZATION } });
  await response.arrayBuffer();
  const etag = response.headers.get('etag');
  if (response.status !== 200 || etag === null) throw new Error(`${replica.name} answered ${response.status} without an ETag:\n${replica.child.stderrTail()}`);
  return etag;
}

/** Each time: B's ETag (its rendition cached), a new photo PUT on A, then B asked every few ms until its ETag changes. */
async function measurePropagation(a: Replica, b: Replica): Promise<PropagationSample[]> {
  const samples: PropagationSample[] = [];
  for (let change = 1; change <= PROPAGATION_CHANGES; change++) {
    const image = await photoLikeJpeg(CHANGED_PHOTO_SIDE, 1000 + change);
    const before = await currentEtag(b);
    const putStarted = performance.now();
    const put = await fetch(`${a.base}/admin/users/${encodeURIComponent(BENCH_USER.email)}/photo`, {
      method: 'PUT',
      headers: { authorization: ADMIN_AUTHORIZATION, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(image),
    });
    const putBody = await put.text();
    const committedAt = performance.now();
    if (put.status !== 200) throw new Error(`PUT of a photo on ${a.name} answered ${put.status}: ${putBody.slice(0, 500)}`);
    let getStarted = performance.now();
    let etag = await currentEtag(b);
    while (etag === before && performance.now() - committedAt < PROPAGATION_PATIENCE_MS) {
      await sleep(PROPAGATION_POLL_MS);
      getStarted = performance.now();
      etag = await currentEtag(b);
    }
    const seenAt = performance.now();
    samples.push({
      ms: seenAt - committedAt,
      putMs: committedAt - putStarted,
      lastGetMs: seenAt - getStarted,
      seen: etag !== before,
      sameAsA: etag === (await currentEtag(a)),
    });
  }
  return samples;
}

function loadChecks(runs: readonly LoadFigures[]): Check[] {
  return runs.map((f) => {
    const statuses = Object.keys(f.statusCounts);
    return {
      what: `${f.label}: only 200s, no errors`,
      ok: f.errors === 0 && f.responses > 0 && statuses.length === 1 && statuses[0] === '200',
      kind: 'correctness',
    };
  });
}

function targetChecks(one: LoadFigures, two: LoadFigures, propagation: readonly PropagationSample[]): Check[] {
  const ratio = twoToOne(one, two);
  const slowest = Math.max(...propagation.map((s) => s.ms));
  return [
    {
      what: `every PUT on A seen on B within ${PROPAGATION_PATIENCE_MS / 1000} s, with A's ETag`,
      ok: propagation.every((s) => s.seen && s.sameAsA),
      kind: 'correctness',
    },
    { what: `two replicas / one ≥ ${TARGET_TWO_TO_ONE} (is ${ratio.toFixed(2)})`, ok: ratio >= TARGET_TWO_TO_ONE, kind: 'target' },
    { what: `propagation max ≤ ${TARGET_PROPAGATION_MS} ms (is ${slowest.toFixed(0)})`, ok: slowest <= TARGET_PROPAGATION_MS, kind: 'target' },
  ];
}

function twoToOne(one: LoadFigures, two: LoadFigures): number {
  return medianRatio(two, one);
}

/** Server CPU in % of one core during the run: µs per response × responses per second. */
function serverCpuPercent(f: LoadFigures): number | undefined {
  return f.serverCpuMicrosPerResponse === undefined ? undefined : (f.serverCpuMicrosPerResponse * f.requestsPerSecond) / 1e4;
}

function report(figures: Figures): void {
  const runs = [figures.sqliteLoad, figures.oneReplica, figures.twoReplicas];
  console.log('Cached REST photo, GET /ews/exchange.asmx/s/GetUserPhoto?…&size=HR96x96 with Basic auth');
  console.log('(autocannon in this process, keep-alive; two replicas: one autocannon with both URLs, connections alternating; latency has 1 ms resolution)');
  console.log(renderLoadTable(runs));
  const ratio = twoToOne(figures.oneReplica, figures.twoReplicas);
  console.log(`ratio two replicas / one (req/s): ${ratio.toFixed(2)}  (target ≥ ${TARGET_TWO_TO_ONE} when the load generator has the cores)`);
  for (const f of runs)
    console.log(
      `  ${f.label}: servers ${fixed(serverCpuPercent(f), 0)} % + client ${fixed(f.clientCpuPercent, 0)} % + other ${fixed(f.otherCpuPercent, 0)} % of one core`,
    );
  const cores = cpus().length;
  console.log(
    `  this machine has ${cores} cores (${cores * 100} % in all): when the sum above is near that, the cores, not the bridge, set the pace, and a second replica can only share them`,
  );
  const warning = disturbanceWarning(runs);
  if (warning) console.log(warning);

  const sorted = (pick: (s: PropagationSample) => number) => figures.propagation.map(pick).sort((x, y) => x - y);
  const times = sorted((s) => s.ms);
  const puts = sorted((s) => s.putMs);
  const lastGets = sorted((s) => s.lastGetMs);
  const untilLastGet = sorted((s) => s.ms - s.lastGetMs);
  const p50AndMax = (values: readonly number[]) => `${fixed(median(values), 1)} / ${fixed(values.at(-1), 1)}`;
  console.log(
    `\nPropagation: a new photo PUT on A (admin API), B polled every ${PROPAGATION_POLL_MS} ms until its ETag changes; from A's answer to B's new ETag`,
  );
  console.log(
    renderTable(
      ['changes', 'seen on B', 'same ETag as A', 'total p50 / max ms', 'until the GET that saw it began, p50 / max', 'that GET p50 / max', 'PUT on A p50 ms'],
      [
        [
          String(times.length),
          String(figures.propagation.filter((s) => s.seen).length),
          String(figures.propagation.filter((s) => s.sameAsA).length),
          p50AndMax(times),
          p50AndMax(untilLastGet),
          p50AndMax(lastGets),
          fixed(median(puts), 1),
        ],
      ],
    ),
  );

  console.log(`\nStart-up (spawn → first /healthz 200, polled every ${STARTUP_POLL_MS} ms, one start each) and resident memory (VmRSS)`);
  console.log(
    renderTable(
      ['process', 'start-up ms', 'RSS after start MiB', 'RSS after load MiB'],
      figures.replicas.map((r) => [r.name, fixed(r.startMs, 0), fixed(r.rssAtStartMiB, 0), fixed(r.rssAfterLoadMiB, 0)]),
    ),
  );
}

const load = loadSettingsOf(process.env);
runBench(() => main(load), load, 9);
