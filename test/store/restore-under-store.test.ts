import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import request from 'supertest';
import { BackupError, restoreSqliteStore } from '../../src/backup/sqlite-backup.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { migrateSqlite } from '../../src/store/sqlite-schema.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { rejectionOf } from '../support/rejection.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

/** The version of the red team's older backup: before users.hidden, which every directory search names. */
const OLDER = 23;

const alex = { email: 'alex@contoso.com', displayName: 'Alex', refs: {} };

/**
 * Turns the store `db` holds a transaction on into an empty one of `version`, uncommitted, as a
 * restore's copy of an older backup has written it before it commits. Virtual tables go first:
 * their shadow tables go with them.
 */
function rewriteAsVersion(db: Database.Database, version: number): void {
  const objects = db
    .prepare<[], { type: string; name: string }>(
      "SELECT type, name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY sql LIKE 'CREATE VIRTUAL TABLE%' DESC",
    )
    .all();
  for (const { type, name } of objects) db.exec(`DROP ${type === 'view' ? 'VIEW' : 'TABLE'} IF EXISTS "${name}"`);
  db.pragma('user_version = 0');
  migrateSqlite(db, version);
}

/** A self-contained store file of `version` with one user and the accounts of `accountsOf`, as `backup` of an older bridge wrote it. */
function olderBackup(file: string, version: number, accountsOf: string): string {
  const db = new Database(file);
  migrateSqlite(db, version);
  db.prepare("INSERT INTO users (email, display_name, refs, updated_at) VALUES (?, 'Old', '{}', '2026-01-01')").run('old@contoso.com');
  db.prepare('ATTACH ? AS now').run(accountsOf);
  db.exec('INSERT INTO accounts (username, password_hash, role, created_at) SELECT username, password_hash, role, created_at FROM now.accounts; DETACH now');
  db.close();
  return file;
}

/** What `restore` copies, without its checks: the backup's pages written over the store through SQLite, in one write transaction. */
async function copyOver(backup: string, databasePath: string): Promise<void> {
  const source = new Database(backup, { readonly: true });
  try {
    await source.backup(databasePath);
  } finally {
    source.close();
  }
}

describe('a SQLite store restored to an older schema version', function () {
  this.timeout(60_000);
  let dir: string;
  let path: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'epb-restore-under-'));
    path = join(dir, 'bridge.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("decides there is nothing to migrate only under the write lock: an opener does not take a restore's version being replaced for current", async () => {
    await new SqliteStore(path).close();
    const restoring = new Database(path);
    const opener = new Database(path, { timeout: 0 });
    try {
      restoring.exec('BEGIN IMMEDIATE');
      rewriteAsVersion(restoring, OLDER);
      // With no wait allowed, the lock it cannot have is the answer; the version it could read meanwhile is the one being replaced.
      expect(() => migrateSqlite(opener, MIGRATIONS.length)).to.throw(Database.SqliteError, /database is locked/);
      restoring.exec('COMMIT');
      expect(migrateSqlite(opener, MIGRATIONS.length)).to.deep.equal({ from: OLDER, to: MIGRATIONS.length });
    } finally {
      opener.close();
      restoring.close();
    }
  });

  it('is migrated by a server that opens it while the copy holds the write lock, once the copy commits', async () => {
    await new SqliteStore(path).close();
    // Loads the bridge, says so, waits for its stdin to end, then opens the store as `serve` does and tells what it migrated.
    const script = `import { SqliteStore } from ${JSON.stringify(new URL('../../src/store/sqlite-store.ts', import.meta.url).href)};
      process.stdout.write('ready\\n');
      process.stdin.resume();
      await new Promise((resolve) => process.stdin.on('end', resolve));
      const store = new SqliteStore(${JSON.stringify(path)});
      process.stdout.write(JSON.stringify({ upgrade: store.schemaUpgrade ?? null }) + '\\n');
      await store.close();`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'close');
    await Promise.race([once(child.stdout, 'data'), exited]);
    const restoring = new Database(path);
    try {
      restoring.exec('BEGIN IMMEDIATE');
      rewriteAsVersion(restoring, OLDER);
      child.stdin.end();
      // The opener either answers at once (having read the version outside the lock: the old
      // code) or waits for this lock (its open allows 10 s): the commit comes after either.
      await Promise.race([once(child.stdout, 'data'), exited, sleep(2000)]);
      restoring.exec('COMMIT');
    } finally {
      restoring.close();
    }
    await exited;
    expect(stderr).to.equal('');
    expect(stdout.split('\n').filter((line) => line.startsWith('{'))).to.deep.equal([JSON.stringify({ upgrade: { from: OLDER, to: MIGRATIONS.length } })]);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).to.equal(MIGRATIONS.length);
    db.close();
  });

  it('by `restore` while a server opens it in the instant between its check and its copy: restored, and the restore fails saying so, and the server answers 503', async () => {
    await new SqliteStore(path).close();
    const backup = olderBackup(join(dir, 'older.db'), OLDER, path);
    // The restore checks that no one has the store open, then awaits its copy: the server opens it meanwhile.
    const restoring = restoreSqliteStore(backup, path);
    const opened = new SqliteStore(path);
    try {
      const failure = await restoring.then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).to.be.instanceOf(BackupError);
      expect((failure as BackupError).message).to.equal(
        `${path} was restored from ${backup} (schema ${OLDER}), but another process (a running server or command) opened it during the restore and still has it open: restart it, as it may go on with the replaced database (a server then answers 503 and /readyz 503)`,
      );
      const db = new Database(path, { readonly: true });
      expect(db.pragma('user_version', { simple: true }), 'the restore landed').to.equal(OLDER);
      db.close();
      expect((await rejectionOf(opened.ping())).httpStatus).to.equal(503);
    } finally {
      await opened.close();
    }
  });

  describe('under a running server', () => {
    let bridge: TestBridge;
    let heard: string[];
    beforeEach(async () => {
      bridge = await startTestBridge();
      await bridge.store.upsertUsers([alex]);
      heard = [];
      bridge.store.onFileReplaced((file, how) => heard.push(`${file} ${how}`));
    });
    afterEach(() => bridge.close());

    const changed = `the store's database went back to schema version ${OLDER} while the bridge ran (it had migrated it to ${MIGRATIONS.length}; a restore?); restart the bridge, which migrates it; nothing was changed`;

    it('answers /readyz 503 saying to restart it, and a search 503 (ErrorServerBusy), not 500; a write is refused alike, and it is told once', async () => {
      const server = bridge.bridge.server;
      expect((await request(server).get('/api/people?q=Alex').set('Authorization', basic(READER))).status).to.equal(200);
      await copyOver(olderBackup(join(dir, 'older.db'), OLDER, bridge.databasePath), bridge.databasePath);

      const search = await request(server).get('/api/people?q=Alex').set('Authorization', basic(READER));
      expect([search.status, search.text]).to.deep.equal([503, `${changed}\n`]);
      const ready = await request(server).get('/readyz');
      expect([ready.status, ready.text]).to.deep.equal([503, `${changed}\n`]);
      const photo = { bytes: Buffer.alloc(10), contentType: 'image/jpeg' as const, width: 1, height: 1, sha256: 'a'.repeat(64) };
      expect(await rejectionOf(bridge.store.setPhoto(userOwner(alex.email), photo, 'test'))).to.include({
        responseCode: 'ErrorServerBusy',
        httpStatus: 503,
        message: changed,
      });
      expect(heard).to.deep.equal([`${bridge.databasePath} restored`]);
    });

    it('finds the older version at its change poll, before any statement fails', async () => {
      await copyOver(olderBackup(join(dir, 'older.db'), OLDER, bridge.databasePath), bridge.databasePath);
      await bridge.store.changeCounter().catch(() => undefined);
      expect(heard).to.deep.equal([`${bridge.databasePath} restored`]);
      expect((await rejectionOf(bridge.store.getUser(alex.email))).message).to.equal(changed);
    });
  });
});
