import { chownSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { StoreOpenError } from './migrations.js';

/** Which file a path named when it was opened: another file renamed to that path is another inode. */
export interface FileIdentity {
  path: string;
  dev: bigint;
  ino: bigint;
}

/**
 * A database the bridge creates holds password hashes, so only its owner may read it;
 * SQLite gives the -wal and -shm files the database file's mode. Existing files and
 * folders keep theirs.
 */
export function createPrivateFile(path: string): void {
  const owner = ownerForRoot(dirname(path));
  for (const folder of makeFolders(dirname(path))) giveTo(folder, owner);
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return;
  }
  giveTo(path, owner);
}

interface Owner {
  uid: number;
  gid: number;
}

/**
 * Root making a store under a folder another user owns (`sudo … restore`, or `sudo … account
 * add` before the service's first start, in the service's StateDirectory) gives it that
 * folder's owner: a root-owned 0600 file there is one the service cannot open. SQLite does
 * the same for the -wal and -shm files root opens beside a database.
 */
function ownerForRoot(folder: string): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let at = folder;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  const { uid, gid } = statSync(at);
  return uid === 0 ? undefined : { uid, gid };
}

function giveTo(path: string, owner: Owner | undefined): void {
  if (owner) chownSync(path, owner.uid, owner.gid);
}

export function identityOf(path: string): FileIdentity {
  const { dev, ino } = statSync(path, { bigint: true });
  return { path, dev, ino };
}

/** The WAL and shared-memory files beside a database in WAL mode, those that exist: https://www.sqlite.org/tempfiles.html, 2.2 and 2.3. */
export function walFilesOf(path: string): FileIdentity[] {
  return [`${path}-wal`, `${path}-shm`].flatMap((file) => {
    const found = statSync(file, { bigint: true, throwIfNoEntry: false });
    return found ? [{ path: file, dev: found.dev, ino: found.ino }] : [];
  });
}

/**
 * A database no bridge made (it has tables, but no schema version) is left as it is: the
 * migrations would add the bridge's tables to it, and its journal mode be changed, when
 * BRIDGE_DB names the wrong file.
 *
 * The version and the tables are read in one statement, so from one snapshot: read one after
 * the other, another bridge making the same new file could commit its first migration in
 * between, and its new store be judged version 0 with tables.
 */
export function refuseAnotherProgramsDatabase(db: Database.Database, path: string): void {
  const { version, tables } = db
    .prepare<[], { version: number; tables: number }>(
      'SELECT (SELECT user_version FROM pragma_user_version) AS version, (SELECT count(*) FROM sqlite_master) AS tables',
    )
    .get()!;
  if (version !== 0 || tables === 0) return;
  db.close();
  throw new StoreOpenError(`${path} holds another program's database, no store of this bridge; name the bridge's file, or a new one`);
}

/**
 * The folder and the missing ones above it, each made on its own (0700); returns those it made. Node 20's
 * recursive mkdir never returns for a path under /proc (it retries the same ENOENT);
 * made one by one, the first refusal is the error.
 */
function makeFolders(folder: string): string[] {
  const missing: string[] = [];
  for (let at = folder; !existsSync(at) && dirname(at) !== at; at = dirname(at)) missing.unshift(at);
  for (const each of missing) mkdirSync(each, { mode: 0o700 });
  return missing;
}
