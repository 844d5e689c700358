import { expect } from 'chai';
import request from 'supertest';
import { ShuttingDownError } from '../../src/domain/errors.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import type { Store } from '../../src/store/store.js';
import { eventually } from '../support/eventually.js';
import { rejectionOf } from '../support/rejection.js';
import { samplePhoto } from '../support/sample-images.js';
import { ADMIN, basic, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { holdSqliteWriteLock, storeBackends, type WriteLock } from './backends.js';

const photo = { bytes: Buffer.from('jpeg'), contentType: 'image/jpeg' as const, width: 10, height: 10, sha256: 'a'.repeat(64) };
const alex = { email: 'alex@contoso.com', displayName: 'Alex', refs: {} };

/** The promise, and whether it has settled yet. */
function tracked<T>(promise: Promise<T>): { promise: Promise<T>; settled(): boolean } {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  watched.catch(() => {});
  return { promise: watched, settled: () => settled };
}

for (const backend of storeBackends()) {
  describe(`${backend.name} store while another connection holds the write lock`, () => {
    let store: Store | undefined;
    let lock: WriteLock | undefined;

    const open = async (busyTimeoutMs: number) => {
      store = await backend.open({ busyTimeoutMs });
      await store.upsertUsers([alex]);
      return store;
    };

    before(() => backend.setUp());
    after(() => backend.tearDown());
    beforeEach(() => backend.reset());
    afterEach(async () => {
      await lock?.release();
      lock = undefined;
      await store?.close();
    });

    it('fails a write with ErrorServerBusy (503, Retry-After) after the configured wait, while reads go on', async () => {
      const s = await open(300);
      lock = await backend.holdWriteLock();
      const write = tracked(s.setPhoto(userOwner(alex.email), photo, 'test'));
      expect(await s.getUser(alex.email)).to.deep.equal(alex);
      expect(write.settled(), 'the read answered while the write was still waiting').to.equal(false);
      const error = await rejectionOf(write.promise);
      expect(error).to.include({ responseCode: 'ErrorServerBusy', httpStatus: 503, message: 'the store is busy; try again shortly' });
      expect(error.retryAfterSeconds).to.be.at.least(1);
    });

    it('leaves nothing of a busy write behind', async () => {
      const s = await open(300);
      lock = await backend.holdWriteLock();
      await rejectionOf(
        s.upsertUsers([
          { email: 'b@contoso.com', displayName: 'B', refs: {} },
          { email: 'c@contoso.com', displayName: 'C', refs: {} },
        ]),
      );
      await rejectionOf(s.setPhoto(userOwner(alex.email), photo, 'test'));
      await lock.release();
      lock = undefined;
      expect(await s.countUsers()).to.equal(1);
      expect(await s.getPhoto(userOwner(alex.email))).to.equal(undefined);
    });

    it('completes the write once the lock is released within the wait', async () => {
      const s = await open(10_000);
      const held = await backend.holdWriteLock();
      lock = held;
      const write = tracked(s.setPhoto(userOwner(alex.email), photo, 'test'));
      await eventually('the write reaches the lock', () => backend.waitsForALock(s));
      expect(write.settled(), 'the write waits for the lock').to.equal(false);
      await held.release();
      lock = undefined;
      expect(await write.promise).to.equal(true);
      expect((await s.getPhoto(userOwner(alex.email)))?.sha256).to.equal(photo.sha256);
    });

    it('abandons a write still waiting for the lock when it closes: the write fails as the shutdown, not a fault, as does a read after', async () => {
      const s = await open(60_000);
      lock = await backend.holdWriteLock();
      const write = tracked(s.setPhoto(userOwner(alex.email), photo, 'test'));
      await eventually('the write reaches the lock', () => backend.waitsForALock(s));
      // Closed with the lock still held: PostgreSQL's pool waited for the write, until its lock_timeout.
      await s.close();
      expect(await rejectionOf(write.promise)).to.be.instanceOf(ShuttingDownError);
      expect(await rejectionOf(s.getUser(alex.email))).to.be.instanceOf(ShuttingDownError);
    });
  });
}

describe('a busy store over HTTP', () => {
  let t: TestBridge;
  let lock: WriteLock | undefined;

  before(async () => {
    t = await startTestBridge({ BRIDGE_STORE_BUSY_TIMEOUT_MS: '1000' });
    await t.store.upsertUsers([alex]);
  });
  afterEach(() => lock?.release());
  after(() => t.close());

  it('answers an admin PUT with 503 and Retry-After while /healthz answers 200', async () => {
    const image = await samplePhoto(100, 100);
    lock = holdSqliteWriteLock(t.databasePath);
    const put = tracked(
      request(t.bridge.server)
        .put(`/admin/users/${alex.email}/photo`)
        .set('Authorization', basic(ADMIN))
        .set('Content-Type', 'application/octet-stream')
        .send(image)
        .then((res) => res),
    );
    // /healthz is asked once the PUT waits for the lock.
    await eventually('the PUT reaches the lock', () => t.store.busyWaits() > 0);
    const health = await request(t.bridge.server).get('/healthz');
    expect(health.status).to.equal(200);
    expect(put.settled(), '/healthz answered while the PUT was waiting').to.equal(false);
    const res = await put.promise;
    expect(res.status).to.equal(503);
    expect(res.headers['x-ews-response-code']).to.equal('ErrorServerBusy');
    expect(Number(res.headers['retry-after'])).to.be.at.least(1);
    // The waits are counted for /metrics (loopback may read it).
    const metrics = await request(t.bridge.server).get('/metrics').expect(200);
    expect(Number(/^ews_photo_bridge_store_busy_waits_total (\d+)$/m.exec(metrics.text)?.[1])).to.be.greaterThan(0);
    expect(metrics.text).to.match(/^ews_photo_bridge_store_read_thread_failures_total 0$/m);
    await lock.release();
    lock = undefined;
    await request(t.bridge.server)
      .put(`/admin/users/${alex.email}/photo`)
      .set('Authorization', basic(ADMIN))
      .set('Content-Type', 'application/octet-stream')
      .send(image)
      .expect(200);
  });
});
