import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import pg from 'pg';
import { contactOwner, userOwner } from '../../src/domain/photo-owner.js';
import { loadConfig } from '../../src/config.js';
import { imageLimitsOf } from '../../src/photos/image-limits.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { COPIED_TABLES } from '../../src/store/postgres-copy.js';
import { storeOpenProblem } from '../../src/store/open-store.js';
import { holdMigrationLock, migratePostgres } from '../../src/store/postgres-schema.js';
import { PostgresStore, STORE_APPLICATION_NAME } from '../../src/store/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { freshDatabase } from '../support/postgres.js';
import { runCli, runCliInBackground, type CliResult } from '../support/run-cli.js';
import { samplePhoto } from '../support/sample-images.js';
import { runSql } from './backends.js';

const limits = imageLimitsOf(loadConfig({}));

describe('migrate-store: an embedded store copied into PostgreSQL', () => {
  let dir: string;
  let sqlitePath: string;
  let url: string;
  let contactId: number;
  /** The newest contact SQLite gave, deleted before the copy. */
  let deletedLast: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'epb-migrate-'));
    sqlitePath = join(dir, 'bridge.db');
    url = await freshDatabase();
    const sqlite = new SqliteStore(sqlitePath);
    try {
      await sqlite.upsertUsers([
        { email: 'Alex.Wilber@contoso.com', displayName: 'Alex Wilber', department: 'Sales', refs: { ldapDn: 'cn=Alex,dc=contoso' } },
        { email: 'megan@contoso.com', otherAddresses: ['mbowen@corp.contoso.com'], displayName: 'Megan Bowen', refs: {} },
      ]);
      await sqlite.setPhoto(userOwner('alex.wilber@contoso.com'), await normalizePhoto(await samplePhoto(300, 200), limits), 'cli');
      // Contacts removed before the copy leave gaps: ids must be copied as they are, not renumbered.
      const [gone] = await sqlite.addContacts('megan@contoso.com', [{ displayName: 'Gone', emailAddresses: [], phones: {}, refs: {} }]);
      await sqlite.removeContact('megan@contoso.com', gone!);
      [contactId] = (await sqlite.addContacts('megan@contoso.com', [
        {
          displayName: 'Lee Gu',
          emailAddresses: ['lee@fabrikam.com'],
          phones: { mobile: '+1 555' },
          refs: {},
          photo: await normalizePhoto(await samplePhoto(96, 96), limits),
        },
      ])) as [number];
      [deletedLast] = (await sqlite.addContacts('megan@contoso.com', [{ displayName: 'Deleted Last', emailAddresses: [], phones: {}, refs: {} }])) as [number];
      await sqlite.removeContact('megan@contoso.com', deletedLast);
      await sqlite.putAccount('admin@contoso.com', 'scrypt$hash', 'admin');
      await sqlite.secret('item-ids', 32);
    } finally {
      await sqlite.close();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('copies every user, photo, contact, account and the item-id key into BRIDGE_DATABASE_URL, and says the counts and hashes match', async () => {
    const result = runCli(['migrate-store', '--from', `sqlite:${sqlitePath}`], { env: { BRIDGE_DATABASE_URL: url } });
    expect(result.stderr).to.equal('');
    expect(result.status).to.equal(0);
    expect(result.stdout).to.match(
      /copied 2 user\(s\), 1 contact\(s\), 2 photo\(s\), 1 account\(s\) and 1 key\(s\) to postgres:\/\/.*; row counts and photo hashes match/,
    );

    const sqlite = new SqliteStore(sqlitePath);
    const postgres = await PostgresStore.open(url);
    try {
      expect(await postgres.listUsers()).to.deep.equal(await sqlite.listUsers());
      expect((await postgres.getUser('mbowen@corp.contoso.com'))?.email).to.equal('megan@contoso.com');
      // Found by word starts in the names and in the other fields: PostgreSQL's keys were made for the copied rows.
      for (const query of ['wil al', 'sal wil']) {
        expect(
          (await postgres.searchDirectory(query, 0, 5)).map((entry) => entry.user.email),
          query,
        ).to.deep.equal(['Alex.Wilber@contoso.com']);
      }
      for (const owner of [userOwner('alex.wilber@contoso.com'), contactOwner(contactId)]) {
        expect(await postgres.getPhoto(owner)).to.deep.equal(await sqlite.getPhoto(owner));
      }
      expect(await postgres.getContact('megan@contoso.com', contactId)).to.deep.equal(await sqlite.getContact('megan@contoso.com', contactId));
      // Found and ordered by their folded names, copied with them (they were not: no contact was found on PostgreSQL).
      expect((await postgres.searchContacts('megan@contoso.com', 'gu', 5)).map((contact) => contact.displayName)).to.deep.equal(['Lee Gu']);
      const { contacts } = await postgres.pageContacts('megan@contoso.com', { text: 'LEE', mode: 'prefix', ignoreCase: true }, 0, 5);
      expect(contacts.map((contact) => contact.displayName)).to.deep.equal(['Lee Gu']);
      expect(await postgres.getAccount('admin@contoso.com')).to.deep.equal(await sqlite.getAccount('admin@contoso.com'));
      expect(await postgres.secret('item-ids', 32)).to.deep.equal(await sqlite.secret('item-ids', 32));
      // New contacts take ids after the copied ones, and after the one SQLite deleted last: its ItemId named the next contact.
      const [next] = await postgres.addContacts('megan@contoso.com', [{ displayName: 'New', emailAddresses: [], phones: {}, refs: {} }]);
      expect(next).to.be.greaterThan(deletedLast);
      expect(deletedLast).to.be.greaterThan(contactId);
    } finally {
      await sqlite.close();
      await postgres.close();
    }
  });

  it('copies every column of each table that PostgreSQL does not make itself', async () => {
    // Made by PostgreSQL from copied columns: generated, or filled by fillUserSearchKeys after the copy.
    const madeThere = new Set(['users.search_keys']);
    for (const table of COPIED_TABLES) {
      const { rows } = await runSql(url, "SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND is_generated = 'NEVER'", [table.name]);
      const columns = rows.map((row: { column_name: string }) => row.column_name).filter((column) => !madeThere.has(`${table.name}.${column}`));
      expect(Object.keys(table.columns).sort(), table.name).to.deep.equal(columns.sort());
    }
  });

  it('gives contacts an older migrate-store copied without their folded names those names as it upgrades the store', async () => {
    await runSql(url, 'UPDATE contacts SET name_key = NULL, search_names = NULL');
    // Back to the version before the step that fixed them: its row and the later ones gone, and what the later steps made.
    const step = MIGRATIONS.findLastIndex((migration) => migration.then === 'fillContactSearchColumns') + 1;
    await runSql(url, 'DELETE FROM schema_migrations WHERE version >= $1', [step]);
    await runSql(url, 'DROP INDEX users_by_alias');
    await runSql(url, 'DROP INDEX contacts_by_id');
    await runSql(url, 'DROP INDEX users_without_alias');
    await runSql(url, 'ALTER TABLE users DROP COLUMN hidden');
    await runSql(url, 'DROP TABLE delta_tokens');
    await runSql(
      url,
      'ALTER TABLE contacts DROP COLUMN given_name_key, DROP COLUMN surname_key, DROP COLUMN company_key, DROP COLUMN department_key, DROP COLUMN job_title_key',
    );
    const postgres = await PostgresStore.open(url);
    try {
      expect((await postgres.searchContacts('megan@contoso.com', 'lee', 5)).map((contact) => contact.displayName)).to.deep.equal(['Lee Gu']);
    } finally {
      await postgres.close();
    }
  });

  it('refuses a target a bridge is connected to, which would keep the item-id key the copy replaces, and copies once it is gone', async () => {
    const target = await freshDatabase();
    const replica = await PostgresStore.open(target);
    // A replica at work: its pool holds a connection open.
    await replica.listUsers();
    let refused: ReturnType<typeof runCli>;
    try {
      refused = runCli(['migrate-store', '--from', `sqlite:${sqlitePath}`, '--to', target]);
    } finally {
      await replica.close();
    }
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.match(/connection\(s\) of a bridge are open on the PostgreSQL database; stop every replica and command using it first/);
    expect(runCli(['migrate-store', '--from', `sqlite:${sqlitePath}`, '--to', target]).status).to.equal(0);
  });

  for (const when of ['starts', 'first reads its key'] as const) {
    it(`holds back a replica that ${when} during the copy until it is in, so the replica seals ids with the copied key, not one of its own`, async () => {
      const target = await freshDatabase();
      const copied = new SqliteStore(sqlitePath);
      const key = await copied.secret('item-ids', 32).finally(() => copied.close());
      // Opened before the copy counts the bridges connected, it has no connection yet: its pool connects on its first read.
      const openedBefore = when === 'first reads its key' ? await PostgresStore.open(target) : undefined;
      // The copy stops at its first look at the users, which this connection keeps locked: the replica then starts, or reads.
      const holder = new pg.Client({ connectionString: target });
      await holder.connect();
      let copy: Promise<CliResult> | undefined;
      let replica: Promise<PostgresStore> | undefined;
      let startKey: Promise<Buffer> | undefined;
      try {
        await migratePostgres(holder);
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
        copy = runCliInBackground(['migrate-store', '--from', `sqlite:${sqlitePath}`, '--to', target]);
        await untilWaiting(target, 'ews-photo-bridge migrate-store', 'relation');
        replica = openedBefore ? Promise.resolve(openedBefore) : PostgresStore.open(target);
        // As a bridge starting: it reads its item-id key as soon as the store is open.
        startKey = replica.then((store) => store.secret('item-ids', 32));
        // The replica waits for the copy's lock (or, as before, went on at once and made a key of its own).
        await Promise.race([startKey, untilWaiting(target, STORE_APPLICATION_NAME, 'advisory')]);
      } finally {
        await holder.query('COMMIT');
        await holder.end();
      }
      expect((await copy).status).to.equal(0);
      const opened = await replica;
      try {
        expect((await startKey).toString('hex')).to.equal(key.toString('hex'));
        expect((await opened.secret('item-ids', 32)).toString('hex')).to.equal(key.toString('hex'));
      } finally {
        await opened.close();
      }
    });
  }

  it('says why a replica that waited out the migration lock did not start: another bridge held it, migrating or copying', async () => {
    const target = await freshDatabase();
    const [holder, waiter] = [new pg.Client({ connectionString: target }), new pg.Client({ connectionString: target })];
    await Promise.all([holder.connect(), waiter.connect()]);
    try {
      await holder.query('BEGIN');
      await holdMigrationLock(holder);
      // The wait a replica's open makes (MIGRATION_LOCK_TIMEOUT), cut short.
      await waiter.query("SET lock_timeout = '50ms'");
      const timedOut = await waiter.query('BEGIN').then(() =>
        holdMigrationLock(waiter).then(
          () => undefined,
          (error: unknown) => error,
        ),
      );
      expect(storeOpenProblem(timedOut, 'postgres://bridge@db.example/bridge')?.message).to.equal(
        "PostgreSQL at postgres://bridge@db.example/bridge: another bridge held the store's migration lock too long (canceling statement due to lock timeout): a replica upgrading a large directory, or migrate-store copying into it; start this one again once it is done",
      );
    } finally {
      await Promise.all([holder.end(), waiter.end()]);
    }
  });

  it('refuses a source at an older schema version, and leaves it at that version, saying how to bring it up to date', () => {
    const older = join(dir, 'older.db');
    copyFileSync(sqlitePath, older);
    const db = new Database(older);
    db.pragma(`user_version = ${MIGRATIONS.length - 1}`);
    db.close();
    const refused = runCli(['migrate-store', '--from', `sqlite:${older}`, '--to', url]);
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.include(`is at schema version ${MIGRATIONS.length - 1}, this bridge copies from version ${MIGRATIONS.length}: back it up`);
    const after = new Database(older, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).to.equal(MIGRATIONS.length - 1);
    after.close();
  });

  it('refuses a target that already holds data, a source that does not exist, and no target at all', () => {
    const again = runCli(['migrate-store', '--from', `sqlite:${sqlitePath}`, '--to', url]);
    expect(again.status).to.equal(1);
    expect(again.stderr).to.match(/already holds users; migrate-store copies into an empty store only/);
    const missing = runCli(['migrate-store', '--from', `sqlite:${join(dir, 'typo.db')}`, '--to', url]);
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.match(/no SQLite store at .*typo\.db/);
    const nowhere = runCli(['migrate-store', '--from', `sqlite:${sqlitePath}`], { env: { BRIDGE_DATABASE_URL: '' } });
    expect(nowhere.status).to.equal(1);
    expect(nowhere.stderr).to.include('give the PostgreSQL database as BRIDGE_DATABASE_URL');
  });

  it('names a target database that does not exist, or a role refused, in one line without the password, wherever the URL has it', () => {
    const target = new URL(url);
    target.pathname = '/no_such_database';
    const noDatabase = runCli(['migrate-store', '--from', `sqlite:${sqlitePath}`, '--to', target.toString()]);
    expect(noDatabase.status).to.equal(1);
    expect(noDatabase.stderr).to.match(/^ews-photo-bridge: PostgreSQL at postgres:\/\/.*\/no_such_database: database "no_such_database" does not exist\n$/);
    const stranger = new URL(url);
    stranger.username = 'no_such_role';
    stranger.password = 'sesame';
    const noRole = runCli(['migrate-store', '--from', `sqlite:${sqlitePath}`, '--to', stranger.toString()]);
    expect(noRole.status).to.equal(1);
    expect(noRole.stderr).to.match(/^ews-photo-bridge: PostgreSQL at postgres:\/\/no_such_role:\*\*\*@.*: role "no_such_role" does not exist\n$/);
    // libpq also takes the password as a parameter; and a URL given where the SQLite file belongs.
    stranger.password = '';
    stranger.searchParams.set('password', 'sesame');
    const asParameter = runCli(['migrate-store', '--from', `sqlite:${sqlitePath}`, '--to', stranger.toString()]);
    expect(asParameter.stderr).to.match(/role "no_such_role" does not exist/);
    const swapped = runCli(['migrate-store', '--from', stranger.toString(), '--to', url]);
    expect(swapped.stderr).to.match(/--from must be sqlite:<file>/);
    for (const said of [asParameter.stderr, swapped.stderr]) expect(said).to.not.include('sesame');
  });

  it('says what a role that may not make the tables lacks, as every command does (PostgreSQL 15: only the owner creates in schema public)', async () => {
    const empty = new URL(await freshDatabase());
    const database = empty.pathname.slice(1);
    const role = `epb_copier_${database.slice(4)}`;
    await runSql(empty.toString(), `REVOKE CREATE ON SCHEMA public FROM PUBLIC; CREATE ROLE ${role} LOGIN`);
    empty.username = role;
    const refused = runCli(['migrate-store', '--from', `sqlite:${sqlitePath}`, '--to', empty.toString()]);
    expect([refused.status, refused.stderr]).to.deep.equal([
      1,
      `ews-photo-bridge: PostgreSQL at ${empty.toString()}: permission denied for schema public; ${role} is to own the database and the bridge's tables: as a superuser, ALTER DATABASE ${database} OWNER TO ${role} (tables another role made: REASSIGN OWNED BY that role TO ${role})\n`,
    ]);
  });

  it('lets every command work on the PostgreSQL store through BRIDGE_DATABASE_URL', () => {
    const env = { BRIDGE_DATABASE_URL: url };
    writeFileSync(join(dir, 'people.csv'), 'email,displayName\nnestor@contoso.com,Nestor Wilke\n');
    expect(runCli(['import', join(dir, 'people.csv')], { env }).stdout).to.match(/imported 1 user/);
    const exported = runCli(['export', '--format', 'csv'], { env });
    expect(exported.status).to.equal(0);
    expect(exported.stdout).to.include('nestor@contoso.com').and.include('Alex.Wilber@contoso.com');
  });
});

/**
 * Resolves once a connection of `application` waits for a lock of that type (pg_locks); looked
 * at every 20 ms, each time in a transaction of its own (one transaction sees pg_stat_activity as it first read it).
 */
async function untilWaiting(url: string, application: string, lockType: 'relation' | 'advisory'): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (;;) {
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid)
          WHERE NOT l.granted AND l.locktype = $1 AND a.application_name = $2`,
        [lockType, application],
      );
      if (Number(rows[0]!.n) > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await client.end();
  }
}
