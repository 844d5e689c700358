import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { migrateSqlite } from '../../src/store/sqlite-schema.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

/** The version of the red team's older backup: before users.hidden, which every directory search names. */
const OLDER = 23;

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
});
