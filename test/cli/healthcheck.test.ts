import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { makeSelfSignedCertificate } from '../support/self-signed.js';
import { startTestBridge } from '../support/test-bridge.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** `healthcheck` in a process of its own, as a container runs it; asynchronous, as the bridge it asks runs in this one. */
function healthcheck(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, 'healthcheck'],
      { env: { ...process.env, BRIDGE_LOG_LEVEL: 'silent', ...env }, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('healthcheck (the command a container HEALTHCHECK runs)', function () {
  this.timeout(150_000);

  it('says ready for a bridge on plain HTTP, and for one with built-in TLS, which it asks over HTTPS (a check over HTTP never found it healthy)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'epb-health-'));
    makeSelfSignedCertificate(dir, { name: 'server', commonName: 'photos.contoso.example', altNames: 'DNS:photos.contoso.example' });
    const tls = { BRIDGE_TLS_CERT_FILE: join(dir, 'server.pem'), BRIDGE_TLS_KEY_FILE: join(dir, 'server.key') };
    for (const settings of [{}, tls]) {
      const t = await startTestBridge({ BRIDGE_PORT: '0', BRIDGE_HOST: '127.0.0.1', ...settings });
      try {
        const { port } = await t.bridge.listen();
        const checked = await healthcheck({ BRIDGE_PORT: String(port), BRIDGE_HOST: '0.0.0.0', ...settings });
        expect([checked.code, checked.stdout], JSON.stringify(settings)).to.deep.equal([0, 'ready\n']);
      } finally {
        await t.close();
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails in one line when nothing answers on the port', async () => {
    const { code, stderr } = await healthcheck({ BRIDGE_PORT: '1', BRIDGE_HOST: '127.0.0.1' });
    expect(code).to.equal(1);
    expect(stderr).to.match(/^ews-photo-bridge: not ready: cannot reach 127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1\n$/);
  });
});
