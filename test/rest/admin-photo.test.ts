import { expect } from 'chai';
import sharp from 'sharp';
import Database from 'better-sqlite3';
import { renameSync } from 'node:fs';
import express from 'express';
import request from 'supertest';
import { createHealthRoutes } from '../../src/rest/health-routes.js';
import { expectOnlyAllowed } from '../support/allowed-methods.js';
import { pngBomb, samplePhoto } from '../support/sample-images.js';
import { oneColourGif, tallPngStrip } from '../support/shape-bombs.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { createLogger } from '../../src/logger.js';
import { eventually } from '../support/eventually.js';

describe('admin photo API: PUT and DELETE /admin/users/{email}/photo', () => {
  let t: TestBridge;
  const admin = basic(ADMIN);
  const url = '/admin/users/grady.archie@contoso.com/photo';

  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([{ email: 'grady.archie@contoso.com', displayName: 'Grady Archie', refs: {} }]);
  });
  after(() => t.close());

  const put = (body: Buffer, path = url) =>
    request(t.bridge.server).put(path).set('Authorization', admin).set('Content-Type', 'application/octet-stream').send(body);

  it('stores an uploaded image normalised to JPEG and reports its size', async () => {
    const res = await put(await samplePhoto(1000, 500, 'png')).expect(200);
    expect(res.body).to.include({ email: 'grady.archie@contoso.com', width: 648, height: 324 });
    const stored = await t.store.getPhoto(userOwner('grady.archie@contoso.com'));
    expect(stored?.contentType).to.equal('image/jpeg');
    expect(stored?.source).to.equal('upload');
    expect(stored?.sha256).to.equal(res.body.sha256);
  });

  it('changes and removes a photo only while the If-Match sent names it: else 412 and the photo stays', async () => {
    const etag = (
      await request(t.bridge.server)
        .get('/ews/exchange.asmx/s/GetUserPhoto?email=grady.archie@contoso.com&size=HR64x64')
        .set('Authorization', admin)
        .expect(200)
    ).headers.etag as string;
    const photo = await samplePhoto(300, 300);
    const stale = await put(photo).set('If-Match', '"someone-else-changed-it"');
    expect([stale.status, stale.headers['x-ews-response-code']]).to.deep.equal([412, 'ErrorIrresolvableConflict']);
    expect((await request(t.bridge.server).delete(url).set('Authorization', admin).set('If-Match', '"someone-else"')).status).to.equal(412);
    expect((await t.store.getPhotoInfo(userOwner('grady.archie@contoso.com')))?.width).to.equal(648);
    expect((await put(photo).set('If-Match', etag).expect(200)).body).to.include({ width: 300 });
    await request(t.bridge.server).delete(url).set('Authorization', admin).set('If-Match', etag).expect(412);
  });

  it('takes an If-Match only when it is exactly an ETag the photo is served under (any size or format): a tag that merely begins as one is 412', async () => {
    await put(await samplePhoto(200, 200)).expect(200);
    const served = async (query: string) =>
      (await request(t.bridge.server).get(`/ews/exchange.asmx/s/GetUserPhoto?email=grady.archie@contoso.com${query}`).set('Authorization', admin).expect(200))
        .headers.etag as string;
    const [plain, converted] = [await served('&size=HR96x96'), await served('&size=HR240x240&w=80&type=png')];
    const hash = plain.slice(1, 33);
    for (const never of [
      `"${hash}-NEVER-SERVED"`,
      `"${hash}-"`,
      `"${hash}-96x96`,
      `"${hash}-97x97"`,
      `"${hash}-240x240"`,
      `"${hash}-96x96-jpeg"`,
      `"${hash}-96x96-w96-png"`,
      `${converted.slice(0, -1)}x"`,
    ]) {
      const res = await put(await samplePhoto(150, 150)).set('If-Match', never);
      expect(res.status, never).to.equal(412);
    }
    expect((await t.store.getPhotoInfo(userOwner('grady.archie@contoso.com')))?.width).to.equal(200);
    await put(await samplePhoto(180, 180))
      .set('If-Match', converted)
      .expect(200);
    await put(await samplePhoto(170, 170))
      .set('If-Match', await served(''))
      .expect(200);
  });

  it('on a store that stopped taking writes: an upload is 503 + Retry-After saying the store is read-only, not 500; photos are still served; /readyz is 503 saying so until it takes writes again', async () => {
    await put(await samplePhoto(120, 120)).expect(200);
    // SQLITE_READONLY on the bridge's own connection, as a file it may not write gives one it opens
    // (sqlite-store.test.ts); its descriptors opened before a chmod would still write.
    const db = (t.store as unknown as { db: Database.Database }).db;
    db.pragma('query_only = true');
    try {
      const refused = await put(await samplePhoto(200, 200));
      expect([refused.status, refused.headers['x-ews-response-code'], refused.text]).to.deep.equal([
        503,
        'ErrorServerBusy',
        'the store is read-only (a SQLite file this user may not write?); nothing was changed\n',
      ]);
      expect(Number(refused.headers['retry-after'])).to.be.at.least(1);
      await request(t.bridge.server)
        .get('/ews/exchange.asmx/s/GetUserPhoto?email=grady.archie@contoso.com&size=HR96x96')
        .set('Authorization', admin)
        .expect(200);
      await request(t.bridge.server).get('/readyz').expect(503, 'the store is read-only (a SQLite file this user may not write?); nothing was changed\n');
    } finally {
      db.pragma('query_only = false');
    }
    await request(t.bridge.server).get('/readyz').expect(200, 'ready\n');
  });

  describe('a failed upload leaves the stored photo as it was', () => {
    let before: string | undefined;
    beforeEach(async () => {
      before = (await t.store.getPhoto(userOwner('grady.archie@contoso.com')))?.sha256;
      expect(before).to.be.a('string');
    });
    afterEach(async () => {
      expect((await t.store.getPhoto(userOwner('grady.archie@contoso.com')))?.sha256).to.equal(before);
    });

    it('a non-image → 422', async () => {
      const res = await put(Buffer.from('this is not an image\n')).expect(422);
      expect(res.text).to.match(/^not a usable image/);
    });

    it('a truncated image → 422, told in the bridge’s words, not libvips’ (its loaders and libraries)', async () => {
      const jpeg = await samplePhoto(400, 400);
      const png = await sharp(jpeg).png().toBuffer();
      for (const cut of [jpeg.subarray(0, jpeg.length / 2), png.subarray(0, png.length / 2)]) {
        const res = await put(cut).expect(422);
        expect(res.text.trim()).to.equal('not a usable image: it could not be decoded (the file is damaged or cut short)');
      }
      const headless = await put(Buffer.concat([jpeg.subarray(0, 3), Buffer.alloc(64)])).expect(422);
      expect(headless.text.trim()).to.equal('not a usable image: its header could not be read (the file is damaged or not an image)');
    });

    it('a 20000×20000 PNG (decompression bomb) → 413, refused before decoding', async () => {
      const bomb = pngBomb(20000, 20000);
      expect(bomb.length).to.be.lessThan(1024 * 1024);
      const res = await put(bomb).expect(413);
      expect(res.text).to.match(/20000×20000 pixels/);
    });

    it('a 65535×610 GIF and a 1×39,999,999 PNG (each under 40 Mpx, under 80 KB) → 413 ErrorMessageSizeExceeded, refused from the header', async () => {
      for (const bomb of [oneColourGif(65535, 610), tallPngStrip()]) {
        const res = await put(bomb);
        expect(res.status, res.text).to.equal(413);
        expect(res.headers['x-ews-response-code']).to.equal('ErrorMessageSizeExceeded');
      }
    });

    it('a 30 MB body → 413', async () => {
      const res = await put(Buffer.alloc(30 * 1024 * 1024, 1)).expect(413);
      expect(res.text).to.match(/larger than the upload limit/);
    });

    it('an empty body → 422', async () => {
      await put(Buffer.alloc(0)).expect(422);
    });

    it('a reader account → 403; no credentials → 401', async () => {
      const image = await samplePhoto(50, 50);
      await request(t.bridge.server).put(url).set('Authorization', basic(READER)).send(image).expect(403);
      const res = await request(t.bridge.server).put(url).send(image).expect(401);
      expect(res.headers['www-authenticate']).to.match(/^Basic realm=/);
    });
  });

  it('refuses a photo for an unknown user with 404 and stores nothing', async () => {
    const res = await put(await samplePhoto(50, 50), '/admin/users/nobody@contoso.com/photo').expect(404);
    expect(res.text).to.match(/no directory user 'nobody@contoso.com'/);
    expect(await t.store.getPhoto(userOwner('nobody@contoso.com'))).to.equal(undefined);
  });

  it('refuses a malformed address with 400', async () => {
    await put(await samplePhoto(50, 50), '/admin/users/not-an-address/photo').expect(400);
  });

  describe('removing', () => {
    it('DELETE removes the photo, so the REST URL answers 404; a second DELETE is 404', async () => {
      await request(t.bridge.server).delete(url).set('Authorization', admin).expect(204);
      expect(await t.store.getPhoto(userOwner('grady.archie@contoso.com'))).to.equal(undefined);
      await request(t.bridge.server)
        .get('/ews/exchange.asmx/s/GetUserPhoto?email=grady.archie@contoso.com&size=HR96x96')
        .set('Authorization', admin)
        .expect(404);
      await request(t.bridge.server).delete(url).set('Authorization', admin).expect(404);
    });
  });
});

describe('admin API: DELETE /admin/users/{email}', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([{ email: 'leaving@contoso.com', displayName: 'Leaving Soon', refs: {} }]);
    await t.bridge.photos.setPhoto(userOwner('leaving@contoso.com'), await samplePhoto(120, 120), 'test');
  });
  after(() => t.close());
  const photoUrl = '/ews/exchange.asmx/s/GetUserPhoto?email=leaving@contoso.com&size=HR48x48';

  it('answers another method on the admin URLs 405, naming those each takes', async () => {
    await expectOnlyAllowed(t.bridge.server, '/admin/users/leaving@contoso.com', 'DELETE', basic(ADMIN));
    await expectOnlyAllowed(t.bridge.server, '/admin/users/leaving@contoso.com/photo', 'PUT, DELETE', basic(ADMIN));
  });

  it('removes the user with their photo, at once for the photo URL; a reader may not; an unknown address is 404', async () => {
    await request(t.bridge.server).get(photoUrl).set('Authorization', basic(READER)).expect(200);
    await request(t.bridge.server).delete('/admin/users/leaving@contoso.com').set('Authorization', basic(READER)).expect(403);
    await request(t.bridge.server).delete('/admin/users/Leaving@Contoso.com').set('Authorization', basic(ADMIN)).expect(204);
    expect(await t.store.getUser('leaving@contoso.com')).to.equal(undefined);
    expect(await t.store.getPhoto(userOwner('leaving@contoso.com'))).to.equal(undefined);
    await request(t.bridge.server).get(photoUrl).set('Authorization', basic(READER)).expect(404);
    await request(t.bridge.server).delete('/admin/users/leaving@contoso.com').set('Authorization', basic(ADMIN)).expect(404);
  });
});

describe('health and unknown routes', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
  });
  after(() => t.close());

  it('/healthz and /readyz answer 200 without credentials', async () => {
    await request(t.bridge.server).get('/healthz').expect(200, 'ok\n');
    await request(t.bridge.server).get('/readyz').expect(200, 'ready\n');
  });

  it('/readyz answers 503 once shutdown has begun, so the load balancer stops sending traffic', async () => {
    const app = express().use(createHealthRoutes(t.store, () => true));
    await request(app).get('/readyz').expect(503, 'shutting down\n');
    await request(app).get('/healthz').expect(200);
  });

  it('/readyz answers 503 with Retry-After while the store does not answer', async () => {
    const closed = new SqliteStore(':memory:');
    await closed.close();
    const res = await request(express().use(createHealthRoutes(closed, () => false)))
      .get('/readyz')
      .expect(503, 'store unavailable\n');
    expect(res.headers['retry-after']).to.equal('5');
  });

  it('an unknown path answers 404 with a reason and a request id', async () => {
    const res = await request(t.bridge.server).get('/nothing/here').expect(404);
    expect(res.text).to.match(/nothing at GET \/nothing\/here/);
    expect(res.headers['request-id']).to.be.a('string');
    await request(t.bridge.server).post('/nothing/here').expect(404);
    // A HEAD's headers are its GET's: the same length.
    const head = await request(t.bridge.server).head('/nothing/here').expect(404);
    expect(head.headers['content-length']).to.equal(res.headers['content-length']);
  });

  it('/healthz and /readyz answer another method 405 naming GET and HEAD, in plain text as their other answers; HEAD as GET', async () => {
    // A load balancer's POST and a scanner's DELETE were the 404 of a path the bridge does not have.
    for (const path of ['/healthz', '/readyz']) {
      const [post] = await expectOnlyAllowed(t.bridge.server, path, 'GET, HEAD');
      expect([post!.headers['content-type'], post!.text]).to.deep.equal(['text/plain; charset=utf-8', 'use GET, HEAD\n']);
      await request(t.bridge.server).head(path).expect(200);
    }
  });
});

describe('a bridge whose SQLite file another program replaces while it runs (a backup copied back by hand)', () => {
  let t: TestBridge;
  let logged: Record<string, unknown>[];
  const admin = basic(ADMIN);
  const photoUrl = '/ews/exchange.asmx/s/GetUserPhoto?email=grady.archie@contoso.com&size=HR96x96';
  beforeEach(async () => {
    logged = [];
    t = await startTestBridge({}, createLogger('info', { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) }));
    await t.store.upsertUsers([{ email: 'grady.archie@contoso.com', displayName: 'Grady Archie', refs: {} }]);
  });
  afterEach(() => t.close());

  const put = (body: Buffer) =>
    request(t.bridge.server)
      .put('/admin/users/grady.archie@contoso.com/photo')
      .set('Authorization', admin)
      .set('Content-Type', 'application/octet-stream')
      .send(body);
  const errorLines = () => logged.filter((line) => line.level === 50);

  /** How often the bridge's change watcher has polled the store from now on. */
  function countPolls(store: SqliteStore): () => number {
    const look = store.changeCounter.bind(store);
    let looks = 0;
    store.changeCounter = () => {
      looks++;
      return look();
    };
    return () => looks;
  }

  it('notices at its change poll and says so in one error line; uploads are 503 saying so, /readyz is 503 saying so; photos are still served', async () => {
    await put(await samplePhoto(120, 120)).expect(200);
    const polls = countPolls(t.store);
    const replacement = `${t.databasePath}.new`;
    await new SqliteStore(replacement).close();
    renameSync(replacement, t.databasePath);
    await eventually('an error line saying the file was replaced', () => errorLines().length > 0);
    const noticedAt = polls();

    const refused = await put(await samplePhoto(200, 200));
    const message = "the store's database file was replaced while the bridge ran; it takes no writes until restarted; nothing was changed";
    expect([refused.status, refused.headers['x-ews-response-code'], refused.text]).to.deep.equal([503, 'ErrorServerBusy', `${message}\n`]);
    await request(t.bridge.server).get('/readyz').expect(503, `${message}\n`);
    await request(t.bridge.server).get(photoUrl).set('Authorization', admin).expect(200);

    await eventually('two more polls after the one that noticed', () => polls() >= noticedAt + 2);
    expect(errorLines().map(({ db, msg }) => ({ db, msg }))).to.deep.equal([
      {
        db: t.databasePath,
        msg: `the database file ${t.databasePath} was replaced while the bridge had it open: it refuses writes (503) and /readyz is 503, as a write would reach the old file and be lost; reads go on from the old file; restart the bridge to use the file now there`,
      },
    ]);
  });
});
