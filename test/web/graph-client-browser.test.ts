/// <reference lib="dom" />
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { userOwner } from '../../src/domain/photo-owner.js';
import { BROWSER_START_TIMEOUT_MS, launchChromium } from '../support/browser.js';
import { createTestIssuer, type TestIssuer } from '../support/jwt-issuer.js';
import { samplePhoto } from '../support/sample-images.js';
import { makeSelfSignedCertificate } from '../support/self-signed.js';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';

/** The browser build of @microsoft/microsoft-graph-client, as a page loads it (window.MicrosoftGraph). */
const GRAPH_SDK = readFileSync(new URL('../../node_modules/@microsoft/microsoft-graph-client/lib/graph-js-sdk.js', import.meta.url));

/** An add-in's page on another origin: an empty document and the SDK. */
function pageServer(): Server {
  return createServer((req, res) => {
    if (req.url === '/graph-js-sdk.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(GRAPH_SDK);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>add-in</title><script src="/graph-js-sdk.js"></script>');
  });
}

interface Observed {
  me: string;
  photoBytes: number;
  batchStatuses: number[];
}

describe('the Microsoft Graph JS client in a browser, from another origin', function () {
  this.timeout(BROWSER_START_TIMEOUT_MS);
  let dir: string;
  let issuer: TestIssuer;
  let page: Server;
  let t: TestBridge;
  let browser: Browser;
  let pageOrigin: string;
  let bridgeUrl: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'epb-graph-browser-'));
    const { certFile, keyFile } = makeSelfSignedCertificate(dir, { name: 'server', commonName: 'bridge', altNames: 'IP:127.0.0.1' });
    issuer = await createTestIssuer();
    page = pageServer();
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    pageOrigin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
    t = await startTestBridge({ ...issuer.env, BRIDGE_TLS_CERT_FILE: certFile, BRIDGE_TLS_KEY_FILE: keyFile, BRIDGE_CORS_ORIGINS: pageOrigin });
    bridgeUrl = `https://127.0.0.1:${(await t.bridge.listen()).port}/`;
    await t.store.upsertUsers([{ email: 'reader@contoso.com', displayName: 'Reader Person', refs: {} }]);
    await t.bridge.photos.setPhoto(userOwner('reader@contoso.com'), await samplePhoto(120, 120), 'test');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await new Promise((resolve) => page.close(resolve));
    issuer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads /me, a photo and a $batch with its token, through the preflights its own headers cause', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const tab = await context.newPage();
    await tab.goto(`${pageOrigin}/`);
    const token = await issuer.sign();
    // A script, not a function: the test runner's compiler would wrap a function's inner ones in a helper the page has not.
    const observed = await tab.evaluate<Observed>(`(async () => {
      const client = MicrosoftGraph.Client.init({
        baseUrl: ${JSON.stringify(bridgeUrl)},
        customHosts: new Set(['127.0.0.1']),
        authProvider: (done) => done(null, ${JSON.stringify(token)}),
      });
      const me = await client.api('/me').get();
      const photo = await client.api('/me/photos/48x48/$value').responseType(MicrosoftGraph.ResponseType.ARRAYBUFFER).get();
      const batch = await client.api('/$batch').post({ requests: [{ id: '1', method: 'GET', url: '/me/photo/$value' }] });
      return { me: me.displayName, photoBytes: photo.byteLength, batchStatuses: batch.responses.map((answer) => answer.status) };
    })()`);
    expect(observed.photoBytes).to.be.above(0);
    expect({ me: observed.me, batchStatuses: observed.batchStatuses }).to.deep.equal({ me: 'Reader Person', batchStatuses: [200] });
    await context.close();
  });
});
