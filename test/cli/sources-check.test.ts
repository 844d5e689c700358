import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startGraphSimulator, type GraphSimulator } from '../simulators/graph.js';

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
  const check = async (configFile: string) => {
    const env = { ...process.env, BRIDGE_CONFIG: configFile, BRIDGE_LOG_LEVEL: 'silent' };
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', CLI, '--db', join(dir, 'bridge.db'), 'sources', 'check'], { env });
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
});
