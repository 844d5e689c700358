import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { startGraphSimulator, type GraphSimulator } from '../simulators/graph.js';
import { startUcwaSimulator, type UcwaSimulator } from '../simulators/ucwa.js';
import { samplePhoto } from '../support/sample-images.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const run = promisify(execFile);

describe('ews-photo-bridge sources check', () => {
  let dir: string;
  let graph: GraphSimulator;
  const writeConfig = (clientSecret: string) => {
    const file = join(dir, `bridge-${clientSecret}.json`);
    const source = { name: 'm365', type: 'graph', tenant: graph.tenant, clientId: graph.clientId, clientSecret, authorityUrl: graph.authorityUrl, graphUrl: graph.graphUrl };
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
});
