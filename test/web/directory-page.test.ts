/// <reference lib="dom" />
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { DirectoryUser } from '../../src/domain/directory.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { artifactPath, launchChromium } from '../support/browser.js';
import { createTestIssuer, type TestIssuer } from '../support/jwt-issuer.js';
import { samplePhoto } from '../support/sample-images.js';
import { ADMIN, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const DEPARTMENTS = ['Finance', 'Engineering', 'Sales'];
const PEOPLE: DirectoryUser[] = Array.from({ length: 12 }, (_, i) => ({
  email: `user${i}@contoso.com`,
  displayName: `${['Adele', 'Bianca', 'Cody', 'Diego'][i % 4]} ${['Vance', 'Pratt', 'Lidz'][i % 3]} ${i}`,
  department: DEPARTMENTS[i % 3]!,
  title: i % 2 ? 'Engineer' : 'Analyst',
  businessPhone: `+1 425 555 01${String(i).padStart(2, '0')}`,
  refs: {},
}));
const NO_PHOTO: DirectoryUser = { email: 'nora@contoso.com', displayName: 'Nora Nophoto', department: 'Legal', title: 'Counsel', refs: {} };

/**
 * A tiny server on its own port playing an add-in's page: from its origin, the page
 * fetches a photo from the bridge with a bearer token and reports what happened.
 */
function addinServer(bridgeUrl: string, token: string): Server {
  const page = `<!doctype html><title>add-in</title><script>
    window.result = fetch(${JSON.stringify(`${bridgeUrl}/ews/exchange.asmx/s/GetUserPhoto?email=user1@contoso.com&size=HR64x64`)},
      { headers: { Authorization: ${JSON.stringify(`Bearer ${token}`)} } })
      .then(async (r) => ({ status: r.status, type: r.headers.get('content-type'), bytes: (await r.arrayBuffer()).byteLength }))
      .catch((e) => ({ error: String(e) }));
  </script>`;
  return createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the directory page in a real browser', function () {
  let t: TestBridge;
  let issuer: TestIssuer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let bridgeUrl: string;
  const addins: Server[] = [];
  let allowedOrigin: string;
  let otherOrigin: string;

  before(async () => {
    issuer = await createTestIssuer();
    const allowed = createServer();
    const other = createServer();
    addins.push(allowed, other);
    [allowedOrigin, otherOrigin] = [await listen(allowed), await listen(other)];
    t = await startTestBridge({ ...issuer.env, BRIDGE_CORS_ORIGINS: allowedOrigin });
    const { port } = await t.bridge.listen();
    bridgeUrl = `http://127.0.0.1:${port}`;
    const token = await issuer.sign();
    for (const server of addins) server.on('request', addinServer(bridgeUrl, token).listeners('request')[0] as () => void);

    await t.store.upsertUsers([...PEOPLE, NO_PHOTO]);
    for (const [i, person] of PEOPLE.entries()) {
      await t.bridge.photos.setPhoto(userOwner(person.email), await samplePhoto(400 + i * 10, 400 + i * 10), 'test');
    }
    browser = await launchChromium();
    context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      httpCredentials: { username: ADMIN.username, password: ADMIN.password, origin: bridgeUrl, send: 'always' },
    });
    page = await context.newPage();
    await page.goto(`${bridgeUrl}/`);
  });
  after(async () => {
    await browser?.close();
    await t.close();
    for (const server of addins) server.close();
    issuer.close();
  });

  const cardCount = () => page.locator('#people > li').count();
  /** Types a search and waits until the grid shows its results. */
  async function search(text: string, expectedCards?: number): Promise<void> {
    await page.fill('#search', text);
    const query = text.trim().slice(0, 200);
    await page.waitForFunction((q) => {
      const list = document.querySelector<HTMLElement>('#people')!;
      return list.dataset.query === q && list.getAttribute('aria-busy') === 'false';
    }, query);
    if (expectedCards !== undefined) expect(await cardCount()).to.equal(expectedCards);
  }
  /** Scrolls every lazy image into view and waits until each has really decoded. */
  async function allImagesLoaded(): Promise<void> {
    for (const img of await page.locator('#people img').all()) await img.scrollIntoViewIfNeeded();
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll<HTMLImageElement>('#people img')).every((img) => img.complete && img.naturalWidth > 0),
    );
  }

  it('loads, with the signed-in admin and everyone in the grid', async () => {
    await page.waitForFunction((n) => document.querySelectorAll('#people > li').length === n, PEOPLE.length + 1);
    expect(await page.textContent('#me')).to.match(/admin@example\.com \(administrator\)/);
    expect(await page.isVisible('#more')).to.equal(false);
    await allImagesLoaded();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: artifactPath('directory-grid.png') });
  });

  it('renders real photos, each picked from its srcset at the displayed size', async () => {
    await allImagesLoaded();
    const images = await page.$$eval('#people img', (imgs) =>
      (imgs as HTMLImageElement[]).map((img) => ({
        naturalWidth: img.naturalWidth,
        currentSrc: img.currentSrc,
        srcset: img.srcset,
        loading: img.loading,
        alt: img.alt,
      })),
    );
    expect(images).to.have.length(PEOPLE.length);
    for (const image of images) {
      expect(image.naturalWidth).to.equal(96);
      expect(image.currentSrc).to.include('size=HR96x96');
      expect(image.srcset.split(', ').map((candidate) => candidate.split(' ')[0]!)).to.include(image.currentSrc.replace(bridgeUrl, ''));
      expect(image.loading).to.equal('lazy');
      expect(image.alt).to.match(/^Photo of /);
    }
  });

  it('narrows the grid as the user types', async () => {
    await search('finance', 4);
    expect(await page.locator('#people .subtle').allTextContents()).to.satisfy((texts: string[]) => texts.every((text) => text.includes('Finance')));
    await search('diego', 3);
    await search('', PEOPLE.length + 1);
  });

  it('shows a placeholder for a person without a photo', async () => {
    await search('nora', 1);
    expect(await page.locator('#people img').count()).to.equal(0);
    const placeholder = page.locator('#people .placeholder');
    expect(await placeholder.textContent()).to.equal('NN');
    expect(await placeholder.getAttribute('aria-label')).to.equal('No photo of Nora Nophoto');
  });

  it('opens a keyboard-usable detail view with the large photo and contact details', async () => {
    await search('adele vance 0', 1);
    await page.focus('#people button');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#person[open]');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('person-close');
    expect(await page.textContent('#person-name')).to.equal('Adele Vance 0');
    expect(await page.textContent('#person-contact'))
      .to.include('user0@contoso.com')
      .and.include('+1 425 555 0100');
    await page.waitForFunction(() => (document.querySelector('#person-photo') as HTMLImageElement).naturalWidth > 0);
    expect(await page.$eval('#person-photo', (img) => (img as HTMLImageElement).currentSrc)).to.match(/size=HR(240|360|504|648)x/);
    await page.keyboard.press('Escape');
    await page.waitForSelector('#person:not([open])', { state: 'attached' });
    expect(await page.evaluate(() => document.activeElement?.className)).to.equal('card');
  });

  it('lets an admin upload a photo, with a preview, and shows it without a reload', async () => {
    await search('nora', 1);
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    await page.click('#people button');
    await page.waitForSelector('#admin:not([hidden])');
    await page.setInputFiles('#photo-file', { name: 'nora.png', mimeType: 'image/png', buffer: await samplePhoto(300, 300, 'png') });
    await page.waitForFunction(() => (document.querySelector('#photo-preview') as HTMLImageElement).naturalWidth === 300);
    expect(await page.isVisible('#person-photo')).to.equal(false);
    expect(await page.isVisible('#person-placeholder')).to.equal(true);
    await page.screenshot({ path: artifactPath('directory-upload-preview.png') });
    await page.click('#photo-upload');
    await page.waitForFunction(() => document.querySelector('#admin-status')!.textContent === 'Photo saved.');
    await page.waitForFunction(() => (document.querySelector('#person-photo') as HTMLImageElement).naturalWidth > 0);
    expect(await page.isVisible('#person-placeholder')).to.equal(false);
    await page.screenshot({ path: artifactPath('directory-uploaded.png') });
    await page.keyboard.press('Escape');
    await allImagesLoaded();
    expect(await page.locator('#people .placeholder').count()).to.equal(0);
    expect(await page.$eval('#people img', (img) => (img as HTMLImageElement).currentSrc)).to.match(/email=nora%40contoso\.com.*&v=[0-9a-f]{16}/);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).to.equal(true);
  });

  it('lets an admin delete a photo after confirming, and shows the placeholder again', async () => {
    await search('nora', 1);
    await page.click('#people button');
    await page.waitForSelector('#person[open]');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#photo-delete');
    await page.waitForFunction(() => document.querySelector('#admin-status')!.textContent === 'Photo deleted.');
    expect(await page.isVisible('#person-placeholder')).to.equal(true);
    await page.keyboard.press('Escape');
    expect(await page.locator('#people .placeholder').count()).to.equal(1);
    expect((await t.store.getPhotoInfo(userOwner(NO_PHOTO.email))) ?? null).to.equal(null);
  });

  it('offers no photo administration to a reader', async () => {
    const readerContext = await browser.newContext({
      httpCredentials: { username: READER.username, password: READER.password, origin: bridgeUrl, send: 'always' },
    });
    try {
      const readerPage = await readerContext.newPage();
      await readerPage.goto(`${bridgeUrl}/`);
      await readerPage.waitForFunction(() => document.querySelector('#me')!.textContent.includes('reader@example.com'));
      await readerPage.click('#people button');
      await readerPage.waitForSelector('#person[open]');
      expect(await readerPage.isVisible('#admin')).to.equal(false);
    } finally {
      await readerContext.close();
    }
  });

  it('shows an HTML/script search string as text, never as markup', async () => {
    const hostile = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
    await search(hostile, 0);
    expect(await page.textContent('#status')).to.include(hostile);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).to.equal(undefined);
    expect(await page.locator('main img, main script').count()).to.equal(0);
    await page.screenshot({ path: artifactPath('directory-hostile-search.png') });
  });

  it('shows markup in directory data as text too', async () => {
    const name = '<b onmouseover="window.pwned=3">Bold</b> Hacker';
    await t.store.upsertUsers([{ email: 'hacker@contoso.com', displayName: name, title: '<i>CEO</i>', refs: {} }]);
    await search('hacker', 1);
    expect(await page.textContent('#people .name')).to.equal(name);
    expect(await page.textContent('#people .subtle')).to.equal('<i>CEO</i>');
    expect(await page.locator('main b, main i').count()).to.equal(0);
    await t.store.removeUser('hacker@contoso.com');
  });

  it('clamps a pasted 5,000-character search at 200 characters instead of failing', async () => {
    await search('x'.repeat(5000), 0);
    expect(await page.textContent('#status')).to.equal(`No one matching “${'x'.repeat(200)}”.`);
  });

  it('lets an allowed origin fetch a photo with a bearer token, and not another origin', async () => {
    const addinContext = await browser.newContext();
    try {
      const addin = await addinContext.newPage();
      await addin.goto(`${allowedOrigin}/`);
      expect(await addin.evaluate(() => (window as unknown as { result: Promise<unknown> }).result)).to.deep.include({ status: 200, type: 'image/jpeg' });
      await addin.goto(`${otherOrigin}/`);
      expect(await addin.evaluate(() => (window as unknown as { result: Promise<unknown> }).result))
        .to.have.property('error')
        .that.match(/Failed to fetch/);
    } finally {
      await addinContext.close();
    }
  });
});
