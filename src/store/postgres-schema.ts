import type pg from 'pg';
import { withUnicodeDomain } from '../domain/email.js';
import { MIGRATIONS, newerSchema, type DataStep, type SchemaUpgrade, type UpgradeStarting } from './migrations.js';
import { searchKeys } from './postgres-search-keys.js';
import { CONTACT_NAME_KEY_COLUMNS, searchColumnsOf, type ContactSearchColumns, type SearchColumns } from './search-text.js';
import {
  canonicalAddressesOf,
  canonicalContactAddressesOf,
  canonicalFormOf,
  CONTACT_TEXT_COLUMNS,
  outsideAsciiSql,
  storedTextColumnsOf,
  type TextColumns,
  USER_TEXT_COLUMNS,
  contactNameKeysOfRow,
  contactSearchColumnsOfRow,
  type ContactOtherNamesRow,
  fromUserRow,
  searchColumnsStale,
  USER_FIELD_COLUMNS,
  type ContactAddresses,
  type ContactNamesRow,
  type StoredSearchColumns,
  type UserAddresses,
  type UserRow,
} from './store-rows.js';

/** The advisory lock every bridge process takes to migrate, whatever database it is in, as SQL. */
export const MIGRATION_LOCK_KEY = "hashtext('ews-photo-bridge schema migrations')";

/**
 * While a store opens nothing is served yet, so waiting for another replica's migration
 * blocks no request; a step that builds indexes over a large directory may take a while.
 */
const MIGRATION_LOCK_TIMEOUT = '300s';

/**
 * Brings the database to the latest schema version in one transaction, under a
 * transaction-scoped advisory lock: replicas that start together queue on the lock, the
 * first applies the steps, the others find them applied. A failing step leaves the
 * database as it was (PostgreSQL's DDL is transactional). Says what it applied, if anything.
 */
export async function migratePostgres(client: pg.ClientBase, starting?: UpgradeStarting): Promise<SchemaUpgrade | undefined> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = '${MIGRATION_LOCK_TIMEOUT}'`);
    await holdMigrationLock(client);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM schema_migrations');
    const applied = rows[0]!.version;
    if (applied > MIGRATIONS.length) {
      throw newerSchema(applied, MIGRATIONS.length);
    }
    if (applied < MIGRATIONS.length) starting?.({ from: applied, to: MIGRATIONS.length });
    for (const [i, migration] of MIGRATIONS.slice(applied).entries()) {
      await client.query(migration.postgres);
      if (migration.then) await DATA_STEPS[migration.then](client);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [applied + i + 1]);
    }
    await client.query('COMMIT');
    return applied < MIGRATIONS.length ? { from: applied, to: MIGRATIONS.length } : undefined;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Takes the lock every bridge takes to open the store, until the transaction ends: a
 * replica that starts meanwhile waits for it, and opens on what the holder left.
 */
export async function holdMigrationLock(client: pg.ClientBase): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
}

/** Rows per round trip of a data step. */
const DATA_STEP_BATCH = 5000;

/**
 * Hands `each` the rows `select` reads (a SELECT … WHERE, with the row's `id`), DATA_STEP_BATCH
 * at a time in id order: a data step never holds a large table in memory.
 */
async function inIdBatches<Row extends { id: string }>(client: pg.ClientBase, select: string, each: (rows: Row[]) => Promise<void>): Promise<void> {
  for (let after = '0'; ;) {
    const { rows } = await client.query<Row>(`${select} AND id > $1 ORDER BY id LIMIT $2`, [after, DATA_STEP_BATCH]);
    if (rows.length === 0) return;
    after = rows.at(-1)!.id;
    await each(rows);
  }
}

/** Writes text `columns` of `table`'s rows by id, in one statement. */
async function updateById<Row extends { id: string }>(
  client: pg.ClientBase,
  table: string,
  columns: readonly (keyof Row & string)[],
  rows: Row[],
): Promise<void> {
  if (rows.length === 0) return;
  const types = columns.map((_, n) => `$${n + 2}::text[]`).join(', ');
  await client.query(
    `UPDATE ${table} r SET ${columns.map((column) => `${column} = t.${column}`).join(', ')}
     FROM unnest($1::bigint[], ${types}) AS t(id, ${columns.join(', ')}) WHERE r.id = t.id`,
    [rows.map((row) => row.id), ...columns.map((column) => rows.map((row) => row[column]))],
  );
}

/** Writes the word-start keys of every users row without them: on upgrade, and after migrate-store's copy. */
export async function fillUserSearchKeys(client: pg.ClientBase): Promise<void> {
  for (;;) {
    const { rows } = await client.query<{ id: string; search_names: string | null; search_other: string | null }>(
      'SELECT id, search_names, search_other FROM users WHERE search_keys IS NULL LIMIT $1',
      [DATA_STEP_BATCH],
    );
    if (rows.length === 0) return;
    await client.query('UPDATE users u SET search_keys = t.keys::tsvector FROM unnest($1::bigint[], $2::text[]) AS t(id, keys) WHERE u.id = t.id', [
      rows.map((row) => row.id),
      rows.map((row) => searchKeys(row.search_names, row.search_other)),
    ]);
  }
}

/** What the migrations' data steps do on PostgreSQL. */
const DATA_STEPS: Record<DataStep, (client: pg.ClientBase) => Promise<void>> = {
  // Before schema step 11 there are no word-start keys to write.
  fillUserSearchColumns: (client) => writeUserSearchColumns(client, 'name_key IS NULL', 'columnsOnly'),
  fillUserSearchKeys,
  fillContactSearchColumns: (client) => writeContactSearchColumns(client, 'name_key IS NULL'),
  // user_name_words follows: its triggers take out a changed row's words and put in its new ones.
  async refoldSearchColumns(client) {
    await writeUserSearchColumns(client, 'true', 'withSearchKeys');
    await writeContactSearchColumns(client, 'true');
  },
  fillContactNameKeys: (client) =>
    inIdBatches<ContactOtherNamesRow & { id: string }>(
      client,
      'SELECT id, given_name, surname, company, department, job_title FROM contacts WHERE true',
      (rows) =>
        updateById(
          client,
          'contacts',
          CONTACT_NAME_KEY_COLUMNS,
          rows.map((row) => ({ id: row.id, ...contactNameKeysOfRow(row) })),
        ),
    ),
  async canonicalizeAddresses(client) {
    await inIdBatches<UserAddresses & { id: string }>(
      client,
      'SELECT id, email, manager, other_addresses::text AS other_addresses FROM users WHERE true',
      async (rows) => {
        for (const row of rows) {
          const canonical = canonicalAddressesOf(row);
          if (canonical) await keepCanonicalUser(client, BigInt(row.id), canonical);
        }
      },
    );
    const { rows } = await client.query<{ mailbox: string }>('SELECT DISTINCT mailbox FROM contacts');
    for (const { mailbox } of rows) {
      const canonical = canonicalFormOf(mailbox);
      if (canonical !== undefined) await client.query('UPDATE contacts SET mailbox = $1 WHERE mailbox = $2', [canonical, mailbox]);
    }
    // Logins named with an A-label domain, as normalizeUsername now names them; of two that become one, the one named so already stays.
    const accounts = await client.query<{ username: string }>("SELECT username FROM accounts WHERE username LIKE '%xn--%'");
    for (const { username } of accounts.rows) {
      const canonical = withUnicodeDomain(username);
      if (canonical === username) continue;
      const taken = (await client.query('SELECT 1 FROM accounts WHERE lower(username) = lower($1)', [canonical])).rowCount ?? 0;
      if (taken > 0) await client.query('DELETE FROM accounts WHERE username = $1', [username]);
      else await client.query('UPDATE accounts SET username = $1 WHERE username = $2', [canonical, username]);
    }
  },
  canonicalizeContactAddresses: (client) =>
    inIdBatches<ContactAddresses & { id: string }>(client, 'SELECT id, email1, email2, email3 FROM contacts WHERE true', (rows) =>
      updateById(
        client,
        'contacts',
        ['email1', 'email2', 'email3'],
        rows.flatMap((row) => {
          const canonical = canonicalContactAddressesOf(row);
          return canonical ? [{ id: row.id, ...canonical }] : [];
        }),
      ),
    ),
  canonicalizeSipAddresses: (client) =>
    inIdBatches<{ id: string; sip_address: string }>(client, 'SELECT id, sip_address FROM users WHERE sip_address IS NOT NULL', (rows) =>
      updateById(
        client,
        'users',
        ['sip_address'],
        rows.flatMap((row) => {
          const canonical = canonicalFormOf(row.sip_address);
          return canonical === undefined ? [] : [{ id: row.id, sip_address: canonical }];
        }),
      ),
    ),
  async composeStoredText(client) {
    await composeTextColumns(client, 'users', USER_TEXT_COLUMNS);
    await composeTextColumns(client, 'contacts', CONTACT_TEXT_COLUMNS);
  },
};

/** Writes the text `columns` of `table`'s rows as stored text (storedTextColumnsOf), where a row's are not: only rows outside ASCII are read. */
function composeTextColumns<Column extends string>(client: pg.ClientBase, table: string, columns: readonly Column[]): Promise<void> {
  return inIdBatches<TextColumns<Column> & { id: string }>(client, `SELECT id, ${columns.join(', ')} FROM ${table} WHERE ${outsideAsciiSql(columns)}`, (rows) =>
    updateById(
      client,
      table,
      columns,
      rows.flatMap((row) => {
        const stored = storedTextColumnsOf(row, columns);
        return stored ? [{ id: row.id, ...stored }] : [];
      }),
    ),
  );
}

/**
 * Writes a user's canonical addresses, unless an earlier user has that address already (then
 * this one goes); a later one that has it goes instead. users_by_email is on lower(email), the
 * address whatever its ASCII case.
 */
async function keepCanonicalUser(client: pg.ClientBase, id: bigint, canonical: UserAddresses): Promise<void> {
  const { rows } = await client.query<{ id: string }>('SELECT id FROM users WHERE lower(email) = lower($1) AND id <> $2', [canonical.email, id]);
  const other = rows[0] && BigInt(rows[0].id);
  if (other !== undefined && other < id) {
    await merge(client, other, id);
    return;
  }
  if (other !== undefined) await merge(client, id, other);
  await client.query('UPDATE users SET email = $2, manager = $3, other_addresses = $4::jsonb WHERE id = $1', [
    id,
    canonical.email,
    canonical.manager,
    canonical.other_addresses,
  ]);
}

/** One user of two that are one: `gone` goes, its photo staying with `kept` when that one has none of its own. */
async function merge(client: pg.ClientBase, kept: bigint, gone: bigint): Promise<void> {
  await client.query('UPDATE user_photos SET user_id = $1 WHERE user_id = $2 AND NOT EXISTS (SELECT 1 FROM user_photos WHERE user_id = $1)', [kept, gone]);
  await client.query('DELETE FROM users WHERE id = $1', [gone]);
}

/**
 * Writes the search columns of the users rows `where` selects, where they are stale, and with
 * them the word-start keys once the schema has them (a step after the one adding `hidden`
 * must read it too, or hidden users would be given search columns again).
 */
async function writeUserSearchColumns(client: pg.ClientBase, where: string, keys: 'columnsOnly' | 'withSearchKeys'): Promise<void> {
  const setKeys = keys === 'withSearchKeys' ? ', search_keys = t.search_keys::tsvector' : '';
  await inIdBatches<UserRow & StoredSearchColumns<SearchColumns> & { id: string }>(
    client,
    `SELECT id, ${USER_FIELD_COLUMNS.join(', ')}, refs::text AS refs, name_key, search_names, search_other FROM users WHERE ${where}`,
    async (rows) => {
      const stale = rows.flatMap((row) => {
        const columns = searchColumnsOf(fromUserRow(row));
        return searchColumnsStale(row, columns) ? [{ id: row.id, ...columns }] : [];
      });
      if (stale.length === 0) return;
      await client.query(
        `UPDATE users u SET name_key = t.name_key, search_names = t.search_names, search_other = t.search_other${setKeys}
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t(id, name_key, search_names, search_other, search_keys)
         WHERE u.id = t.id`,
        [
          stale.map((row) => row.id),
          ...(['name_key', 'search_names', 'search_other'] as const).map((column) => stale.map((row) => row[column])),
          stale.map((row) => searchKeys(row.search_names, row.search_other)),
        ],
      );
    },
  );
}

/** Writes the search columns of the contacts rows `where` selects, where they are stale. */
async function writeContactSearchColumns(client: pg.ClientBase, where: string): Promise<void> {
  await inIdBatches<ContactNamesRow & StoredSearchColumns<ContactSearchColumns> & { id: string }>(
    client,
    `SELECT id, display_name, given_name, surname, name_key, search_names FROM contacts WHERE ${where}`,
    (rows) =>
      updateById(
        client,
        'contacts',
        ['name_key', 'search_names'],
        rows.flatMap((row) => {
          const columns = contactSearchColumnsOfRow(row);
          return searchColumnsStale(row, columns) ? [{ id: row.id, ...columns }] : [];
        }),
      ),
  );
}
