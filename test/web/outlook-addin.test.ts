/// <reference lib="dom" />
import { readFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { BROWSER_START_TIMEOUT_MS, launchChromium } from '../support/browser.js';
import { samplePhoto } from '../support/sample-images.js';

const ADDIN = new URL('../../examples/outlook-addin/', import.meta.url);
const manifest = readFileSync(new URL('manifest.xml', ADDIN), 'utf8');

/** Every URL of the add-in's own origin that the manifest names, as a file of the sample. */
const referencedFiles = [...new Set([...manifest.matchAll(/DefaultValue="https:\/\/addin\.example\.com\/([^"]*)"/g)].map((match) => match[1]!))].filter(
  (path) => path !== '',
);

/**
 * The pixel size each icon must have: the size attribute of a command icon (bt:Image), and for
 * IconUrl and HighResolutionIconUrl the 64 and 128 pixels Outlook asks for
 * (https://learn.microsoft.com/javascript/api/manifest/iconurl, …/highresolutioniconurl).
 */
function expectedIconSizes(): Map<string, number> {
  const sizes = new Map<string, number>();
  const url = (pattern: RegExp) => pattern.exec(manifest)?.[1];
  sizes.set(url(/<IconUrl DefaultValue="https:\/\/addin\.example\.com\/([^"]+)"/)!, 64);
  sizes.set(url(/<HighResolutionIconUrl DefaultValue="https:\/\/addin\.example\.com\/([^"]+)"/)!, 128);
  for (const [, size, resid] of manifest.matchAll(/<bt:Image size="(\d+)" resid="([^"]+)"\/>/g)) {
    const file = url(new RegExp(`<bt:Image id="${resid}" DefaultValue="https://addin\\.example\\.com/([^"]+)"`));
    expect(file, `resource ${resid}`).to.be.a('string');
    sizes.set(file!, Number(size));
  }
  return sizes;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png' };

/** The sample's folder on a local origin, as a developer would host it for sideloading. */
function staticServer(): Server {
  return createServer((req, res) => {
    const file = new URL(`.${new URL(req.url!, 'http://x').pathname}`, ADDIN);
    if (!file.pathname.startsWith(ADDIN.pathname) || !existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(file.pathname)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
}

/** Just enough of office.js for the pane: a read item with a sender, and an SSO token. */
const OFFICE_STUB = `window.Office = {
  onReady: (callback) => Promise.resolve().then(callback),
  context: { mailbox: { item: { from: { displayName: 'Tânia Ivanova', emailAddress: 'tania.ivanova@contoso.com' } } } },
  auth: { getAccessToken: async () => 'sso-token' },
};`;

describe('the Outlook add-in sample', function () {
  this.timeout(BROWSER_START_TIMEOUT_MS);

  it('has every file its manifest names', () => {
    expect(referencedFiles).to.include.members(['taskpane.html', 'icon-16.png', 'icon-32.png', 'icon-64.png', 'icon-80.png', 'icon-128.png']);
    for (const path of referencedFiles) expect(existsSync(new URL(path, ADDIN)), path).to.equal(true);
  });

  it('has icons of the sizes its manifest declares', async () => {
    const sizes = expectedIconSizes();
    expect(sizes.size).to.equal(5);
    for (const [file, size] of sizes) {
      const { width, height, format } = await sharp(readFileSync(new URL(file, ADDIN))).metadata();
      expect({ file, format, width, height }).to.deep.equal({ file, format: 'png', width: size, height: size });
    }
  });

  describe('its task pane in a real browser', () => {
    let server: Server;
    let browser: Browser;
    let origin: string;

    before(async () => {
      server = staticServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
      await new Promise((resolve) => server.close(resolve));
    });

    it('loads its styles and scripts within its own CSP and shows the sender with the photo', async () => {
      const photo = await samplePhoto(96, 96);
      const page = await browser.newPage();
      const complaints: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') complaints.push(`console: ${message.text()}`);
      });
      page.on('pageerror', (error) => complaints.push(`page: ${error.message}`));
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP blocked ${event.blockedURI} (${event.violatedDirective})`));
      });
      const asked: { url: string; authorization?: string }[] = [];
      await page.route('https://appsforoffice.microsoft.com/**', (route) => route.fulfill({ contentType: 'text/javascript', body: OFFICE_STUB }));
      await page.route('https://photos.example.com/**', async (route) => {
        const request = route.request();
        const cors = { 'access-control-allow-origin': origin, 'access-control-allow-headers': 'Authorization' };
        if (request.method() === 'OPTIONS') return route.fulfill({ status: 204, headers: cors });
        asked.push({ url: request.url(), authorization: (await request.headerValue('authorization')) ?? undefined });
        return route.fulfill({ status: 200, headers: { ...cors, 'content-type': 'image/jpeg' }, body: photo });
      });

      await page.goto(`${origin}/taskpane.html`);
      await page.waitForFunction(() => {
        const img = document.getElementById('photo') as HTMLImageElement;
        return !img.hidden && img.complete && img.naturalWidth > 0;
      });

      expect(complaints).to.deep.equal([]);
      expect(await page.textContent('#sender')).to.equal('Tânia Ivanova <tania.ivanova@contoso.com>');
      expect(asked).to.deep.equal([
        {
          url: 'https://photos.example.com/ews/exchange.asmx/s/GetUserPhoto?email=tania.ivanova%40contoso.com&size=HR96x96',
          authorization: 'Bearer sso-token',
        },
      ]);
      // The stylesheet applied: a round 96 px photo, not the browser's default square.
      const look = await page.$eval('#photo', (img) => {
        const style = getComputedStyle(img);
        return { width: style.width, borderRadius: style.borderRadius, font: getComputedStyle(document.body).fontFamily };
      });
      expect(look).to.deep.equal({ width: '96px', borderRadius: '50%', font: '"Segoe UI", system-ui, sans-serif' });
      await page.close();
    });
  });
});
