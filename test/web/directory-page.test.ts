/// <reference lib="dom" />
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import type { DirectoryUser } from '../../src/domain/directory.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { placeholderColour } from '../../src/photos/placeholder.js';
import { artifactPath, BROWSER_START_TIMEOUT_MS, launchChromium } from '../support/browser.js';
import { createTestIssuer, type TestIssuer } from '../support/jwt-issuer.js';
import { samplePhoto } from '../support/sample-images.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const DEPARTMENTS = ['Finance', 'Engineering', 'Sales'];
const LONG_TITLE = 'Principal Distinguished Engineer for Extremely Long Job Titles, Cross-Team Alignment and Everything Else That Needs a Name';
const PEOPLE: DirectoryUser[] = Array.from({ length: 12 }, (_, i) => ({
  email: `user${i}@contoso.com`,
  displayName: `${['Adele', 'Bianca', 'Cody', 'Diego'][i % 4]} ${['Vance', 'Pratt', 'Lidz'][i % 3]} ${i}`,
  department: DEPARTMENTS[i % 3]!,
  title: i === 0 ? LONG_TITLE : i % 2 ? 'Engineer' : 'Analyst',
  businessPhone: `+1 425 555 01${String(i).padStart(2, '0')}`,
  // Bianca, Cody and Diego 1–3 report to Adele Vance 0 (a column the directory may or may not know yet).
  ...(i >= 1 && i <= 3 ? { manager: 'user0@contoso.com' } : {}),
  // With the crowd, one more report than a directory entry lists.
  ...(i === 11 ? { manager: 'nora@contoso.com' } : {}),
  refs: {},
}));
const NO_PHOTO: DirectoryUser = { email: 'nora@contoso.com', displayName: 'Nora Nophoto', department: 'Legal', title: 'Counsel', refs: {} };
/** The reader's own directory entry, for self-service. */
const RITA: DirectoryUser = { email: READER.username, displayName: 'Rita Reader', department: 'Legal', title: 'Paralegal', refs: {} };
/** Enough people without photos that the first page (48) is not everyone; they all report to Nora. */
const CROWD: DirectoryUser[] = Array.from({ length: 50 }, (_, i) => ({
  email: `crowd${i}@contoso.com`,
  displayName: `Zed Crowd ${String(i).padStart(2, '0')}`,
  department: 'Crowd',
  manager: NO_PHOTO.email,
  refs: {},
}));
const EVERYONE = PEOPLE.length + 2 + CROWD.length;

/** A 600×300 image in three upright bands, red | green | blue, so a crop shows where it was taken from. */
function bandedImage(): Promise<Buffer> {
  const band = (colour: string, left: number) => ({ input: { create: { width: 200, height: 300, channels: 3 as const, background: colour } }, left, top: 0 });
  return sharp({ create: { width: 600, height: 300, channels: 3, background: '#000' } })
    .composite([band('#ff0000', 0), band('#00ff00', 200), band('#0000ff', 400)])
    .png()
    .toBuffer();
}

/** The colour at (x, y) of an image, as [r, g, b]. */
async function pixelAt(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * 3;
  return [data[at]!, data[at + 1]!, data[at + 2]!];
}

function expectColour(actual: number[], expected: number[], tolerance = 40): void {
  expect(
    actual.every((value, i) => Math.abs(value - expected[i]!) <= tolerance),
    `${actual.join(',')} ≈ ${expected.join(',')}`,
  ).to.equal(true);
}

const hexColour = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

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

  before(async function () {
    this.timeout(BROWSER_START_TIMEOUT_MS);
    issuer = await createTestIssuer();
    const allowed = createServer();
    const other = createServer();
    addins.push(allowed, other);
    [allowedOrigin, otherOrigin] = [await listen(allowed), await listen(other)];
    t = await startTestBridge({ ...issuer.env, BRIDGE_CORS_ORIGINS: allowedOrigin, BRIDGE_SELF_SERVICE_PHOTOS: 'true' });
    const { port } = await t.bridge.listen();
    bridgeUrl = `http://127.0.0.1:${port}`;
    const token = await issuer.sign();
    for (const server of addins) server.on('request', addinServer(bridgeUrl, token).listeners('request')[0] as () => void);

    await t.store.upsertUsers([...PEOPLE, NO_PHOTO, RITA, ...CROWD]);
    for (const [i, person] of PEOPLE.entries()) {
      await t.bridge.photos.setPhoto(userOwner(person.email), await samplePhoto(400 + i * 10, 400 + i * 10), 'test');
    }
    browser = await launchChromium();
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
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

  const cardCount = (on: Page = page) => on.locator('#people > li').count();
  /** Waits until the grid shows the results of `query`. */
  async function resultsOf(query: string, on: Page = page): Promise<void> {
    await on.waitForFunction((q) => {
      const list = document.querySelector<HTMLElement>('#people')!;
      const failed = document.querySelector('#status')!.textContent?.startsWith('Search failed');
      return (list.dataset.query === q || failed) && list.getAttribute('aria-busy') === 'false';
    }, query);
    // A failed search: say what the page said rather than wait out the timeout.
    expect(await on.textContent('#status')).to.not.match(/^Search failed/);
  }
  /** Types a search and waits until the grid shows its results. */
  async function search(text: string, expectedCards?: number, on: Page = page): Promise<void> {
    await on.fill('#search', text);
    // The box's maxlength holds back the rest of a long paste.
    expect(await on.inputValue('#search')).to.equal(text.slice(0, 200));
    await resultsOf(text.trim().slice(0, 200), on);
    if (expectedCards !== undefined) expect(await cardCount(on)).to.equal(expectedCards);
  }
  /**
   * Closes the detail view with Escape and waits for its `close` event: that event returns focus
   * to the card a task later, and a search typed before it ran went into the card, not the box.
   */
  async function closeDetail(on: Page = page): Promise<void> {
    type Waiting = { detailClosed?: Promise<void> };
    await on.evaluate(() => {
      (window as Waiting).detailClosed = new Promise((resolve) =>
        document.querySelector('#person')!.addEventListener('close', () => resolve(), { once: true }),
      );
    });
    await on.keyboard.press('Escape');
    await on.evaluate(() => (window as Waiting).detailClosed);
  }
  /** Scrolls every lazy image into view and waits until each has really decoded. */
  async function allImagesLoaded(on: Page = page): Promise<void> {
    for (const img of await on.locator('#people img').all()) await img.scrollIntoViewIfNeeded();
    await on.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('#people img')).every((img) => img.complete && img.naturalWidth > 0));
  }
  /** The colour of an image's pixel as the browser decoded it. */
  const decodedPixel = (on: Page, selector: string, x: number, y: number) =>
    on.$eval(
      selector,
      (img, [px, py]) => {
        const canvas = document.createElement('canvas');
        canvas.width = (img as HTMLImageElement).naturalWidth;
        canvas.height = (img as HTMLImageElement).naturalHeight;
        const context = canvas.getContext('2d')!;
        context.drawImage(img as HTMLImageElement, 0, 0);
        return [...context.getImageData(px!, py!, 1, 1).data.slice(0, 3)];
      },
      [x, y],
    );
  /** The colour at the centre of the crop's frame, as drawn. */
  const cropCentre = () =>
    page.$eval('#crop-canvas', (canvas) => {
      const c = canvas as HTMLCanvasElement;
      return [
        ...c
          .getContext('2d')!
          .getImageData(c.width / 2, c.height / 2, 1, 1)
          .data.slice(0, 3),
      ];
    });
  /** Opens Nora's view and chooses the banded image: the crop's frame on screen, which starts in the middle of its red, green and blue bands. */
  async function cropOfBands() {
    await search('nora', 1);
    await page.click('#people .card');
    await page.setInputFiles('#photo-file', { name: 'bands.png', mimeType: 'image/png', buffer: await bandedImage() });
    await page.waitForSelector('#crop:not([hidden])');
    expectColour(await cropCentre(), [0, 255, 0], 10);
    return (await page.locator('#crop-canvas').boundingBox())!;
  }
  /** The stored photo as the REST photo URL serves it, at its largest. */
  async function servedPhoto(email: string): Promise<Buffer> {
    const res = await fetch(`${bridgeUrl}/ews/exchange.asmx/s/GetUserPhoto?email=${email}&size=HR648x648`, { headers: { authorization: basic(ADMIN) } });
    expect(res.status).to.equal(200);
    return Buffer.from(await res.arrayBuffer());
  }

  it('loads the first page with the signed-in admin, and "Show more" brings the rest, focus on the first new card', async () => {
    await page.waitForFunction(() => document.querySelectorAll('#people > li').length === 48);
    // Its own request, not the list's: the two answer in either order.
    await page.waitForFunction(() => document.querySelector('#me')!.textContent !== '');
    expect(await page.textContent('#me')).to.match(/admin@example\.com \(administrator\)/);
    expect(await page.textContent('#status')).to.equal('48+ people.');
    expect(await page.isVisible('#more')).to.equal(true);
    await allImagesLoaded();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: artifactPath('directory-desktop-grid.png') });

    await page.click('#more');
    await page.waitForFunction((n) => document.querySelectorAll('#people > li').length === n, EVERYONE);
    expect(await page.textContent('#status')).to.equal(`${EVERYONE} people.`);
    expect(await page.isVisible('#more')).to.equal(false);
    expect(await page.evaluate(() => document.activeElement?.closest('li')?.dataset.email)).to.equal('crowd34@contoso.com');
  });

  it('declares its icon, so the browser asks for that and not for /favicon.ico (a 404, an error in the console on every load)', async () => {
    // The browser fetches a page's icon itself, outside the page's requests: seen by the server alone.
    const icon = new Promise<{ path: string; status: number; type: unknown }>((resolve) => {
      const answered = (req: IncomingMessage, res: ServerResponse) => {
        // Before the app's handler, which rewrites req.url as it routes.
        const path = req.url!;
        if (!/^\/(?:favicon\.ico|web\/favicon\.svg)$/.test(path)) return;
        t.bridge.server.off('request', answered);
        res.on('finish', () => resolve({ path, status: res.statusCode, type: res.getHeader('content-type') }));
      };
      t.bridge.server.prependListener('request', answered);
    });
    const fresh = await context.newPage();
    try {
      await fresh.goto(`${bridgeUrl}/`);
      expect(await icon).to.deep.equal({ path: '/web/favicon.svg', status: 200, type: 'image/svg+xml' });
    } finally {
      await fresh.close();
    }
  });

  it('works under a path prefix a proxy strips (BRIDGE_PUBLIC_URL …/photos): every request it makes stays under it', async () => {
    const prefix = '/photos';
    const proxy = createServer((req, res) => {
      if (!req.url?.startsWith(`${prefix}/`)) return void res.writeHead(404).end();
      const upstream = request(`${bridgeUrl}${req.url.slice(prefix.length)}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    const proxyUrl = await listen(proxy);
    const prefixed = await browser.newContext({ httpCredentials: { username: ADMIN.username, password: ADMIN.password, origin: proxyUrl, send: 'always' } });
    try {
      const asked: string[] = [];
      const on = await prefixed.newPage();
      on.on('request', (sent) => asked.push(new URL(sent.url()).pathname));
      await on.goto(`${proxyUrl}${prefix}/`);
      await search('Adele', 3, on);
      await allImagesLoaded(on);
      expect(asked.filter((path) => !path.startsWith(`${prefix}/`))).to.deep.equal([]);
      expect(asked.some((path) => path.startsWith(`${prefix}/api/people`))).to.equal(true);
    } finally {
      await prefixed.close();
      proxy.close();
    }
  });

  it('renders real photos, each picked from its srcset at the displayed size', async () => {
    await allImagesLoaded();
    const images = await page.$$eval('#people img:not(.placeholder)', (imgs) =>
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
      expect(image.srcset.split(', ').map((candidate) => new URL(candidate.split(' ')[0]!, `${bridgeUrl}/`).href)).to.include(image.currentSrc);
      expect(image.loading).to.equal('lazy');
      // The button's name is the person's, read once: its photo is no "Photo of …" before it.
      expect(image.alt).to.equal('');
    }
    const adele = page.getByRole('button', { name: 'Adele Vance 0', exact: false });
    expect(await adele.count()).to.equal(1);
    expect(await page.getByRole('button', { name: /Photo of|Adele Vance 0.*Adele Vance 0/ }).count()).to.equal(0);
  });

  it('gives every card in a row the same height, long titles clamped to two lines', async () => {
    const boxes = await page.$$eval('#people > li', (items) =>
      items.map((li) => li.getBoundingClientRect()).map(({ top, height }) => ({ top: Math.round(top), height })),
    );
    const rows = new Map<number, typeof boxes>();
    for (const box of boxes) rows.set(box.top, [...(rows.get(box.top) ?? []), box]);
    expect(rows.size).to.be.greaterThan(2);
    for (const row of rows.values()) expect(new Set(row.map((box) => box.height)).size, `heights in the row at ${row[0]!.top}`).to.equal(1);
    const longTitle = page.locator('#people li[data-email="user0@contoso.com"] .subtle');
    expect(await longTitle.evaluate((el) => el.scrollHeight > el.clientHeight + 4)).to.equal(true);
  });

  it('narrows the grid as the user types, and keeps the search in the URL', async () => {
    await search('finance', 4);
    expect(await page.locator('#people .subtle').allTextContents()).to.satisfy((texts: string[]) => texts.every((text) => text.includes('Finance')));
    expect(new URL(page.url()).searchParams.get('q')).to.equal('finance');
    await search('diego', 3);
    expect(new URL(page.url()).searchParams.get('q')).to.equal('diego');
    await search('', 48);
    expect(new URL(page.url()).search).to.equal('');
  });

  it('opens a shared link with ?q=…, and Back and Forward go through the searches', async () => {
    await page.goto(`${bridgeUrl}/?q=${encodeURIComponent('finance')}`);
    await resultsOf('finance');
    expect(await page.inputValue('#search')).to.equal('finance');
    expect(await cardCount()).to.equal(4);
    await search('diego', 3);
    await page.locator('#search').blur();
    await search('nora', 1);
    expect(new URL(page.url()).searchParams.get('q')).to.equal('nora');

    await page.goBack();
    await resultsOf('diego');
    expect([await page.inputValue('#search'), await cardCount()]).to.deep.equal(['diego', 3]);
    await page.goBack();
    await resultsOf('finance');
    expect([await page.inputValue('#search'), await cardCount()]).to.deep.equal(['finance', 4]);
    await page.goForward();
    await resultsOf('diego');
    expect(await cardCount()).to.equal(3);
  });

  it('ignores "Show more" while a new search is on its way, so the two lists never mix', async () => {
    await search('', 48);
    expect(await page.isVisible('#more')).to.equal(true);
    // The new search's answer is held, as on a slow link, until "Show more" has been clicked.
    let answerTheSearch!: () => void;
    const clicked = new Promise<void>((resolve) => (answerTheSearch = resolve));
    await page.route('**/api/people?q=diego*', async (route) => {
      await clicked;
      await route.continue();
    });
    try {
      const asked = page.waitForRequest((req) => req.url().includes('q=diego'));
      await page.fill('#search', 'diego');
      await asked;
      await page.click('#more');
      answerTheSearch();
      await resultsOf('diego');
      expect(await cardCount(), 'only the new search: the old list was kept, the new page appended').to.equal(3);
    } finally {
      await page.unroute('**/api/people?q=diego*');
    }
  });

  it('empties the list and hides "Show more" when a new search fails, so neither stands for the old search', async () => {
    await search('', 48);
    expect(await page.isVisible('#more')).to.equal(true);
    // As the search budget answers an account that spent it.
    await page.route('**/api/people?q=finance*', (route) =>
      route.fulfill({ status: 503, contentType: 'text/plain', body: 'Too many searches; try again shortly.' }),
    );
    try {
      await page.fill('#search', 'finance');
      await page.waitForFunction(() => document.querySelector('#status')!.textContent.startsWith('Search failed'));
      expect({
        status: await page.textContent('#status'),
        cards: await cardCount(),
        more: await page.isVisible('#more'),
        url: new URL(page.url()).searchParams.get('q'),
      }).to.deep.equal({ status: 'Search failed: Too many searches; try again shortly.', cards: 0, more: false, url: 'finance' });
    } finally {
      await page.unroute('**/api/people?q=finance*');
    }
    await search('diego', 3);
  });

  it('shows the placeholder, not a broken image, for a photo removed since the list loaded', async () => {
    await t.bridge.photos.setPhoto(userOwner('crowd7@contoso.com'), await samplePhoto(300, 300), 'test');
    await search('zed crowd 07', 1);
    await t.bridge.photos.removePhoto(userOwner('crowd7@contoso.com'));
    await page.focus('#people .card');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#person[open]');
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('#person-photo')!;
      return img.complete && img.naturalWidth > 0;
    });
    expect(await page.getAttribute('#person-photo', 'src')).to.match(/ifBlank=SrNoPhoto/);
    await closeDetail();
  });

  it('shows the bridge’s own coloured initials for a person without a photo', async () => {
    await search('nora', 1);
    const placeholder = page.locator('#people img.placeholder');
    expect(await placeholder.getAttribute('alt')).to.equal('');
    expect(await placeholder.getAttribute('src')).to.match(/ifBlank=SrNoPhoto/);
    await allImagesLoaded();
    expect(await placeholder.evaluate((img) => (img as HTMLImageElement).naturalWidth)).to.equal(96);
    expectColour(await decodedPixel(page, '#people img.placeholder', 4, 4), hexColour(placeholderColour('Nora Nophoto')), 12);
    // The detail view's photo says there is none.
    await page.click('#people .card');
    await page.waitForSelector('#person[open]');
    expect(await page.getAttribute('#person-photo', 'alt')).to.equal('No photo of Nora Nophoto');
    await closeDetail();
  });

  it('opens a keyboard-usable detail view with the large photo and contact details', async () => {
    await search('adele vance 0', 1);
    await page.focus('#people .card');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#person[open]');
    // Focus at the view's start, its heading: the view is shown from the top, however far it reaches.
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('person-name');
    expect(await page.textContent('#person-name')).to.equal('Adele Vance 0');
    expect(await page.textContent('#person-title')).to.include(LONG_TITLE);
    expect(await page.textContent('#person-contact'))
      .to.include('user0@contoso.com')
      .and.include('+1 425 555 0100');
    await page.waitForFunction(() => (document.querySelector('#person-photo') as HTMLImageElement).naturalWidth > 0);
    expect(await page.$eval('#person-photo', (img) => (img as HTMLImageElement).currentSrc)).to.match(/size=HR(240|360|504|648)x/);
    await closeDetail();
    expect(await page.evaluate(() => document.activeElement?.className)).to.equal('card');
  });

  it("returns focus to the person's card in a list a search replaced while the view was open, and to the search box after Back", async () => {
    const focusedCard = () =>
      page.evaluate(() => (document.activeElement?.className === 'card' ? document.activeElement.closest('li')?.dataset.email : document.activeElement?.id));
    await search('cody', 3);
    await page.focus('#people li[data-email="user2@contoso.com"] .card');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#person[open]');
    // A search typed before the view opened, answered while it is open (a slow link): the list is drawn anew.
    await page.evaluate(() => {
      const box = document.querySelector<HTMLInputElement>('#search')!;
      box.value = 'cody lidz';
      box.dispatchEvent(new Event('input'));
    });
    await resultsOf('cody lidz');
    await closeDetail();
    expect(await focusedCard()).to.equal('user2@contoso.com');

    // Leaving the box settles its search: the next is a new history entry.
    await page.focus('#search');
    await page.locator('#search').blur();
    await search('nora', 1);
    // Back with focus on a card: to that person's card in the list drawn anew, else to the search box.
    await page.focus('#people .card');
    await page.goBack();
    await resultsOf('cody lidz');
    expect(await focusedCard()).to.equal('search');
    await page.focus('#people li[data-email="user2@contoso.com"] .card');
    await page.goBack();
    await resultsOf('cody');
    expect(await focusedCard()).to.equal('user2@contoso.com');
  });

  it('fits 320 CSS px without scrolling sideways, a long address searched for included (WCAG 2.2 1.4.10)', async () => {
    await page.setViewportSize({ width: 320, height: 800 });
    try {
      await search('christopher.vandenberghe.wolfeschlegelsteinhausen@contoso.example', 0);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.equal(320);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('shows the manager and the direct reports the directory knows, each a link to that person', async () => {
    await search('cody', 3);
    await page.click('#people li[data-email="user2@contoso.com"] .card');
    await page.waitForSelector('#person[open]');
    expect(await page.textContent('#person-contact'))
      .to.include('Manager')
      .and.include('Adele Vance 0');
    await page.click('#person-contact a[href="?q=user0%40contoso.com"]');
    await resultsOf('user0@contoso.com');
    expect(new URL(page.url()).searchParams.get('q')).to.equal('user0@contoso.com');
    // The search box keeps the focus the link gave it, not the card the closed view came from (gone with the old list).
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('search');
    await page.click('#people li[data-email="user0@contoso.com"] .card');
    await page.waitForSelector('#person[open]');
    const reports = await page.locator('#person-contact ul.reports a').allTextContents();
    expect(reports.toSorted()).to.deep.equal(['Bianca Pratt 1', 'Cody Lidz 2', 'Diego Vance 3']);
    // One under another, each a target 24 px tall at least (WCAG 2.2 2.5.8).
    const heights = await page.locator('#person-contact ul.reports a').evaluateAll((links) => links.map((a) => a.getBoundingClientRect().height));
    expect(heights.filter((height) => height < 24)).to.deep.equal([]);
    expect(await page.textContent('#person-contact')).to.include('Direct reports (3)');
    await closeDetail();
  });

  it('counts every direct report of a manager with more than the 50 listed, and says how many more there are', async () => {
    await search('nora', 1);
    await page.click(`#people li[data-email="${NO_PHOTO.email}"] .card`);
    await page.waitForSelector('#person[open]');
    expect({
      listed: await page.locator('#person-contact ul.reports a').count(),
      more: await page.locator('#person-contact ul.reports li.more').textContent(),
      label: (await page.textContent('#person-contact'))?.includes('Direct reports (51)'),
    }).to.deep.equal({ listed: 50, more: 'and 1 more', label: true });
    await closeDetail();
  });

  it('links each phone to the tel: URI that dials it, and shows one it cannot dial without a link', async () => {
    const callers: DirectoryUser[] = [
      { email: 'dial@contoso.com', displayName: 'Dina Dialable', businessPhone: '+44 (0)20 7946 0958', mobilePhone: '+1 (425) 555-0100 ext. 1234', refs: {} },
      {
        email: 'flowers@contoso.com',
        displayName: 'Fern Flowers',
        businessPhone: '1-800-FLOWERS',
        mobilePhone: '+\u0669\u0667\u0661 \u0664 \u0661\u0662\u0663 \u0664\u0665\u0666\u0667',
        refs: {},
      },
    ];
    await t.store.upsertUsers(callers);
    const phonesOf = async (name: string) => {
      await search(name, 1);
      await page.click('#people .card');
      await page.waitForSelector('#person[open]');
      const links = await page.$$eval('#person-contact a[href^="tel:"]', (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
      const text = await page.textContent('#person-contact');
      await closeDetail();
      return { links, text };
    };
    expect((await phonesOf('dina')).links).to.deep.equal([
      ['+44 (0)20 7946 0958', 'tel:+442079460958'],
      ['+1 (425) 555-0100 ext. 1234', 'tel:+14255550100;ext=1234'],
    ]);
    const fern = await phonesOf('fern');
    expect(fern.links).to.deep.equal([[callers[1]!.mobilePhone, 'tel:+97141234567']]);
    expect(fern.text).to.include('1-800-FLOWERS');
    for (const caller of callers) await t.store.removeUser(caller.email);
  });

  it('lets an admin upload a photo through a square crop moved and zoomed with the keyboard; the stored photo is that square', async () => {
    await search('nora', 1);
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    await page.click('#people .card');
    await page.waitForSelector('#photo-editor:not([hidden])');
    await page.setInputFiles('#photo-file', { name: 'bands.png', mimeType: 'image/png', buffer: await bandedImage() });
    await page.waitForSelector('#crop:not([hidden])');
    expect(await page.getAttribute('#crop-canvas', 'aria-label')).to.equal('Crop of 300 by 300 pixels at zoom 1.0');
    // Far left (the frame stops at the image's edge), then zoom in about twice: 1.1^7.
    await page.focus('#crop-canvas');
    for (let i = 0; i < 4; i++) await page.keyboard.press('Shift+ArrowLeft');
    for (let i = 0; i < 7; i++) await page.keyboard.press('+');
    expect(await page.getAttribute('#crop-canvas', 'aria-label')).to.equal('Crop of 154 by 154 pixels at zoom 1.9');
    expect(await page.isVisible('#person-photo.placeholder')).to.equal(true);
    await page.screenshot({ path: artifactPath('directory-desktop-crop.png') });

    await page.click('#photo-upload');
    await page.waitForFunction(() => document.querySelector('#editor-status')!.textContent === 'Photo saved.');
    await page.waitForFunction(() => (document.querySelector('#person-photo') as HTMLImageElement).naturalWidth > 0);
    expect(await page.isVisible('#person-photo.placeholder')).to.equal(false);
    expect(await t.store.getPhotoInfo(userOwner(NO_PHOTO.email))).to.include({ width: 154, height: 154 });
    // The frame spanned x = 73…227 of the image: red up to 200, green after it.
    const served = await servedPhoto(NO_PHOTO.email);
    expect(await sharp(served).metadata()).to.include({ width: 154, height: 154 });
    expectColour(await pixelAt(served, 10, 77), [255, 0, 0]);
    expectColour(await pixelAt(served, 115, 77), [255, 0, 0]);
    expectColour(await pixelAt(served, 145, 77), [0, 255, 0]);
    await page.screenshot({ path: artifactPath('directory-desktop-uploaded.png') });
    await closeDetail();
    await allImagesLoaded();
    expect(await page.locator('#people img.placeholder').count()).to.equal(0);
    expect(await page.$eval('#people img', (img) => (img as HTMLImageElement).currentSrc)).to.match(/email=nora%40contoso\.com.*&v=[0-9a-f]{16}/);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).to.equal(true);
  });

  it('moves the crop with the mouse too', async () => {
    const box = await cropOfBands();
    // Dragging the photo to the left by the frame's width shows the part right of it: blue.
    await page.mouse.move(box.x + box.width - 5, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + 5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    expectColour(await cropCentre(), [0, 0, 255], 10);
    await closeDetail();
  });

  it('moves the crop with single clicks too, centring it where they point: no drag needed (WCAG 2.2 2.5.7)', async () => {
    const box = await cropOfBands();
    // A right-click opens the menu, a middle-click scrolls: neither moves the frame.
    for (const button of ['right', 'middle'] as const) await page.mouse.click(box.x + box.width - 5, box.y + box.height / 2, { button });
    expectColour(await cropCentre(), [0, 255, 0], 10);
    await page.mouse.click(box.x + box.width - 5, box.y + box.height / 2);
    expectColour(await cropCentre(), [0, 0, 255], 10);
    for (let i = 0; i < 2; i++) await page.mouse.click(box.x + 5, box.y + box.height / 2);
    expectColour(await cropCentre(), [255, 0, 0], 10);
    await closeDetail();
  });

  it('lets an admin delete a photo after confirming, and shows the placeholder again', async () => {
    await search('nora', 1);
    await page.click('#people .card');
    await page.waitForSelector('#person[open]');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#photo-delete');
    await page.waitForFunction(() => document.querySelector('#editor-status')!.textContent === 'Photo deleted.');
    expect(await page.isVisible('#person-photo.placeholder')).to.equal(true);
    await closeDetail();
    expect(await page.locator('#people img.placeholder').count()).to.equal(1);
    expect((await t.store.getPhotoInfo(userOwner(NO_PHOTO.email))) ?? null).to.equal(null);
  });

  /** Holds the photo uploads and deletes of `email` until the returned function is called, as on a slow link; counts them. */
  async function holdPhotoChanges(email: string) {
    const held = { requests: 0, answer: () => {} };
    const answered = new Promise<void>((resolve) => (held.answer = resolve));
    const url = `**/admin/users/${encodeURIComponent(email)}/photo`;
    await page.route(url, async (route) => {
      held.requests += 1;
      await answered;
      await route.continue();
    });
    return { held, done: () => page.unroute(url) };
  }

  it("shows a slow upload's or delete's result on the person's card, not in the view opened for someone else meanwhile", async () => {
    const [first, second] = ['crowd1@contoso.com', 'crowd2@contoso.com'];
    const open = async (email: string) => {
      await page.click(`#people li[data-email="${email}"] .card`);
      await page.waitForSelector('#person[open]');
    };
    const chooseBands = async () => {
      await page.setInputFiles('#photo-file', { name: 'bands.png', mimeType: 'image/png', buffer: await bandedImage() });
      await page.waitForSelector('#crop:not([hidden])');
    };
    /** The second person's view, a file chosen: what the first one's late answer must leave alone. */
    const secondView = async () => ({
      name: await page.textContent('#person-name'),
      status: await page.textContent('#editor-status'),
      files: await page.$eval('#photo-file', (input) => (input as HTMLInputElement).files!.length),
      crop: await page.isVisible('#crop'),
      save: await page.isEnabled('#photo-upload'),
    });
    const untouched = { name: 'Zed Crowd 02', status: 'Move and zoom the square, then save.', files: 1, crop: true, save: true };
    await search('zed crowd 0', 10);

    const upload = await holdPhotoChanges(first);
    try {
      await open(first);
      await chooseBands();
      await page.click('#photo-upload');
      await page.waitForFunction(() => document.querySelector('#editor-status')!.textContent === 'Saving…');
      await closeDetail();
      await open(second);
      await chooseBands();
      upload.held.answer();
      await page.waitForSelector(`#people li[data-email="${first}"] img:not(.placeholder)`);
      expect(await secondView()).to.deep.equal(untouched);
    } finally {
      upload.held.answer();
      await upload.done();
    }
    await closeDetail();

    const removal = await holdPhotoChanges(first);
    try {
      await open(first);
      const sent = page.waitForRequest((req) => req.method() === 'DELETE');
      page.once('dialog', (dialog) => void dialog.accept());
      await page.click('#photo-delete');
      await sent;
      await closeDetail();
      await open(second);
      await chooseBands();
      removal.held.answer();
      await page.waitForSelector(`#people li[data-email="${first}"] img.placeholder`);
      expect(await secondView()).to.deep.equal(untouched);
    } finally {
      removal.held.answer();
      await removal.done();
    }
    await closeDetail();
  });

  it('sends one save and one delete however often they are clicked, Save and Delete disabled while either is on its way', async () => {
    const email = 'crowd3@contoso.com';
    const editor = async () => ({
      status: await page.textContent('#editor-status'),
      file: await page.isEnabled('#photo-file'),
      save: await page.isEnabled('#photo-upload'),
      delete: await page.isEnabled('#photo-delete'),
    });
    /** Clicks a button three times, as an impatient person would: a disabled one ignores them. */
    const clickThrice = (selector: string) => page.$eval(selector, (button) => [1, 2, 3].forEach(() => (button as HTMLButtonElement).click()));
    await search('zed crowd 03', 1);
    await page.click('#people .card');
    await page.waitForSelector('#person[open]');

    const upload = await holdPhotoChanges(email);
    try {
      await page.setInputFiles('#photo-file', { name: 'bands.png', mimeType: 'image/png', buffer: await bandedImage() });
      await page.waitForSelector('#crop:not([hidden])');
      // Pressed from the keyboard, then clicked on: focus stays in the view, on what says what happens.
      await page.focus('#photo-upload');
      await page.keyboard.press('Enter');
      await clickThrice('#photo-upload');
      expect(await editor()).to.deep.equal({ status: 'Saving…', file: false, save: false, delete: false });
      expect(await page.evaluate(() => document.activeElement?.id)).to.equal('editor-status');
      upload.held.answer();
      await page.waitForFunction(() => document.querySelector('#editor-status')!.textContent === 'Photo saved.');
      expect(await editor()).to.deep.equal({ status: 'Photo saved.', file: true, save: false, delete: true });
      expect(upload.held.requests).to.equal(1);
    } finally {
      upload.held.answer();
      await upload.done();
    }

    const removal = await holdPhotoChanges(email);
    try {
      const confirmed: string[] = [];
      page.on('dialog', (dialog) => {
        confirmed.push(dialog.message());
        void dialog.accept();
      });
      const sent = page.waitForRequest((req) => req.method() === 'DELETE');
      await clickThrice('#photo-delete');
      await sent;
      expect(await editor()).to.include({ file: false, save: false, delete: false });
      removal.held.answer();
      await page.waitForFunction(() => document.querySelector('#editor-status')!.textContent === 'Photo deleted.');
      expect({ confirmed: confirmed.length, requests: removal.held.requests }).to.deep.equal({ confirmed: 1, requests: 1 });
    } finally {
      page.removeAllListeners('dialog');
      removal.held.answer();
      await removal.done();
    }
    await closeDetail();
  });

  it('refuses a file it cannot show that is no image, or is over the upload limit, before sending it (Save stays disabled); crops one it can show whatever its size or name; takes a HEIC the browser gives no type', async () => {
    const limit = 10 * 1024 * 1024;
    const editor = async () => ({
      status: await page.textContent('#editor-status'),
      crop: await page.isVisible('#crop'),
      save: await page.isEnabled('#photo-upload'),
    });
    const choose = async (file: { name: string; mimeType: string; buffer: Buffer }, status: string) => {
      await page.setInputFiles('#photo-file', file);
      await page.waitForFunction((said) => document.querySelector('#editor-status')!.textContent === said, status);
      return editor();
    };
    await search('zed crowd 04', 1);
    await page.click('#people .card');
    await page.waitForSelector('#person[open]');
    const notImage = 'This file is not an image: choose a JPEG, PNG, GIF, WebP, HEIC or HEIF file.';
    expect(await choose({ name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo') }, notImage)).to.deep.equal({
      status: notImage,
      crop: false,
      save: false,
    });
    const tooLarge = 'This file is 10.1 MB; photos of up to 10 MB are accepted.';
    expect(await choose({ name: 'big.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(limit + 1) }, tooLarge)).to.deep.equal({
      status: tooLarge,
      crop: false,
      save: false,
    });
    // A camera's 12 MB photo is sent as its crop; a file with no type the browser still shows.
    const cropping = 'Move and zoom the square, then save.';
    const large = Buffer.concat([await bandedImage(), Buffer.alloc(limit + 1)]);
    expect(await choose({ name: 'DSC_0001.png', mimeType: 'image/png', buffer: large }, cropping)).to.deep.equal({ status: cropping, crop: true, save: true });
    await page.setInputFiles('#photo-file', { name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo') });
    await page.waitForFunction((said) => document.querySelector('#editor-status')!.textContent === said, notImage);
    expect(await choose({ name: 'IMG_2041', mimeType: '', buffer: await bandedImage() }, cropping)).to.deep.equal({ status: cropping, crop: true, save: true });
    const heic = 'This browser cannot show this image; it will be saved as it is, centred.';
    expect(await choose({ name: 'IMG_0001.HEIC', mimeType: '', buffer: Buffer.from('....ftypheic') }, heic)).to.deep.equal({
      status: heic,
      crop: false,
      save: true,
    });
    await closeDetail();
  });

  describe('a reader, with self-service photos on', () => {
    let readerContext: BrowserContext;
    let readerPage: Page;
    before(async () => {
      readerContext = await browser.newContext({
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2,
        httpCredentials: { username: READER.username, password: READER.password, origin: bridgeUrl, send: 'always' },
      });
      readerPage = await readerContext.newPage();
      await readerPage.goto(`${bridgeUrl}/?q=legal`);
      await resultsOf('legal', readerPage);
    });
    after(() => readerContext.close());

    it('offers no photo administration on someone else’s card', async () => {
      await readerPage.waitForFunction(() => document.querySelector('#me')!.textContent.includes('reader@example.com'));
      await readerPage.click('#people li[data-email="nora@contoso.com"] .card');
      await readerPage.waitForSelector('#person[open]');
      expect(await readerPage.isVisible('#photo-editor')).to.equal(false);
      await closeDetail(readerPage);
    });

    it('changes their own photo from "Change my photo" on their card', async () => {
      await allImagesLoaded(readerPage);
      await readerPage.screenshot({ path: artifactPath('directory-phone-grid.png') });
      await readerPage.click('#people li[data-email="reader@example.com"] .card-action');
      await readerPage.waitForSelector('#person[open]');
      expect(await readerPage.evaluate(() => document.activeElement?.id)).to.equal('photo-file');
      expect(await readerPage.textContent('#photo-editor-heading')).to.equal('My photo');
      expect(await readerPage.isVisible('#lock-row')).to.equal(false);
      await readerPage.setInputFiles('#photo-file', { name: 'me.jpg', mimeType: 'image/jpeg', buffer: await samplePhoto(500, 400) });
      await readerPage.waitForSelector('#crop:not([hidden])');
      await readerPage.screenshot({ path: artifactPath('directory-phone-crop.png') });
      await readerPage.click('#photo-upload');
      await readerPage.waitForFunction(() => document.querySelector('#editor-status')!.textContent === 'Photo saved.');
      expect(await t.store.getPhotoInfo(userOwner(READER.username))).to.include({ width: 400, height: 400 });
      await closeDetail(readerPage);
    });

    it('loses "Change my photo" once an administrator locks the photo', async () => {
      await search(READER.username, 1);
      await page.click('#people .card');
      await page.waitForFunction(() => !(document.querySelector('#photo-lock') as HTMLInputElement).disabled);
      expect(await page.isChecked('#photo-lock')).to.equal(false);
      await page.check('#photo-lock');
      await page.waitForFunction(() => document.querySelector('#editor-status')!.textContent === 'Photo locked.');
      expect(await t.store.isPhotoLocked(READER.username)).to.equal(true);
      await closeDetail();

      await readerPage.reload();
      await resultsOf('legal', readerPage);
      await readerPage.waitForFunction(() => document.querySelector('#me')!.textContent !== '');
      expect(await readerPage.locator('.card-action').count()).to.equal(0);
      expect(await readerPage.isVisible('#my-photo')).to.equal(false);
      await t.store.setPhotoLocked(READER.username, false);
    });
  });

  it('signs out: the browser forgets the login, and the page asks for one again', async () => {
    // No login of Playwright's here: the browser's own credential cache is what is tested.
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const loginsSeen: string[] = [];
    const recordLogin = (req: IncomingMessage) => {
      const credentials = req.headers.authorization?.startsWith('Basic ') ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString() : '';
      loginsSeen.push(credentials.split(':')[0]!);
    };
    try {
      const signedIn = await fresh.newPage();
      // Sign in as a person would once the browser asked: the browser then keeps the login for the realm.
      await signedIn.goto(`${bridgeUrl}/healthz`);
      const loginStatus = await signedIn.evaluate(
        ([user, password]) =>
          new Promise<number>((resolve) => {
            const request = new XMLHttpRequest();
            request.open('GET', '/api/me', true, user, password);
            request.onloadend = () => resolve(request.status);
            request.send();
          }),
        [ADMIN.username, ADMIN.password],
      );
      expect(loginStatus).to.equal(200);
      expect((await signedIn.goto(`${bridgeUrl}/`))!.status()).to.equal(200);
      await signedIn.waitForFunction(() => document.querySelector('#me')!.textContent.includes('admin@example.com'));

      await signedIn.click('#sign-out');
      await signedIn.waitForSelector('#signed-out:not([hidden])');
      expect(await signedIn.evaluate(() => document.activeElement?.id)).to.equal('signed-out-heading');
      expect(await signedIn.isVisible('#people')).to.equal(false);
      await signedIn.screenshot({ path: artifactPath('directory-desktop-signed-out.png') });

      t.bridge.server.prependListener('request', recordLogin);
      await signedIn.click('text=Sign in again').catch(() => undefined);
      const again = await signedIn.goto(`${bridgeUrl}/`).then(
        (response) => response!.status(),
        (error: Error) => error.message,
      );
      // Headless Chromium has no one to ask: the login prompt is cancelled (the 401 page, or the navigation fails as unauthorised).
      expect(String(again)).to.match(/^401$|ERR_INVALID_AUTH_CREDENTIALS/);
      expect(loginsSeen.length).to.be.greaterThan(0);
      expect(loginsSeen).to.not.include(ADMIN.username);
      expect(loginsSeen).to.include('signed-out');
    } finally {
      t.bridge.server.off('request', recordLogin);
      await fresh.close();
    }
  });

  it('shows an HTML/script search string as text, never as markup', async () => {
    const hostile = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
    await search(hostile, 0);
    expect(await page.textContent('#status')).to.include(hostile);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).to.equal(undefined);
    expect(await page.locator('main img, main script').count()).to.equal(0);
    await page.screenshot({ path: artifactPath('directory-desktop-hostile-search.png') });
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

  it('drops bidi controls from names, marks included, so no name can be made to read as another', async () => {
    await t.store.upsertUsers([{ email: 'spoof@contoso.com', displayName: 'Eve \u202Eevil\u202C Spoofer', title: '\u200F(CEO)\u200E \u061C1-2', refs: {} }]);
    await search('spoof', 1);
    expect(await page.textContent('#people .name')).to.equal('Eve evil Spoofer');
    expect(await page.textContent('#people .subtle')).to.equal('(CEO) 1-2');
    await t.store.removeUser('spoof@contoso.com');
  });

  it('outlines the detail view in forced colours (Windows high contrast), where its shaded backdrop is gone', async () => {
    await search('nora', 1);
    await page.click('#people .card');
    await page.waitForSelector('#person[open]');
    const border = () => page.$eval('#person', (dialog) => getComputedStyle(dialog).borderTopWidth);
    expect(await border()).to.equal('0px');
    await page.emulateMedia({ forcedColors: 'active' });
    try {
      expect(await border()).to.equal('1px');
    } finally {
      await page.emulateMedia({ forcedColors: 'none' });
    }
    await closeDetail();
  });

  it('lays a right-to-left name out right to left, its Latin part and number included, in the card and the detail view', async () => {
    await t.store.upsertUsers([{ email: 'yossi@contoso.com', displayName: 'יוסי כהן (Yossi) 2', title: 'מהנדס', refs: {} }]);
    await search('yossi', 1);
    const direction = (selector: string) => page.$eval(selector, (node) => getComputedStyle(node).direction);
    expect([await direction('#people .name'), await direction('#people .subtle')]).to.deep.equal(['rtl', 'rtl']);
    await page.click('#people .card');
    await page.waitForSelector('#person[open]');
    expect([await direction('#person-name'), await direction('#person-title')]).to.deep.equal(['rtl', 'rtl']);
    await closeDetail();
    await search('nora', 1);
    expect(await direction('#people .name')).to.equal('ltr');
    await t.store.removeUser('yossi@contoso.com');
  });

  it('shows right-to-left search words in the status in their own direction, isolated from the English sentence around them', async () => {
    await search('יוסי 2', 0);
    expect({
      status: await page.textContent('#status'),
      words: await page.locator('#status bdi').allTextContents(),
      direction: await page.$eval('#status bdi', (bdi) => getComputedStyle(bdi).direction),
    }).to.deep.equal({ status: 'No one matching “יוסי 2”.', words: ['יוסי 2'], direction: 'rtl' });
  });

  it("writes an address's own ? & % # into its mailto: link encoded, so an imported address cannot add a Bcc or a body", async () => {
    const email = 'ceo?bcc=spy%40evil.example&body=wire#x@contoso.com';
    await t.store.upsertUsers([{ email, displayName: 'Mailto Trick', refs: {} }]);
    await search('mailto trick', 1);
    await page.click('#people .card');
    await page.waitForSelector('#person[open]');
    const href = await page.getAttribute('#person-contact a[href^="mailto:"]', 'href');
    await closeDetail();
    expect(href).to.equal('mailto:ceo%3Fbcc%3Dspy%2540evil.example%26body%3Dwire%23x@contoso.com');
    expect(new URL(href!).search).to.equal('');
    await t.store.removeUser(email);
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
