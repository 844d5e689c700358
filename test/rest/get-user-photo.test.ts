import { expect } from 'chai';
import sharp from 'sharp';
import request from 'supertest';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { eventually } from '../support/eventually.js';
import { samplePhoto } from '../support/sample-images.js';

const LIMITS = { maxInputBytes: 10_000_000, maxInputPixels: 40_000_000, jpegQuality: 85 };
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import type { DirectoryUser } from '../../src/domain/directory.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { toDirectoryUser } from '../../src/import/directory-record.js';

const URL = '/ews/exchange.asmx/s/GetUserPhoto';

describe('GET /ews/exchange.asmx/s/GetUserPhoto', () => {
  let t: TestBridge;
  const reader = basic(READER);

  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([
      { email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} },
      { email: 'small.photo@contoso.com', displayName: 'Small Photo', refs: {} },
      { email: 'no.photo@contoso.com', displayName: 'No Photo', refs: {} },
    ]);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(800, 600), 'test');
    await t.bridge.photos.setPhoto(userOwner('small.photo@contoso.com'), await samplePhoto(100, 100), 'test');
  });
  after(() => t.close());

  const get = (query: string) => request(t.bridge.server).get(`${URL}?${query}`).set('Authorization', reader);

  it('serves a square JPEG of the size asked for (a 4:3 original cropped), with a strong ETag, Cache-Control and nosniff', async () => {
    const res = await get('email=alex.wilber@contoso.com&size=HR96x96').buffer(true).expect(200);
    expect(res.headers['content-type']).to.equal('image/jpeg');
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers.etag).to.match(/^"[0-9a-f]+-96x96"$/);
    expect(res.headers['cache-control']).to.match(/max-age=\d+/);
    const meta = await sharp(res.body as Buffer).metadata();
    expect([meta.format, meta.width, meta.height]).to.deep.equal(['jpeg', 96, 96]);
  });

  it('serves a user stored with a character that shows nothing in their address (a ZWNJ, part of Persian words) by that address', async () => {
    await t.store.upsertUsers([{ email: 'ali\u200creza@contoso.com', displayName: 'Alireza', refs: {} }]);
    await t.bridge.photos.setPhoto(userOwner('ali\u200creza@contoso.com'), await samplePhoto(100, 100), 'test');
    const res = await get('email=Ali%E2%80%8Creza@contoso.com&size=HR48x48').buffer(true).expect(200);
    expect(res.headers['content-type']).to.equal('image/jpeg');
    expect((await sharp(res.body as Buffer).metadata()).width).to.equal(48);
  });

  it('answers every size code as a square, never larger than the original (486 for an 800x600 upload, stored as 648x486)', async () => {
    for (const size of [48, 64, 96, 120, 240, 360, 432, 504, 648]) {
      const res = await get(`email=alex.wilber@contoso.com&size=HR${size}x${size}`).buffer(true).expect(200);
      const side = Math.min(size, 486);
      const meta = await sharp(res.body as Buffer).metadata();
      expect([meta.width, meta.height], `HR${size}x${size}`).to.deep.equal([side, side]);
    }
  });

  it('never upscales: a 100 px original is served at 100 px for HR648x648 and HR240x240', async () => {
    const big = await get('email=small.photo@contoso.com&size=HR648x648').buffer(true).expect(200);
    const medium = await get('email=small.photo@contoso.com&size=HR240x240').buffer(true).expect(200);
    expect((await sharp(big.body as Buffer).metadata()).width).to.equal(100);
    expect(Buffer.compare(big.body as Buffer, medium.body as Buffer)).to.equal(0);
    expect(big.headers.etag).to.equal(medium.headers.etag);
  });

  it('serves the largest available size when no size is given: the largest square the original has', async () => {
    const res = await get('email=alex.wilber@contoso.com').buffer(true).expect(200);
    const meta = await sharp(res.body as Buffer).metadata();
    expect([meta.width, meta.height]).to.deep.equal([486, 486]);
  });

  it('answers 304 without a body when If-None-Match holds the ETag (also weak and listed forms)', async () => {
    const first = await get('email=alex.wilber@contoso.com&size=HR64x64').expect(200);
    const etag = first.headers.etag as string;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await get('email=alex.wilber@contoso.com&size=HR64x64').set('If-None-Match', header).expect(304);
      expect(res.headers.etag).to.equal(etag);
      expect(res.text ?? '').to.equal('');
    }
    await get('email=alex.wilber@contoso.com&size=HR64x64').set('If-None-Match', '"stale-64"').expect(200);
  });

  it('matches the path and the address case-insensitively, as IIS and Exchange do', async () => {
    await request(t.bridge.server)
      .get('/EWS/Exchange.asmx/s/GetUserPhoto?email=ALEX.Wilber@Contoso.COM&size=HR48X48')
      .set('Authorization', reader)
      .expect(200)
      .expect('content-type', 'image/jpeg');
  });

  it('finds a mailbox imported in one spelling by any other of its address: composed or decomposed, A-label or U-label', async () => {
    const decomposed = 'rene\u0301e@contoso.example';
    const composed = 'ren\u00e9e@contoso.example';
    const imported = [decomposed, 'zo\u00eb@contoso.example', 'anna@xn--bcher-kva.example'].map((email) => toDirectoryUser({ email, displayName: email }));
    const users = imported.filter((user): user is DirectoryUser => typeof user !== 'string');
    await t.store.upsertUsers(users);
    for (const user of users) await t.bridge.photos.setPhoto(userOwner(user.email), await samplePhoto(100, 100), 'test');
    const spellings = [
      [decomposed, composed],
      ['zo\u00eb@contoso.example', 'zoe\u0308@contoso.example'],
      ['anna@xn--bcher-kva.example', 'anna@b\u00fccher.example', 'ANNA@B\u00dcCHER.example'],
    ];
    for (const same of spellings) {
      const etags = [];
      for (const email of same) etags.push((await get(`email=${encodeURIComponent(email)}&size=HR48x48`).expect(200)).headers.etag);
      expect(new Set(etags), same[0]).to.have.length(1);
    }
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await request(t.bridge.server).head(`${URL}?email=alex.wilber@contoso.com&size=HR96x96`).set('Authorization', reader).expect(200);
    expect(Number(res.headers['content-length'])).to.be.greaterThan(0);
    expect(res.headers.etag).to.match(/-96x96"$/);
  });

  it('changes the ETag and the bytes as soon as the photo changes', async () => {
    const before = await get('email=alex.wilber@contoso.com&size=HR120x120').expect(200);
    await request(t.bridge.server)
      .put('/admin/users/alex.wilber@contoso.com/photo')
      .set('Authorization', basic(ADMIN))
      .set('Content-Type', 'image/png')
      .send(await samplePhoto(640, 640, 'png'))
      .expect(200);
    const after = await get('email=alex.wilber@contoso.com&size=HR120x120')
      .set('If-None-Match', before.headers.etag as string)
      .expect(200);
    expect(after.headers.etag).to.not.equal(before.headers.etag);
  });

  it('reads the parameter names in any case, as ASP.NET reads a query string (Email=, SIZE=)', async () => {
    const plain = await get('email=alex.wilber@contoso.com&size=HR48x48').expect(200);
    const capitalised = await get('Email=alex.wilber@contoso.com&SIZE=HR48x48').expect(200);
    expect(capitalised.headers.etag).to.equal(plain.headers.etag);
    // ASCII letters only: the Kelvin sign (U+212A) lower-cases to k, but ifBlanK spelt with it is no ifBlank.
    await get('email=nobody@contoso.com&size=HR48x48&ifBlan%E2%84%AA=ClearPixel').expect(404);
    await get('email=nobody@contoso.com&size=HR48x48&IFBLANK=ClearPixel').expect(200);
  });

  describe('refuses bad requests with a status and a one-line reason', () => {
    const cases: [string, string, number, RegExp][] = [
      ['an unknown size code', 'email=alex.wilber@contoso.com&size=HR97x97', 400, /unknown size code 'HR97x97'/],
      ['a non-square size code', 'email=alex.wilber@contoso.com&size=HR96x48', 400, /unknown size code/],
      ['a tiny size code', 'email=alex.wilber@contoso.com&size=HR1x1', 400, /unknown size code/],
      ['a size that is not a code', 'email=alex.wilber@contoso.com&size=banana', 400, /unknown size code 'banana'/],
      ['a missing email', 'size=HR96x96', 400, /'email' parameter is required/],
      ['a malformed email', 'email=not-an-address&size=HR96x96', 400, /not an SMTP address/],
      ['SQL-looking input', `email=${encodeURIComponent("x' OR '1'='1")}&size=HR96x96`, 400, /not an SMTP address/],
      // Refused at the front door, as a NUL anywhere in a URL is: nothing the bridge reads holds one.
      ['an address with a NUL after it', 'email=alex.wilber@contoso.com%00&size=HR96x96', 400, /^the request target holds a NUL \(%00\)\n$/],
      // Another address, looked up as any: only an import refuses it as new.
      ['an address with a zero-width space in it', 'email=alex.wilber%E2%80%8B@contoso.com&size=HR96x96', 404, /no photo/],
      // Quoted on one inert line: CR LF would start another, ESC drive the terminal that shows it.
      [
        'an address with CR LF, ESC and BEL in it',
        'email=a%0d%0aB%1b[31mC%07@x.y&size=HR96x96',
        400,
        /^'a\\u000d\\u000aB\\u001b\[31mC\\u0007@x\.y' is not an SMTP address\n$/,
      ],
      // Refused, not trimmed: the address sent is not the one looked up (plain spaces are, in the test after these).
      ...['%0D%0A', '%0B', '%0C', '%C2%A0', '%EF%BB%BF', '%E3%80%80'].map((blank): [string, string, number, RegExp] => [
        `an address followed by ${blank}`,
        `email=alex.wilber@contoso.com${blank}`,
        400,
        /is not an SMTP address/,
      ]),
      ['an address after a tab', 'email=%09alex.wilber@contoso.com', 400, /is not an SMTP address/],
      ['an address after a BOM', 'email=%EF%BB%BFalex.wilber@contoso.com', 400, /is not an SMTP address/],
      ['a size with CR LF in it', 'email=alex.wilber@contoso.com&size=HR%0d%0a96', 400, /unknown size code 'HR\\u000d\\u000a96'/],
      ['SQL-looking input that is a valid address', `email=${encodeURIComponent("x'or'1'='1@contoso.com")}&size=HR96x96`, 404, /no photo/],
      ['a user without a photo', 'email=no.photo@contoso.com&size=HR96x96', 404, /no photo for 'no.photo@contoso.com'/],
      ['an unknown user', 'email=nobody@contoso.com&size=HR96x96', 404, /no photo for 'nobody@contoso.com'/],
      ['two addresses', 'email=alex.wilber@contoso.com&email=no.photo@contoso.com&size=HR96x96', 400, /the 'email' parameter is given more than once/],
      ['two sizes', 'email=alex.wilber@contoso.com&size=HR96x96&size=HR48x48', 400, /the 'size' parameter is given more than once/],
      ['two types', 'email=alex.wilber@contoso.com&size=HR96x96&type=png&type=webp', 400, /the 'type' parameter is given more than once/],
      // The shape qs and PHP read as a list or an object: it was another parameter's name, and the size the largest.
      ['a size in brackets', 'email=alex.wilber@contoso.com&size[]=HR96x96', 400, /the 'size' parameter takes one value \(size=…\), not 'size\[\]'/],
      ['an address in brackets', 'email[a]=alex.wilber@contoso.com&size=HR96x96', 400, /the 'email' parameter takes one value \(email=…\), not 'email\[a\]'/],
      // Names in any case, as ASP.NET reads them: twice in two cases is twice.
      [
        'two addresses, named in two cases',
        'email=alex.wilber@contoso.com&EMAIL=no.photo@contoso.com&size=HR96x96',
        400,
        /the 'email' parameter is given more than once/,
      ],
    ];
    for (const [what, query, status, reason] of cases) {
      it(`${what} → ${status}`, async () => {
        const res = await get(query).expect(status);
        expect(res.headers['content-type']).to.match(/^text\/plain/);
        expect(res.text).to.match(reason);
        expect(res.text.trim().split('\n')).to.have.length(1);
      });
    }
  });

  it('drops plain spaces around the address (%20 or +), and only those', async () => {
    const res = await get('email=%20alex.wilber@contoso.com+&size=HR48x48').buffer(true).expect(200);
    expect([res.headers['content-type'], res.headers.etag]).to.deep.equal([
      'image/jpeg',
      (await get('email=alex.wilber@contoso.com&size=HR48x48').expect(200)).headers.etag,
    ]);
  });

  describe('authentication', () => {
    const path = `${URL}?email=alex.wilber@contoso.com&size=HR96x96`;

    it('asks for Basic credentials (401 with WWW-Authenticate) when none are sent', async () => {
      const res = await request(t.bridge.server).get(path).expect(401);
      expect(res.headers['www-authenticate']).to.equal('Basic realm="ews-photo-bridge"');
    });

    it('refuses a wrong password and an unknown user alike', async () => {
      const wrong = await request(t.bridge.server)
        .get(path)
        .set('Authorization', basic({ ...READER, password: 'nope' }))
        .expect(401);
      const unknown = await request(t.bridge.server)
        .get(path)
        .set('Authorization', basic({ username: 'ghost@x.com', password: 'nope' }))
        .expect(401);
      expect(wrong.text).to.equal(unknown.text);
      expect(wrong.headers['www-authenticate']).to.match(/^Basic realm=/);
    });

    it('refuses garbage in Authorization', async () => {
      for (const header of ['Basic !!!not-base64!!!', 'Basic', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'Bearer abc']) {
        const res = await request(t.bridge.server).get(path).set('Authorization', header).expect(401);
        expect(res.text).to.match(/Authorization must be Basic/);
      }
    });

    it('checks credentials before the query, so anonymous callers learn nothing about it', async () => {
      await request(t.bridge.server).get(`${URL}?size=banana`).expect(401);
    });

    it('stays up and keeps serving after a run of bad requests', async () => {
      await Promise.all(Array.from({ length: 20 }, () => request(t.bridge.server).get(path).set('Authorization', 'Basic %%%').expect(401)));
      await get('email=alex.wilber@contoso.com&size=HR96x96').expect(200);
    });
  });

  it('sees a photo another process (the CLI) stored, within about a second', async () => {
    const before = await get('email=small.photo@contoso.com&size=HR48x48').expect(200);
    const cli = new SqliteStore(t.databasePath);
    await cli.setPhoto(userOwner('small.photo@contoso.com'), await normalizePhoto(await samplePhoto(300, 200), LIMITS), 'cli');
    await cli.close();
    await eventually('the bridge serves the photo the CLI stored', async () => {
      const after = await get('email=small.photo@contoso.com&size=HR48x48').expect(200);
      return after.headers.etag !== before.headers.etag;
    });
  });

  it('answers 405 to methods other than GET and HEAD, with Vary: Accept as every answer of the photo URLs (the OWA one too)', async () => {
    for (const path of [URL, '/owa/service.svc/s/GetPersonaPhoto']) {
      const res = await request(t.bridge.server).post(`${path}?email=alex.wilber@contoso.com`).set('Authorization', reader).expect(405);
      expect(res.headers.allow, path).to.equal('GET, HEAD');
      expect(res.headers.vary, path).to.equal('Accept');
    }
  });
});

describe('GET /ews/exchange.asmx/s/GetUserPhoto with anonymous read switched on', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge({ BRIDGE_ANONYMOUS_READ: 'true' });
    await t.store.upsertUsers([{ email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} }]);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(200, 200), 'test');
  });
  after(() => t.close());

  it('serves photos without credentials and ignores wrong ones', async () => {
    await request(t.bridge.server).get(`${URL}?email=alex.wilber@contoso.com&size=HR96x96`).expect(200);
    await request(t.bridge.server).get(`${URL}?email=alex.wilber@contoso.com&size=HR96x96`).set('Authorization', 'Basic Zm9vOmJhcg==').expect(200);
  });

  it('still requires an admin account for the admin API', async () => {
    await request(t.bridge.server).delete('/admin/users/alex.wilber@contoso.com/photo').expect(401);
  });
});

describe('GET /ews/exchange.asmx/s/GetUserPhoto at a JPEG quality other than the default', () => {
  const bridges: TestBridge[] = [];
  before(async () => {
    for (const env of [{}, { BRIDGE_JPEG_QUALITY: '30' }] as Record<string, string>[]) {
      const t = await startTestBridge(env);
      await t.store.upsertUsers([{ email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} }]);
      await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(400, 400), 'test');
      bridges.push(t);
    }
  });
  after(() => Promise.all(bridges.map((t) => t.close())));

  const get = (t: TestBridge, query: string, accept = 'image/jpeg') =>
    request(t.bridge.server).get(`${URL}?${query}`).set('Authorization', basic(READER)).set('Accept', accept).buffer(true);

  it('names the quality in the ETag, so a client holding the bytes of the one is never told 304 by the other (RFC 9110 §8.8.1)', async () => {
    const photo = 'email=alex.wilber@contoso.com&size=HR96x96';
    for (const [query, accept, usualTag, lowerTag] of [
      [photo, 'image/jpeg', /^"[0-9a-f]{32}-96x96"$/, /^"[0-9a-f]{32}-96x96-q30"$/],
      [photo, 'image/webp', /^"[0-9a-f]{32}-96x96-webp"$/, /^"[0-9a-f]{32}-96x96-q30-webp"$/],
      ['email=nobody@contoso.com&size=HR96x96&ifBlank=SrNoPhoto', 'image/jpeg', /^"srnophoto-[0-9a-f]+-96-jpeg"$/, /^"srnophoto-[0-9a-f]+-96-jpeg-q30"$/],
    ] as const) {
      const [usual, lower] = [await get(bridges[0]!, query, accept).expect(200), await get(bridges[1]!, query, accept).expect(200)];
      expect(Buffer.compare(usual.body as Buffer, lower.body as Buffer), query).to.not.equal(0);
      expect(usual.headers.etag, query).to.match(usualTag);
      expect(lower.headers.etag, query).to.match(lowerTag);
      await get(bridges[1]!, query, accept).set('If-None-Match', usual.headers.etag!).expect(200);
    }
  });
});
