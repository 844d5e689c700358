import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { startGraphSimulator, type GraphSimulator } from '../simulators/graph.js';
import { startSuperOfficeSimulator, type SuperOfficeSimulator } from '../simulators/superoffice.js';
import { startUcwaSimulator, type UcwaSimulator } from '../simulators/ucwa.js';
import { samplePhoto } from '../support/sample-images.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const run = promisify(execFile);

describe('ews-photo-bridge sources check', () => {
  let dir: string;
  let graph: GraphSimulator;
  const writeConfig = (clientSecret: string) => {
    const file = join(dir, `bridge-${clientSecret}.json`);
    const source = {
      name: 'm365',
      type: 'graph',
      tenant: graph.tenant,
      clientId: graph.clientId,
      clientSecret,
      authorityUrl: graph.authorityUrl,
      graphUrl: graph.graphUrl,
    };
    writeFileSync(file, JSON.stringify({ sources: [source], sourceOrder: { users: ['m365'] } }));
    return file;
  };
  // The simulator runs in this process, so the CLI must run without blocking it.
  const check = async (configFile: string, ...options: string[]) => {
    const env = { ...process.env, BRIDGE_CONFIG: configFile, BRIDGE_LOG_LEVEL: 'silent' };
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', CLI, '--db', join(dir, 'bridge.db'), 'sources', 'check', ...options], { env });
      return { code: 0, stdout };
    } catch (error) {
      const failed = error as { code: number; stdout: string };
      return { code: failed.code, stdout: failed.stdout };
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'epb-sources-check-'));
    graph = await startGraphSimulator([]);
  });
  after(async () => {
    await graph.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says per source, in plain words, that it is reachable and authenticated', async () => {
    const result = await check(writeConfig(graph.clientSecret));
    expect(result.code).to.equal(0);
    expect(result.stdout).to.match(/^m365 \(graph\)$/m);
    expect(result.stdout).to.match(/^ {2}ok {3}reachable: /m);
    expect(result.stdout).to.match(/^ {2}ok {3}authenticated: /m);
  });

  it('names the failing step and exits 1 when the credentials are refused, without printing the secret', async () => {
    const result = await check(writeConfig('wrong-secret-value'));
    expect(result.code).to.equal(1);
    expect(result.stdout).to.match(/FAIL authenticated: /);
    expect(result.stdout).to.not.include('wrong-secret-value');
  });

  describe('UCWA', () => {
    let ucwa: UcwaSimulator;
    const writeUcwaConfig = (password: string) => {
      const file = join(dir, `ucwa-${password.length}.json`);
      const source = { name: 'skype', type: 'ucwa', autodiscoverUrl: ucwa.autodiscoverUrl, username: ucwa.username, password };
      writeFileSync(file, JSON.stringify({ sources: [source], sourceOrder: { users: ['skype'] } }));
      return file;
    };

    before(async () => {
      ucwa = await startUcwaSimulator([{ sip: 'sip:SaraD@contoso.com', name: 'Sara Davis', emails: ['sarad@contoso.com'], photo: await samplePhoto(96, 96) }]);
      const store = new SqliteStore(join(dir, 'bridge.db'));
      await store.upsertUsers([
        { email: 'sarad@contoso.com', displayName: 'Sara Davis', sipAddress: 'sip:SaraD@contoso.com', refs: {} },
        { email: 'gone@contoso.com', displayName: 'Gone', sipAddress: 'sip:gone@contoso.com', refs: {} },
      ]);
      await store.close();
    });
    after(() => ucwa.close());

    it('walks sign-in, application, people search, contact and contact photo for the sample user', async () => {
      const result = await check(writeUcwaConfig(ucwa.password), '--user', 'sarad@contoso.com');
      expect(result.code).to.equal(0);
      expect(result.stdout).to.match(/^skype \(ucwa\)$/m);
      for (const step of ['reachable', 'authenticated', 'application', 'people search', 'contact', 'contact photo']) {
        expect(result.stdout).to.match(new RegExp(`^ {2}ok {3}${step}: `, 'm'));
      }
      expect(result.stdout).to.match(/contact photo: a photo of \d+ bytes$/m);
    });

    it('says in plain words when the sample is not in the address book', async () => {
      const result = await check(writeUcwaConfig(ucwa.password), '--user', 'gone@contoso.com');
      expect(result.stdout).to.match(/^ {2}ok {3}people search: nobody in the address book is sip:gone@contoso\.com, so no photo$/m);
      expect(result.stdout).not.to.match(/contact:/);
    });

    it('names the sign-in as the failing step, without printing the password', async () => {
      const result = await check(writeUcwaConfig('wrong-ucwa-password'));
      expect(result.code).to.equal(1);
      expect(result.stdout).to.match(/^ {2}FAIL authenticated: UCWA refused the sign-in of bridge@contoso\.com \(400 invalid_grant\)$/m);
      expect(result.stdout).to.not.include('wrong-ucwa-password');
    });
  });

  describe('Graph by email, and SuperOffice Online renewal', () => {
    let directory: GraphSimulator;
    let crm: SuperOfficeSimulator;
    const writeConfigOf = (file: string, source: Record<string, unknown>) => {
      writeFileSync(join(dir, file), JSON.stringify({ sources: [source], sourceOrder: { users: [source.name] } }));
      return join(dir, file);
    };
    const crmConfig = (systemUserToken: string) =>
      writeConfigOf(`crm-${systemUserToken.length}.json`, {
        name: 'crm',
        type: 'superoffice',
        baseUrl: crm.baseUrl,
        auth: { scheme: 'systemUser', clientSecret: crm.credentials.clientSecret, systemUserToken, privateKeyFile: join(dir, 'superoffice.pem') },
      });

    before(async () => {
      directory = await startGraphSimulator([
        {
          id: 'f0e1d2c3',
          userPrincipalName: 'pat@contoso.onmicrosoft.com',
          mail: 'pat.jones@contoso.com',
          proxyAddresses: ['SMTP:pat.jones@contoso.com'],
          photo: await samplePhoto(96, 96),
        },
      ]);
      crm = await startSuperOfficeSimulator();
      crm.personImages.set('7', await samplePhoto(96, 96));
      writeFileSync(join(dir, 'superoffice.pem'), crm.privateKeyPem);
      const store = new SqliteStore(join(dir, 'bridge.db'));
      await store.upsertUsers([{ email: 'pat.jones@contoso.com', displayName: 'Pat Jones', refs: { superOfficeId: '7' } }]);
      await store.close();
    });
    after(async () => {
      await directory.close();
      await crm.close();
    });

    it('says which Graph user a sample known only by its mail address is', async () => {
      const config = writeConfigOf('graph-mail.json', {
        name: 'm365',
        type: 'graph',
        tenant: directory.tenant,
        clientId: directory.clientId,
        clientSecret: directory.clientSecret,
        authorityUrl: directory.authorityUrl,
        graphUrl: directory.graphUrl,
      });
      const result = await check(config, '--user', 'pat.jones@contoso.com');
      expect(result.code).to.equal(0);
      expect(result.stdout).to.match(/^ {2}ok {3}user lookup: pat\.jones@contoso\.com is the Graph user f0e1d2c3$/m);
      expect(result.stdout).to.match(/^ {2}ok {3}sample lookup: a photo of \d+ bytes$/m);
    });

    it('signs in to SuperOffice Online, renews the ticket once, and looks the sample up', async () => {
      const result = await check(crmConfig(crm.credentials.systemUserToken), '--user', 'pat.jones@contoso.com');
      expect(result.code).to.equal(0);
      for (const step of ['reachable', 'authenticated', 'renewal', 'sample lookup']) expect(result.stdout).to.match(new RegExp(`^ {2}ok {3}${step}: `, 'm'));
    });

    it('names a refused system user token as the failing step, without printing the secret', async () => {
      const result = await check(crmConfig('Photo Bridge-not-consented'));
      expect(result.code).to.equal(1);
      expect(result.stdout).to.match(/^ {2}FAIL authenticated: SuperOffice refused the system user token \(Unknown system user token\)$/m);
      expect(result.stdout).to.not.include(crm.credentials.clientSecret);
    });
  });
});
