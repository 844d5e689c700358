import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import request from 'supertest';
import { ConfigError } from '../../src/config.js';
import { ldapSettingsOf, readLdapDirectory, recordOf } from '../../src/import/ldap-directory.js';
import { ldapSource } from '../../src/sources/ldap.js';
import { DirectoryTimeoutError } from '../../src/sources/ldap-connection.js';
import type { SourceSettings } from '../../src/sources/source-settings.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { runCli } from '../support/run-cli.js';
import { samplePhoto } from '../support/sample-images.js';
import { BASE_DN, PEOPLE_DN, READER as LDAP_READER, startSlapd, type Slapd } from '../support/slapd.js';
import { basic, READER, startTestBridge } from '../support/test-bridge.js';

const person = (cn: string) => `cn=${cn},${PEOPLE_DN}`;

/** A photo an operator set, as the store keeps it. */
const SET_PHOTO = { bytes: Buffer.from('set by an operator'), contentType: 'image/jpeg' as const, width: 96, height: 96, sha256: 'a'.repeat(64) };

/** Opens the store an import wrote, runs `work` on it, and closes it again. */
async function inStore<T>(path: string, work: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore(path);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

describe('importing the directory from LDAP', () => {
  let slapd: Slapd;

  before(async () => {
    slapd = await startSlapd();
    await slapd.add(person('Megan Bowen'), {
      objectClass: ['inetOrgPerson', 'adUser'],
      cn: 'Megan Bowen',
      sn: 'Bowen',
      givenName: 'Megan',
      displayName: 'Megan Bowen (Marketing)',
      mail: 'Megan.Bowen@Contoso.com',
      company: 'Contoso',
      department: 'Marketing',
      title: 'Marketing Manager',
      telephoneNumber: '+1 425 555 0109',
      mobile: '+1 425 555 0110',
      'msRTCSIP-PrimaryUserAddress': 'sip:megan.bowen@contoso.com',
      msExchHideFromAddressLists: 'FALSE',
      thumbnailPhoto: await samplePhoto(96, 96),
    });
    // Managers by DN, spelt as servers may write them: another case, spaces after commas.
    await slapd.add(person('Plain Person'), {
      objectClass: 'inetOrgPerson',
      cn: 'Plain Person',
      sn: 'Person',
      mail: 'plain@example.com',
      manager: person('Megan Bowen').toUpperCase().replace(/,/g, ', '),
    });
    await slapd.add(person('Bad Mail'), { objectClass: 'inetOrgPerson', cn: 'Bad Mail', sn: 'Mail', mail: 'not-an-address' });
    await slapd.add(person('Megan Again'), { objectClass: 'inetOrgPerson', cn: 'Megan Again', sn: 'Again', mail: 'megan.bowen@contoso.com' });
    await slapd.add(person('No Mail'), { objectClass: 'inetOrgPerson', cn: 'No Mail', sn: 'Mail' });
    for (const n of [1, 2, 3])
      await slapd.add(person(`Filler ${n}`), {
        objectClass: ['inetOrgPerson', 'adUser'],
        cn: `Filler ${n}`,
        sn: 'Filler',
        mail: `filler${n}@example.com`,
        manager: person(n === 1 ? 'No Mail' : 'Plain Person'),
        // A mailbox hidden from address lists, as Exchange marks one.
        ...(n === 3 ? { msExchHideFromAddressLists: 'TRUE' } : {}),
      });
  });
  after(() => slapd?.dispose());

  const settings = (overrides: Record<string, unknown> = {}) =>
    ldapSource.schema.parse({ url: slapd.url, bindDn: LDAP_READER.dn, bindPassword: LDAP_READER.password, baseDn: BASE_DN, pageSize: 2, ...overrides });
  const read = (overrides: Record<string, unknown> = {}) => readLdapDirectory(settings(overrides), AbortSignal.timeout(5000));

  it('reads every person with a mail, page by page, with the DN as the ldapDn reference', async () => {
    const { users, skipped } = await read();
    expect(users.map((user) => user.email).sort()).to.deep.equal([
      'filler1@example.com',
      'filler2@example.com',
      'filler3@example.com',
      'megan.bowen@contoso.com',
      'plain@example.com',
    ]);
    expect(users.find((user) => user.email === 'megan.bowen@contoso.com')).to.deep.equal({
      email: 'megan.bowen@contoso.com',
      displayName: 'Megan Bowen (Marketing)',
      givenName: 'Megan',
      surname: 'Bowen',
      company: 'Contoso',
      department: 'Marketing',
      title: 'Marketing Manager',
      businessPhone: '+1 425 555 0109',
      mobilePhone: '+1 425 555 0110',
      sipAddress: 'sip:megan.bowen@contoso.com',
      refs: { ldapDn: person('Megan Bowen') },
    });
    expect(users.find((user) => user.email === 'filler3@example.com')).to.deep.equal({
      email: 'filler3@example.com',
      displayName: 'Filler 3',
      surname: 'Filler',
      manager: 'plain@example.com',
      hiddenFromAddressLists: true,
      refs: { ldapDn: person('Filler 3') },
    });
    expect(users.find((user) => user.email === 'plain@example.com')).to.deep.equal({
      email: 'plain@example.com',
      displayName: 'Plain Person',
      surname: 'Person',
      manager: 'megan.bowen@contoso.com',
      refs: { ldapDn: person('Plain Person') },
    });
    expect(skipped).to.deep.equal([
      `${person('Bad Mail')}: email is not an SMTP address`,
      `${person('Megan Again')}: megan.bowen@contoso.com is already the mail of ${person('Megan Bowen')}`,
    ]);
  });

  it("names each user's manager by the mail of the entry their manager DN points to, if it was read", async () => {
    const { users } = await read();
    const managerOf = (email: string) => users.find((user) => user.email === email)?.manager;
    expect(managerOf('filler2@example.com')).to.equal('plain@example.com');
    expect(managerOf('filler1@example.com')).to.equal(undefined);
    const { users: personOnly } = await read({ userFilter: '(&(objectClass=inetOrgPerson)(sn=Person))' });
    expect(personOnly.map((user) => [user.email, user.manager])).to.deep.equal([['plain@example.com', undefined]]);
  });

  it('reads only what the configured userFilter selects', async () => {
    const { users } = await read({ userFilter: '(&(objectClass=inetOrgPerson)(company=Contoso))' });
    expect(users.map((user) => user.email)).to.deep.equal(['megan.bowen@contoso.com']);
  });

  it("fails with the directory's words when a page is larger than the server allows", async () => {
    const error = await read({ pageSize: 500 }).then(
      () => expect.fail('expected the import to fail'),
      (failure: Error) => failure,
    );
    expect(error).to.be.instanceOf(ConfigError);
    expect(error.message).to.match(/the directory refused pages of 500 entries \(.*page size.*\); set a smaller pageSize on the ldap source/);
  });

  it('fails, saying timeoutMs, when one page does not come within it, after the pages before it came', async () => {
    // Between the import and slapd: passes the bind and the first page, then holds slapd's answers
    // (never sent: a second is as good a limit as any, and no loaded machine's bind takes it).
    const toSlapd = Number(new URL(slapd.url).port);
    let requests = 0;
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      const server = connect(toSlapd, '127.0.0.1');
      sockets.add(client).add(server);
      // ldapts writes each request whole and waits for its answer: one chunk a request.
      client.on('data', (chunk: Buffer) => {
        requests++;
        server.write(chunk);
      });
      server.on('data', (chunk: Buffer) => {
        if (requests <= 2) client.write(chunk);
      });
      for (const socket of [client, server]) socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const error = await read({ url: `ldap://127.0.0.1:${(proxy.address() as { port: number }).port}`, timeoutMs: 1000 }).then(
        () => expect.fail('expected the import to fail'),
        (failure: Error) => failure,
      );
      expect(error).to.be.instanceOf(DirectoryTimeoutError);
      expect(error.message).to.equal('the directory did not answer within 1000 ms (timeoutMs of the ldap source): SearchRequest: Operation timed out');
      expect(requests, 'the bind, the first page and the second, asked for once the first came').to.equal(3);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  /** A config file in a new folder, with one ldap source on the test slapd. */
  const configFile = (overrides: Record<string, unknown>) => {
    const dir = mkdtempSync(join(tmpdir(), 'epb-ldap-import-'));
    const config = join(dir, 'bridge.json');
    const source = { name: 'ad', type: 'ldap', url: slapd.url, bindDn: LDAP_READER.dn, bindPassword: LDAP_READER.password, baseDn: BASE_DN, ...overrides };
    writeFileSync(config, JSON.stringify({ sources: [source] }));
    return { dir, config };
  };

  /** `import-ldap` into the store in `dir`, from the config file `config`. */
  const importLdap = (dir: string, config: string, ...flags: string[]) =>
    runCli(['--db', join(dir, 'bridge.db'), 'import-ldap', ...flags], { env: { BRIDGE_CONFIG: config } });

  it('import-ldap stores the users in the database and lists the entries it skipped', async () => {
    const { dir, config } = configFile({ pageSize: 2 });
    try {
      const result = importLdap(dir, config);
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout).to.equal('imported 5 user(s) from LDAP, skipped 2\n');
      expect(result.stderr).to.contain(`skipped ${person('Bad Mail')}: email is not an SMTP address`);
      await inStore(join(dir, 'bridge.db'), async (store) => {
        expect((await store.getUser('megan.bowen@contoso.com'))?.refs).to.deep.equal({ ldapDn: person('Megan Bowen') });
        // The hidden mailbox is there by its address, and in no search of the address book.
        expect((await store.getUser('filler3@example.com'))?.hiddenFromAddressLists).to.equal(true);
        expect((await store.searchUsers('filler', 10)).map((user) => user.email)).to.deep.equal(['filler1@example.com', 'filler2@example.com']);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('import-ldap says a refused bind, a base DN the directory has not, an untrusted certificate, a port without TLS and a TLS port given as ldap:// in one line, as settings to mend, not as a surprise', () => {
    for (const [overrides, said] of [
      [{ pageSize: 2, bindPassword: 'wrong password' }, `ews-photo-bridge: the directory refused the bind as ${LDAP_READER.dn}: invalid credentials\n`],
      [
        { pageSize: 2, baseDn: `ou=nowhere,${BASE_DN}` },
        `ews-photo-bridge: the directory has no entry ou=nowhere,${BASE_DN} (noSuchObject, 32): check baseDn\n`,
      ],
      [
        { pageSize: 2, url: slapd.ldapsUrl },
        /^ews-photo-bridge: TLS: self-signed certificate[^;]*; give the CA that signed the server's certificate \(caFile\)/,
      ],
      [
        { pageSize: 2, url: slapd.url.replace('ldap:', 'ldaps:') },
        /before secure TLS connection was established: does that port speak TLS \(ldaps:\/\/\) at all\?\n$/,
      ],
      [
        { pageSize: 2, url: slapd.ldapsUrl.replace('ldaps:', 'ldap:') },
        `ews-photo-bridge: the directory at ${slapd.ldapsUrl.replace('ldaps:', 'ldap:')} closed the connection without answering: if that port speaks TLS from the first byte (as 636 and 3269 do), the url is ldaps://\n`,
      ],
    ] as const) {
      const { dir, config } = configFile(overrides);
      try {
        const result = importLdap(dir, config);
        expect(result.status, result.stderr).to.equal(1);
        if (typeof said === 'string') expect(result.stderr).to.equal(said);
        else
          expect(result.stderr)
            .to.match(said)
            .and.not.match(/unexpected error/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('sources check says a TLS port given as ldap:// in the same words, as the step that failed', () => {
    const plainToTls = slapd.ldapsUrl.replace('ldaps:', 'ldap:');
    const { dir, config } = configFile({ url: plainToTls });
    try {
      const result = runCli(['--db', join(dir, 'bridge.db'), 'sources', 'check'], { env: { BRIDGE_CONFIG: config } });
      expect([result.status, result.stdout]).to.deep.equal([
        1,
        `ad (ldap)\n  FAIL reachable: the directory at ${plainToTls} closed the connection without answering: if that port speaks TLS from the first byte (as 636 and 3269 do), the url is ldaps://\n`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('import-ldap over a directory that does not answer within timeoutMs says so in one line naming the setting, and imports nothing', async () => {
    const { dir, config } = configFile({ pageSize: 2, timeoutMs: 100 });
    try {
      slapd.pause();
      let result;
      try {
        result = importLdap(dir, config);
      } finally {
        slapd.resume();
      }
      expect(result.status, result.stderr).to.equal(1);
      expect(result.stderr).to.equal(
        'ews-photo-bridge: the directory did not answer within 100 ms (timeoutMs of the ldap source): BindRequest: Operation timed out\n',
      );
      expect(await inStore(join(dir, 'bridge.db'), (store) => store.listUsers())).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('import-ldap --prune removes users an earlier LDAP import brought in and LDAP no longer has, and no others', async () => {
    const { dir, config } = configFile({ pageSize: 2 });
    try {
      await inStore(join(dir, 'bridge.db'), (seeded) =>
        seeded.upsertUsers([
          { email: 'gone@example.com', displayName: 'Left the company', refs: { ldapDn: person('Gone Person') } },
          { email: 'local@example.com', displayName: 'Imported from CSV', refs: {} },
        ]),
      );
      const result = importLdap(dir, config, '--prune');
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout).to.equal('imported 5 user(s) from LDAP, skipped 2, removed 1\n');
      expect(result.stderr).to.contain('removed gone@example.com: no longer in LDAP');
      await inStore(join(dir, 'bridge.db'), async (store) => {
        expect(await store.getUser('gone@example.com')).to.equal(undefined);
        expect(await store.getUser('local@example.com')).to.not.equal(undefined);
        expect(await store.countUsers()).to.equal(6);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('import-ldap --prune keeps users whose entry is still there but skipped this time', async () => {
    const { dir, config } = configFile({ pageSize: 2 });
    try {
      await inStore(join(dir, 'bridge.db'), (seeded) =>
        seeded.upsertUsers([{ email: 'bad.mail@example.com', displayName: 'Bad Mail', refs: { ldapDn: person('Bad Mail').toUpperCase() } }]),
      );
      const result = importLdap(dir, config, '--prune');
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout).to.equal('imported 5 user(s) from LDAP, skipped 2\n');
      await inStore(join(dir, 'bridge.db'), async (store) => {
        expect(await store.getUser('bad.mail@example.com')).to.not.equal(undefined);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('import-ldap --prune removes no one, and imports nothing, when it would remove more than half of the users LDAP brought in', async () => {
    const { dir, config } = configFile({ pageSize: 2 });
    const typo = configFile({ pageSize: 2, userFilter: '(&(objectClass=inetOrgPersn)(mail=*))' });
    try {
      const db = join(dir, 'bridge.db');
      expect(runCli(['--db', db, 'import-ldap'], { env: { BRIDGE_CONFIG: config } }).status).to.equal(0);
      const refused = runCli(['--db', db, 'import-ldap', '--prune'], { env: { BRIDGE_CONFIG: typo.config } });
      expect(refused.status).to.equal(1);
      expect(refused.stderr).to.match(/LDAP selected 0 user\(s\), so --prune would remove 5 of the 5 it brought in; nothing was imported or removed\./);
      const count = () => inStore(db, (store) => store.countUsers());
      expect(await count()).to.equal(5);
      const forced = runCli(['--db', db, 'import-ldap', '--prune', '--prune-over-half'], { env: { BRIDGE_CONFIG: typo.config } });
      expect([forced.status, forced.stdout]).to.deep.equal([0, 'imported 0 user(s) from LDAP, removed 5\n']);
      expect(await count()).to.equal(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(typo.dir, { recursive: true, force: true });
    }
  });

  it('gives imported users photos through their DN, even when no search attribute would find them', async () => {
    const { dir, config } = configFile({ searchAttributes: ['proxyAddresses'] });
    const t = await startTestBridge({ BRIDGE_CONFIG: config });
    try {
      await t.store.upsertUsers((await read()).users);
      const res = await request(t.bridge.server)
        .get('/ews/exchange.asmx/s/GetUserPhoto?email=megan.bowen@contoso.com&size=HR64x64')
        .set('Authorization', basic(READER))
        .buffer(true)
        .expect(200);
      expect((await sharp(res.body as Buffer).metadata()).width).to.equal(64);
      await request(t.bridge.server)
        .get('/ews/exchange.asmx/s/GetUserPhoto?email=plain@example.com&size=HR64x64')
        .set('Authorization', basic(READER))
        .expect(404);
    } finally {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Last: the entries it adds are under an OU of their own, and no test after it reads the whole tree.
  it("keys an Exchange mailbox by its primary SMTP address (proxyAddresses' SMTP:, mail or not), finds it by its other addresses and UPN, and reads its alias from mailNickname", async () => {
    const EXCHANGE_DN = `ou=exchange,${BASE_DN}`;
    await slapd.add(EXCHANGE_DN, { objectClass: 'organizationalUnit', ou: 'exchange' });
    const mailbox = (cn: string) => `cn=${cn},${EXCHANGE_DN}`;
    await slapd.add(mailbox('Bob Brown'), {
      objectClass: ['inetOrgPerson', 'adUser'],
      cn: 'Bob Brown',
      sn: 'Brown',
      // One with a character that shows nothing is passed over too: it would read as bob@legacy.example.org.
      proxyAddresses: [
        'smtp:bob@legacy.example.org',
        'SMTP:Bob.Brown@Contoso.com',
        'SIP:bob.brown@contoso.com',
        'X500:/o=Contoso/cn=bob',
        'smtp:bob\u200b@legacy.example.org',
      ],
      mailNickname: 'bbrown',
      userPrincipalName: 'BBrown@corp.contoso.com',
    });
    await slapd.add(mailbox('Carol Jones'), {
      objectClass: ['inetOrgPerson', 'adUser'],
      cn: 'Carol Jones',
      sn: 'Jones',
      mail: ['carol@contoso.com', 'carol.jones@contoso.com'],
      proxyAddresses: ['smtp:carol@contoso.com', 'SMTP:carol.jones@contoso.com'],
      // A UPN suffix that is no domain: no address, and no reason to lose the person.
      userPrincipalName: 'carol@contoso',
    });
    await slapd.add(mailbox('Dan Plain'), { objectClass: 'inetOrgPerson', cn: 'Dan Plain', sn: 'Plain', mail: 'dan@contoso.com' });
    const { users, skipped } = await read({ baseDn: EXCHANGE_DN });
    expect(skipped).to.deep.equal([]);
    expect(users.map((user) => [user.email, user.alias, user.otherAddresses])).to.deep.equal([
      ['bob.brown@contoso.com', 'bbrown', ['bob@legacy.example.org', 'bbrown@corp.contoso.com']],
      ['carol.jones@contoso.com', undefined, ['carol@contoso.com']],
      ['dan@contoso.com', undefined, undefined],
    ]);
  });

  // After the test above, under an OU of its own, for the same reason.
  it('import-ldap --prune keeps a mailbox whose primary address changed, under the new one, with its photo and reports', async () => {
    const RENAMED_DN = `ou=renamed,${BASE_DN}`;
    await slapd.add(RENAMED_DN, { objectClass: 'organizationalUnit', ou: 'renamed' });
    const jane = `cn=Jane Smith,${RENAMED_DN}`;
    // As Exchange's email address policy leaves it: the new primary SMTP:, the old one as smtp:.
    await slapd.add(jane, {
      objectClass: ['inetOrgPerson', 'adUser'],
      cn: 'Jane Smith',
      givenName: 'Jane',
      sn: 'Smith',
      proxyAddresses: ['SMTP:jane.smith@contoso.com', 'smtp:jane.doe@contoso.com'],
    });
    const { dir, config } = configFile({ baseDn: RENAMED_DN, pageSize: 2 });
    try {
      await inStore(join(dir, 'bridge.db'), async (seeded) => {
        await seeded.upsertUsers([
          { email: 'jane.doe@contoso.com', displayName: 'Jane Doe', givenName: 'Jane', refs: { ldapDn: `cn=Jane Doe,${RENAMED_DN}` } },
          { email: 'report@contoso.com', displayName: 'Report', manager: 'jane.doe@contoso.com', refs: {} },
        ]);
        await seeded.setPhoto(userOwner('jane.doe@contoso.com'), SET_PHOTO, 'admin');
      });
      const result = importLdap(dir, config, '--prune');
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout).to.equal('imported 1 user(s) from LDAP\n');
      expect(result.stderr).to.equal('renamed jane.doe@contoso.com to jane.smith@contoso.com: the same person, with their photo\n');
      await inStore(join(dir, 'bridge.db'), async (store) => {
        expect(await store.countUsers()).to.equal(2);
        expect(await store.getUser('jane.doe@contoso.com')).to.deep.include({
          email: 'jane.smith@contoso.com',
          displayName: 'Jane Smith',
          refs: { ldapDn: jane },
        });
        expect((await store.getPhotoInfo(userOwner('jane.smith@contoso.com')))?.sha256).to.equal(SET_PHOTO.sha256);
        expect((await store.getUser('report@contoso.com'))?.manager).to.equal('jane.smith@contoso.com');
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('choosing the source to import from', () => {
    const configured = (...sources: [string, string][]): SourceSettings => ({
      sources: sources.map(([name, type]) => ({ name, type, settings: { baseDn: name } })),
      order: { users: [], contacts: [] },
    });

    it('takes the named ldap source, or the only one', () => {
      expect(ldapSettingsOf(configured(['graph', 'graph'], ['ad', 'ldap']))).to.deep.equal({ baseDn: 'ad' });
      expect(ldapSettingsOf(configured(['ad', 'ldap'], ['openldap', 'ldap']), 'openldap')).to.deep.equal({ baseDn: 'openldap' });
    });

    it('says what is wrong otherwise', () => {
      expect(() => ldapSettingsOf(configured(['graph', 'graph']))).to.throw('the config file has no source of type ldap');
      expect(() => ldapSettingsOf(configured(['ad', 'ldap'], ['openldap', 'ldap']))).to.throw(
        'the config file has several ldap sources (ad, openldap); name one',
      );
      expect(() => ldapSettingsOf(configured(['ad', 'ldap'], ['graph', 'graph']), 'graph')).to.throw(
        "no source of type ldap is named 'graph' in the config file",
      );
    });
  });
});

describe('an entry as ldapts gives it', () => {
  it('reads an attribute the server sent under two spellings as one, its values in the order sent (names are case-insensitive, RFC 4512 §2.5)', () => {
    // ldapts keys an entry by each attribute's type as the server wrote it: `mail` and `Mail` are two keys.
    expect(recordOf({ dn: 'cn=Split,dc=x', mail: 'split@example.com', Mail: 'split2@example.com' })).to.deep.include({
      email: 'split@example.com',
      otherAddresses: ['split@example.com', 'split2@example.com'],
    });
    const proxies = recordOf({ dn: 'cn=P,dc=x', proxyAddresses: 'SMTP:p@example.com', proxyaddresses: ['smtp:s@example.com', 'X500:/o=x'] });
    expect(proxies).to.deep.include({ email: 'p@example.com', otherAddresses: ['p@example.com', 's@example.com'] });
  });
});
