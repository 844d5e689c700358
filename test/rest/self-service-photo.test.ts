import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { createLogger } from '../../src/logger.js';
import type { ImageLimits } from '../../src/photos/image-limits.js';
import { loadConfig } from '../../src/config.js';
import { imageLimitsOf } from '../../src/photos/image-limits.js';
import { PhotoService } from '../../src/photos/photo-service.js';
import { PhotoChanges } from '../../src/rest/self-service-photos.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { expectOnlyAllowed } from '../support/allowed-methods.js';
import { rejectionOf } from '../support/rejection.js';
import { samplePhoto } from '../support/sample-images.js';
import { oneColourGif, tallPngStrip } from '../support/shape-bombs.js';
import { connectTo, received } from '../support/raw-socket.js';
import { ADMIN, basic, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const MEGAN = { username: 'megan.bowen@contoso.com', password: 'megan secret' };
const ALEX = { username: 'alex.wilber@contoso.com', password: 'alex secret' };

/** A bridge whose log lines are kept, parsed, for the audit assertions. */
async function bridgeWithLog(env: Record<string, string>): Promise<{ t: TestBridge; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const t = await startTestBridge(env, log);
  for (const account of [MEGAN, ALEX]) await t.store.putAccount(account.username, await hashPassword(account.password), 'user');
  await t.store.upsertUsers([
    { email: MEGAN.username, displayName: 'Megan Bowen', refs: {} },
    { email: ALEX.username, displayName: 'Alex Wilber', refs: {} },
  ]);
  return { t, lines };
}

const auditLines = (lines: Record<string, unknown>[]) => lines.filter((line) => line.audit === 'photo');

describe('self-service photos: PUT/DELETE /api/me/photo, the Graph /me photo, and the admin lock', () => {
  describe('with BRIDGE_SELF_SERVICE_PHOTOS off (the default)', () => {
    let t: TestBridge;
    let lines: Record<string, unknown>[];
    before(async () => ({ t, lines } = await bridgeWithLog({})));
    after(() => t.close());

    it('refuses a user their own photo with 403 and a reason, stores nothing and logs no change', async () => {
      const res = await request(t.bridge.server)
        .put('/api/me/photo')
        .set('Authorization', basic(MEGAN))
        .send(await samplePhoto(200, 200))
        .expect(403);
      expect(res.text).to.match(/turned off on this bridge/);
      await request(t.bridge.server).delete('/api/me/photo').set('Authorization', basic(MEGAN)).expect(403);
      expect(await t.store.getPhoto(userOwner(MEGAN.username))).to.equal(undefined);
      expect(auditLines(lines)).to.deep.equal([]);
    });

    it('tells the page that the user may not change it', async () => {
      const res = await request(t.bridge.server).get('/api/me/photo').set('Authorization', basic(MEGAN)).expect(200);
      expect(res.body).to.deep.include({ email: MEGAN.username, allowed: false, locked: false });
    });

    it('still lets an administrator change anyone’s photo, and logs who did it', async () => {
      await request(t.bridge.server)
        .put(`/admin/users/${MEGAN.username}/photo`)
        .set('Authorization', basic(ADMIN))
        .send(await samplePhoto(200, 200))
        .expect(200);
      expect(auditLines(lines)).to.have.length(1);
      expect(auditLines(lines)[0]).to.include({ actor: ADMIN.username, target: MEGAN.username, action: 'set photo', door: 'admin-api' });
    });

    it('logs the removal of a user, whose photo goes with them, as a change of that photo', async () => {
      await request(t.bridge.server).delete(`/admin/users/${MEGAN.username}`).set('Authorization', basic(ADMIN)).expect(204);
      await request(t.bridge.server).delete(`/admin/users/${MEGAN.username}`).set('Authorization', basic(ADMIN)).expect(404);
      expect(auditLines(lines).map((line) => [line.actor, line.target, line.action, line.door])).to.deep.equal([
        [ADMIN.username, MEGAN.username, 'set photo', 'admin-api'],
        [ADMIN.username, MEGAN.username, 'remove user', 'admin-api'],
      ]);
      expect(await t.store.getPhoto(userOwner(MEGAN.username))).to.equal(undefined);
    });
  });

  describe('with BRIDGE_SELF_SERVICE_PHOTOS on', () => {
    let t: TestBridge;
    let lines: Record<string, unknown>[];
    before(async () => ({ t, lines } = await bridgeWithLog({ BRIDGE_SELF_SERVICE_PHOTOS: 'true' })));
    after(() => t.close());
    beforeEach(() => (lines.length = 0));

    const asMegan = (method: 'put' | 'delete' | 'get', path = '/api/me/photo') => request(t.bridge.server)[method](path).set('Authorization', basic(MEGAN));
    /** The bridge's port on loopback, listening from the first ask. */
    const port = async () => (t.bridge.server.listening ? (t.bridge.server.address() as AddressInfo) : await t.bridge.listen()).port;

    it('lets a user set their own photo through the upload pipeline (normalised JPEG), and logs actor, target and action but no bytes', async () => {
      const res = await asMegan('put')
        .set('Content-Type', 'image/png')
        .send(await samplePhoto(800, 600, 'png'))
        .expect(200);
      expect(res.body).to.include({ email: MEGAN.username, width: 648, height: 486 });
      const stored = await t.store.getPhoto(userOwner(MEGAN.username));
      expect(stored).to.include({ contentType: 'image/jpeg', sha256: res.body.sha256, source: 'upload' });
      const photo = await request(t.bridge.server)
        .get(`/ews/exchange.asmx/s/GetUserPhoto?email=${MEGAN.username}&size=HR96x96`)
        .set('Authorization', basic(MEGAN));
      expect(photo.status).to.equal(200);
      const audit = auditLines(lines);
      expect(audit).to.have.length(1);
      expect(audit[0]).to.include({
        actor: MEGAN.username,
        actorRole: 'user',
        target: MEGAN.username,
        action: 'set photo',
        door: 'self-service',
        sha256: res.body.sha256,
      });
      expect(JSON.stringify(audit[0]).length).to.be.lessThan(600);
    });

    it('applies the admin upload’s limits: no image → 422, an empty body → 422, over the upload limit → 413', async () => {
      const before = (await t.store.getPhoto(userOwner(MEGAN.username)))?.sha256;
      expect((await asMegan('put').send(Buffer.from('not an image')).expect(422)).text).to.match(/not a usable image/);
      await asMegan('put').send(Buffer.alloc(0)).expect(422);
      expect(
        (
          await asMegan('put')
            .send(Buffer.alloc(11 * 1024 * 1024, 1))
            .expect(413)
        ).text,
      ).to.match(/larger than the upload limit/);
      expect((await t.store.getPhoto(userOwner(MEGAN.username)))?.sha256).to.equal(before);
      expect(auditLines(lines)).to.deep.equal([]);
    });

    it('changes only the caller’s own photo: another user’s admin URL is 403, and Graph users/{other} is 403', async () => {
      const image = await samplePhoto(100, 100);
      await request(t.bridge.server).put(`/admin/users/${ALEX.username}/photo`).set('Authorization', basic(MEGAN)).send(image).expect(403);
      const graph = await request(t.bridge.server)
        .put(`/v1.0/users/${ALEX.username}/photo/$value`)
        .set('Authorization', basic(MEGAN))
        .set('Content-Type', 'image/jpeg')
        .send(image)
        .expect(403);
      expect(graph.body.error).to.include({ code: 'ErrorAccessDenied', message: 'you may change only your own photo' });
      expect(await t.store.getPhoto(userOwner(ALEX.username))).to.equal(undefined);
    });

    it('answers a login with no directory entry 404 (no such user), and a login that is not an address 403', async () => {
      const res = await request(t.bridge.server)
        .put('/api/me/photo')
        .set('Authorization', basic(ADMIN))
        .send(await samplePhoto(50, 50));
      expect(res.status).to.equal(404);
      await t.store.putAccount('operator', await hashPassword('operator secret'), 'user');
      const named = await request(t.bridge.server)
        .put('/api/me/photo')
        .set('Authorization', basic({ username: 'operator', password: 'operator secret' }))
        .send(await samplePhoto(50, 50));
      expect(named.status).to.equal(403);
      expect(named.text).to.match(/not a directory address/);
    });

    it('refuses an upload for someone the directory does not list before its body, on every door, and tells the page so', async () => {
      const state = (await request(t.bridge.server).get('/api/me/photo').set('Authorization', basic(ADMIN)).expect(200)).body;
      expect(state).to.deep.include({ allowed: false, locked: false });
      expect(state.reason).to.match(/does not list/);
      /** The first answer to an upload of 8 MB that waits for 100 Continue before sending its body. */
      const firstAnswer = async (path: string) => {
        const socket = await connectTo(await port());
        socket.write(`PUT ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(ADMIN)}\r\nContent-Length: 8000000\r\nExpect: 100-continue\r\n\r\n`);
        const answer = await received(socket, (text) => text.includes('\r\n\r\n'));
        socket.destroy();
        return answer.slice(0, answer.indexOf('\r\n'));
      };
      for (const path of ['/api/me/photo', '/admin/users/nobody@contoso.com/photo', '/v1.0/users/nobody@contoso.com/photo/$value']) {
        expect(await firstAnswer(path), path).to.equal('HTTP/1.1 404 Not Found');
      }
      // Someone listed is invited to send it.
      expect(await firstAnswer(`/admin/users/${MEGAN.username}/photo`)).to.equal('HTTP/1.1 100 Continue');
    });

    it('lets a user set their photo with Graph PUT /v1.0/me/photo/$value (200) and remove it with DELETE /v1.0/me/photo (204)', async () => {
      await request(t.bridge.server)
        .put('/v1.0/me/photo/$value')
        .set('Authorization', basic(ALEX))
        .set('Content-Type', 'image/jpeg')
        .send(await samplePhoto(300, 300))
        .expect(200);
      expect(await t.store.getPhotoInfo(userOwner(ALEX.username))).to.include({ width: 300, height: 300 });
      await request(t.bridge.server).delete('/v1.0/me/photo').set('Authorization', basic(ALEX)).expect(204);
      expect(await t.store.getPhotoInfo(userOwner(ALEX.username))).to.equal(undefined);
      expect(auditLines(lines).map((line) => [line.actor, line.action, line.door])).to.deep.equal([
        [ALEX.username, 'set photo', 'graph'],
        [ALEX.username, 'remove photo', 'graph'],
      ]);
    });

    it('takes two uploads of one account at once and answers a third 503 + Retry-After unread; other accounts go on', async () => {
      const bridgePort = await port();
      /** An upload whose body stops after 10 of 1,000 bytes, until `finish` sends the rest. */
      const heldUpload = () => {
        const req = httpRequest({
          port: bridgePort,
          host: '127.0.0.1',
          method: 'PUT',
          path: '/api/me/photo',
          headers: { authorization: basic(MEGAN), 'content-type': 'application/octet-stream', 'content-length': '1000' },
        });
        const status = new Promise<number>((resolve, reject) => {
          req.on('response', (res) => res.resume().on('end', () => resolve(res.statusCode!)));
          req.on('error', reject);
        });
        req.write(Buffer.alloc(10));
        return { status, finish: () => req.end(Buffer.alloc(990)) };
      };
      const held = [heldUpload(), heldUpload()];
      const image = await samplePhoto(200, 200);
      // The held uploads reach the body reader after the login and the lock check: ask until they have.
      let third = await asMegan('put').send(image);
      for (let tries = 0; third.status !== 503 && tries < 50; tries++) third = await asMegan('put').send(image);
      expect([third.status, third.headers['x-ews-response-code']]).to.deep.equal([503, 'ErrorServerBusy']);
      expect(third.headers['retry-after']).to.match(/^[1-9]\d*$/);
      await request(t.bridge.server).put(`/admin/users/${MEGAN.username}/photo`).set('Authorization', basic(ADMIN)).send(image).expect(200);

      for (const upload of held) upload.finish();
      expect(await Promise.all(held.map((upload) => upload.status))).to.deep.equal([422, 422]);
      await asMegan('put').send(image).expect(200);
    });

    it('answers another method on /api/me/photo and the lock 405, naming GET, HEAD, PUT and DELETE', async () => {
      await expectOnlyAllowed(t.bridge.server, '/api/me/photo', 'GET, HEAD, PUT, DELETE', basic(MEGAN));
      await expectOnlyAllowed(t.bridge.server, `/admin/users/${MEGAN.username}/photo-lock`, 'GET, HEAD, PUT, DELETE', basic(ADMIN));
      await request(t.bridge.server).head('/api/me/photo').set('Authorization', basic(MEGAN)).expect(200);
    });

    it('lets a user remove their own photo (204), then 404 when there is none', async () => {
      await asMegan('delete').expect(204);
      expect(await t.store.getPhoto(userOwner(MEGAN.username))).to.equal(undefined);
      await asMegan('delete').expect(404);
      expect(auditLines(lines).map((line) => [line.actor, line.target, line.action])).to.deep.equal([[MEGAN.username, MEGAN.username, 'remove photo']]);
    });

    describe('an administrator’s lock', () => {
      const lockUrl = `/admin/users/${MEGAN.username}/photo-lock`;

      it('is for administrators only (403), and 404 for no such user', async () => {
        await request(t.bridge.server).put(lockUrl).set('Authorization', basic(MEGAN)).expect(403);
        await request(t.bridge.server).put('/admin/users/nobody@contoso.com/photo-lock').set('Authorization', basic(ADMIN)).expect(404);
      });

      it('refuses self-service changes with 403 and a clear message, on every door, while the admin still may', async () => {
        await request(t.bridge.server).put(lockUrl).set('Authorization', basic(ADMIN)).expect(204);
        expect((await request(t.bridge.server).get(lockUrl).set('Authorization', basic(ADMIN)).expect(200)).body).to.deep.equal({
          email: MEGAN.username,
          locked: true,
        });
        expect((await asMegan('get').expect(200)).body).to.deep.include({ allowed: false, locked: true });

        const image = await samplePhoto(120, 120);
        expect((await asMegan('put').send(image).expect(403)).text).to.match(/an administrator has locked your photo/);
        await asMegan('delete').expect(403);
        const graph = await request(t.bridge.server)
          .put('/v1.0/me/photo/$value')
          .set('Authorization', basic(MEGAN))
          .set('Content-Type', 'image/jpeg')
          .send(image)
          .expect(403);
        expect(graph.body.error.code).to.equal('ErrorAccessDenied');
        expect(graph.body.error.message).to.match(/locked/);
        expect(await t.store.getPhoto(userOwner(MEGAN.username))).to.equal(undefined);

        await request(t.bridge.server).put(`/admin/users/${MEGAN.username}/photo`).set('Authorization', basic(ADMIN)).send(image).expect(200);
        expect(auditLines(lines).map((line) => [line.actor, line.action])).to.deep.equal([
          [ADMIN.username, 'lock photo'],
          [ADMIN.username, 'set photo'],
        ]);
      });

      it('holds against an upload begun before it: a lock set while the image is decoded refuses its write (403), and nothing is logged as set', async () => {
        const store = new SqliteStore(':memory:');
        try {
          await store.upsertUsers([{ email: MEGAN.username, displayName: 'Megan Bowen', refs: {} }]);
          // The lock comes as the upload is written, after its decode: the moment a late check misses.
          const lockingStore = Object.assign(Object.create(store) as SqliteStore, {
            setPhoto: async (...args: Parameters<SqliteStore['setPhoto']>) => {
              await store.setPhotoLocked(MEGAN.username, true);
              return store.setPhoto(...args);
            },
          });
          const logged: Record<string, unknown>[] = [];
          const log = createLogger('info', { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
          const photos = new PhotoService(lockingStore, imageLimitsOf(loadConfig({})), { maxEntries: 10, maxBytes: 1 << 20, noPhotoTtlMs: 0 });
          const changes = new PhotoChanges({ store: lockingStore, photos, log, selfService: true });
          const megan = { username: MEGAN.username, role: 'user' } as const;
          const error = await rejectionOf(changes.set(megan, MEGAN.username, await samplePhoto(64, 64), 'self-service', {}));
          expect([error.httpStatus, error.message]).to.deep.equal([403, 'an administrator has locked your photo; ask them to change it or to unlock it']);
          expect(await store.getPhoto(userOwner(MEGAN.username))).to.equal(undefined);
          expect(auditLines(logged)).to.deep.equal([]);
        } finally {
          await store.close();
        }
      });

      it('refuses (412) a change whose If-Match held when it began but not when it is written: the change made meanwhile stays', async () => {
        const store = new SqliteStore(':memory:');
        try {
          const owner = userOwner(MEGAN.username);
          await store.upsertUsers([{ email: MEGAN.username, displayName: 'Megan Bowen', refs: {} }]);
          const photoService = (on: SqliteStore) => new PhotoService(on, imageLimitsOf(loadConfig({})), { maxEntries: 10, maxBytes: 1 << 20, noPhotoTtlMs: 0 });
          const admin = { username: ADMIN.username, role: 'admin' } as const;
          await photoService(store).setPhoto(owner, await samplePhoto(100, 100), 'upload');
          const seen = (await photoService(store).photo(owner, 96))!.etag;
          // Another administrator's change lands as this one is written, after its decode: the moment a check before the decode misses.
          const racingStore = Object.assign(Object.create(store) as SqliteStore, {
            setPhoto: async (...args: Parameters<SqliteStore['setPhoto']>) => {
              await store.setPhoto(owner, { ...args[1], sha256: 'b'.repeat(64) }, 'upload');
              return store.setPhoto(...args);
            },
          });
          const changes = new PhotoChanges({ store: racingStore, photos: photoService(racingStore), log: createLogger('silent'), selfService: true });
          const error = await rejectionOf(changes.set(admin, MEGAN.username, await samplePhoto(64, 64), 'admin-api', { 'if-match': seen }));
          expect([error.httpStatus, error.responseCode]).to.deep.equal([412, 'ErrorIrresolvableConflict']);
          expect((await store.getPhotoInfo(owner))?.sha256).to.equal('b'.repeat(64));
        } finally {
          await store.close();
        }
      });

      it('once unlocked, lets the user change it again', async () => {
        await request(t.bridge.server).delete(lockUrl).set('Authorization', basic(ADMIN)).expect(204);
        expect((await asMegan('get').expect(200)).body).to.deep.include({ allowed: true, locked: false });
        await asMegan('put')
          .send(await samplePhoto(90, 90))
          .expect(200);
        expect(auditLines(lines).map((line) => [line.actor, line.action])).to.deep.equal([
          [ADMIN.username, 'unlock photo'],
          [MEGAN.username, 'set photo'],
        ]);
      });

      it('logs only a lock or unlock that changes it: asked again, it is 204 and no audit line', async () => {
        for (const method of ['put', 'put', 'delete', 'delete'] as const) {
          await request(t.bridge.server)[method](lockUrl).set('Authorization', basic(ADMIN)).expect(204);
        }
        expect(auditLines(lines).map((line) => [line.target, line.action])).to.deep.equal([
          [MEGAN.username, 'lock photo'],
          [MEGAN.username, 'unlock photo'],
        ]);
      });
    });

    it('asks for credentials first: no login → 401 with the challenge', async () => {
      const res = await request(t.bridge.server)
        .put('/api/me/photo')
        .send(await samplePhoto(50, 50))
        .expect(401);
      expect(res.headers['www-authenticate']).to.match(/^Basic realm=/);
    });
  });

  describe('uploads whose decoding would cost far more than a photo (BRIDGE_PHOTO_DECODES=1, BRIDGE_PHOTO_DECODE_QUEUE=0)', () => {
    let t: TestBridge;
    let lines: Record<string, unknown>[];
    before(async () => {
      ({ t, lines } = await bridgeWithLog({ BRIDGE_SELF_SERVICE_PHOTOS: 'true', BRIDGE_PHOTO_DECODES: '1', BRIDGE_PHOTO_DECODE_QUEUE: '0' }));
    });
    after(() => t.close());
    beforeEach(() => (lines.length = 0));

    const asMegan = (path: string) => request(t.bridge.server).put(path).set('Authorization', basic(MEGAN)).set('Content-Type', 'application/octet-stream');

    it('refuses a 65535×610 GIF (27 KB) on PUT /api/me/photo and a 1×39,999,999 PNG on Graph PUT /v1.0/me/photo/$value: 413 ErrorMessageSizeExceeded, nothing stored', async () => {
      const gif = await asMegan('/api/me/photo').send(oneColourGif(65535, 610));
      expect(gif.status, gif.text).to.equal(413);
      expect(gif.headers['x-ews-response-code']).to.equal('ErrorMessageSizeExceeded');

      const png = await asMegan('/v1.0/me/photo/$value').send(tallPngStrip());
      expect(png.status, png.text).to.equal(413);
      expect(png.body.error.code).to.equal('ErrorMessageSizeExceeded');

      expect(await t.store.getPhoto(userOwner(MEGAN.username))).to.equal(undefined);
      expect(auditLines(lines)).to.deep.equal([]);
    });

    it('takes a 6000×4000 JPEG', async () => {
      const res = await asMegan('/api/me/photo')
        .send(await samplePhoto(6000, 4000))
        .expect(200);
      expect(res.body).to.include({ width: 648, height: 432 });
    });

    it('with the decode slot taken, answers the next upload at once 503 + Retry-After (ErrorServerBusy) and stores nothing; then takes it', async () => {
      // The bridge's own slots, reached through its photo service: held by a decode that waits for the test.
      const decodes = (t.bridge.photos as unknown as { limits: ImageLimits }).limits.decodes!;
      let release!: () => void;
      const holder = decodes.run(() => new Promise<void>((resolve) => (release = resolve)));
      const before = (await t.store.getPhoto(userOwner(MEGAN.username)))?.sha256;
      const image = await samplePhoto(300, 300);
      try {
        const busy = await asMegan('/api/me/photo').send(image);
        expect(busy.status, busy.text).to.equal(503);
        expect(busy.headers['retry-after']).to.match(/^[1-9]\d*$/);
        expect(busy.headers['x-ews-response-code']).to.equal('ErrorServerBusy');

        const graph = await asMegan('/v1.0/me/photo/$value').send(image);
        expect(graph.status, graph.text).to.equal(503);
        expect(graph.headers['retry-after']).to.match(/^[1-9]\d*$/);
        expect(graph.body.error.code).to.equal('ErrorServerBusy');
        expect((await t.store.getPhoto(userOwner(MEGAN.username)))?.sha256).to.equal(before);
      } finally {
        release();
        await holder;
      }
      await asMegan('/api/me/photo').send(image).expect(200);
    });
  });
  describe('a person signed in by another of their addresses', () => {
    const PRIMARY = 'pat.alias@contoso.com';
    const LEGACY = 'pat@legacy.contoso.com';
    const PAT = { username: 'pupn@corp.contoso.com', password: 'pat secret' };
    let t: TestBridge;
    let lines: Record<string, unknown>[];
    before(async () => {
      ({ t, lines } = await bridgeWithLog({ BRIDGE_SELF_SERVICE_PHOTOS: 'true' }));
      await t.store.upsertUsers([{ email: PRIMARY, otherAddresses: [PAT.username, LEGACY], displayName: 'Pat Alias', refs: {} }]);
      await t.store.putAccount(PAT.username, await hashPassword(PAT.password), 'user');
    });
    after(() => t.close());
    beforeEach(() => (lines.length = 0));

    const graphPut = async (path: string, who: { username: string; password: string }) =>
      request(t.bridge.server)
        .put(path)
        .set('Authorization', basic(who))
        .set('Content-Type', 'image/jpeg')
        .send(await samplePhoto(100, 100));

    it('changes their photo by the id /me gives and by any other address of theirs, each change audited under the primary address', async () => {
      expect((await request(t.bridge.server).get('/v1.0/me').set('Authorization', basic(PAT)).expect(200)).body.id).to.equal(PRIMARY);
      for (const path of [`/v1.0/users/${PRIMARY}/photo/$value`, `/v1.0/users/${LEGACY.toUpperCase()}/photo/$value`, '/v1.0/me/photo/$value']) {
        expect((await graphPut(path, PAT)).status, path).to.equal(200);
      }
      const own = await request(t.bridge.server)
        .put('/api/me/photo')
        .set('Authorization', basic(PAT))
        .send(await samplePhoto(90, 90))
        .expect(200);
      expect(own.body.email).to.equal(PRIMARY);
      expect((await request(t.bridge.server).get('/api/me/photo').set('Authorization', basic(PAT)).expect(200)).body).to.deep.include({
        email: PRIMARY,
        allowed: true,
      });
      await request(t.bridge.server).delete(`/v1.0/users/${LEGACY}/photo`).set('Authorization', basic(PAT)).expect(204);
      expect(auditLines(lines).map((line) => [line.target, line.action])).to.deep.equal([
        [PRIMARY, 'set photo'],
        [PRIMARY, 'set photo'],
        [PRIMARY, 'set photo'],
        [PRIMARY, 'set photo'],
        [PRIMARY, 'remove photo'],
      ]);
    });

    it('audits and answers an administrator’s changes by another address under the primary one', async () => {
      const set = await request(t.bridge.server)
        .put(`/admin/users/${LEGACY}/photo`)
        .set('Authorization', basic(ADMIN))
        .send(await samplePhoto(80, 80))
        .expect(200);
      expect(set.body.email).to.equal(PRIMARY);
      await request(t.bridge.server).put(`/admin/users/${PAT.username}/photo-lock`).set('Authorization', basic(ADMIN)).expect(204);
      await request(t.bridge.server).delete(`/admin/users/${LEGACY}/photo-lock`).set('Authorization', basic(ADMIN)).expect(204);
      await request(t.bridge.server).delete(`/admin/users/${PAT.username}/photo`).set('Authorization', basic(ADMIN)).expect(204);
      expect(auditLines(lines).map((line) => [line.target, line.action])).to.deep.equal([
        [PRIMARY, 'set photo'],
        [PRIMARY, 'lock photo'],
        [PRIMARY, 'unlock photo'],
        [PRIMARY, 'remove photo'],
      ]);
    });

    it('still refuses another user who names them by any address (403), storing nothing', async () => {
      const before = (await t.store.getPhoto(userOwner(PRIMARY)))?.sha256;
      for (const address of [PRIMARY, LEGACY]) {
        const res = await graphPut(`/v1.0/users/${address}/photo/$value`, MEGAN);
        expect(res.status, address).to.equal(403);
        expect(res.body.error.message).to.equal('you may change only your own photo');
      }
      expect((await t.store.getPhoto(userOwner(PRIMARY)))?.sha256).to.equal(before);
      expect(auditLines(lines)).to.deep.equal([]);
    });
  });
});
