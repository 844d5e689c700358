/**
 * `npm run bench:directory`: a 1,000,000-person directory on SQLite and on PostgreSQL —
 * import rate, ResolveNames and directory search latency, server start-up and memory.
 * See bench/README.md ("Directory at a million people").
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { hashPassword } from '../src/auth/password-hash.js';
import { findPeople } from '../src/people/find-people.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Store, UserPosition } from '../src/store/store.js';
import { USER_LIST_TOP } from '../src/rest/graph-user-query.js';
import { freshDatabase } from '../test/support/postgres.js';
import { freePort, startChild, stopChild, waitUntilAnswering } from './children.js';
import { benchPerson, benchQueries } from './directory-people.js';
import { BASIC_AUTHORIZATION, BENCH_USER, benchEnv } from './fixture.js';
import { describeMachine, machineBusyPercent } from './machine.js';
import { nearestRank } from './statistics.js';
import { fixed, renderTable } from './table.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const USERS = Number(process.env.BENCH_DIRECTORY_USERS ?? 1_000_000);
/** Which stores to measure, by name, comma-separated (case-insensitive): both unless told. */
const STORES = (process.env.BENCH_DIRECTORY_STORES ?? 'sqlite,postgresql').toLowerCase().split(',');
/** As ResolveNames asks: its 100 resolutions and one more to tell whether there were more. */
const RESOLVE_LIMIT = 100;
/** As the directory page asks: 48 cards and one more for hasMore. */
const PAGE = 48;
/**
 * The bench's PostgreSQL server, set as an operator sets one for this directory:
 * shared_buffers holding its table and indexes (~1.2 GB at a million people; the default
 * 128 MB made searches read pages from the OS cache one by one, twice as slow), and
 * max_wal_size large enough that a million-person import is not cut by checkpoints (the
 * default 1 GB made three or four, ~10 % of its time: PostgreSQL's "Populating a
 * Database" advice).
 */
const POSTGRES_SETTINGS = { shared_buffers: '2GB', max_wal_size: '8GB' };
const TARGETS = { importRowsPerSecond: 20_000, resolveP99Ms: 5, directoryP99Ms: 20 };

interface Backend {
  name: string;
  open(): Promise<Store>;
  /** What the store's server would do on its own after a large import, done before the searches are timed. */
  settle?(): Promise<void>;
  serverEnv: Record<string, string>;
}

interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

interface Latencies extends Percentiles {
  slowest: string[];
  /** The same by kind of query (directory-people.ts), in the order the kinds come. */
  byKind: (Percentiles & { kind: string; count: number })[];
}

/**
 * Searches whose thousands of matches all sort last (the last given names, with a company
 * word): a word tier's walk of the name index finds none of them, so it is bounded and the
 * rest sorted. Timed apart: what an adversary picks, not what the targets are about.
 */
const LATE_QUERIES = ['zsofia contoso', 'zsofia fabrikam', 'zs northwind', 'zoe contoso', 'zsof cont'].map((text) => ({ kind: 'matches sorting last', text }));

/** Graph's `GET /users` walked to its end by position, $top at the most, and the counts `$count` asks. */
interface UserListFigures {
  pages: number;
  walkSeconds: number;
  page: Percentiles;
  countAllMs: number;
  countPrefixMs: { prefix: string; count: number; ms: number }[];
}

interface Figures {
  backend: string;
  late: Latencies;
  users: UserListFigures;
  importSeconds: number;
  importRate: number;
  resolve: Latencies;
  directory: Latencies;
  http: Latencies;
  startEmptyMs: number;
  startFullMs: number;
  rssMb: number;
}

async function main(): Promise<void> {
  console.log(describeMachine());
  console.log(`machine busy before the run: ${fixed(await machineBusyPercent())} % of all cores\n`);
  const dir = mkdtempSync(join(tmpdir(), 'epb-bench-directory-'));
  try {
    const sqlitePath = join(dir, 'bridge.db');
    const postgresUrl = await freshDatabase(POSTGRES_SETTINGS);
    const backends: Backend[] = [
      { name: 'SQLite', open: () => Promise.resolve(new SqliteStore(sqlitePath)), serverEnv: { BRIDGE_DB: sqlitePath } },
      {
        name: 'PostgreSQL',
        open: () => PostgresStore.open(postgresUrl),
        settle: () => vacuumAfterImport(postgresUrl),
        serverEnv: { BRIDGE_DATABASE_URL: postgresUrl, BRIDGE_DB: join(dir, 'unused.db') },
      },
    ];
    const figures: Figures[] = [];
    for (const backend of backends.filter((b) => STORES.includes(b.name.toLowerCase()))) figures.push(await measure(backend));
    report(figures);
    const missed = figures.some(
      (f) => f.importRate < TARGETS.importRowsPerSecond || f.resolve.p99 > TARGETS.resolveP99Ms || f.directory.p99 > TARGETS.directoryP99Ms,
    );
    process.exitCode = missed ? 2 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The import's time; the generated people are garbage once it returns, so that the searches do not pay for collecting them. */
async function importPeople(store: Store): Promise<number> {
  const people = Array.from({ length: USERS }, (_, i) => benchPerson(i));
  const started = performance.now();
  await store.upsertUsers(people);
  return performance.now() - started;
}

async function measure(backend: Backend): Promise<Figures> {
  console.log(`${backend.name}: start-up on an empty store…`);
  const empty = await startServer(backend);
  // Stopped before the import, so that its store's background work does not run beside the import and the searches.
  await empty.stop();
  const startEmptyMs = empty.startMs;

  console.log(`${backend.name}: importing ${USERS.toLocaleString('en')} people in one call, as the CLI imports a file…`);
  const store = await backend.open();
  const importMs = await importPeople(store);
  // The million generated people are garbage now: collected here, not by a major GC in the middle of the timed searches.
  globalThis.gc?.();
  await store.putAccount(BENCH_USER.email, await hashPassword(BENCH_USER.password), 'user');
  if ((await store.countUsers()) !== USERS) throw new Error(`${backend.name}: expected ${USERS} users after the import`);

  if (backend.settle) {
    const settling = performance.now();
    await backend.settle();
    console.log(`${backend.name}: vacuumed and analyzed after the import, as autovacuum would, in ${fixed((performance.now() - settling) / 1000, 1)} s`);
  }
  console.log(`${backend.name}: searching…`);
  const queries = benchQueries();
  const resolve = await latencies(queries, (q) => findPeople(store, undefined, q, 'ActiveDirectory', RESOLVE_LIMIT));
  const directory = await latencies(queries, (q) => store.searchDirectory(q, 0, PAGE + 1));
  const late = await latencies(LATE_QUERIES, (q) => store.searchDirectory(q, 0, PAGE + 1));
  const users = await walkUsers(store);
  await store.close();

  console.log(`${backend.name}: start-up with the directory, and /api/people over HTTP…`);
  const server = await startServer(backend);
  try {
    const http = await latencies(queries, async (q) => {
      const response = await fetch(`${server.url}/api/people?q=${encodeURIComponent(q)}`, { headers: { authorization: BASIC_AUTHORIZATION } });
      if (!response.ok) throw new Error(`/api/people?q=${q}: HTTP ${response.status}`);
      return response.json();
    });
    return {
      backend: backend.name,
      late,
      users,
      importSeconds: importMs / 1000,
      importRate: USERS / (importMs / 1000),
      resolve,
      directory,
      http,
      startEmptyMs,
      startFullMs: server.startMs,
      rssMb: server.rssMb(),
    };
  } finally {
    await server.stop();
  }
}

/**
 * Every user through Graph's `GET /users` pages, as a client following each nextLink walks
 * them (store.pageUsers with the largest `$top`), each page timed; then what `$count=true`
 * costs for everyone and for name prefixes of one and two letters.
 */
async function walkUsers(store: Store): Promise<UserListFigures> {
  const pageMs: number[] = [];
  const started = performance.now();
  let seen = 0;
  for (let after: UserPosition | undefined, more = true; more;) {
    const pageStarted = performance.now();
    const page = await store.pageUsers('name', '', after, USER_LIST_TOP.max);
    pageMs.push(performance.now() - pageStarted);
    seen += page.users.length;
    after = page.next;
    more = page.next !== undefined;
  }
  const walkSeconds = (performance.now() - started) / 1000;
  if (seen !== USERS) throw new Error(`GET /users walked ${seen} users of ${USERS}`);
  const timed = async <T>(run: () => Promise<T>) => {
    const at = performance.now();
    const value = await run();
    return { value, ms: performance.now() - at };
  };
  const all = await timed(() => store.countUsersByPrefix('name', ''));
  if (all.value !== USERS) throw new Error(`$count counted ${all.value} users of ${USERS}`);
  const countAllMs = all.ms;
  const countPrefixMs = [];
  for (const prefix of ['a', 'm', 'ma', 'zs']) {
    const { value, ms } = await timed(() => store.countUsersByPrefix('name', prefix));
    countPrefixMs.push({ prefix, count: value, ms });
  }
  return { pages: pageMs.length, walkSeconds, page: percentiles(pageMs), countAllMs, countPrefixMs };
}

/**
 * One untimed pass to warm caches, then TIMED_PASSES timed passes over all the queries; a
 * query's latency is the median of its passes. On this shared 2-core VM a single sample
 * is now and then a scheduler's hiccup of 10–20 ms, and the p99 of 330 single samples
 * was the fourth-worst hiccup more often than the fourth-slowest query.
 */
async function latencies(queries: readonly { kind: string; text: string }[], run: (q: string) => Promise<unknown>): Promise<Latencies> {
  for (const { text } of queries) await run(text);
  const samples = queries.map((): number[] => []);
  for (let pass = 0; pass < TIMED_PASSES; pass++) {
    for (const [i, { text }] of queries.entries()) {
      const started = performance.now();
      await run(text);
      samples[i]!.push(performance.now() - started);
    }
  }
  const timed = queries.map(({ kind, text }, i) => {
    const ms = samples[i]!.sort((a, b) => a - b)[TIMED_PASSES >> 1]!;
    return { ms, label: `"${text}" (${kind}) ${fixed(ms)} ms` };
  });
  const kinds = [...new Set(queries.map((q) => q.kind))];
  const byKind = kinds.map((kind) => {
    const ms = timed.filter((_, i) => queries[i]!.kind === kind).map((t) => t.ms);
    return { kind, count: ms.length, ...percentiles(ms) };
  });
  timed.sort((a, b) => a.ms - b.ms);
  return { ...percentiles(timed.map((t) => t.ms)), slowest: timed.slice(-5).map((t) => t.label), byKind };
}

function percentiles(samples: readonly number[]): Percentiles {
  const ascending = [...samples].sort((a, b) => a - b);
  return { p50: nearestRank(ascending, 0.5), p99: nearestRank(ascending, 0.99), max: ascending.at(-1)! };
}

const TIMED_PASSES = 3;

/**
 * PostgreSQL vacuums and analyzes a table on its own after a large insert (autovacuum,
 * within a minute): seconds of work on both cores, once. The bench does that pass itself
 * before the timed searches, so that they measure the directory as it is searched
 * afterwards, not autovacuum's work (at a million people it came by during them).
 */
async function vacuumAfterImport(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('VACUUM (ANALYZE) users');
  } finally {
    await client.end();
  }
}

interface Server {
  url: string;
  startMs: number;
  rssMb(): number;
  stop(): Promise<void>;
}

/** The bridge as an operator starts it; start-up is until /readyz answers 200. */
async function startServer(backend: Backend): Promise<Server> {
  const port = await freePort();
  const started = performance.now();
  const child = startChild(
    `bridge on ${backend.name}`,
    ['--import', 'tsx', join(ROOT, 'src', 'cli.ts'), 'serve', '--port', String(port), '--no-demo'],
    // The searches' latency is measured, not the account's share of the store: one account asks
    // all of them back to back, which at the default share of 250 ms a second it may not.
    benchEnv({ ...backend.serverEnv, BRIDGE_ACCESS_LOG: 'false', BRIDGE_SEARCH_MS_PER_SECOND: '1000' }),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(child, `${url}/readyz`, 120_000);
  const startMs = performance.now() - started;
  return {
    url,
    startMs,
    rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.process.pid}/status`, 'utf8'))![1]) / 1024,
    stop: () => stopChild(child),
  };
}

function report(figures: readonly Figures[]): void {
  const ms = (l: Percentiles) => `${fixed(l.p50, 2)} / ${fixed(l.p99, 2)} / ${fixed(l.max, 1)}`;
  console.log(`\nDirectory of ${USERS.toLocaleString('en')} people, ${benchQueries().length} queries (latencies p50 / p99 / max, ms)\n`);
  console.log(
    renderTable(
      ['store', 'import rows/s', 'import s', 'ResolveNames', 'searchDirectory', 'GET /api/people', 'start-up empty ms', 'start-up 1M ms', 'server RSS MB'],
      figures.map((f) => [
        f.backend,
        fixed(f.importRate, 0),
        fixed(f.importSeconds, 1),
        ms(f.resolve),
        ms(f.directory),
        ms(f.http),
        fixed(f.startEmptyMs, 0),
        fixed(f.startFullMs, 0),
        fixed(f.rssMb, 0),
      ]),
    ),
  );
  console.log(
    `\ntargets: import ≥ ${TARGETS.importRowsPerSecond} rows/s, ResolveNames p99 ≤ ${TARGETS.resolveP99Ms} ms, directory search p99 ≤ ${TARGETS.directoryP99Ms} ms`,
  );
  const kinds = figures[0]?.resolve.byKind.map((k) => `${k.kind} (${k.count})`) ?? [];
  console.log('\nResolveNames by kind of query, p50 / p99 / max ms (the target is over all of them):');
  console.log(
    renderTable(
      ['kind (queries)', ...figures.map((f) => f.backend)],
      kinds.map((kind, i) => [kind, ...figures.map((f) => ms(f.resolve.byKind[i]!))]),
    ),
  );
  console.log(`\nGraph GET /users walked to its end, ${USER_LIST_TOP.max} a page (not in the targets):`);
  console.log(
    renderTable(
      [
        'store',
        'pages',
        'walk s',
        'page p50 / p99 / max ms',
        '$count all ms',
        ...(figures[0]?.users.countPrefixMs.map((c) => `$count '${c.prefix}…' ms`) ?? []),
      ],
      figures.map((f) => [
        f.backend,
        String(f.users.pages),
        fixed(f.users.walkSeconds, 1),
        ms(f.users.page),
        fixed(f.users.countAllMs, 1),
        ...f.users.countPrefixMs.map((c) => `${fixed(c.ms, 1)} (${c.count})`),
      ]),
    ),
  );
  console.log(`\nsearchDirectory of ${LATE_QUERIES.length} searches whose matches all sort last (not in the targets), p50 / p99 / max ms:`);
  for (const f of figures) console.log(`  ${f.backend}: ${ms(f.late)}`);
  for (const f of figures) {
    console.log(`\n${f.backend}, slowest ResolveNames:\n  ${f.resolve.slowest.join('\n  ')}`);
    console.log(`${f.backend}, slowest directory searches:\n  ${f.directory.slowest.join('\n  ')}`);
  }
}

await main();
// The password-hashing worker the bench account needed would keep the process alive; exiting runs the PostgreSQL server's stop.
process.exit();
