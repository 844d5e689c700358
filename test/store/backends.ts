import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { freshDatabase } from '../support/postgres.js';

interface StoreOptions {
  busyTimeoutMs?: number;
  poolSize?: number;
  now?: () => number;
}

export interface WriteLock {
  release(): Promise<void>;
}

/** One kind of store under test, on a database of its own for the test file. */
interface StoreBackend {
  name: 'SQLite' | 'PostgreSQL';
  /** Makes the database this file's tests use (the PostgreSQL server starts once per run). */
  setUp(): Promise<void>;
  /** Empties the database, schema included, as a brand-new one. */
  reset(): Promise<void>;
  /** A store on the database; each call another connection, as another bridge process would have. */
  open(options?: StoreOptions): Promise<Store>;
  /** Another process's write lock on the database (the CLI importing, another replica's transaction), held until released. */
  holdWriteLock(): Promise<WriteLock>;
  /** Whether a write of `store` is waiting for another process's lock now, or (SQLite, which retries) has waited for one. */
  waitsForALock(store: Store): Promise<boolean>;
  tearDown(): Promise<void>;
}

function sqliteBackend(): StoreBackend {
  let dir = '';
  let path = '';
  let resets = 0;
  return {
    name: 'SQLite',
    setUp: () => {
      dir = mkdtempSync(join(tmpdir(), 'epb-store-'));
      return Promise.resolve();
    },
    reset: () => {
      path = join(dir, `bridge-${++resets}.db`);
      return Promise.resolve();
    },
    // As a server's store: a large mailbox's pages and searches on the read thread.
    open: (options = {}) => Promise.resolve(new SqliteStore(path, { readInBackground: true, ...options })),
    holdWriteLock: () => Promise.resolve(holdSqliteWriteLock(path)),
    waitsForALock: (store) => Promise.resolve((store as SqliteStore).busyWaits() > 0),
    tearDown: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

function postgresBackend(): StoreBackend {
  let url = '';
  return {
    name: 'PostgreSQL',
    async setUp() {
      url = await freshDatabase();
    },
    async reset() {
      await runSql(url, 'DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    },
    open: (options = {}) => PostgresStore.open(url, options),
    async holdWriteLock() {
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      // EXCLUSIVE lets readers through and stops every writer, as SQLite's write lock does.
      await other.query('BEGIN; LOCK TABLE users, user_photos, contacts, contact_photos, accounts IN EXCLUSIVE MODE');
      return {
        async release() {
          await other.query('ROLLBACK');
          await other.end();
        },
      };
    },
    async waitsForALock() {
      const waiting = await runSql(
        url,
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'ews-photo-bridge' AND wait_event_type = 'Lock'",
      );
      return (waiting.rows[0] as { n: number }).n > 0;
    },
    tearDown: () => Promise.resolve(),
  };
}

/** Another process's write lock on a SQLite file, held until released. */
export function holdSqliteWriteLock(path: string): WriteLock {
  const other = new Database(path);
  other.exec('BEGIN IMMEDIATE');
  return {
    release: () => {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      return Promise.resolve();
    },
  };
}

/** A store of its own for each test of the `describe` it is called in, on a fresh database of `backend`, `seed` written first. */
export function storePerTest(backend: StoreBackend, seed?: (store: Store) => Promise<unknown>): { store: Store } {
  const held = {} as { store: Store };
  before(() => backend.setUp());
  after(() => backend.tearDown());
  beforeEach(async () => {
    await backend.reset();
    held.store = await backend.open();
    await seed?.(held.store);
  });
  afterEach(() => held.store.close());
  return held;
}

/** Each kind of store, for one test file: the same tests run against both. */
export function storeBackends(): StoreBackend[] {
  return [sqliteBackend(), postgresBackend()];
}

/** Runs SQL on a PostgreSQL database over a connection of its own. */
export async function runSql(url: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** Where the step that clears the managers imports had made people their own is (migrations.ts): the schema before it. */
export const OWN_MANAGERS_CLEARED = MIGRATIONS.findIndex((migration) => migration.sqlite.startsWith('UPDATE users SET manager = NULL'));
