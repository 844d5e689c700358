import { expect } from 'chai';
import { DECOMPOSED_CONTACT, DECOMPOSED_USER, expectComposed } from '../support/decomposed-rows.js';
import pg from 'pg';
import { userOwner } from '../../src/domain/photo-owner.js';
import { BridgeError, StoreUnreachableError } from '../../src/domain/errors.js';
import { loadConfig } from '../../src/config.js';
import { MIGRATIONS, StoreOpenError, type DataStep, type SchemaUpgrade } from '../../src/store/migrations.js';
import { openStore } from '../../src/store/open-store.js';
import { fromPostgresError } from '../../src/store/postgres-errors.js';
import { searchKeys } from '../../src/store/postgres-search-keys.js';
import { MATCHES_SORTED_MAX, searchColumnsOf } from '../../src/store/search-text.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { freePort } from '../support/free-port.js';
import { freshDatabase } from '../support/postgres.js';
import { rejectionOf } from '../support/rejection.js';
import { startTcpRelay, type TcpRelay } from '../support/tcp-relay.js';
import { OWN_MANAGERS_CLEARED, runSql } from './backends.js';

const alex = { email: 'alex@contoso.com', displayName: 'Alex', refs: {} };

/** Resolves at the next call of the returned listener. */
function nextCall(): { listener: () => void; called: Promise<void> } {
  let resolve!: () => void;
  const called = new Promise<void>((r) => (resolve = r));
  return { listener: () => resolve(), called };
}

/** What only the PostgreSQL store does; the behaviours both stores share are in store.test.ts. */
describe('PostgresStore', () => {
  let url: string;
  const opened: PostgresStore[] = [];
  const open = async (options = {}) => {
    const store = await PostgresStore.open(url, options);
    opened.push(store);
    return store;
  };

  /** The schema as a bridge from before the step with this data step left it, by the steps' own SQL. */
  const migrateUpToStepOf = async (step: DataStep | number) => {
    const before = typeof step === 'number' ? step : MIGRATIONS.findIndex((migration) => migration.then === step);
    await runSql(url, 'CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    for (const [i, migration] of MIGRATIONS.slice(0, before).entries()) {
      await runSql(url, migration.postgres);
      await runSql(url, 'INSERT INTO schema_migrations (version) VALUES ($1)', [i + 1]);
    }
  };

  before(async () => {
    url = await freshDatabase();
  });
  beforeEach(() => runSql(url, 'DROP SCHEMA public CASCADE; CREATE SCHEMA public'));
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  it('migrates once when replicas start together, recording each version', async () => {
    const stores = await Promise.all([open(), open(), open()]);
    expect(stores.map((store) => store.schemaUpgrade).filter(Boolean)).to.deep.equal([{ from: 0, to: MIGRATIONS.length }]);
    const { rows } = await runSql(url, 'SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((row) => row.version)).to.deep.equal(MIGRATIONS.map((_, i) => i + 1));
  });

  it('makes the users of a database from before the people search findable as it upgrades it', async () => {
    await migrateUpToStepOf('fillUserSearchColumns');
    await runSql(url, "INSERT INTO users (email, display_name, department, updated_at) VALUES ('tania@contoso.com', 'Tânia Ivanova', 'Finance', 'x')");
    const starting: SchemaUpgrade[] = [];
    const store = await open({ upgradeStarting: (upgrade: SchemaUpgrade) => starting.push(upgrade) });
    const upgrade = { from: MIGRATIONS.findIndex((migration) => migration.then === 'fillUserSearchColumns'), to: MIGRATIONS.length };
    expect([starting, store.schemaUpgrade]).to.deep.equal([[upgrade], upgrade]);
    expect((await store.searchUsers('tania iva', 5)).map((user) => user.email)).to.deep.equal(['tania@contoso.com']);
    expect((await store.searchDirectory('finan', 0, 5)).map((entry) => entry.user.email)).to.deep.equal(['tania@contoso.com']);
  });

  it('makes the contacts of a database from before their folded names findable as it upgrades it', async () => {
    await migrateUpToStepOf('fillContactSearchColumns');
    await runSql(
      url,
      "INSERT INTO contacts (mailbox, display_name, given_name, surname, created_at, updated_at) VALUES ('adele@contoso.com', 'Ángela Núñez', 'Ángela', 'Núñez', 'x', 'x')",
    );
    const store = await open();
    expect((await store.searchContacts('adele@contoso.com', 'nunez', 5)).map((contact) => contact.displayName)).to.deep.equal(['Ángela Núñez']);
    const { contacts } = await store.pageContacts('adele@contoso.com', { text: 'ANGELA', mode: 'prefix', ignoreCase: true }, 0, 5);
    expect(contacts.map((contact) => contact.displayName)).to.deep.equal(['Ángela Núñez']);
  });

  it('writes the addresses of a database from before their canonical form in it as it upgrades it, two that become one keeping the first', async () => {
    await migrateUpToStepOf('canonicalizeAddresses');
    await runSql(
      url,
      `INSERT INTO users (id, email, display_name, manager, other_addresses, updated_at) VALUES
         (1, 'rene\u0301e@contoso.example', 'Renée (decomposed)', NULL, NULL, 'x'),
         (2, 'renée@contoso.example', 'Renée (composed)', NULL, NULL, 'x'),
         (3, 'anna@xn--bcher-kva.example', 'Anna', 'rene\u0301e@contoso.example', '["anna.b@xn--bcher-kva.example"]', 'x');
       INSERT INTO user_photos (user_id, bytes, content_type, width, height, sha256, source, updated_at) VALUES (1, '\\xff', 'image/jpeg', 1, 1, 'a', 'upload', 'x');
       INSERT INTO contacts (mailbox, display_name, created_at, updated_at) VALUES ('anna@xn--bcher-kva.example', 'Lee Gu', 'x', 'x');
       INSERT INTO users (id, email, display_name, updated_at) VALUES (4, 'bo@xn--bcher-kva.example', 'Bo (first, no photo)', 'x'), (5, 'bo@bücher.example', 'Bo (later, with the photo)', 'x');
       INSERT INTO user_photos (user_id, bytes, content_type, width, height, sha256, source, updated_at) VALUES (5, '\\xee', 'image/jpeg', 1, 1, 'b', 'ldap', 'x');
       INSERT INTO accounts (username, password_hash, role, created_at) VALUES ('anna@xn--bcher-kva.example', 'h', 'user', 'x');`,
    );
    const store = await open();
    expect(store.schemaUpgrade).to.deep.equal({ from: MIGRATIONS.findIndex((migration) => migration.then === 'canonicalizeAddresses'), to: MIGRATIONS.length });
    expect((await store.listUsers()).map((user) => [user.email, user.displayName])).to.deep.equal([
      ['anna@bücher.example', 'Anna'],
      ['bo@bücher.example', 'Bo (first, no photo)'],
      ['renée@contoso.example', 'Renée (decomposed)'],
    ]);
    expect((await store.getPhotoInfo(userOwner('bo@bücher.example')))?.source).to.equal('ldap');
    expect((await store.listAccounts()).map((account) => account.username)).to.deep.equal(['anna@bücher.example']);
    expect((await store.getPhotoInfo(userOwner('renée@contoso.example')))?.source).to.equal('upload');
    expect(await store.getUser('anna.b@bücher.example')).to.deep.include({ email: 'anna@bücher.example', manager: 'renée@contoso.example' });
    expect((await store.pageContacts('anna@bücher.example', undefined, 0, 5)).total).to.equal(1);
  });

  it("writes the contacts' own addresses of a database from before their canonical form in it as it upgrades it, and leaves the rest as they were", async () => {
    await migrateUpToStepOf('canonicalizeContactAddresses');
    await runSql(
      url,
      `INSERT INTO contacts (id, mailbox, display_name, email1, email2, email3, created_at, updated_at) VALUES
         (1, 'adele@contoso.com', 'Jürgen (decomposed)', 'Lee@Fabrikam.com', 'ju\u0308rgen@xn--mller-kva.example', NULL, 'x', 'x'),
         (2, 'adele@contoso.com', 'Anna', 'ANNA@Bücher.example', NULL, NULL, 'x', 'x'),
         (3, 'adele@contoso.com', 'Lee Gu', 'Lee@Fabrikam.com', NULL, NULL, 'x', 'x')`,
    );
    const store = await open();
    expect(store.schemaUpgrade).to.deep.equal({
      from: MIGRATIONS.findIndex((migration) => migration.then === 'canonicalizeContactAddresses'),
      to: MIGRATIONS.length,
    });
    expect((await store.listContacts('adele@contoso.com')).map((contact) => [contact.id, contact.emailAddresses])).to.deep.equal([
      [2, ['anna@bücher.example']],
      [1, ['Lee@Fabrikam.com', 'jürgen@müller.example']],
      [3, ['Lee@Fabrikam.com']],
    ]);
    const { contacts } = await store.pageContacts('adele@contoso.com', { address: 'jürgen@müller.example' }, 0, 5);
    expect(contacts.map((contact) => contact.displayName)).to.deep.equal(['Jürgen (decomposed)']);
  });

  it('writes the SIP addresses of a database from before their canonical form in it as it upgrades it, and leaves ASCII case as it was', async () => {
    await migrateUpToStepOf('canonicalizeSipAddresses');
    await runSql(
      url,
      `INSERT INTO users (id, email, display_name, sip_address, updated_at) VALUES
         (1, 'juergen@contoso.com', 'J. Müller', 'sip:Ju\u0308rgen@xn--bcher-kva.example', 'x'),
         (2, 'alex@contoso.com', 'Alex', 'sip:Alex@Contoso.com', 'x'),
         (3, 'lee@contoso.com', 'Lee', NULL, 'x')`,
    );
    const store = await open();
    expect(store.schemaUpgrade).to.deep.equal({
      from: MIGRATIONS.findIndex((migration) => migration.then === 'canonicalizeSipAddresses'),
      to: MIGRATIONS.length,
    });
    expect((await store.listUsers()).map((user) => [user.email, user.sipAddress])).to.deep.equal([
      ['alex@contoso.com', 'sip:Alex@Contoso.com'],
      ['juergen@contoso.com', 'sip:jürgen@bücher.example'],
      ['lee@contoso.com', undefined],
    ]);
    expect((await store.usersByAddressPrefix('sip', 'sip:jürgen@bücher', 5)).map((user) => user.email)).to.deep.equal(['juergen@contoso.com']);
  });

  it('composes the names and phone numbers a database from before held decomposed as it upgrades it, and leaves the rest as they were', async () => {
    await migrateUpToStepOf('composeStoredText');
    await runSql(
      url,
      `INSERT INTO users (id, email, display_name, given_name, title, mobile_phone, refs, updated_at) VALUES
         (1, 'renee@contoso.com', $1, $2, 'Director', $3, $4, 'x'),
         (2, 'alex@contoso.com', 'Alex Wilber', NULL, NULL, NULL, '{}', 'x')`,
      DECOMPOSED_USER,
    );
    await runSql(
      url,
      "INSERT INTO contacts (id, mailbox, display_name, surname, company, job_title, home_phone, created_at, updated_at) VALUES (1, 'adele@contoso.com', $1, $2, 'Contoso', $3, 'x', 'c', 'u')",
      DECOMPOSED_CONTACT,
    );
    const store = await open();
    expect(store.schemaUpgrade).to.deep.equal({ from: MIGRATIONS.findIndex((migration) => migration.then === 'composeStoredText'), to: MIGRATIONS.length });
    await expectComposed(store);
  });

  it('leaves no one their own manager as it upgrades a database an import had given one, and the others their managers', async () => {
    await migrateUpToStepOf(OWN_MANAGERS_CLEARED);
    await runSql(
      url,
      "INSERT INTO users (id, email, display_name, manager, updated_at) VALUES (1, 'self@contoso.com', 'Self', 'SELF@contoso.com', 'x'), (2, 'lee@contoso.com', 'Lee', 'self@contoso.com', 'x')",
    );
    const store = await open();
    expect(store.schemaUpgrade).to.deep.equal({ from: OWN_MANAGERS_CLEARED, to: MIGRATIONS.length });
    expect((await store.listUsers()).map((user) => [user.email, user.manager])).to.deep.equal([
      ['lee@contoso.com', 'self@contoso.com'],
      ['self@contoso.com', undefined],
    ]);
  });

  it('gives the users of a database from before the word-start keys their keys and name word lists as it upgrades it, those a write gives', async () => {
    await migrateUpToStepOf('fillUserSearchKeys');
    const tania = { email: 'tania@contoso.com', displayName: 'Tânia Ivanova', department: 'Finance', refs: {} };
    const search = searchColumnsOf(tania);
    await runSql(
      url,
      "INSERT INTO users (email, display_name, department, name_key, search_names, search_other, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'x')",
      [tania.email, tania.displayName, tania.department, search.name_key, search.search_names, search.search_other],
    );
    const store = await open();
    const lists = await runSql(url, 'SELECT word, name_key, address, names FROM user_name_words');
    expect(lists.rows, 'the name word lists').to.deep.equal([
      { word: 'ivanova', name_key: 'tania ivanova', address: 'tania@contoso.com', names: ' tania ivanova' },
    ]);
    expect((await store.searchUsers('tania iva', 5)).map((user) => user.email)).to.deep.equal(['tania@contoso.com']);
    expect((await store.searchDirectory('finan iv', 0, 5)).map((entry) => entry.user.email)).to.deep.equal(['tania@contoso.com']);
    const keys = async () => (await runSql(url, 'SELECT search_keys::text AS keys FROM users')).rows[0]!.keys as string;
    const upgraded = await keys();
    await store.upsertUsers([{ ...tania, title: 'Analyst' }]);
    await store.upsertUsers([tania]);
    expect(await keys()).to.equal(upgraded);
    const { rows } = await runSql(url, "SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'word_starts'");
    expect(rows[0]!.n, 'the SQL function that made the keys is gone').to.equal(0);
  });

  it('folds again, as it upgrades it, the names a bridge folded otherwise, their keys and name word lists with them, and no other row', async () => {
    await migrateUpToStepOf('refoldSearchColumns');
    const insertUser = (email: string, displayName: string, nameKey: string, searchNames: string) =>
      runSql(
        url,
        "INSERT INTO users (email, display_name, name_key, search_names, search_other, search_keys, updated_at) VALUES ($1, $2, $3, $4, '', $5::tsvector, 'x')",
        [email, displayName, nameKey, searchNames, searchKeys(searchNames, '')],
      );
    await insertUser('kostas@contoso.com', 'Κώστας Σαμαράς', 'κωστας σαμαρας', 'κωστας σαμαρας kostas');
    await insertUser('mary@contoso.com', "Mary O'Neill", 'mary o neill', 'mary o neill');
    await insertUser('alex@contoso.com', 'Alex Wilber', 'alex wilber', 'alex wilber');
    await runSql(
      url,
      "INSERT INTO contacts (mailbox, display_name, name_key, search_names, created_at, updated_at) VALUES ('adele@contoso.com', 'علی\u200cرضا رضایی', 'علی رضا رضایی', 'علی رضا رضایی', 'x', 'x')",
    );
    const version = async (email: string) => (await runSql(url, 'SELECT xmin::text AS v FROM users WHERE email = $1', [email])).rows[0]!.v as string;
    const alexBefore = await version('alex@contoso.com');

    const store = await open();
    expect((await store.searchUsers('ΚΩΣ', 5)).map((user) => user.email)).to.deep.equal(['kostas@contoso.com']);
    expect((await store.searchDirectory('σαμαρασ', 0, 5)).map((entry) => entry.user.email)).to.deep.equal(['kostas@contoso.com']);
    expect((await store.searchDirectory('oneill', 0, 5)).map((entry) => entry.user.email)).to.deep.equal(['mary@contoso.com']);
    expect((await store.searchDirectory('o neill', 0, 5)).map((entry) => entry.user.email)).to.deep.equal(['mary@contoso.com']);
    expect((await store.searchContacts('adele@contoso.com', 'علیرضا', 5)).map((contact) => contact.displayName)).to.deep.equal(['علی\u200cرضا رضایی']);
    const { rows } = await runSql(url, "SELECT search_keys::text AS keys FROM users WHERE email = 'mary@contoso.com'");
    expect(rows[0]!.keys, 'the keys of the names as they fold now').to.equal(
      (await runSql(url, 'SELECT $1::tsvector::text AS keys', [searchKeys('mary oneill o neill', '')])).rows[0]!.keys,
    );
    const lists = await runSql(url, "SELECT word FROM user_name_words WHERE address = 'kostas@contoso.com' ORDER BY word");
    expect(lists.rows.map((row) => row.word)).to.deep.equal(['kostas', 'σαμαρασ']);
    expect(await version('alex@contoso.com'), 'a name that folds as before is not written').to.equal(alexBefore);
  });

  it("writes each user's word starts of one to four letters, the other fields' marked apart, a letter outside the BMP counted as one", async () => {
    const store = await open();
    await store.upsertUsers([{ email: 'li@contoso.com', displayName: '\u{20000}\u{20001}\u{20002}\u{20003}\u{20004} Li', department: 'Finance', refs: {} }]);
    const { rows } = await runSql(url, 'SELECT search_keys::text AS keys FROM users');
    const keys = (rows[0]!.keys as string).split(' ').map((key) => key.slice(1, -1));
    expect(keys).to.have.members([
      '\u{20000}',
      '\u{20000}\u{20001}',
      '\u{20000}\u{20001}\u{20002}',
      '\u{20000}\u{20001}\u{20002}\u{20003}',
      'l',
      'li',
      '~f',
      '~fi',
      '~fin',
      '~fina',
    ]);
    expect((await store.searchUsers('li \u{20000}\u{20001}\u{20002}\u{20003}\u{20004}', 5)).map((user) => user.email)).to.deep.equal(['li@contoso.com']);
    expect(await store.searchUsers('fina', 5), 'the department is no name').to.deep.equal([]);
  });

  it('refuses a database from a newer bridge', async () => {
    await (await open()).close();
    await runSql(url, 'INSERT INTO schema_migrations (version) VALUES ($1)', [MIGRATIONS.length + 1]);
    let failure: unknown;
    await PostgresStore.open(url).catch((error: unknown) => (failure = error));
    expect((failure as Error | undefined)?.message).to.match(/newer than this bridge knows/);
  });

  it('loads a large import into an empty directory with the same indexes after it, or none of it when a row fails', async () => {
    const store = await open();
    const indexes = async () =>
      (await runSql(url, "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('users', 'user_name_words') ORDER BY indexname")).rows;
    const people = (name: string) => Array.from({ length: 10_000 }, (_, i) => ({ email: `p${i}@contoso.com`, displayName: `${name} ${i}`, refs: {} }));
    const before = await indexes();

    let failure: unknown;
    await store
      .upsertUsers([...people('Failed'), { email: 'x@contoso.com', displayName: null as unknown as string, refs: {} }])
      .catch((error: unknown) => (failure = error));
    expect((failure as Error | undefined)?.message).to.match(/null value/);
    expect(await store.countUsers()).to.equal(0);
    expect((await runSql(url, 'SELECT count(*)::int AS n FROM user_name_words')).rows[0]!.n).to.equal(0);
    expect(await indexes()).to.deep.equal(before);

    await store.upsertUsers([...people('Loaded'), { email: 'tab@contoso.com', displayName: 'Tab\tand \\ back\nslash', refs: { ldapDn: 'cn=a\\,b' } }]);
    expect(await store.countUsers()).to.equal(10_001);
    expect(await indexes()).to.deep.equal(before);
    expect(await store.getUser('tab@contoso.com')).to.deep.equal({
      email: 'tab@contoso.com',
      displayName: 'Tab\tand \\ back\nslash',
      refs: { ldapDn: 'cn=a\\,b' },
    });
    expect((await store.searchUsers('9999 loaded', 5)).map((user) => user.email)).to.deep.equal(['p9999@contoso.com']);
    // Loaded frozen and analyzed: every page all-visible (index-only scans read no table page), statistics in place.
    const { rows } = await runSql(url, "SELECT relpages, relallvisible, reltuples FROM pg_class WHERE relname = 'users'");
    expect(rows[0]!.relallvisible).to.equal(rows[0]!.relpages).and.to.be.greaterThan(0);
    expect(rows[0]!.reltuples).to.equal(10_001);
  });

  it('keeps the name word lists as its triggers make them, whether an import loads them or writes change them', async () => {
    const tricky = [
      { email: 'Élise.DUPONT.42@Contoso.com', displayName: 'Élise Dupont', givenName: 'Élise', surname: 'Dupont' },
      { email: 'ana.ana@contoso.com', displayName: 'Ana Ana Ruiz-Ruiz 2024', alias: 'ana7' },
      { email: 'solo@contoso.com', displayName: 'Solo' },
      { email: 'astral@contoso.com', displayName: '𝒜lex Ωmega', surname: 'Ωmega' },
      { email: '12345@contoso.com', displayName: '12345 Numbers Only 678' },
    ];
    const people = [
      ...tricky.map((user) => ({ ...user, refs: {} })),
      ...Array.from({ length: 10_000 }, (_, i) => ({ email: `P${i}@contoso.com`, displayName: `Given${i % 97} Sur${i % 89}name ${i}`, refs: {} })),
    ];
    const lists = async (at: string) => (await runSql(at, 'SELECT word, name_key, address, names FROM user_name_words ORDER BY word, name_key, address')).rows;
    const openAt = async (at: string) => {
      const store = await PostgresStore.open(at);
      opened.push(store);
      return store;
    };
    const loaded = await open();
    await loaded.upsertUsers(people); // an import into an empty directory: the lists loaded by COPY
    const writtenAt = await freshDatabase();
    const written = await openAt(writtenAt);
    for (let i = 0; i < people.length; i += 4000) await written.upsertUsers(people.slice(i, i + 4000)); // in batches: the triggers make them
    const made = await lists(writtenAt);
    expect(made.length).to.be.greaterThan(10_000);
    expect(made.filter((row) => row.address === 'Élise.dupont.42@contoso.com').map((row) => row.word)).to.deep.equal(['dupont']);
    // A hyphenated name is found by its joined form too.
    expect(made.filter((row) => row.address === 'ana.ana@contoso.com').map((row) => row.word)).to.deep.equal(['ana7', 'ruiz', 'ruizruiz']);
    expect(made.filter((row) => row.address === '12345@contoso.com').map((row) => row.word)).to.deep.equal(['numbers', 'only']);
    expect(await lists(url)).to.deep.equal(made);

    // A rename, a removal and a new person, written to the loaded lists, give those of an import of the result.
    const changes = [
      { email: 'p1@contoso.com', displayName: 'Renamed Person', refs: {} },
      { email: 'ana.ana@contoso.com', displayName: 'Ana Ana Ruiz-Ruiz 2024', alias: 'anita', refs: {} },
      { email: 'new@contoso.com', displayName: 'Brand New', refs: {} },
    ];
    await loaded.upsertUsers(changes);
    await loaded.removeUser('solo@contoso.com');
    await loaded.removeUser('P2@contoso.com');
    const result = new Map(people.map((user) => [user.email.toLowerCase(), user]));
    for (const user of changes) result.set(user.email, user);
    result.delete('solo@contoso.com');
    result.delete('p2@contoso.com');
    const importedAt = await freshDatabase();
    await (await openAt(importedAt)).upsertUsers([...result.values()]);
    expect(await lists(url)).to.deep.equal(await lists(importedAt));
  });

  it('reads a surname from its name word lists though it starts the joined word of each double surname it is in: the exact name order far into the directory', async () => {
    // "becker" starts 21 words of the lists: its own and one joined a partner's ("beckerpartnera",
    // search-text.ts). Two matches first, then more rows than a walk of the name index takes (50,000),
    // none a match, then more matches than a word tier sorts once that walk comes short
    // (MATCHES_SORTED_MAX), written last first: without the lists a page held the first matches written.
    const pad = (n: number) => String(n).padStart(5, '0');
    const person = (email: string, displayName: string) => ({ email, displayName, refs: {} });
    const late = Array.from({ length: MATCHES_SORTED_MAX + 200 }, (_, i) => MATCHES_SORTED_MAX + 199 - i).map((n) =>
      person(`late${n}@contoso.com`, `Given${pad(n)} Becker-Partner${String.fromCharCode(97 + (n % 20))}`),
    );
    const fillers = Array.from({ length: 49_998 }, (_, i) => person(`f${i}@contoso.com`, `Filler${pad(i)} Smith`));
    const early = ['Abe Becker', 'Abel Becker'].map((name, i) => person(`early${i}@contoso.com`, name));
    const store = await open();
    await store.upsertUsers([...late, ...fillers, ...early]);

    const first = ['Abe Becker', 'Abel Becker', 'Given00000 Becker-Partnera', 'Given00001 Becker-Partnerb', 'Given00002 Becker-Partnerc'];
    expect((await store.searchUsers('becker', 5)).map((user) => user.displayName)).to.deep.equal(first);
    expect((await store.searchDirectory('beck', 3, 2)).map((entry) => entry.user.displayName)).to.deep.equal(first.slice(3));
  });

  it('keeps photos as bytea', async () => {
    await open();
    const { rows } = await runSql(url, "SELECT data_type FROM information_schema.columns WHERE column_name = 'bytes' ORDER BY table_name");
    expect(rows.map((row) => row.data_type)).to.deep.equal(['bytea', 'bytea']);
  });

  it("counts only other processes' committed writes as changes", async () => {
    const a = await open();
    const b = await open();
    const before = await a.changeCounter();
    await a.upsertUsers([alex]);
    await b.upsertUsers([{ ...alex, displayName: null as unknown as string }]).catch(() => undefined);
    expect(await a.changeCounter(), "its own write and another's rolled-back one").to.equal(before);
    await b.removeUser(alex.email);
    expect(await a.changeCounter()).to.equal(before + 1);
  });

  it("tells a subscriber of every other process's commit: users, a photo, an account", async () => {
    const a = await open();
    const b = await open();
    for (const write of [
      () => b.upsertUsers([alex]),
      () => b.setPhoto(userOwner(alex.email), { bytes: Buffer.from('x'), contentType: 'image/jpeg', width: 1, height: 1, sha256: 'x' }, 'test'),
      () => b.putAccount('x@contoso.com', 'h', 'user'),
    ]) {
      const { listener, called } = nextCall();
      const stop = a.subscribeToChanges(listener);
      await a.changeCounter(); // listening before the write
      await write();
      await called;
      stop();
    }
  });

  it('is not ready once a newer bridge has migrated the schema past what this one knows (a rolling upgrade)', async () => {
    const store = await open();
    await store.ping();
    await runSql(url, 'INSERT INTO schema_migrations (version) VALUES ($1)', [MIGRATIONS.length + 1]);
    expect((await rejectionOf(store.ping())).message).to.equal(
      `a newer bridge migrated the database schema to version ${MIGRATIONS.length + 1} (this one knows ${MIGRATIONS.length}); upgrade this replica`,
    );
  });

  it('is not ready once its schema goes back to an older version under it (a dump of an older bridge restored while it ran), saying to restart it', async () => {
    const store = await open();
    await store.ping();
    await runSql(url, 'DELETE FROM schema_migrations WHERE version > 23');
    expect(await rejectionOf(store.ping())).to.include({
      httpStatus: 503,
      message: `the store's database went back to schema version 23 while the bridge ran (it had migrated it to ${MIGRATIONS.length}; a restore?); restart the bridge, which migrates it; nothing was changed`,
    });
  });

  it("fails a statement the older schema lacks a column or table for as that schema change (503 saying to restart), not as 500 with PostgreSQL's words", async () => {
    const store = await open();
    const told: string[] = [];
    store.onSchemaNotThisBridges((problem) => told.push(problem.message));
    await store.upsertUsers([alex]);
    const search = () => rejectionOf(store.usersByAddressPrefix('smtp', 'al', 10));
    // A column dropped by hand, the schema's version unchanged: the statement fails as it failed.
    await runSql(url, 'ALTER TABLE users DROP COLUMN hidden CASCADE');
    const failed = await store.usersByAddressPrefix('smtp', 'al', 10).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).to.be.instanceOf(pg.DatabaseError).and.include({ code: '42703' });
    // What a dump of a bridge from before step 24 (users.hidden) restored over the database leaves.
    await runSql(url, 'DELETE FROM schema_migrations WHERE version > 23');
    const wentBackTo = (version: number) => ({
      httpStatus: 503,
      responseCode: 'ErrorServerBusy',
      message: `the store's database went back to schema version ${version} while the bridge ran (it had migrated it to ${MIGRATIONS.length}; a restore?); restart the bridge, which migrates it; nothing was changed`,
    });
    expect(await search()).to.include(wentBackTo(23));
    expect(await rejectionOf(store.upsertUsers([{ ...alex, displayName: 'Alex B' }]))).to.include(wentBackTo(23));
    // No schema at all: a database emptied under it.
    await runSql(url, 'DROP TABLE schema_migrations');
    expect(await search()).to.include(wentBackTo(0));
    expect(await rejectionOf(store.ping())).to.include(wentBackTo(0));
    // Told once for each version found, for the log: not once per request.
    expect(told).to.deep.equal([wentBackTo(23).message, wentBackTo(0).message]);
  });

  it('comes back after its connections are cut: queries reconnect, and the lost listener counts as a change, told as lost and found again', async () => {
    const a = await open();
    const b = await open();
    const { listener, called } = nextCall();
    const statuses: boolean[] = [];
    a.subscribeToChanges(listener, (listening) => statuses.push(listening));
    await a.upsertUsers([alex]);
    await a.changeCounter();
    expect(a.changeFeedStatus()).to.deep.equal({ listening: true, losses: 0 });
    await runSql(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'ews-photo-bridge'");
    await called;
    expect(statuses).to.deep.equal([false, true]);
    expect(a.changeFeedStatus()).to.deep.equal({ listening: true, losses: 1 });
    expect(await a.getUser(alex.email)).to.deep.equal(alex);
    const before = await a.changeCounter();
    await b.removeUser(alex.email);
    expect(await a.changeCounter()).to.equal(before + 1);
  });

  it('on a database that takes no writes (a standby, default_transaction_read_only): a write is ErrorServerBusy saying so, the ping fails, and a new store is refused in one line', async () => {
    const store = await open({ busyTimeoutMs: 1500 });
    const database = new URL(url).pathname.slice(1);
    await runSql(url, `ALTER DATABASE ${database} SET default_transaction_read_only = on`);
    try {
      // The pool opens its first connection now, under the new default.
      expect(
        await rejectionOf(
          store.setPhoto(userOwner(alex.email), { bytes: Buffer.from('x'), contentType: 'image/jpeg', width: 1, height: 1, sha256: 'x' }, 'test'),
        ),
      ).to.include({
        responseCode: 'ErrorServerBusy',
        httpStatus: 503,
        retryAfterSeconds: 2,
        message: 'the store is read-only (a PostgreSQL standby?); nothing was changed',
      });
      expect(await store.countUsers(), 'reads go on').to.equal(0);
      expect((await rejectionOf(store.ping())).message).to.match(/read-only/);
      let refused: unknown;
      await openStore({ ...loadConfig({}), databaseUrl: url }, 'server').catch((error: unknown) => (refused = error));
      expect(refused).to.be.instanceOf(StoreOpenError);
      expect((refused as Error).message).to.equal(`the database at ${url} is read-only (a standby?); point BRIDGE_DATABASE_URL at the primary`);
    } finally {
      await runSql(url, `BEGIN READ WRITE; ALTER DATABASE ${database} RESET default_transaction_read_only; COMMIT`);
    }
  });

  describe('connections that die without closing (a failover, a firewall dropping them)', () => {
    let relay: TcpRelay;
    /** A store whose connections all go through the relay, with short bounds. */
    const openThroughRelay = async () => {
      const through = new URL(url);
      through.port = String(relay.port);
      const store = await PostgresStore.open(through.toString(), { busyTimeoutMs: 1000, poolSize: 1, queryTimeoutMs: 300, changeFeedCheckMs: 200 });
      opened.push(store);
      return store;
    };

    beforeEach(async () => {
      relay = await startTcpRelay(Number(new URL(url).port));
    });
    afterEach(() => relay.close());

    it('the listening connection, silent, is found lost by its own round trip, counted and told, and listens again', async () => {
      const a = await openThroughRelay();
      const b = await open();
      const statuses: boolean[] = [];
      let foundAgain!: () => void;
      const listeningAgain = new Promise<void>((resolve) => (foundAgain = resolve));
      a.subscribeToChanges(
        () => undefined,
        (listening) => {
          statuses.push(listening);
          if (listening) foundAgain();
        },
      );
      await a.changeCounter();
      relay.stallOpenConnections();
      await listeningAgain;
      expect(statuses).to.deep.equal([false, true]);
      expect(a.changeFeedStatus()).to.deep.equal({ listening: true, losses: 1 });
      const before = await a.changeCounter();
      await b.upsertUsers([alex]);
      expect(await a.changeCounter(), "another process's commit is heard again").to.equal(before + 1);
    });

    it('a server that cannot be reached any more fails each request as such (not busy), and tells the listener the log hears', async () => {
      const store = await openThroughRelay();
      await store.countUsers();
      const told: Error[] = [];
      store.onUnreachable((error) => told.push(error));
      await relay.close();
      const failure = await rejectionOf(store.countUsers());
      expect(failure).to.be.instanceOf(StoreUnreachableError).and.include({ message: 'the database cannot be reached; try again shortly' });
      expect(told).to.have.length(1);
    });

    it('a read or a write sent on a silent pooled connection fails as busy within the bound, and the next gets a new connection', async () => {
      const store = await openThroughRelay();
      await store.upsertUsers([alex]);
      for (const work of [() => store.getUser(alex.email), () => store.removeUser(alex.email)]) {
        await store.countUsers(); // the pool's one connection is open
        relay.stallOpenConnections();
        expect(await rejectionOf(work())).to.include({ responseCode: 'ErrorServerBusy', httpStatus: 503 });
      }
      expect(await store.getUser(alex.email), 'the write that got no answer changed nothing').to.deep.equal(alex);
    });

    it("a readiness probe on a silent pooled connection fails as busy within the busy wait, not the statements' far longer bound", async () => {
      const through = new URL(url);
      through.port = String(relay.port);
      // Statements may wait ten minutes here, past the test's own timeout: only the probe's bound can end this one.
      const store = await PostgresStore.open(through.toString(), { busyTimeoutMs: 300, poolSize: 1, queryTimeoutMs: 600_000 });
      opened.push(store);
      await store.ping();
      relay.stallOpenConnections();
      expect(await rejectionOf(store.ping())).to.include({ responseCode: 'ErrorServerBusy', httpStatus: 503 });
      await store.ping();
    });
  });

  it("answers text PostgreSQL cannot hold (a NUL) as the request's error, 400, not a 500", async () => {
    const store = await open();
    for (const work of [() => store.getUser('a\0@contoso.com'), () => store.getAccount('adele\0@contoso.com'), () => store.searchUsers('a\0', 5)]) {
      expect(await rejectionOf(work()))
        .to.be.instanceOf(BridgeError)
        .and.include({ responseCode: 'ErrorInvalidRequest', httpStatus: 400 });
    }
  });

  describe('errors that mean "busy" become ErrorServerBusy (503 + Retry-After)', () => {
    const asBusy = async (work: Promise<unknown>) => {
      const mapped = fromPostgresError(
        await work.then(
          () => expect.fail('should have failed'),
          (error: unknown) => error,
        ),
        1500,
      );
      expect(mapped).to.be.instanceOf(BridgeError);
      expect(mapped).to.include({ responseCode: 'ErrorServerBusy', httpStatus: 503, retryAfterSeconds: 2 });
    };

    it('every pooled connection in use past the wait', async () => {
      const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000 });
      const held = await pool.connect();
      // Only the wait for the pool's one connection is short: opening it may take longer on a loaded host.
      pool.options.connectionTimeoutMillis = 50;
      try {
        await asBusy(pool.query('SELECT 1'));
      } finally {
        held.release();
        await pool.end();
      }
    });

    it('a server that refuses connections, or ends them (shutting down), said as one that cannot be reached, not as busy', async () => {
      const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/x`, max: 1 });
      try {
        const failure = await pool.query('SELECT 1').then(
          () => expect.fail('should have failed'),
          (error: unknown) => error,
        );
        const refused = fromPostgresError(failure, 1500);
        expect(refused).to.be.instanceOf(StoreUnreachableError).and.include({ httpStatus: 503, retryAfterSeconds: 2 });
      } finally {
        await pool.end();
      }
      const message = 'the database cannot be reached; try again shortly';
      expect(fromPostgresError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), 1000)).to.include({
        message,
      });
    });

    it('a statement cancelled by its timeout', async () => {
      const pool = new pg.Pool({ connectionString: url, max: 1, statement_timeout: 10 });
      try {
        await asBusy(pool.query('SELECT pg_sleep(1)'));
      } finally {
        await pool.end();
      }
    });

    it('but not a wrong query', () => {
      const error = Object.assign(new Error('relation "nope" does not exist'), { code: '42P01' });
      expect(fromPostgresError(error, 1000)).to.equal(error);
    });
  });
});
