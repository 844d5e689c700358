import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { userOwner } from '../../src/domain/photo-owner.js';

const photo = (seed: string) => ({ bytes: Buffer.from(seed), contentType: 'image/jpeg' as const, width: 10, height: 20, sha256: seed.padEnd(64, '0') });

describe('SqliteStore', () => {
  let dir: string;
  let path: string;
  let store: SqliteStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'epb-store-'));
    path = join(dir, 'nested', 'bridge.db');
    store = new SqliteStore(path);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the file (and its folder) in WAL mode at the latest schema version', () => {
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

  it('reopens an existing database without migrating it again', async () => {
    await store.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }]);
    await store.close();
    store = new SqliteStore(path);
    expect(await store.countUsers()).to.equal(1);
  });

  it('refuses a database from a newer bridge', async () => {
    await store.close();
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => new SqliteStore(path)).to.throw(/newer than this bridge knows/);
    store = new SqliteStore(':memory:');
  });

  it('keeps every directory field and reference', async () => {
    const user = {
      email: 'lee.gu@contoso.com',
      displayName: 'Lee Gu',
      givenName: 'Lee',
      surname: 'Gu',
      alias: 'leeg',
      company: 'Contoso',
      department: 'Manufacturing',
      title: 'Director',
      businessPhone: '+1 425 555 0100',
      mobilePhone: '+1 425 555 0199',
      sipAddress: 'sip:lee.gu@contoso.com',
      refs: { ldapDn: 'cn=Lee Gu,ou=People,dc=contoso,dc=com', superOfficeId: '42', whatsappPhone: '+5511999990000' },
    };
    await store.upsertUsers([user]);
    expect(await store.getUser('lee.gu@contoso.com')).to.deep.equal(user);
  });

  it('treats the primary SMTP address as unique whatever its case', async () => {
    await store.upsertUsers([{ email: 'Megan.Bowen@Contoso.com', displayName: 'Megan', refs: {} }]);
    await store.upsertUsers([{ email: 'megan.bowen@contoso.com', displayName: 'Megan Bowen', refs: {} }]);
    expect(await store.countUsers()).to.equal(1);
    expect((await store.getUser('MEGAN.BOWEN@CONTOSO.COM'))?.displayName).to.equal('Megan Bowen');
  });

  it('imports all users in one transaction: a failing row leaves nothing behind', async () => {
    const bad = { email: 'b@contoso.com', displayName: null as unknown as string, refs: {} };
    try {
      await store.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }, bad]);
      expect.fail('the import should have failed');
    } catch (error) {
      expect((error as Error).message).to.match(/NOT NULL/);
    }
    expect(await store.countUsers()).to.equal(0);
  });

  it('stores a photo for a user, replaces it, and removes it with the user', async () => {
    await store.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }]);
    expect(await store.setPhoto(userOwner('A@contoso.com'), photo('one'), 'test')).to.equal(true);
    expect(await store.setPhoto(userOwner('a@contoso.com'), photo('two'), 'cli')).to.equal(true);
    const stored = await store.getPhoto(userOwner('a@contoso.com'));
    expect(stored?.bytes.toString()).to.equal('two');
    expect(stored).to.include({ width: 10, height: 20, source: 'cli', contentType: 'image/jpeg' });
    expect(await store.getPhotoInfo(userOwner('a@contoso.com'))).to.deep.include({ sha256: 'two'.padEnd(64, '0'), width: 10, height: 20, source: 'cli' });
    expect(await store.removeUser('a@contoso.com')).to.equal(true);
    expect(await store.getPhoto(userOwner('a@contoso.com'))).to.equal(undefined);
  });

  it('does not store a photo for an unknown user', async () => {
    expect(await store.setPhoto(userOwner('ghost@contoso.com'), photo('x'), 'test')).to.equal(false);
  });

  it('keeps accounts with their hash and role, names case-insensitive', async () => {
    await store.putAccount('Admin@Contoso.com', 'scrypt$hash', 'admin');
    expect(await store.getAccount('admin@contoso.com')).to.deep.equal({ username: 'Admin@Contoso.com', passwordHash: 'scrypt$hash', role: 'admin' });
    expect(await store.listAccounts()).to.deep.equal([{ username: 'Admin@Contoso.com', role: 'admin' }]);
    expect(await store.removeAccount('ADMIN@contoso.com')).to.equal(true);
    expect(await store.getAccount('admin@contoso.com')).to.equal(undefined);
  });

  it('counts changes made by another connection, for cache invalidation', async () => {
    const before = await store.changeCounter();
    const other = new SqliteStore(path);
    await other.upsertUsers([{ email: 'a@contoso.com', displayName: 'A', refs: {} }]);
    await other.close();
    expect(await store.changeCounter()).to.not.equal(before);
  });

  describe('contacts', () => {
    const lee = {
      displayName: 'Lee Gu',
      givenName: 'Lee',
      surname: 'Gu',
      emailAddresses: ['lee@fabrikam.com'],
      phones: { business: '+1 555' },
      refs: { superOfficeId: '7' },
    };

    it('keeps a contact in its own mailbox only', async () => {
      const [id] = await store.addContacts('adele@contoso.com', [lee]);
      expect(await store.getContact('ADELE@contoso.com', id!)).to.deep.include({ ...lee, mailbox: 'adele@contoso.com' });
      expect(await store.getContact('megan@contoso.com', id!)).to.equal(undefined);
      expect(await store.listContacts('megan@contoso.com')).to.deep.equal([]);
      expect(await store.removeContact('megan@contoso.com', id!)).to.equal(false);
      expect(await store.removeContact('adele@contoso.com', id!)).to.equal(true);
    });

    it('adds contacts all or nothing', async () => {
      const broken = { ...lee, displayName: null as unknown as string };
      try {
        await store.addContacts('adele@contoso.com', [lee, broken]);
        expect.fail('should have failed');
      } catch (error) {
        expect((error as Error).message).to.match(/NOT NULL/);
      }
      expect(await store.listContacts('adele@contoso.com')).to.deep.equal([]);
    });

    it('finds contacts by the start of a name or an address, with % and _ taken literally', async () => {
      await store.addContacts('adele@contoso.com', [lee, { ...lee, displayName: '100% Gu_x', givenName: undefined, surname: undefined, emailAddresses: [] }]);
      const names = async (prefix: string) => (await store.searchContacts('adele@contoso.com', prefix, 10)).map((c) => c.displayName);
      expect(await names('le')).to.deep.equal(['Lee Gu']);
      expect(await names('GU')).to.deep.equal(['Lee Gu']);
      expect(await names('lee@fab')).to.deep.equal(['Lee Gu']);
      expect(await names('100%')).to.deep.equal(['100% Gu_x']);
      expect(await names('%')).to.deep.equal([]);
      expect(await store.searchContacts('megan@contoso.com', 'Lee', 10)).to.deep.equal([]);
    });

    it('changes the contact when its photo changes, and removes the photo with the contact', async () => {
      const [id] = await store.addContacts('adele@contoso.com', [{ ...lee, photo: photo('one') }]);
      const before = await store.getContact('adele@contoso.com', id!);
      expect(before?.photo).to.include({ sha256: 'one'.padEnd(64, '0'), bytesLength: 3 });
      await new Promise((resolve) => setTimeout(resolve, 5));
      await store.setPhoto({ kind: 'contact', id: id! }, photo('two'), 'test');
      const after = await store.getContact('adele@contoso.com', id!);
      expect(after?.updatedAt).to.not.equal(before?.updatedAt);
      await store.removeContact('adele@contoso.com', id!);
      expect(await store.getPhoto({ kind: 'contact', id: id! })).to.equal(undefined);
    });
  });

  it('finds directory users by the start of names, alias or address', async () => {
    await store.upsertUsers([
      { email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', givenName: 'Alex', surname: 'Wilber', alias: 'alexw', refs: {} },
      { email: 'megan.bowen@contoso.com', displayName: 'Megan Bowen', refs: {} },
    ]);
    const emails = async (prefix: string) => (await store.searchUsers(prefix, 10)).map((u) => u.email);
    expect(await emails('wil')).to.deep.equal(['alex.wilber@contoso.com']);
    expect(await emails('alexw')).to.deep.equal(['alex.wilber@contoso.com']);
    expect(await emails('megan.b')).to.deep.equal(['megan.bowen@contoso.com']);
    expect(await emails('bowen')).to.deep.equal([]);
    expect(await store.searchUsers('', 1)).to.have.length(1);
  });

  it('makes a named secret once and keeps it across reopening', async () => {
    const first = await store.secret('item-ids', 32);
    expect(first).to.have.length(32);
    expect(await store.secret('item-ids', 32)).to.deep.equal(first);
    await store.close();
    store = new SqliteStore(path);
    expect(await store.secret('item-ids', 32)).to.deep.equal(first);
    expect(await store.secret('other', 32)).to.not.deep.equal(first);
  });
});
