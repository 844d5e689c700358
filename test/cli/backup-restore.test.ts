import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import pg from 'pg';
import sharp from 'sharp';
import { hashPassword } from '../../src/auth/password-hash.js';
import type { DirectoryUser } from '../../src/domain/directory.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { imageLimitsOf } from '../../src/photos/image-limits.js';
import { loadConfig } from '../../src/config.js';
import { PhotoService } from '../../src/photos/photo-service.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { freshDatabase, postgresTool } from '../support/postgres.js';
import type { CliResult } from '../support/run-cli.js';
import { mountSmallFileSystem } from '../support/small-file-system.js';
import { basic } from '../support/test-bridge.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const ADMIN = { username: 'ops@contoso.com', password: 'backup test secret' };
const PEOPLE = 2000;
const WITH_PHOTOS = 60;

/**
 * Run as another user, with node alone (the checkout's modules may be out of its reach):
 * what SQLite needs of a store it writes — the file opened for writing, a journal made and
 * removed beside it. Prints the file's size.
 */
const OPEN_FOR_WRITING = `const fs = require('node:fs');
const file = process.argv[1];
fs.closeSync(fs.openSync(file, 'r+'));
fs.writeFileSync(file + '-journal', '');
fs.rmSync(file + '-journal');
console.log(fs.statSync(file).size);`;

const emailOf = (index: number) => `person${index}@contoso.com`;

/** The files in `dir` whose names start with `name`: a database and whatever SQLite left beside it. */
const filesNamed = (dir: string, name: string) => readdirSync(dir).filter((file) => file.startsWith(name));

/** name → SHA-256 of each file in `dir` whose name starts with `name`: a store, its WAL and shared memory alike. */
const fileHashes = (dir: string, name: string) =>
  Object.fromEntries(
    filesNamed(dir, name).map((file) => [
      file,
      createHash('sha256')
        .update(readFileSync(join(dir, file)))
        .digest('hex'),
    ]),
  );

/** Permission bits for the group and others: 0 when only the owner may read the file. */
const sharedBits = (file: string) => statSync(file).mode & 0o077;

/** A distinct small JPEG per call: its colour and a corner mark come from `seed`. */
function photoOf(seed: number): Promise<Buffer> {
  const colour = { r: (seed * 37) % 256, g: (seed * 91) % 256, b: (seed * 53) % 256 };
  return sharp({ create: { width: 96, height: 96, channels: 3, background: colour } })
    .composite([{ input: { create: { width: 1 + (seed % 40), height: 8, channels: 3, background: '#ffffff' } }, top: 0, left: 0 }])
    .jpeg()
    .toBuffer();
}

/** email → SHA-256 of the stored photo bytes, hashed afresh (not the recorded hash), and every recorded hash checked on the way. */
function photoHashes(file: string): Map<string, string> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare<[], { email: string; sha256: string; bytes: Buffer }>('SELECT u.email, p.sha256, p.bytes FROM user_photos p JOIN users u ON u.id = p.user_id')
      .all();
    const hashes = new Map<string, string>();
    for (const row of rows) {
      const actual = createHash('sha256').update(row.bytes).digest('hex');
      expect(actual, `the photo of ${row.email} matches its recorded hash`).to.equal(row.sha256);
      hashes.set(row.email, actual);
    }
    return hashes;
  } finally {
    db.close();
  }
}

describe('backup and restore of the embedded store', function () {
  this.timeout(120_000);
  let dir: string;
  let db: string;
  let server: ChildProcess | undefined;
  let base = '';

  const cli = (args: string[]) => runCli(['--db', db, ...args]);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'epb-backup-'));
    db = join(dir, 'bridge.db');
    const store = new SqliteStore(db);
    const people: DirectoryUser[] = Array.from({ length: PEOPLE }, (_, index) => ({
      email: emailOf(index),
      displayName: `Person ${index}`,
      department: 'Backups',
      refs: {},
    }));
    await store.upsertUsers(people);
    const photos = new PhotoService(store, imageLimitsOf(loadConfig({})), { maxEntries: 1, maxBytes: 1024, noPhotoTtlMs: 0 });
    for (let index = 0; index < WITH_PHOTOS; index++) await photos.setPhoto(userOwner(emailOf(index)), await photoOf(index), 'import');
    await store.putAccount(ADMIN.username, await hashPassword(ADMIN.password), 'admin');
    await store.close();
    ({ server, base } = await startServer(db));
  });

  after(async () => {
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('backs up while the server takes photo uploads, a consistent copy whose every photo matches its hash', async () => {
    const load = uploadLoop(base);
    // Writes are under way before the backup starts and go on while it runs.
    await load.waitFor(5);
    const before = load.done;
    const result = await cli(['backup', join(dir, 'live.backup')]);
    const during = load.done - before;
    await load.stop();
    expect(result.stderr).to.equal('');
    expect(result.status).to.equal(0);
    expect(result.stdout).to.match(
      new RegExp(`backed up to .*live\\.backup: ${PEOPLE} user\\(s\\), 0 contact\\(s\\), 1 account\\(s\\), ${WITH_PHOTOS} photo\\(s\\) checked`),
    );
    expect(during, 'uploads committed while the backup ran').to.be.above(0);
    expect(existsSync(join(dir, 'live.backup.partial'))).to.equal(false);
    // It holds password hashes and the item-id key: its owner's alone, and one file with nothing beside it.
    expect(sharedBits(join(dir, 'live.backup'))).to.equal(0);
    expect(filesNamed(dir, 'live.backup')).to.deep.equal(['live.backup']);

    const backedUp = photoHashes(join(dir, 'live.backup'));
    expect(backedUp.size).to.equal(WITH_PHOTOS);
    const copy = new Database(join(dir, 'live.backup'), { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).to.equal('ok');
    expect(copy.prepare('SELECT count(*) AS n FROM users').get()).to.deep.equal({ n: PEOPLE });
    copy.close();
  });

  it('never overwrites a file, and refuses to restore over a store a running server has open, naming its process', async () => {
    const again = await cli(['backup', join(dir, 'live.backup')]);
    expect(again.status).to.equal(1);
    expect(again.stderr).to.match(/live\.backup already exists/);

    const refused = await cli(['restore', join(dir, 'live.backup')]);
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.include(`bridge.db is open in another process (pid ${server!.pid}: a running server or command); stop it before restoring`);
    // The server goes on serving what it had.
    const res = await fetch(`${base}/ews/exchange.asmx/s/GetUserPhoto?email=${emailOf(0)}&size=HR48x48`, { headers: { authorization: basic(ADMIN) } });
    expect(res.status).to.equal(200);
  });

  it('lets one of three backups to the same new name at once write it, the others saying so, nothing left beside it', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => cli(['backup', join(dir, 'raced.backup')])));
    expect(runs.map((run) => run.status).sort()).to.deep.equal([0, 1, 1]);
    for (const refused of runs.filter((run) => run.status === 1)) {
      expect(refused.stderr).to.match(
        /^ews-photo-bridge: .*raced\.backup (already exists; name a new file|was written by another backup meanwhile; this one is discarded)/,
      );
    }
    expect(filesNamed(dir, 'raced.backup')).to.deep.equal(['raced.backup']);
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).to.deep.equal([]);
    const copy = new Database(join(dir, 'raced.backup'), { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).to.equal('ok');
    copy.close();
  });

  it('says in one line why a backup failed, leaving no partial file; a name as long as the file system allows is fine', async () => {
    const notAStore = join(dir, 'not-a-store.db');
    writeFileSync(notAStore, 'not sqlite at all, but long enough to be read as a header of one');
    const refused = await runCli(['--db', notAStore, 'backup', join(dir, 'from-garbage.backup')]);
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.equal(`ews-photo-bridge: ${notAStore} is not a SQLite database\n`);
    // Another program's database: named as the store the operator gave, not as the partial copy it was found in.
    const foreign = join(dir, 'foreign.db');
    new Database(foreign).exec('CREATE TABLE t (x)');
    const notOurs = await runCli(['--db', foreign, 'backup', join(dir, 'from-foreign.backup')]);
    expect([notOurs.status, notOurs.stderr]).to.deep.equal([1, `ews-photo-bridge: ${foreign} is not a store of this bridge\n`]);
    const long = `${'b'.repeat(240)}.db`;
    const saved = await cli(['backup', join(dir, long)]);
    expect(saved.status, saved.stderr).to.equal(0);
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).to.deep.equal([]);
    expect(existsSync(join(dir, long))).to.equal(true);
  });

  it('restores once the server is stopped: every photo hash as backed up, later changes gone', async () => {
    const backedUp = photoHashes(join(dir, 'live.backup'));
    await stopServer(server);
    server = undefined;
    // A change made after the backup, which the restore must undo.
    const store = new SqliteStore(db);
    await store.removePhoto(userOwner(emailOf(1)));
    await store.removeUser(emailOf(2));
    await store.close();

    const result = await cli(['restore', join(dir, 'live.backup')]);
    expect(result.stderr).to.equal('');
    expect(result.status).to.equal(0);
    expect(result.stdout).to.match(/restored .*bridge\.db from .*live\.backup/);

    expect(photoHashes(db)).to.deep.equal(backedUp);
    const restored = new SqliteStore(db);
    expect(await restored.countUsers()).to.equal(PEOPLE);
    for (const [email, sha256] of backedUp) expect((await restored.getPhotoInfo(userOwner(email)))?.sha256, email).to.equal(sha256);
    expect((await restored.listAccounts()).map((account) => account.username)).to.deep.equal([ADMIN.username]);
    await restored.close();
    expect(filesNamed(dir, 'live.backup'), 'restore leaves nothing beside the backup').to.deep.equal(['live.backup']);
  });

  it('restores onto a new host: a store file only its owner may read, in a folder made for it', async () => {
    const fresh = join(dir, 'new-host', 'bridge.db');
    const result = await runCli(['--db', fresh, 'restore', join(dir, 'live.backup')]);
    expect(result.stderr).to.equal('');
    expect(result.status).to.equal(0);
    expect(sharedBits(fresh)).to.equal(0);
    const restored = new SqliteStore(fresh);
    expect(await restored.countUsers()).to.equal(PEOPLE);
    await restored.close();
  });

  it("restores, as root, into a service account's folder a store that account owns and can write, as its folders", async () => {
    const service = { uid: 65534, gid: 65534 };
    // systemd's StateDirectory: a folder of the service account's, under one it may pass through.
    const host = mkdtempSync(join(tmpdir(), 'epb-host-'));
    chmodSync(host, 0o711);
    const stateDirectory = join(host, 'state');
    mkdirSync(stateDirectory, { mode: 0o700 });
    chownSync(stateDirectory, service.uid, service.gid);
    const fresh = join(stateDirectory, 'stores', 'bridge.db');
    try {
      const result = await runCli(['--db', fresh, 'restore', join(dir, 'live.backup')]);
      expect(result.status, result.stderr).to.equal(0);
      for (const made of [dirname(fresh), fresh]) expect(statSync(made), made).to.include(service);
      expect(sharedBits(fresh)).to.equal(0);
      const opened = spawnSync(process.execPath, ['-e', OPEN_FOR_WRITING, fresh], { ...service, encoding: 'utf8' });
      expect(opened.stderr).to.equal('');
      expect(opened.stdout.trim()).to.equal(String(statSync(fresh).size));
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  it('refuses to restore a file that is no store of the bridge', async () => {
    writeFileSync(join(dir, 'notes.txt'), 'not a database');
    const result = await cli(['restore', join(dir, 'notes.txt')]);
    expect(result.status).to.equal(1);
    expect(result.stderr).to.match(/notes\.txt is not a SQLite database/);
    const other = join(dir, 'other.db');
    new Database(other).exec('CREATE TABLE t (x)');
    const foreign = await cli(['restore', other]);
    expect(foreign.status).to.equal(1);
    expect(foreign.stderr).to.match(/is not a store of this bridge/);
    const folder = await cli(['restore', dir]);
    expect([folder.status, folder.stderr]).to.deep.equal([1, `ews-photo-bridge: ${dir} is a folder, not a backup file\n`]);
  });

  it('says in one line that a truncated backup is damaged, and leaves the store as it was; a backup of a damaged store as well', async () => {
    const whole = readFileSync(join(dir, 'live.backup'));
    const storeBefore = fileHashes(dir, 'bridge.db');
    for (const length of [Math.floor(whole.length / 2), whole.length - 4096]) {
      const cut = join(dir, `cut-${length}.backup`);
      writeFileSync(cut, whole.subarray(0, length));
      const result = await cli(['restore', cut]);
      expect([result.status, result.stdout, result.stderr], `cut at ${length}`).to.deep.equal([
        1,
        '',
        `ews-photo-bridge: ${cut} is damaged: database disk image is malformed\n`,
      ]);
      expect(fileHashes(dir, 'bridge.db'), `the store after the backup cut at ${length}`).to.deep.equal(storeBefore);
      const copied = await runCli(['--db', cut, 'backup', join(dir, `of-cut-${length}.backup`)]);
      expect([copied.status, copied.stderr]).to.deep.equal([1, `ews-photo-bridge: ${cut} is damaged: database disk image is malformed\n`]);
      expect(filesNamed(dir, `of-cut-${length}`)).to.deep.equal([]);
      expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).to.deep.equal([]);
    }
  });

  it('refuses a backup whose schema is not the one the bridge makes: a trigger planted in it would run inside every later write', async () => {
    const planted = join(dir, 'planted.backup');
    copyFileSync(join(dir, 'live.backup'), planted);
    const hostile = new Database(planted);
    hostile.exec(`CREATE TRIGGER comes_back AFTER UPDATE ON user_photos BEGIN
      INSERT OR REPLACE INTO accounts (username, password_hash, role) VALUES ('mallory@evil.example', 'x', 'admin'); END`);
    hostile.close();
    const target = join(dir, 'planted-host', 'bridge.db');
    const result = await runCli(['--db', target, 'restore', planted]);
    expect(result.status).to.equal(1);
    expect(result.stderr).to.match(
      /planted\.backup: its schema is not the one this bridge makes at version \d+ \(1 object\(s\) differ, e\.g\. trigger comes_back\)/,
    );
    expect(existsSync(target), 'nothing restored').to.equal(false);
  });

  it('says in one line that the disk is full, and leaves the store as it was (or none, where there was none)', async () => {
    // Room for a store of one account, not for the backup.
    const disk = mountSmallFileSystem(Math.floor(statSync(join(dir, 'live.backup')).size / 2));
    try {
      const small = join(disk.dir, 'bridge.db');
      const added = await runCli(['--db', small, 'account', 'add', ADMIN.username]);
      expect(added.status, added.stderr).to.equal(0);
      const result = await runCli(['--db', small, 'restore', join(dir, 'live.backup')]);
      expect([result.status, result.stdout, result.stderr]).to.deep.equal([
        1,
        '',
        `ews-photo-bridge: no space left on the device for ${small}; nothing was restored, the store is as it was\n`,
      ]);
      const listed = await runCli(['--db', small, 'account', 'list']);
      expect([listed.status, listed.stdout]).to.deep.equal([0, `${ADMIN.username}\tuser\n`]);
      const fresh = join(disk.dir, 'fresh.db');
      const onto = await runCli(['--db', fresh, 'restore', join(dir, 'live.backup')]);
      expect([onto.status, onto.stderr]).to.deep.equal([1, `ews-photo-bridge: no space left on the device for ${fresh}; nothing was restored\n`]);
      expect(filesNamed(disk.dir, 'fresh.db'), 'no empty store left to be taken for one').to.deep.equal([]);
    } finally {
      disk.undo();
    }
  });

  it('points PostgreSQL users to pg_dump', async () => {
    const result = await runCli(['backup', join(dir, 'pg.backup')], { BRIDGE_DATABASE_URL: 'postgres://bridge@127.0.0.1:1/bridge' });
    expect(result.status).to.equal(1);
    expect(result.stderr).to.match(/pg_dump/);
  });
});

describe("backup and restore on PostgreSQL, by the README's recipe", function () {
  this.timeout(60_000);
  let dir: string;
  let url: string;

  /** What a restore must keep or put back: rows, the item-id key, the schema version. */
  async function snapshot(): Promise<unknown> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM accounts)::int AS accounts,
        (SELECT string_agg(name || '=' || encode(value, 'hex'), ',') FROM secrets) AS secrets, (SELECT max(version) FROM schema_migrations) AS schema`);
      return rows[0];
    } finally {
      await client.end();
    }
  }

  /** pg_restore with the options the README gives it, as the operator would run it. */
  function readmeRestore(dump: string) {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const options = /^ *pg_restore (.+?) -d "\$BRIDGE_DATABASE_URL" /m.exec(readme)![1]!.split(/ +/);
    return spawnSync(postgresTool('pg_restore'), [...options, '-d', url, dump], { encoding: 'utf8' });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'epb-pg-backup-'));
    url = await freshDatabase();
    const store = await PostgresStore.open(url);
    await store.upsertUsers(Array.from({ length: PEOPLE }, (_, index) => ({ email: emailOf(index), displayName: `Person ${index}`, refs: {} })));
    await store.putAccount(ADMIN.username, await hashPassword(ADMIN.password), 'admin');
    await store.secret('item-id-key', 32);
    await store.close();
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a dump cut short restores nothing, the database left as it was (one transaction); the whole dump restores', async () => {
    const dump = join(dir, 'bridge.dump');
    const dumped = spawnSync(postgresTool('pg_dump'), ['-Fc', '-d', url, '-f', dump], { encoding: 'utf8' });
    expect([dumped.status, dumped.stderr]).to.deep.equal([0, '']);
    const before = await snapshot();
    expect(before).to.include({ users: PEOPLE, accounts: 1 });
    const whole = readFileSync(dump);
    const cut = join(dir, 'cut.dump');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const failed = readmeRestore(cut);
    expect(failed.status, failed.stderr).to.equal(1);
    expect(await snapshot()).to.deep.equal(before);
    const restored = readmeRestore(dump);
    expect([restored.status, restored.stderr]).to.deep.equal([0, '']);
    expect(await snapshot()).to.deep.equal(before);
  });
});

/** The command line in its own process, without blocking this one (the upload loop must go on meanwhile). */
function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { ...process.env, BRIDGE_LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** `serve` as an operator starts it, on a free port; resolves once it listens. */
function startServer(db: string): Promise<{ server: ChildProcess; base: string }> {
  return new Promise((resolve, reject) => {
    const server = spawn(process.execPath, ['--import', 'tsx', CLI, '--db', db, 'serve', '--port', '0', '--no-demo'], {
      env: { ...process.env, BRIDGE_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    server.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const listening = /is listening on (http:\/\/\S+)/.exec(stderr);
      if (listening) resolve({ server, base: listening[1]! });
    });
    server.on('exit', (code) => reject(new Error(`the server exited (${code}): ${stderr}`)));
  });
}

async function stopServer(server: ChildProcess | undefined): Promise<void> {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  await exited;
}

/** Uploads new photos for the first people, one after another, until stopped. */
function uploadLoop(base: string) {
  let done = 0;
  let running = true;
  const waiters: { count: number; resolve: () => void }[] = [];
  const loop = (async () => {
    for (let seed = 1000; running; seed++) {
      const res = await fetch(`${base}/admin/users/${emailOf(seed % WITH_PHOTOS)}/photo`, {
        method: 'PUT',
        headers: { authorization: basic(ADMIN) },
        body: new Uint8Array(await photoOf(seed)),
      });
      if (res.status !== 200) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
      done++;
      for (const waiter of waiters.filter((candidate) => done >= candidate.count)) waiter.resolve();
    }
  })();
  return {
    get done() {
      return done;
    },
    waitFor: (count: number) => new Promise<void>((resolve) => waiters.push({ count, resolve })),
    async stop() {
      running = false;
      await loop;
    },
  };
}
