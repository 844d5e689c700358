import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { rejectionOf } from '../support/rejection.js';
import { samplePhoto } from '../support/sample-images.js';
import { ADMIN, basic, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const photo = { bytes: Buffer.from('jpeg'), contentType: 'image/jpeg' as const, width: 10, height: 10, sha256: 'a'.repeat(64) };
const alex = { email: 'alex@contoso.com', displayName: 'Alex', refs: {} };

/** Another process's write lock (the CLI importing, a second server), held until released. */
function holdWriteLock(path: string): { release(): void } {
  const other = new Database(path);
  other.exec('BEGIN IMMEDIATE');
  return {
    release() {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    },
  };
}

/** The promise, and whether it has settled yet. */
function tracked<T>(promise: Promise<T>): { promise: Promise<T>; settled(): boolean } {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  watched.catch(() => {});
  return { promise: watched, settled: () => settled };
}

describe('SqliteStore while another connection holds the write lock', () => {
  let dir: string;
  let path: string;
  let store: SqliteStore | undefined;
  let lock: { release(): void } | undefined;

  const open = async (busyTimeoutMs: number) => {
    store = new SqliteStore(path, { busyTimeoutMs });
    await store.upsertUsers([alex]);
    return store;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'epb-busy-'));
    path = join(dir, 'bridge.db');
  });
  afterEach(async () => {
    lock?.release();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails a write with ErrorServerBusy (503, Retry-After) after the configured wait, while reads go on', async () => {
    const s = await open(300);
    lock = holdWriteLock(path);
    const write = tracked(s.setPhoto(userOwner(alex.email), photo, 'test'));
    expect(await s.getUser(alex.email)).to.deep.equal(alex);
    expect(write.settled(), 'the read answered while the write was still waiting').to.equal(false);
    const error = await rejectionOf(write.promise);
    expect(error).to.include({ responseCode: 'ErrorServerBusy', httpStatus: 503, message: 'the store is busy; try again shortly' });
    expect(error.retryAfterSeconds).to.be.at.least(1);
  });

  it('leaves nothing of a busy write behind', async () => {
    const s = await open(50);
    lock = holdWriteLock(path);
    await rejectionOf(
      s.upsertUsers([
        { email: 'b@contoso.com', displayName: 'B', refs: {} },
        { email: 'c@contoso.com', displayName: 'C', refs: {} },
      ]),
    );
    await rejectionOf(s.setPhoto(userOwner(alex.email), photo, 'test'));
    lock.release();
    expect(await s.countUsers()).to.equal(1);
    expect(await s.getPhoto(userOwner(alex.email))).to.equal(undefined);
  });

  it('completes the write once the lock is released within the wait', async () => {
    const s = await open(10_000);
    const held = holdWriteLock(path);
    lock = held;
    const write = tracked(s.setPhoto(userOwner(alex.email), photo, 'test'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(write.settled(), 'the write waits for the lock').to.equal(false);
    held.release();
    expect(await write.promise).to.equal(true);
    expect((await s.getPhoto(userOwner(alex.email)))?.sha256).to.equal(photo.sha256);
  });
});

describe('a busy store over HTTP', () => {
  let t: TestBridge;
  let lock: { release(): void } | undefined;

  before(async () => {
    t = await startTestBridge({ BRIDGE_STORE_BUSY_TIMEOUT_MS: '1000' });
    await t.store.upsertUsers([alex]);
  });
  afterEach(() => lock?.release());
  after(() => t.close());

  it('answers an admin PUT with 503 and Retry-After while /healthz answers 200', async () => {
    const image = await samplePhoto(100, 100);
    lock = holdWriteLock(t.databasePath);
    const put = tracked(
      request(t.bridge.server)
        .put(`/admin/users/${alex.email}/photo`)
        .set('Authorization', basic(ADMIN))
        .set('Content-Type', 'application/octet-stream')
        .send(image)
        .then((res) => res),
    );
    // Give the upload time to reach the store, so /healthz is asked while the PUT waits for the lock.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const health = await request(t.bridge.server).get('/healthz');
    expect(health.status).to.equal(200);
    expect(put.settled(), '/healthz answered while the PUT was waiting').to.equal(false);
    const res = await put.promise;
    expect(res.status).to.equal(503);
    expect(res.headers['x-ews-response-code']).to.equal('ErrorServerBusy');
    expect(Number(res.headers['retry-after'])).to.be.at.least(1);
    lock.release();
    await request(t.bridge.server)
      .put(`/admin/users/${alex.email}/photo`)
      .set('Authorization', basic(ADMIN))
      .set('Content-Type', 'application/octet-stream')
      .send(image)
      .expect(200);
  });
});
