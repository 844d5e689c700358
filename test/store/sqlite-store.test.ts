import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { DECOMPOSED_CONTACT, DECOMPOSED_USER, expectComposed } from '../support/decomposed-rows.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { MIGRATIONS, type DataStep, type SchemaUpgrade } from '../../src/store/migrations.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { ContactMatch, ContactOrder } from '../../src/store/store.js';
import { makeReadOnly } from '../support/read-only-file.js';
import { rejectionOf } from '../support/rejection.js';
import { OWN_MANAGERS_CLEARED } from './backends.js';

/** What only the embedded store does: its file, WAL and schema version; the Store behaviours both stores share are in store.test.ts. */
describe('SqliteStore', () => {
  let dir: string;
  let path: string;
  let store: SqliteStore;

  /** A database `name` as a bridge left it before the schema step whose data step is `step`: its path, its schema version and the database, open. */
  function databaseBefore(name: string, step: DataStep | number): { path: string; version: number; db: Database.Database } {
    const file = join(dir, name);
    const version = typeof step === 'number' ? step : MIGRATIONS.findIndex((migration) => migration.then === step);
    const db = new Database(file);
    for (const migration of MIGRATIONS.slice(0, version)) db.exec(migration.sqlite);
    db.pragma(`user_version = ${version}`);
    return { path: file, version, db };
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'epb-store-'));
    path = join(dir, 'nested', 'bridge.db');
    store = new SqliteStore(path);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the file (and its folder) in WAL mode at the latest schema version, and says so once', async () => {
    expect(store.schemaUpgrade).to.deep.equal({ from: 0, to: MIGRATIONS.length });
    const again = new SqliteStore(path);
    expect(again.schemaUpgrade).to.equal(undefined);
    await again.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).to.equal('wal');
    expect(db.pragma('user_version', { simple: true })).to.equal(MIGRATIONS.length);
    db.close();
  });

  it('creates the file (with its -wal and -shm) readable by its owner only, and its folder 0700', async () => {
    await store.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }]);
    const mode = (file: string) => statSync(file).mode & 0o777;
    expect(mode(join(dir, 'nested'))).to.equal(0o700);
    expect([path, `${path}-wal`, `${path}-shm`].map(mode)).to.deep.equal([0o600, 0o600, 0o600]);
  });

  it('answers a write the file has no room for as a full store (507, ErrorInsufficientResources), and keeps what it had', async () => {
    const alex = { email: 'alex@contoso.com', displayName: 'Alex', refs: {} };
    await store.upsertUsers([alex]);
    // A real SQLite way to be full: no page past the ones the file has (the limit is this connection's).
    const db = (store as unknown as { db: Database.Database }).db;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const photo = { bytes: randomBytes(256 * 1024), contentType: 'image/jpeg' as const, width: 10, height: 10, sha256: 'a'.repeat(64) };
    expect(await rejectionOf(store.setPhoto(userOwner(alex.email), photo, 'test'))).to.include({
      responseCode: 'ErrorInsufficientResources',
      httpStatus: 507,
      message: 'the store has no space left for this write; nothing was changed',
    });
    expect(await store.getPhoto(userOwner(alex.email))).to.equal(undefined);
    expect(await store.getUser(alex.email)).to.deep.equal(alex);
  });

  it('opened on a file this user may not write (a command while a server holds the store): a write is ErrorServerBusy saying the store is read-only, reads go on, the ping fails saying so', async () => {
    const alex = { email: 'alex@contoso.com', displayName: 'Alex', refs: {} };
    await store.upsertUsers([alex]);
    const writable = makeReadOnly(path);
    const command = new SqliteStore(path, { busyTimeoutMs: 1500 });
    try {
      const photo = { bytes: randomBytes(1024), contentType: 'image/jpeg' as const, width: 10, height: 10, sha256: 'a'.repeat(64) };
      expect(await rejectionOf(command.setPhoto(userOwner(alex.email), photo, 'test'))).to.include({
        responseCode: 'ErrorServerBusy',
        httpStatus: 503,
        retryAfterSeconds: 2,
        message: 'the store is read-only (a SQLite file this user may not write?); nothing was changed',
      });
      expect(await command.getUser(alex.email), 'reads go on').to.deep.equal(alex);
      expect((await rejectionOf(command.ping())).message).to.match(/read-only/);
      // The server's connection opened the file before: its descriptors still write, and so does it.
      await store.setPhoto(userOwner(alex.email), photo, 'test');
      await store.ping();
      expect((await command.getPhotoInfo(userOwner(alex.email)))?.sha256).to.equal(photo.sha256);
    } finally {
      await command.close();
      writable();
    }
  });

  it('pings ready while another process holds the write lock (a long import): the database takes writes, only not this instant', async () => {
    const importing = new Database(path);
    importing.exec('BEGIN IMMEDIATE');
    try {
      expect(await store.ping()).to.equal(undefined);
    } finally {
      importing.exec('ROLLBACK');
      importing.close();
    }
  });

  describe('whose file another program replaces or removes while it is open', () => {
    const alex = { email: 'alex@contoso.com', displayName: 'Alex', refs: {} };
    const photo = { bytes: randomBytes(1024), contentType: 'image/jpeg' as const, width: 10, height: 10, sha256: 'a'.repeat(64) };
    let heard: string[];
    beforeEach(async () => {
      await store.upsertUsers([alex]);
      heard = [];
      store.onFileReplaced((file, how) => heard.push(`${file} ${how}`));
    });

    /** What the store does once its change poll has looked (as change-watcher.ts looks, every second), three times. */
    async function afterThreePolls(): Promise<void> {
      for (let look = 0; look < 3; look++) await store.changeCounter();
    }

    it('a file renamed over it (a backup copied back by hand): from the next poll on, a write is ErrorServerBusy saying so, the ping fails saying so, reads go on, and it is told once', async () => {
      const backup = join(dir, 'bridge.db.new');
      await new SqliteStore(backup).close();
      renameSync(backup, path);
      await afterThreePolls();
      expect(await rejectionOf(store.setPhoto(userOwner(alex.email), photo, 'test'))).to.include({
        responseCode: 'ErrorServerBusy',
        httpStatus: 503,
        message: "the store's database file was replaced while the bridge ran; it takes no writes until restarted; nothing was changed",
      });
      expect((await rejectionOf(store.ping())).message).to.match(/database file was replaced/);
      expect(await store.getUser(alex.email), 'reads go on from the file it has open').to.deep.equal(alex);
      expect(heard).to.deep.equal([`${path} replaced`]);
      const now = new SqliteStore(path);
      expect(await now.getPhotoInfo(userOwner(alex.email)), 'nothing reached the file now at the path').to.equal(undefined);
      await now.close();
    });

    /** A self-contained file of `count` users, as `backup` writes one: its WAL checkpointed and gone at close. */
    async function backupOf(count: number): Promise<string> {
      const backup = join(dir, 'bridge.db.new');
      const writer = new SqliteStore(backup);
      await writer.upsertUsers(Array.from({ length: count }, (_, i) => ({ email: `kept${i}@contoso.com`, displayName: `Kept ${i}`, refs: {} })));
      await writer.close();
      return backup;
    }

    it("a server's file renamed over it, then a stop: its old WAL and shared memory are removed, so the next start finds the new file alone", async () => {
      const served = join(dir, 'served', 'bridge.db');
      const server = new SqliteStore(served, { checkpointInBackground: true, readInBackground: true });
      try {
        // An import by a command, another process: its commits stay in the WAL the server keeps open.
        const importing = new SqliteStore(served);
        await importing.upsertUsers([alex, ...Array.from({ length: 3000 }, (_, i) => ({ email: `lost${i}@contoso.com`, displayName: `Lost ${i}`, refs: {} }))]);
        await importing.close();
        await server.setPhoto(userOwner(alex.email), photo, 'test');
        renameSync(await backupOf(12), served);
        for (let look = 0; look < 3; look++) await server.changeCounter();
      } finally {
        await server.close();
      }
      const leftBeside = [existsSync(`${served}-wal`), existsSync(`${served}-shm`)];
      const restarted = new SqliteStore(served);
      try {
        expect({ leftBeside, users: await restarted.countUsers() }, "the backup's users alone").to.deep.equal({ leftBeside: [false, false], users: 12 });
        expect(await restarted.getPhotoInfo(userOwner(alex.email))).to.equal(undefined);
      } finally {
        await restarted.close();
      }
      const checked = new Database(served, { readonly: true });
      expect(checked.pragma('integrity_check', { simple: true })).to.equal('ok');
      checked.close();
    });

    it('a file renamed over it and opened by another process, which made a WAL of its own: a stop leaves that WAL and its writes alone', async () => {
      renameSync(await backupOf(12), path);
      await afterThreePolls();
      // The other process's WAL is another file: the old one is gone first (as a checkpoint at its last close removes a WAL).
      rmSync(`${path}-wal`);
      rmSync(`${path}-shm`);
      const other = new Database(path);
      try {
        other.pragma('wal_autocheckpoint = 0');
        other.prepare("UPDATE users SET display_name = 'Changed' WHERE email = 'kept0@contoso.com'").run();
        await store.close();
        expect([existsSync(`${path}-wal`), existsSync(`${path}-shm`)]).to.deep.equal([true, true]);
        expect(other.prepare("SELECT display_name FROM users WHERE email = 'kept0@contoso.com'").pluck().get()).to.equal('Changed');
      } finally {
        other.close();
      }
      const restarted = new SqliteStore(path);
      try {
        expect([await restarted.countUsers(), (await restarted.getUser('kept0@contoso.com'))?.displayName]).to.deep.equal([12, 'Changed']);
      } finally {
        await restarted.close();
      }
    });

    it('a file deleted: the same, said as removed', async () => {
      rmSync(path);
      await afterThreePolls();
      expect((await rejectionOf(store.setPhoto(userOwner(alex.email), photo, 'test'))).message).to.equal(
        "the store's database file was removed while the bridge ran; it takes no writes until restarted; nothing was changed",
      );
      expect(await store.getUser(alex.email)).to.deep.equal(alex);
      expect(heard).to.deep.equal([`${path} removed`]);
    });
  });

  it('leaves the modes of an existing file and folder as they are', async () => {
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o755);
    writeFileSync(join(shared, 'bridge.db'), '');
    chmodSync(join(shared, 'bridge.db'), 0o640);
    const other = new SqliteStore(join(shared, 'bridge.db'));
    await other.close();
    expect(statSync(shared).mode & 0o777).to.equal(0o755);
    expect(statSync(join(shared, 'bridge.db')).mode & 0o777).to.equal(0o640);
  });

  it('an import larger than the directory drops and builds again the same indexes and search triggers, or none when it fails', async () => {
    const schema = () => {
      const db = new Database(path, { readonly: true });
      try {
        return db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name').all();
      } finally {
        db.close();
      }
    };
    const people = (name: string) => Array.from({ length: 10_000 }, (_, i) => ({ email: `p${i}@contoso.com`, displayName: `${name} ${i}`, refs: {} }));
    const before = schema();

    await store.upsertUsers(people('Rebuilt'));
    expect(schema()).to.deep.equal(before);
    let failure: unknown;
    await store
      .upsertUsers([...people('Failed'), { email: 'x@contoso.com', displayName: null as unknown as string, refs: {} }])
      .catch((error: unknown) => (failure = error));
    expect(failure).to.be.instanceOf(Error);
    expect(schema()).to.deep.equal(before);

    // The triggers keep the search index in step again: a later one-row import is found by a word of its name.
    await store.upsertUsers([{ email: 'late@contoso.com', displayName: 'Zed Latecomer', refs: {} }]);
    expect((await store.searchUsers('latecomer', 5)).map((user) => user.email)).to.deep.equal(['late@contoso.com']);
    expect((await store.searchUsers('9999 rebuilt', 5)).map((user) => user.email)).to.deep.equal(['p9999@contoso.com']);
    const db = new Database(path);
    try {
      // With rank 1, FTS5 checks its index against the users rows word by word, and throws when they differ.
      db.exec("INSERT INTO users_search (users_search, rank) VALUES ('integrity-check', 1)");
    } finally {
      db.close();
    }
  });

  it('a server store copies its WAL into the database file from a worker thread', async () => {
    const fresh = join(dir, 'server', 'bridge.db');
    const server = new SqliteStore(fresh, { checkpointInBackground: true });
    try {
      await server.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }]);
      // A new database starts empty: everything lands in the WAL until a checkpoint copies it over.
      for (let tries = 0; statSync(fresh).size === 0 && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(statSync(fresh).size).to.be.greaterThan(0);
      expect(await server.countUsers()).to.equal(1);
    } finally {
      await server.close();
    }
  });

  it("a server store reads a large mailbox's pages and contact searches on a thread of its own, each finding what was written just before", async () => {
    const server = new SqliteStore(join(dir, 'reads', 'bridge.db'), { readInBackground: true });
    try {
      const mailbox = 'adele@contoso.com';
      const named = (text: string): ContactMatch => ({ text, mode: 'wordPrefix', ignoreCase: true });
      // Past the 2,000 contacts a mailbox's reads are made on the event loop.
      await server.addContacts(
        mailbox,
        Array.from({ length: 2000 }, (_, i) => ({ displayName: `Filler ${i}`, emailAddresses: [], phones: {}, refs: {} })),
      );
      const [id] = await server.addContacts(mailbox, [{ displayName: 'Zoë Quinn', emailAddresses: ['zoe@fabrikam.com'], phones: {}, refs: {} }]);
      const page = await server.pageContacts(mailbox, named('zoe'), 0, 10);
      expect({ total: page.total, names: page.contacts.map((contact) => contact.displayName) }).to.deep.equal({ total: 1, names: ['Zoë Quinn'] });
      expect((await server.searchContacts(mailbox, 'quinn', 5)).map((contact) => contact.id)).to.deep.equal([id]);
      await server.removeContact(mailbox, id!);
      expect((await server.pageContacts(mailbox, named('zoe'), 0, 10)).total).to.equal(0);
      expect(await server.searchContacts(mailbox, 'quinn', 5)).to.deep.equal([]);
    } finally {
      await server.close();
    }
  });

  it('is not ready once a newer bridge has migrated the file past what this one knows (a rolling upgrade), and tells it once per version found', async () => {
    const path = join(dir, 'overtaken', 'bridge.db');
    const server = new SqliteStore(path);
    const heard: string[] = [];
    server.onFileReplaced((file, how) => heard.push(`${file} ${how}`));
    const migrateTo = (version: number) => {
      const newer = new Database(path);
      newer.pragma(`user_version = ${version}`);
      newer.close();
    };
    try {
      await server.ping();
      migrateTo(MIGRATIONS.length + 1);
      expect((await rejectionOf(server.ping())).message).to.equal(
        `a newer bridge migrated the database schema to version ${MIGRATIONS.length + 1} (this one knows ${MIGRATIONS.length}); upgrade this replica`,
      );
      await rejectionOf(server.ping());
      migrateTo(MIGRATIONS.length + 2);
      await rejectionOf(server.ping());
      await rejectionOf(server.ping());
      expect(heard).to.deep.equal([`${path} upgraded`, `${path} upgraded`]);
    } finally {
      await server.close();
    }
  });

  it('starts another read thread a second after one stops on its own, reading meanwhile on the event loop, and counts the failure', async () => {
    const server = new SqliteStore(join(dir, 'restarted', 'bridge.db'), { readInBackground: true });
    const threadOf = () => (server as unknown as { readThread?: { worker: Worker } }).readThread;
    try {
      const mailbox = 'adele@contoso.com';
      await server.addContacts(
        mailbox,
        Array.from({ length: 2001 }, (_, i) => ({ displayName: `Filler ${i}`, emailAddresses: [], phones: {}, refs: {} })),
      );
      const failures: number[] = [];
      server.onReadThreadFailure((_, restartInMs) => failures.push(restartInMs));
      const first = threadOf()!;
      await first.worker.terminate();
      expect([failures, server.readThreadFailureCount(), threadOf()]).to.deep.equal([[1000], 1, undefined]);
      expect(await server.searchContacts(mailbox, 'filler 1999', 5)).to.have.length(1);
      for (let tries = 0; !threadOf() && tries < 60; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(threadOf()).to.not.equal(undefined).and.not.equal(first);
      expect((await server.searchContacts(mailbox, 'filler 2000', 5)).map((contact) => contact.displayName)).to.deep.equal(['Filler 2000']);
    } finally {
      await server.close();
    }
  });

  it('makes the users of a database from before the people search findable as it upgrades it', async () => {
    const { path: older, version: before, db } = databaseBefore('older.db', 'fillUserSearchColumns');
    db.prepare("INSERT INTO users (email, display_name, department, updated_at) VALUES ('tania@contoso.com', 'Tânia Ivanova', 'Finance', 'x')").run();
    db.close();
    const starting: SchemaUpgrade[] = [];
    const upgraded = new SqliteStore(older, { upgradeStarting: (upgrade) => starting.push(upgrade) });
    try {
      // Said before the steps run, for the log of a server whose port opens only after them.
      expect([starting, upgraded.schemaUpgrade]).to.deep.equal([[{ from: before, to: MIGRATIONS.length }], { from: before, to: MIGRATIONS.length }]);
      expect((await upgraded.searchUsers('tania iva', 5)).map((user) => user.email)).to.deep.equal(['tania@contoso.com']);
      expect((await upgraded.searchDirectory('finan', 0, 5)).map((entry) => entry.user.email)).to.deep.equal(['tania@contoso.com']);
      await upgraded.upsertUsers([{ email: 'tania@contoso.com', displayName: 'Tânia Renamed', refs: {} }]);
      expect((await upgraded.searchUsers('ivanova', 5)).map((user) => user.email)).to.deep.equal([]);
      // FTS5's own check that the index matches the rows it was built from.
      expect(() => new Database(older).exec("INSERT INTO users_search (users_search) VALUES ('integrity-check')")).to.not.throw();
    } finally {
      await upgraded.close();
    }
  });

  it("keeps a photo's bytes last in its row, after the hash and size read without them, moving them there as it upgrades a file", async () => {
    const older = join(dir, 'bytes-first.db');
    const stepBefore = MIGRATIONS.length - 1;
    const db = new Database(older);
    for (const migration of MIGRATIONS.slice(0, stepBefore)) db.exec(migration.sqlite);
    db.pragma(`user_version = ${stepBefore}`);
    const bytes = randomBytes(200_000);
    db.prepare("INSERT INTO users (email, display_name, updated_at) VALUES ('tania@contoso.com', 'Tânia', 'x')").run();
    db.prepare(
      "INSERT INTO user_photos (user_id, bytes, content_type, width, height, sha256, source, updated_at) VALUES (1, ?, 'image/jpeg', 648, 648, 'abc', 'import', 'x')",
    ).run(bytes);
    db.close();
    const upgraded = new SqliteStore(older);
    try {
      const photo = await upgraded.getPhoto(userOwner('tania@contoso.com'));
      expect([photo?.bytes.equals(bytes), photo?.sha256, photo?.width]).to.deep.equal([true, 'abc', 648]);
    } finally {
      await upgraded.close();
    }
    const raw = new Database(older, { readonly: true });
    const columns = (table: string) => raw.pragma(`table_info(${table})`) as { name: string }[];
    expect(['user_photos', 'contact_photos'].map((table) => columns(table).at(-1)?.name)).to.deep.equal(['bytes', 'bytes']);
    raw.close();
  });

  it('makes the contacts of a database from before their folded names findable as it upgrades it', async () => {
    const { path: older, db } = databaseBefore('older-contacts.db', 'fillContactSearchColumns');
    db.prepare(
      "INSERT INTO contacts (mailbox, display_name, given_name, surname, created_at, updated_at) VALUES ('adele@contoso.com', 'Ángela Núñez', 'Ángela', 'Núñez', 'x', 'x')",
    ).run();
    db.close();
    const upgraded = new SqliteStore(older);
    try {
      expect((await upgraded.searchContacts('adele@contoso.com', 'nunez', 5)).map((contact) => contact.displayName)).to.deep.equal(['Ángela Núñez']);
      const { contacts } = await upgraded.pageContacts('adele@contoso.com', { text: 'ANGELA', mode: 'prefix', ignoreCase: true }, 0, 5);
      expect(contacts.map((contact) => contact.displayName)).to.deep.equal(['Ángela Núñez']);
    } finally {
      await upgraded.close();
    }
  });

  it('writes the addresses of a database from before their canonical form in it as it upgrades it, two that become one keeping the first', async () => {
    const { path: older, version: before, db } = databaseBefore('older-addresses.db', 'canonicalizeAddresses');
    db.exec(`
      INSERT INTO users (id, email, display_name, updated_at) VALUES (1, 'rene\u0301e@contoso.example', 'Renée (decomposed)', 'x');
      INSERT INTO users (id, email, display_name, updated_at) VALUES (2, 'renée@contoso.example', 'Renée (composed)', 'x');
      INSERT INTO users (id, email, display_name, manager, other_addresses, updated_at)
        VALUES (3, 'anna@xn--bcher-kva.example', 'Anna', 'rene\u0301e@contoso.example', '["anna.b@xn--bcher-kva.example"]', 'x');
      INSERT INTO user_photos (user_id, bytes, content_type, width, height, sha256, source, updated_at) VALUES (1, x'ff', 'image/jpeg', 1, 1, 'a', 'upload', 'x');
      INSERT INTO contacts (mailbox, display_name, created_at, updated_at) VALUES ('anna@xn--bcher-kva.example', 'Lee Gu', 'x', 'x');
      INSERT INTO users (id, email, display_name, updated_at) VALUES (4, 'bo@xn--bcher-kva.example', 'Bo (first, no photo)', 'x');
      INSERT INTO users (id, email, display_name, updated_at) VALUES (5, 'bo@bücher.example', 'Bo (later, with the photo)', 'x');
      INSERT INTO user_photos (user_id, bytes, content_type, width, height, sha256, source, updated_at) VALUES (5, x'ee', 'image/jpeg', 1, 1, 'b', 'ldap', 'x');
      INSERT INTO accounts (username, password_hash, role, created_at) VALUES ('anna@xn--bcher-kva.example', 'h', 'user', 'x');
    `);
    db.close();
    const upgraded = new SqliteStore(older);
    try {
      expect(upgraded.schemaUpgrade).to.deep.equal({ from: before, to: MIGRATIONS.length });
      expect((await upgraded.listUsers()).map((user) => [user.email, user.displayName])).to.deep.equal([
        ['anna@bücher.example', 'Anna'],
        ['bo@bücher.example', 'Bo (first, no photo)'],
        ['renée@contoso.example', 'Renée (decomposed)'],
      ]);
      expect((await upgraded.getPhotoInfo(userOwner('renée@contoso.example')))?.source).to.equal('upload');
      // The only photo of two that became one was deleted with the later of them.
      expect((await upgraded.getPhotoInfo(userOwner('bo@bücher.example')))?.source).to.equal('ldap');
      expect(await upgraded.getUser('anna.b@bücher.example')).to.deep.include({ email: 'anna@bücher.example', manager: 'renée@contoso.example' });
      expect((await upgraded.pageContacts('anna@bücher.example', undefined, 0, 5)).total).to.equal(1);
      // The login is named as its contacts' mailbox is, as normalizeUsername names it now (it saw none of them).
      expect((await upgraded.listAccounts()).map((account) => account.username)).to.deep.equal(['anna@bücher.example']);
    } finally {
      await upgraded.close();
    }
  });

  it('folds again, as it upgrades it, the names a bridge folded otherwise (final sigma kept, apostrophes and ZWNJ as breaks)', async () => {
    const { path: older, version: before, db } = databaseBefore('older-folding.db', 'refoldSearchColumns');
    const insertUser = db.prepare("INSERT INTO users (email, display_name, name_key, search_names, search_other, updated_at) VALUES (?, ?, ?, ?, '', 'x')");
    insertUser.run('kostas@contoso.com', 'Κώστας Σαμαράς', 'κωστας σαμαρας', 'κωστας σαμαρας kostas');
    insertUser.run('mary@contoso.com', "Mary O'Neill", 'mary o neill', 'mary o neill');
    db.prepare(
      "INSERT INTO contacts (mailbox, display_name, name_key, search_names, created_at, updated_at) VALUES ('adele@contoso.com', 'علی\u200cرضا رضایی', 'علی رضا رضایی', 'علی رضا رضایی', 'x', 'x')",
    ).run();
    db.close();
    const upgraded = new SqliteStore(older);
    try {
      expect(upgraded.schemaUpgrade).to.deep.equal({ from: before, to: MIGRATIONS.length });
      expect((await upgraded.searchUsers('ΚΩΣ', 5)).map((user) => user.email)).to.deep.equal(['kostas@contoso.com']);
      expect((await upgraded.searchDirectory('oneill', 0, 5)).map((entry) => entry.user.email)).to.deep.equal(['mary@contoso.com']);
      expect((await upgraded.searchDirectory('o neill', 0, 5)).map((entry) => entry.user.email)).to.deep.equal(['mary@contoso.com']);
      expect((await upgraded.searchContacts('adele@contoso.com', 'علیرضا', 5)).map((contact) => contact.displayName)).to.deep.equal(['علی\u200cرضا رضایی']);
      // FTS5's own check that the index matches the rows it was built from: the old words went out as the new came in.
      expect(() => new Database(older).exec("INSERT INTO users_search (users_search) VALUES ('integrity-check')")).to.not.throw();
    } finally {
      await upgraded.close();
    }
  });

  it("writes the contacts' own addresses of a database from before their canonical form in it as it upgrades it, and leaves the rest as they were", async () => {
    const { path: older, version: before, db } = databaseBefore('older-contact-addresses.db', 'canonicalizeContactAddresses');
    const insert = db.prepare(
      "INSERT INTO contacts (id, mailbox, display_name, email1, email2, email3, created_at, updated_at) VALUES (?, 'adele@contoso.com', ?, ?, ?, ?, 'x', 'x')",
    );
    insert.run(1, 'Jürgen (decomposed)', 'Lee@Fabrikam.com', 'ju\u0308rgen@xn--mller-kva.example', null);
    insert.run(2, 'Anna', 'ANNA@Bücher.example', null, null);
    insert.run(3, 'Lee Gu', 'Lee@Fabrikam.com', null, null);
    db.close();
    const upgraded = new SqliteStore(older);
    try {
      expect(upgraded.schemaUpgrade).to.deep.equal({ from: before, to: MIGRATIONS.length });
      expect((await upgraded.listContacts('adele@contoso.com')).map((contact) => [contact.id, contact.emailAddresses])).to.deep.equal([
        [2, ['anna@bücher.example']],
        [1, ['Lee@Fabrikam.com', 'jürgen@müller.example']],
        [3, ['Lee@Fabrikam.com']],
      ]);
      const { contacts } = await upgraded.pageContacts('adele@contoso.com', { address: 'jürgen@müller.example' }, 0, 5);
      expect(contacts.map((contact) => contact.displayName)).to.deep.equal(['Jürgen (decomposed)']);
    } finally {
      await upgraded.close();
    }
  });

  it("folds the contacts' other names of a database from before their keys as it upgrades it, so that they sort and compare as the display name", async () => {
    const { path: older, version: before, db } = databaseBefore('older-name-keys.db', 'fillContactNameKeys');
    const insert = db.prepare(
      "INSERT INTO contacts (id, mailbox, display_name, surname, company, name_key, search_names, created_at, updated_at) VALUES (?, 'adele@contoso.com', ?, ?, ?, ?, ?, 'x', 'x')",
    );
    insert.run(1, 'Zimmer', 'Zimmer', 'Zeta', 'zimmer', 'zimmer');
    insert.run(2, 'Öztürk', 'Öztürk', 'ÉCOLE', 'ozturk', 'ozturk');
    insert.run(3, 'Ostrom', 'ostrom', null, 'ostrom', 'ostrom');
    db.close();
    const upgraded = new SqliteStore(older);
    try {
      expect(upgraded.schemaUpgrade).to.deep.equal({ from: before, to: MIGRATIONS.length });
      const names = async (match: ContactMatch | undefined, order?: ContactOrder[]) =>
        (await upgraded.pageContacts('adele@contoso.com', match, 0, 5, order)).contacts.map((contact) => contact.displayName);
      expect(await names(undefined, [{ key: 'surname', descending: true }])).to.deep.equal(['Zimmer', 'Öztürk', 'Ostrom']);
      expect(await names({ text: 'ecole', mode: 'whole', ignoreCase: true, field: 'companyName' })).to.deep.equal(['Öztürk']);
    } finally {
      await upgraded.close();
    }
  });

  it('writes the SIP addresses of a database from before their canonical form in it as it upgrades it, and leaves ASCII case as it was', async () => {
    const { path: older, version: before, db } = databaseBefore('older-sip-addresses.db', 'canonicalizeSipAddresses');
    const insert = db.prepare("INSERT INTO users (id, email, display_name, sip_address, updated_at) VALUES (?, ?, ?, ?, 'x')");
    insert.run(1, 'juergen@contoso.com', 'J. Müller', 'sip:Ju\u0308rgen@xn--bcher-kva.example');
    insert.run(2, 'alex@contoso.com', 'Alex', 'sip:Alex@Contoso.com');
    insert.run(3, 'lee@contoso.com', 'Lee', null);
    db.close();
    const upgraded = new SqliteStore(older);
    try {
      expect(upgraded.schemaUpgrade).to.deep.equal({ from: before, to: MIGRATIONS.length });
      expect((await upgraded.listUsers()).map((user) => [user.email, user.sipAddress])).to.deep.equal([
        ['alex@contoso.com', 'sip:Alex@Contoso.com'],
        ['juergen@contoso.com', 'sip:jürgen@bücher.example'],
        ['lee@contoso.com', undefined],
      ]);
      expect((await upgraded.usersByAddressPrefix('sip', 'sip:jürgen@bücher', 5)).map((user) => user.email)).to.deep.equal(['juergen@contoso.com']);
    } finally {
      await upgraded.close();
    }
  });

  it('composes the names and phone numbers a database from before held decomposed as it upgrades it, and leaves the rest as they were', async () => {
    const { path: older, version: before, db } = databaseBefore('older-decomposed-names.db', 'composeStoredText');
    db.prepare(
      "INSERT INTO users (id, email, display_name, given_name, title, mobile_phone, refs, updated_at) VALUES (1, 'renee@contoso.com', ?, ?, 'Director', ?, ?, 'x')",
    ).run(...DECOMPOSED_USER);
    db.prepare("INSERT INTO users (id, email, display_name, refs, updated_at) VALUES (2, 'alex@contoso.com', 'Alex Wilber', '{}', 'x')").run();
    db.prepare(
      "INSERT INTO contacts (id, mailbox, display_name, surname, company, job_title, home_phone, created_at, updated_at) VALUES (1, 'adele@contoso.com', ?, ?, 'Contoso', ?, 'x', 'c', 'u')",
    ).run(...DECOMPOSED_CONTACT);
    db.close();
    const upgraded = new SqliteStore(older);
    try {
      expect(upgraded.schemaUpgrade).to.deep.equal({ from: before, to: MIGRATIONS.length });
      await expectComposed(upgraded);
    } finally {
      await upgraded.close();
    }
  });

  it('leaves no one their own manager as it upgrades a database an import had given one, and the others their managers', async () => {
    const { path: older, version: before, db } = databaseBefore('older-own-managers.db', OWN_MANAGERS_CLEARED);
    db.prepare(
      "INSERT INTO users (id, email, display_name, manager, refs, updated_at) VALUES (1, 'self@contoso.com', 'Self', 'SELF@contoso.com', '{}', 'x'), (2, 'lee@contoso.com', 'Lee', 'self@contoso.com', '{}', 'x')",
    ).run();
    db.close();
    const upgraded = new SqliteStore(older);
    try {
      expect(upgraded.schemaUpgrade).to.deep.equal({ from: before, to: MIGRATIONS.length });
      expect((await upgraded.listUsers()).map((user) => [user.email, user.manager])).to.deep.equal([
        ['lee@contoso.com', 'self@contoso.com'],
        ['self@contoso.com', undefined],
      ]);
    } finally {
      await upgraded.close();
    }
  });

  it('is made by one of several processes opening a new file at the same moment, the others finding each step done', async function () {
    // Six processes loading the bridge's TypeScript take seconds each on a busy host, before the moment they wait for.
    this.timeout(120_000);
    const shared = join(dir, 'opened-at-once.db');
    // Each loads the bridge, says so, and waits for the parent to let all go at once (its stdin ends), then opens the store
    // as `serve` and the CLI do; they used to race through the first migration.
    const script = `import { SqliteStore } from ${JSON.stringify(new URL('../../src/store/sqlite-store.ts', import.meta.url).href)};
      process.stdout.write('ready\\n');
      process.stdin.resume();
      await new Promise((resolve) => process.stdin.on('end', resolve));
      await new SqliteStore(${JSON.stringify(shared)}).close();`;
    const children = Array.from({ length: 6 }, () => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'pipe' }));
    const runs = children.map((child) => {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      return new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
    });
    // Each is ready, or has ended (its stderr then says why, below).
    await Promise.all(children.map((child, i) => Promise.race([once(child.stdout, 'data'), runs[i]])));
    for (const child of children) child.stdin.end();
    expect((await Promise.all(runs)).map(({ code, stderr }) => (code === 0 ? 'ok' : stderr.split('\n').find((line) => /Error/.test(line))))).to.deep.equal(
      Array(6).fill('ok'),
    );
    const db = new Database(shared, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).to.equal(MIGRATIONS.length);
    db.close();
  });

  it('refuses a database from a newer bridge', async () => {
    await store.close();
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => new SqliteStore(path)).to.throw(/newer than this bridge knows/);
    store = new SqliteStore(':memory:');
  });
});
