import type Database from 'better-sqlite3';
import { withUnicodeDomain } from '../domain/email.js';
import { MIGRATIONS, newerSchema, type DataStep, type SchemaUpgrade, type UpgradeStarting } from './migrations.js';
import { searchColumnsOf, type ContactSearchColumns, type SearchColumns } from './search-text.js';
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

/** Brings a database's schema up to `version`, each migration in its own transaction. */
export function migrateSqlite(db: Database.Database, version: number, starting?: UpgradeStarting): SchemaUpgrade | undefined {
  // Every step, the first included, takes the write lock first and reads the version under it:
  // another process may open the same file at the same moment (replicas starting, a CLI command
  // beside a server after an upgrade), so one applies a step and the other finds it done (read
  // before the lock, both applied the first: 'table users already exists'); and a `restore`
  // holds the write lock for its whole copy, so an opener waits for the restored version and
  // migrates it (read before the lock, it took the version being replaced as current and
  // migrated nothing). A current store costs one IMMEDIATE transaction.
  // Returns the version it found, or undefined when there was nothing left to apply.
  let from: number | undefined;
  const step = db.transaction((): number | undefined => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) throw newerSchema(current, MIGRATIONS.length);
    if (current >= version) return undefined;
    if (from === undefined) starting?.({ from: current, to: version });
    const migration = MIGRATIONS[current]!;
    db.exec(migration.sqlite);
    if (migration.then) DATA_STEPS[migration.then](db);
    db.pragma(`user_version = ${current + 1}`);
    return current;
  });
  for (let found = step.immediate(); found !== undefined; found = step.immediate()) from ??= found;
  return from === undefined ? undefined : { from, to: version };
}

/** What the migrations' data steps do on SQLite. */
const DATA_STEPS: Record<DataStep, (db: Database.Database) => void> = {
  fillUserSearchColumns: (db) => writeUserSearchColumns(db, 'name_key IS NULL'),
  // FTS5 indexes the search columns' words itself (its prefix indexes are the word starts).
  fillUserSearchKeys() {},
  fillContactSearchColumns: (db) => writeContactSearchColumns(db, 'name_key IS NULL'),
  // The users' FTS5 rows follow: its update trigger takes out the words a row had and puts in its new ones.
  refoldSearchColumns(db) {
    writeUserSearchColumns(db, 'true');
    writeContactSearchColumns(db, 'true');
  },
  canonicalizeAddresses(db) {
    // email is COLLATE NOCASE: the row another spelling of the address is, whatever its ASCII case.
    const holder = db.prepare<[string, number], { id: number }>('SELECT id FROM users WHERE email = ? AND id <> ?');
    // The photo of the user that goes stays with the one kept, when that one has none of its own.
    const keepPhoto = db.prepare<{ kept: number; gone: number }>(
      'UPDATE user_photos SET user_id = @kept WHERE user_id = @gone AND NOT EXISTS (SELECT 1 FROM user_photos WHERE user_id = @kept)',
    );
    const remove = db.prepare<[number]>('DELETE FROM users WHERE id = ?');
    const merge = (kept: number, gone: number) => {
      keepPhoto.run({ kept, gone });
      remove.run(gone);
    };
    const update = db.prepare('UPDATE users SET email = @email, manager = @manager, other_addresses = @other_addresses WHERE id = @id');
    for (const row of rowsById<UserAddresses & { id: number }>(db, 'SELECT id, email, manager, other_addresses FROM users WHERE true')) {
      const canonical = canonicalAddressesOf(row);
      if (!canonical) continue;
      const other = holder.get(canonical.email, row.id)?.id;
      if (other !== undefined && other < row.id) {
        merge(other, row.id);
        continue;
      }
      if (other !== undefined) merge(row.id, other);
      update.run({ id: row.id, ...canonical });
    }
    const rename = db.prepare<[string, string]>('UPDATE contacts SET mailbox = ? WHERE mailbox = ?');
    for (const mailbox of db.prepare<[], string>('SELECT DISTINCT mailbox FROM contacts').pluck().all()) {
      const canonical = canonicalFormOf(mailbox);
      if (canonical !== undefined) rename.run(canonical, mailbox);
    }
    // Logins named with an A-label domain, as normalizeUsername now names them; of two that become one, the one named so already stays.
    const account = db.prepare<[string], { username: string }>('SELECT username FROM accounts WHERE username = ?');
    const renameAccount = db.prepare<[string, string]>('UPDATE accounts SET username = ? WHERE username = ?');
    const removeAccount = db.prepare<[string]>('DELETE FROM accounts WHERE username = ?');
    for (const username of db.prepare<[], string>("SELECT username FROM accounts WHERE username LIKE '%xn--%'").pluck().all()) {
      const canonical = withUnicodeDomain(username);
      if (canonical === username) continue;
      if (account.get(canonical)) removeAccount.run(username);
      else renameAccount.run(canonical, username);
    }
  },
  canonicalizeContactAddresses(db) {
    const update = db.prepare('UPDATE contacts SET email1 = @email1, email2 = @email2, email3 = @email3 WHERE id = @id');
    for (const row of rowsById<ContactAddresses & { id: number }>(db, 'SELECT id, email1, email2, email3 FROM contacts WHERE true')) {
      const canonical = canonicalContactAddressesOf(row);
      if (canonical) update.run({ id: row.id, ...canonical });
    }
  },
  fillContactNameKeys(db) {
    const update = db.prepare(
      `UPDATE contacts SET given_name_key = @given_name_key, surname_key = @surname_key, company_key = @company_key,
         department_key = @department_key, job_title_key = @job_title_key WHERE id = @id`,
    );
    const select = 'SELECT id, given_name, surname, company, department, job_title FROM contacts WHERE true';
    for (const row of rowsById<ContactOtherNamesRow & { id: number }>(db, select)) update.run({ id: row.id, ...contactNameKeysOfRow(row) });
  },
  canonicalizeSipAddresses(db) {
    const update = db.prepare<[string, number]>('UPDATE users SET sip_address = ? WHERE id = ?');
    for (const row of rowsById<{ id: number; sip_address: string }>(db, 'SELECT id, sip_address FROM users WHERE sip_address IS NOT NULL')) {
      const canonical = canonicalFormOf(row.sip_address);
      if (canonical !== undefined) update.run(canonical, row.id);
    }
  },
  composeStoredText(db) {
    composeTextColumns(db, 'users', USER_TEXT_COLUMNS);
    composeTextColumns(db, 'contacts', CONTACT_TEXT_COLUMNS);
  },
};

/** Writes the text `columns` of `table`'s rows as stored text (storedTextColumnsOf), where a row's are not: only rows outside ASCII are read. */
function composeTextColumns<Column extends string>(db: Database.Database, table: string, columns: readonly Column[]): void {
  const update = db.prepare(`UPDATE ${table} SET ${columns.map((column) => `${column} = @${column}`).join(', ')} WHERE id = @id`);
  const select = `SELECT id, ${columns.join(', ')} FROM ${table} WHERE ${outsideAsciiSql(columns)}`;
  for (const row of rowsById<TextColumns<Column> & { id: number }>(db, select)) {
    const stored = storedTextColumnsOf(row, columns);
    if (stored) update.run({ id: row.id, ...stored });
  }
}

/** Rows a data step reads at once, so that a large directory is never all in memory. */
const DATA_STEP_BATCH = 10_000;

/** The rows `select` reads (a SELECT … WHERE, with the row's `id`), read DATA_STEP_BATCH at a time in id order. */
function* rowsById<Row extends { id: number }>(db: Database.Database, select: string): Generator<Row> {
  const batch = db.prepare<[number], Row>(`${select} AND id > ? ORDER BY id LIMIT ${DATA_STEP_BATCH}`);
  for (let rows = batch.all(0); rows.length > 0; rows = batch.all(rows.at(-1)!.id)) yield* rows;
}

/**
 * Writes the search columns of the users rows `where` selects, where they are stale; only
 * the columns the step's schema already has are read (a step after the one adding `hidden`
 * must read it too, or hidden users would be given search columns again).
 */
function writeUserSearchColumns(db: Database.Database, where: string): void {
  const update = db.prepare('UPDATE users SET name_key = @name_key, search_names = @search_names, search_other = @search_other WHERE id = @id');
  const select = `SELECT id, ${USER_FIELD_COLUMNS.join(', ')}, refs, name_key, search_names, search_other FROM users WHERE ${where}`;
  for (const row of rowsById<UserRow & StoredSearchColumns<SearchColumns> & { id: number }>(db, select)) {
    const columns = searchColumnsOf(fromUserRow(row));
    if (searchColumnsStale(row, columns)) update.run({ id: row.id, ...columns });
  }
}

/** Writes the search columns of the contacts rows `where` selects, where they are stale. */
function writeContactSearchColumns(db: Database.Database, where: string): void {
  const update = db.prepare('UPDATE contacts SET name_key = @name_key, search_names = @search_names WHERE id = @id');
  const select = `SELECT id, display_name, given_name, surname, name_key, search_names FROM contacts WHERE ${where}`;
  for (const row of rowsById<ContactNamesRow & StoredSearchColumns<ContactSearchColumns> & { id: number }>(db, select)) {
    const columns = contactSearchColumnsOfRow(row);
    if (searchColumnsStale(row, columns)) update.run({ id: row.id, ...columns });
  }
}
