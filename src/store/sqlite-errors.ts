import Database from 'better-sqlite3';
import { BridgeError } from '../domain/errors.js';

/**
 * What a failed write means to a client; anything else is passed on unchanged.
 * https://www.sqlite.org/rescode.html — SQLITE_FULL: "a write could not complete because
 * the disk is full" (or the file's max_page_count). SQLITE_READONLY: "an attempt is made to
 * alter some data for which the current database connection does not have write permission",
 * and its extended codes, such as SQLITE_READONLY_DIRECTORY (no "permission to create a
 * journal file in the same directory as the database") and SQLITE_READONLY_DBMOVED ("the
 * database file has been moved since it was opened"): SQLite opens a file it may not write
 * for reading, so the store takes no writes, and reads go on. SQLITE_CANTOPEN is not among
 * them: the database and its WAL are open before any write, so what a write cannot open is
 * one of the "temporary disk files" the page names, elsewhere than the store.
 */
export function fromSqliteError(error: unknown, busyTimeoutMs: number): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  if (error.code === 'SQLITE_FULL') return BridgeError.storeFull();
  if (error.code.startsWith('SQLITE_READONLY')) return BridgeError.storeReadOnly(busyTimeoutMs, 'a SQLite file this user may not write?');
  return error;
}
