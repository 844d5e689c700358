import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { CHANGES_CHANNEL } from './postgres-changes.js';
import { fillUserSearchKeys, holdMigrationLock, migratePostgres } from './postgres-schema.js';
import { MIGRATIONS, newerSchema } from './migrations.js';
import { STORE_APPLICATION_NAME } from './postgres-store.js';
import { storeOpenProblem } from './open-store.js';
import { driverUrl, withoutPassword } from './database-url.js';

/** Rows per INSERT: photos are the large ones, so a batch stays a few megabytes. */
const BATCH_ROWS = 500;

/** What every photo row holds, whoever owns it. */
const PHOTO_COLUMNS = {
  bytes: 'bytea',
  content_type: 'text',
  width: 'integer',
  height: 'integer',
  sha256: 'text',
  source: 'text',
  updated_at: 'text',
} as const;

/**
 * Each table in the order foreign keys need, with its columns (the same in both
 * dialects at the same schema version) and the PostgreSQL type of each, for unnest.
 * Ids are copied as they are: sealed item ids carry contact ids, and the secrets table
 * holds the key that seals them, so ids clients hold go on resolving.
 */
export const COPIED_TABLES = [
  {
    name: 'users',
    key: 'id',
    columns: {
      id: 'bigint',
      email: 'text',
      display_name: 'text',
      given_name: 'text',
      surname: 'text',
      alias: 'text',
      company: 'text',
      department: 'text',
      title: 'text',
      business_phone: 'text',
      mobile_phone: 'text',
      sip_address: 'text',
      refs: 'jsonb',
      other_addresses: 'jsonb',
      updated_at: 'text',
      // SQLite's 0/1 reads as PostgreSQL's boolean text.
      photo_locked: 'boolean',
      manager: 'text',
      hidden: 'boolean',
      // The search columns come as they are; PostgreSQL makes its tsvector and word-start keys from them, SQLite's FTS index is not copied.
      name_key: 'text',
      search_names: 'text',
      search_other: 'text',
    },
  },
  {
    name: 'user_photos',
    key: 'user_id',
    columns: { user_id: 'bigint', ...PHOTO_COLUMNS },
  },
  {
    name: 'contacts',
    key: 'id',
    columns: {
      id: 'bigint',
      mailbox: 'text',
      display_name: 'text',
      given_name: 'text',
      surname: 'text',
      company: 'text',
      department: 'text',
      job_title: 'text',
      email1: 'text',
      email2: 'text',
      email3: 'text',
      business_phone: 'text',
      mobile_phone: 'text',
      home_phone: 'text',
      refs: 'jsonb',
      created_at: 'text',
      updated_at: 'text',
      // Their folded names, which contacts are searched and ordered by (not copied, every contact was unfound on PostgreSQL).
      name_key: 'text',
      search_names: 'text',
      given_name_key: 'text',
      surname_key: 'text',
      company_key: 'text',
      department_key: 'text',
      job_title_key: 'text',
    },
  },
  {
    name: 'contact_photos',
    key: 'contact_id',
    columns: { contact_id: 'bigint', ...PHOTO_COLUMNS },
  },
  { name: 'accounts', key: 'username', columns: { username: 'text', password_hash: 'text', role: 'text', created_at: 'text' } },
  { name: 'secrets', key: 'name', columns: { name: 'text', value: 'bytea' } },
] as const;

/** Tables whose rows are the deployment's data: the target must have none. */
const DATA_TABLES = ['users', 'contacts', 'accounts'];

const PHOTO_TABLES = ['user_photos', 'contact_photos'] as const;

type CopyCounts = Record<(typeof COPIED_TABLES)[number]['name'], number>;

/** A source at another schema version than this bridge's, said with what to do. */
function refuseOtherVersions(source: Database.Database, path: string): void {
  const version = source.pragma('user_version', { simple: true }) as number;
  if (version === MIGRATIONS.length) return;
  if (version === 0) throw new StoreCopyError(`${path} holds no store of this bridge`);
  if (version > MIGRATIONS.length) throw newerSchema(version, MIGRATIONS.length);
  throw new StoreCopyError(
    `the SQLite store at ${path} is at schema version ${version}, this bridge copies from version ${MIGRATIONS.length}: back it up, bring it up to date by running this bridge on it once (\`ews-photo-bridge --db ${path} account list\` does), then copy`,
  );
}

export class StoreCopyError extends Error {
  override readonly name = 'StoreCopyError';
}

/**
 * Copies an embedded SQLite store into a PostgreSQL database in one transaction, and
 * checks before committing that every table has as many rows on both sides and that
 * every photo's bytes hash the same (SHA-256, computed by PostgreSQL over what it
 * stored). Any difference, or a target that already holds data, and nothing is kept.
 * The SQLite file is only read, in one read transaction, so a server may go on using it; it
 * must be at this version's schema. An older one is refused, not upgraded: upgraded by a copy
 * that then failed, the bridge that made it could no longer open it, and nothing said so.
 */
export async function copySqliteToPostgres(sqlitePath: string, postgresUrl: string): Promise<CopyCounts> {
  if (!existsSync(sqlitePath)) throw new StoreCopyError(`no SQLite store at ${sqlitePath}`);
  const source = new Database(sqlitePath, { readonly: true, fileMustExist: true });
  try {
    refuseOtherVersions(source, sqlitePath);
  } catch (error) {
    source.close();
    throw error;
  }
  const target = new pg.Client({ connectionString: driverUrl(postgresUrl), application_name: 'ews-photo-bridge migrate-store' });
  try {
    await target.connect();
  } catch (error) {
    throw storeOpenProblem(error, withoutPassword(postgresUrl)) ?? error;
  }
  try {
    // A role that may not create the tables is said as a command opening the store says it.
    await migratePostgres(target).catch((error: unknown) => {
      throw storeOpenProblem(error, withoutPassword(postgresUrl)) ?? error;
    });
    source.exec('BEGIN');
    await target.query('BEGIN');
    try {
      // Replicas that start during the copy wait until it is in: counted once at its start, one that started later made
      // and used an item-id key of its own, which the copy then replaced.
      await holdMigrationLock(target);
      await refuseBridgesOn(target);
      await refuseDataIn(target);
      const counts = {} as CopyCounts;
      for (const table of COPIED_TABLES) counts[table.name] = await copyTable(source, target, table);
      await fillUserSearchKeys(target);
      await restartIdentities(source, target);
      await checkCounts(source, target, counts);
      for (const table of PHOTO_TABLES) await checkPhotoHashes(source, target, table);
      await target.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, 'migrate-store']);
      await target.query('COMMIT');
      return counts;
    } catch (error) {
      await target.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      source.exec('COMMIT');
    }
  } finally {
    source.close();
    await target.end();
  }
}

/**
 * A bridge connected to the target (a replica started before the copy, a command) keeps the
 * item-id key it made or read, which the copy replaces with the SQLite store's: it went on
 * handing out ids no other replica reads and refusing the copied ones, unsaid.
 */
async function refuseBridgesOn(target: pg.Client): Promise<void> {
  const { rows } = await target.query<{ n: string }>(
    'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()',
    [STORE_APPLICATION_NAME],
  );
  const open = Number(rows[0]!.n);
  if (open > 0) {
    throw new StoreCopyError(
      `${open} connection(s) of a bridge are open on the PostgreSQL database; stop every replica and command using it first: they would keep the keys the copy replaces`,
    );
  }
}

async function refuseDataIn(target: pg.Client): Promise<void> {
  for (const table of DATA_TABLES) {
    const { rows } = await target.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    if (Number(rows[0]!.n) > 0) throw new StoreCopyError(`the PostgreSQL database already holds ${table}; migrate-store copies into an empty store only`);
  }
}

async function copyTable(source: Database.Database, target: pg.Client, table: (typeof COPIED_TABLES)[number]): Promise<number> {
  const columns = Object.keys(table.columns);
  const types = Object.values(table.columns);
  // jsonb and bytea arrays would need each element quoted; text and bytea[] carry them as they are.
  const arrayTypes = types.map((type) => (type === 'jsonb' ? 'text' : type));
  const insert = `INSERT INTO ${table.name} (${columns.join(', ')})
    SELECT ${columns.map((column, i) => (types[i] === 'jsonb' ? `${column}::jsonb` : column)).join(', ')}
    FROM unnest(${arrayTypes.map((type, i) => `$${i + 1}::${type}[]`).join(', ')}) AS t(${columns.join(', ')})
    ${table.name === 'secrets' ? 'ON CONFLICT (name) DO UPDATE SET value = excluded.value' : ''}`;
  const rows = source.prepare<[], Record<string, unknown>>(`SELECT ${columns.join(', ')} FROM ${table.name} ORDER BY ${table.key}`).iterate();
  let copied = 0;
  let batch: Record<string, unknown>[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await target.query(
      insert,
      columns.map((column) => batch.map((row) => row[column])),
    );
    copied += batch.length;
    batch = [];
  };
  for (const row of rows) {
    batch.push(row);
    if (batch.length === BATCH_ROWS) await flush();
  }
  await flush();
  return copied;
}

/**
 * New users and contacts must not take ids the copy brought in, nor a contact's id one the
 * SQLite store gave and deleted (its contact_ids_deleted): a client may still hold that
 * ItemId, and it named the next contact made on PostgreSQL.
 */
async function restartIdentities(source: Database.Database, target: pg.Client): Promise<void> {
  const deleted = source.prepare<[], { largest: number }>('SELECT largest FROM contact_ids_deleted').get()?.largest ?? 0;
  for (const [table, atLeast] of [
    ['users', 0],
    ['contacts', deleted],
  ] as const) {
    await target.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), greatest(coalesce(max(id), 0), $1) + 1, false) FROM ${table}`, [atLeast]);
  }
}

async function checkCounts(source: Database.Database, target: pg.Client, copied: CopyCounts): Promise<void> {
  for (const [table, count] of Object.entries(copied)) {
    // The secrets table may hold keys the SQLite store does not (a bridge started on it before): only the copied ones count.
    const names =
      table === 'secrets'
        ? source
            .prepare<[], { name: string }>('SELECT name FROM secrets')
            .all()
            .map((row) => row.name)
        : undefined;
    const { rows } = await target.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}${names ? ' WHERE name = ANY($1)' : ''}`, names ? [names] : []);
    if (Number(rows[0]!.n) !== count) throw new StoreCopyError(`${table}: ${count} row(s) in SQLite but ${rows[0]!.n} in PostgreSQL; nothing was kept`);
  }
}

async function checkPhotoHashes(source: Database.Database, target: pg.Client, table: (typeof PHOTO_TABLES)[number]): Promise<void> {
  const key = table === 'user_photos' ? 'user_id' : 'contact_id';
  const expected = new Map<number, string>();
  for (const row of source.prepare<[], { id: number; bytes: Buffer }>(`SELECT ${key} AS id, bytes FROM ${table}`).iterate()) {
    expected.set(row.id, createHash('sha256').update(row.bytes).digest('hex'));
  }
  const { rows } = await target.query<{ id: string; hash: string }>(`SELECT ${key} AS id, encode(sha256(bytes), 'hex') AS hash FROM ${table}`);
  for (const row of rows) {
    if (expected.get(Number(row.id)) !== row.hash) throw new StoreCopyError(`${table}: the photo of ${key} ${row.id} differs after the copy; nothing was kept`);
  }
}
