import { createHash, randomBytes } from 'node:crypto';
import { existsSync, linkSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../store/migrations.js';
import { createPrivateFile } from '../store/sqlite-file.js';
import { lockHolders } from './lock-holders.js';
import { migrateSqlite } from '../store/sqlite-schema.js';

/** A backup or restore that cannot go ahead, for a reason the operator can act on. */
export class BackupError extends Error {
  override name = 'BackupError';
}

/** What a backup file holds, as checked after it was written (or before it is restored). */
export interface BackupSummary {
  schemaVersion: number;
  users: number;
  contacts: number;
  accounts: number;
  /** Photos whose bytes were read and hashed to the SHA-256 recorded with them. */
  photosVerified: number;
  bytes: number;
}

/**
 * Gives the finished copy its name unless a file has taken it meanwhile (another backup to
 * the same name): a hard link fails where a rename would replace.
 */
function giveName(partial: string, file: string): void {
  const taken = () => new BackupError(`${file} was written by another backup meanwhile; this one is discarded`);
  try {
    linkSync(partial, file);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'EEXIST') throw taken();
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
    // A file system without hard links (FAT, some shares): renamed after a last look.
    if (existsSync(file)) throw taken();
    renameSync(partial, file);
    return;
  }
  rmSync(partial);
}

/** Asked of SQLite's backup step: every page at once (the largest count it takes). */
const ALL_PAGES = 0x7fffffff;

/**
 * Copies the embedded store into `file` while servers and commands keep using it.
 *
 * Copying the database file is not a backup: in WAL mode the latest commits live in the
 * `-wal` file until a checkpoint, so a copy of the main file alone can lack them, or be
 * torn. SQLite's backup API reads through the database's own locks instead. All pages go
 * in one step, inside one read transaction: a snapshot that commits made meanwhile by
 * other processes cannot tear (in WAL mode they go on undisturbed), where a paced copy
 * would start over after each of them. The copy is written beside the target, readable
 * by its owner only (it holds password hashes and the item-id key), made one
 * self-contained file, checked (integrity, every photo's hash), and only then given its name.
 */
export async function backupSqliteStore(databasePath: string, file: string): Promise<BackupSummary> {
  if (!existsSync(databasePath)) throw new BackupError(`there is no store at ${databasePath}`);
  if (existsSync(file)) throw new BackupError(`${file} already exists; name a new file (a backup never overwrites one)`);
  // A name of its own, short whatever the target's (two backups to one name at once wrote, checked and removed one partial file).
  const partial = join(dirname(file), `.backup-${process.pid}-${randomBytes(4).toString('hex')}.partial`);
  try {
    createPrivateFile(partial);
    const source = new Database(databasePath, { readonly: true, fileMustExist: true });
    try {
      await source.backup(partial, { progress: () => ALL_PAGES });
    } finally {
      source.close();
    }
    leaveWalMode(partial);
    // Its problems are the store's: the partial file they were found in is gone when they are told.
    const summary = checkBackup(partial, databasePath);
    giveName(partial, file);
    return summary;
  } catch (error) {
    rmSync(partial, { force: true });
    throw backupProblem(error, databasePath, file) ?? error;
  }
}

/** What a failed backup's operator can act on, in one line; undefined for a real surprise. */
function backupProblem(error: unknown, databasePath: string, file: string): BackupError | undefined {
  const unreadable = unreadableProblem(error, databasePath);
  if (unreadable) return unreadable;
  const { code } = error as { code?: unknown };
  if (isFull(error)) return new BackupError(`no space left on the device for ${file}`);
  if (code === 'ENAMETOOLONG') return new BackupError(`${file}: the name is too long for its file system`);
  return undefined;
}

/**
 * Puts a backup back as the store at `databasePath`, refusing while any process — a
 * running server, a command — has that store open: SQLite's own lock tells (an open
 * WAL connection holds a shared lock for its whole life, so an exclusive one cannot be
 * had). The backup is checked first, and must not come from a newer bridge whose
 * migrations this one does not know. The pages are written through SQLite, into the
 * store and its WAL alike, so nothing of the replaced database survives beside them.
 *
 * The lock cannot be kept from that check to the copy (SQLite's backup opens the store with a
 * connection of its own), so a process may open the store in between. One that opens it while
 * the copy runs waits for the copy's write transaction and migrates what it restored
 * (migrateSqlite reads the version under the write lock); one that opened it just before may
 * serve the replaced schema. So the store is looked at again after the copy: a process that
 * has it open then is named, and the restore, complete, fails, for that process to be restarted.
 */
export async function restoreSqliteStore(file: string, databasePath: string): Promise<BackupSummary> {
  if (!existsSync(file)) throw new BackupError(`there is no backup at ${file}`);
  const summary = checkBackup(file);
  if (summary.schemaVersion > MIGRATIONS.length) {
    throw new BackupError(
      `${file} was made by a newer bridge (schema ${summary.schemaVersion}, this one knows ${MIGRATIONS.length}); restore it with that version`,
    );
  }
  const replacing = existsSync(databasePath);
  // Opened before the check, so that the copy follows it as closely as it can.
  const backup = new Database(file, { readonly: true, fileMustExist: true });
  try {
    if (replacing) refuseWhileOpen(databasePath);
    else createPrivateFile(databasePath);
    await backup.backup(databasePath, { progress: () => ALL_PAGES });
  } catch (error) {
    // Nothing was restored: the pages went in one write transaction, which SQLite rolled back (https://www.sqlite.org/c3ref/backup_finish.html).
    if (!replacing) rmSync(databasePath, { force: true });
    if (!isFull(error)) throw error;
    throw new BackupError(`no space left on the device for ${databasePath}; nothing was restored${replacing ? ', the store is as it was' : ''}`);
  } finally {
    backup.close();
  }
  const holders = processesHolding(databasePath);
  if (holders !== undefined) {
    throw new BackupError(
      `${databasePath} was restored from ${file} (schema ${summary.schemaVersion}), but ${holders} opened it during the restore and still has it open: restart it, as it may go on with the replaced database (a server then answers 503 and /readyz 503)`,
    );
  }
  return summary;
}

/** SQLite's "database or disk is full", or the file system's own: https://www.sqlite.org/rescode.html#full */
function isFull(error: unknown): boolean {
  const { code } = error as { code?: unknown };
  return code === 'SQLITE_FULL' || code === 'ENOSPC';
}

/**
 * The copy inherits the store's WAL mode, in which every later open — the check below,
 * `restore`, an operator's sqlite3 — leaves `-wal` and `-shm` files beside it. Out of
 * WAL mode it is one file that can be copied alone. A store restored from it is in WAL
 * mode again as soon as the bridge opens it.
 */
function leaveWalMode(file: string): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
}

function refuseWhileOpen(databasePath: string): void {
  const holders = processesHolding(databasePath);
  if (holders !== undefined) throw new BackupError(`${databasePath} is open in ${holders}; stop it before restoring`);
}

/**
 * Who else has the store open, in words ("another process (pid 4242: a running server or command)"), or
 * undefined when no one does: an exclusive lock is had only by a connection alone on the file.
 */
function processesHolding(databasePath: string): string | undefined {
  const probe = new Database(databasePath, { fileMustExist: true, timeout: 0 });
  try {
    probe.pragma('locking_mode = EXCLUSIVE');
    probe.exec('BEGIN EXCLUSIVE; COMMIT;');
    return undefined;
  } catch (error) {
    if (!(error instanceof Database.SqliteError && /^SQLITE_(BUSY|LOCKED)/.test(error.code))) throw error;
    const pids = lockHolders([databasePath, `${databasePath}-shm`]);
    return `another process (${pids.length === 0 ? '' : `pid ${pids.join(', ')}: `}a running server or command)`;
  } finally {
    probe.close();
  }
}

/** Integrity, schema version, counts, and every photo's bytes against its recorded hash. */
function checkBackup(file: string, shownAs = file): BackupSummary {
  // SQLite opens a folder and fails at the first read, with "disk I/O error".
  if (existsSync(file) && statSync(file).isDirectory()) throw new BackupError(`${file} is a folder, not a backup file`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return summaryOf(db, file, shownAs);
  } catch (error) {
    throw unreadableProblem(error, shownAs) ?? error;
  } finally {
    db.close();
  }
}

/**
 * A file SQLite cannot read as a database: not one at all, or one damaged — a truncated copy
 * reads as SQLITE_CORRUPT (or one of its extended codes) before integrity_check can say
 * which pages are missing: https://www.sqlite.org/rescode.html#corrupt
 */
function unreadableProblem(error: unknown, shownAs: string): BackupError | undefined {
  if (!(error instanceof Database.SqliteError)) return undefined;
  if (error.code === 'SQLITE_NOTADB') return new BackupError(`${shownAs} is not a SQLite database`);
  if (/^SQLITE_CORRUPT(_|$)/.test(error.code)) return new BackupError(`${shownAs} is damaged: ${error.message}`);
  return undefined;
}

/**
 * The backup's tables, indexes, views and triggers are exactly those this bridge's
 * migrations make at its schema version: a trigger or view planted in a backup would
 * otherwise run inside the bridge's own reads and writes from then on (one that re-made
 * an admin account on every photo change passed every other check).
 */
function checkSchema(db: Database.Database, file: string, version: number): void {
  const expected = new Database(':memory:');
  try {
    migrateSqlite(expected, version);
    const made = schemaOf(expected);
    const found = schemaOf(db);
    const odd = [...found].filter((entry) => !made.has(entry)).concat([...made].filter((entry) => !found.has(entry)));
    if (odd.length > 0) {
      throw new BackupError(
        `${file}: its schema is not the one this bridge makes at version ${version} (${odd.length} object(s) differ, e.g. ${odd[0]!.split('\n')[0]})`,
      );
    }
  } finally {
    expected.close();
  }
}

/** Every object of a schema but SQLite's own (statistics, autoindexes), with the SQL that made it. */
function schemaOf(db: Database.Database): Set<string> {
  const rows = db
    .prepare<[], { type: string; name: string; sql: string | null }>("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'")
    .all();
  return new Set(rows.map((row) => `${row.type} ${row.name}\n${row.sql ?? ''}`));
}

function summaryOf(db: Database.Database, file: string, shownAs: string): BackupSummary {
  const integrity = db.pragma('integrity_check', { simple: true });
  if (integrity !== 'ok') throw new BackupError(`${shownAs} is damaged: ${String(integrity)}`);
  const schemaVersion = Number(db.pragma('user_version', { simple: true }));
  const tables = new Set(
    db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((row) => row.name),
  );
  if (!tables.has('users') || !tables.has('accounts')) throw new BackupError(`${shownAs} is not a store of this bridge`);
  if (schemaVersion <= MIGRATIONS.length) checkSchema(db, shownAs, schemaVersion);
  const count = (table: string) => (tables.has(table) ? db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table}`).get()!.n : 0);
  let photosVerified = 0;
  for (const table of ['user_photos', 'contact_photos'].filter((name) => tables.has(name))) {
    for (const photo of db.prepare<[], { sha256: string; bytes: Buffer }>(`SELECT sha256, bytes FROM ${table}`).iterate()) {
      if (createHash('sha256').update(photo.bytes).digest('hex') !== photo.sha256)
        throw new BackupError(`${shownAs}: a photo in ${table} does not match its hash`);
      photosVerified++;
    }
  }
  return { schemaVersion, users: count('users'), contacts: count('contacts'), accounts: count('accounts'), photosVerified, bytes: statSync(file).size };
}
