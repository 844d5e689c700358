import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import request from 'supertest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { createBridge, type Bridge } from '../../src/bridge.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { freshDatabase } from '../support/postgres.js';
import { runSql } from './backends.js';
import { runCli } from '../support/run-cli.js';
import { samplePhoto } from '../support/sample-images.js';
import { envelope, parseSoap } from '../support/soap.js';
import { ADMIN, basic, READER } from '../support/test-bridge.js';

interface Replica {
  bridge: Bridge;
  store: Store;
}

const alex = 'alex.wilber@contoso.com';

/** How long a change may take to reach the other replica before the test gives up (the bridge aims at well under a second). */
const PATIENCE_MS = 5000;

describe('replicas: two bridges on one PostgreSQL database', () => {
  let url: string;
  let dir: string;
  let a: Replica;
  let b: Replica;

  before(async () => {
    url = await freshDatabase();
    dir = mkdtempSync(join(tmpdir(), 'epb-replicas-'));
    const config = loadConfig({ BRIDGE_DATABASE_URL: url, BRIDGE_PORT: '0', BRIDGE_DEMO: 'false', BRIDGE_ACCESS_LOG: 'false' });
    const start = async (): Promise<Replica> => {
      const store = await openStore(config, 'server');
      return { store, bridge: await createBridge(config, store, createLogger('silent')) };
    };
    // Started together on an empty database: one migrates, both make or read the one item-id key.
    [a, b] = await Promise.all([start(), start()]);
    await a.store.putAccount(ADMIN.username, await hashPassword(ADMIN.password), 'admin');
    await a.store.putAccount(READER.username, await hashPassword(READER.password), 'user');
    await a.store.upsertUsers([{ email: alex, displayName: 'Alex Wilber', refs: {} }]);
  });
  after(async () => {
    await Promise.all([a?.bridge.stop(), b?.bridge.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const etagOn = async (replica: Replica) => {
    const res = await request(replica.bridge.server).get(`/ews/exchange.asmx/s/GetUserPhoto?email=${alex}&size=HR96x96`).set('Authorization', basic(READER));
    expect(res.status).to.equal(200);
    return res.headers.etag as string;
  };
  const putPhoto = async (replica: Replica, image: Buffer) =>
    request(replica.bridge.server)
      .put(`/admin/users/${alex}/photo`)
      .set('Authorization', basic(ADMIN))
      .set('Content-Type', 'application/octet-stream')
      .send(image)
      .expect(200);
  /** Asks B until it serves something other than `before`, as a client polling it would. */
  const nextEtagOn = async (replica: Replica, before: string) => {
    const deadline = Date.now() + PATIENCE_MS;
    for (;;) {
      const etag = await etagOn(replica);
      if (etag !== before || Date.now() > deadline) return etag;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('tells on /metrics that each replica hears the others (the LISTEN connection), and how often it lost them', async () => {
    for (const replica of [a, b]) {
      await replica.store.changeCounter(); // its LISTEN connection is open
      const text = (await request(replica.bridge.server).get('/metrics').expect(200)).text;
      expect(text).to.match(/^ews_photo_bridge_change_feed_listening 1$/m);
      expect(text).to.match(/^ews_photo_bridge_change_feed_losses_total 0$/m);
    }
  });

  it('PUT a photo on A: B drops its cached rendition and serves the new ETag, the same as A', async () => {
    await putPhoto(a, await samplePhoto(200, 200));
    const first = await etagOn(b);
    expect(await etagOn(a)).to.equal(first);
    await putPhoto(a, await samplePhoto(300, 240));
    const changed = await nextEtagOn(b, first);
    expect(changed).to.not.equal(first);
    expect(changed).to.equal(await etagOn(a));
  });

  it('a photo set with the CLI on the same database reaches both', async () => {
    const before = await etagOn(b);
    await etagOn(a);
    writeFileSync(join(dir, 'portrait.jpg'), await samplePhoto(400, 400));
    const cli = runCli(['photo', 'set', alex, join(dir, 'portrait.jpg')], { env: { BRIDGE_DATABASE_URL: url } });
    expect(cli.status, cli.stderr).to.equal(0);
    const [onA, onB] = [await nextEtagOn(a, before), await nextEtagOn(b, before)];
    expect(onB).to.not.equal(before);
    expect(onA).to.equal(onB);
  });

  it('seals the same item ids on both: a contact found through A is the same item through B', async () => {
    await a.store.addContacts(READER.username, [{ displayName: 'Lee Gu', emailAddresses: ['lee@fabrikam.com'], phones: {}, refs: {} }]);
    const findItem = envelope(
      '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds></m:FindItem>',
    );
    const itemIdOn = async (replica: Replica) => {
      const res = await request(replica.bridge.server)
        .post('/EWS/Exchange.asmx')
        .set('Authorization', basic(READER))
        .set('Content-Type', 'text/xml')
        .send(findItem);
      expect(res.status).to.equal(200);
      const xml = await parseSoap(res.text);
      return xml.Envelope.Body.FindItemResponse.ResponseMessages.FindItemResponseMessage.RootFolder.Items.Contact.ItemId.$;
    };
    const [onA, onB] = [await itemIdOn(a), await itemIdOn(b)];
    expect(onA.Id).to.be.a('string').and.have.length.greaterThan(20);
    expect(onB).to.deep.equal(onA);
  });

  it('on a database turned read-only (as a standby is): /readyz is 503 saying so, an admin PUT is 503 + Retry-After, not 500; photos are still served', async () => {
    const database = new URL(url).pathname.slice(1);
    await runSql(url, `ALTER DATABASE ${database} SET default_transaction_read_only = on`);
    try {
      // The replicas' connections reopen under the new default.
      await runSql(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'ews-photo-bridge'");
      const deadline = Date.now() + PATIENCE_MS;
      // Until its connections are back: while they are cut off, the store is rightly "cannot be reached" (CI saw one such answer).
      const reconnecting = (res: request.Response) => res.status === 200 || res.text.startsWith('the database cannot be reached');
      let ready = await request(a.bridge.server).get('/readyz');
      while (reconnecting(ready) && Date.now() < deadline) ready = await request(a.bridge.server).get('/readyz');
      expect([ready.status, ready.text]).to.deep.equal([503, 'the store is read-only (a PostgreSQL standby?); nothing was changed\n']);
      const put = await request(a.bridge.server)
        .put(`/admin/users/${alex}/photo`)
        .set('Authorization', basic(ADMIN))
        .set('Content-Type', 'application/octet-stream')
        .send(await samplePhoto(120, 120));
      expect([put.status, put.headers['x-ews-response-code'], put.text]).to.deep.equal([
        503,
        'ErrorServerBusy',
        'the store is read-only (a PostgreSQL standby?); nothing was changed\n',
      ]);
      expect(Number(put.headers['retry-after'])).to.be.at.least(1);
      await etagOn(b);
    } finally {
      await runSql(url, `BEGIN READ WRITE; ALTER DATABASE ${database} RESET default_transaction_read_only; COMMIT`);
    }
  });
});

describe('a search kept waiting by a lock another session holds on PostgreSQL', () => {
  let url: string;
  let replica: Replica;
  before(async () => {
    url = await freshDatabase();
    // A short busy wait, and a share of the store's time (100 ms in a burst) that two such waits would pass.
    const config = loadConfig({
      BRIDGE_DATABASE_URL: url,
      BRIDGE_PORT: '0',
      BRIDGE_DEMO: 'false',
      BRIDGE_ACCESS_LOG: 'false',
      BRIDGE_STORE_BUSY_TIMEOUT_MS: '300',
      BRIDGE_SEARCH_MS_PER_SECOND: '50',
    });
    const store = await openStore(config, 'server');
    replica = { store, bridge: await createBridge(config, store, createLogger('silent')) };
    await store.putAccount(READER.username, await hashPassword(READER.password), 'user');
    await store.upsertUsers([{ email: alex, displayName: 'Alex Wilber', refs: {} }]);
  });
  after(() => replica?.bridge.stop());

  const search = () =>
    request(replica.bridge.server)
      .get(`/v1.0/users?$filter=${encodeURIComponent("startswith(displayName,'Alex')")}`)
      .set('Authorization', basic(READER));

  it('is 503 "the store is busy" while the lock lasts, and charged to no one: answered as soon as the lock is gone', async () => {
    expect((await search().expect(200)).body.value).to.have.length(1);
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
      for (let i = 0; i < 3; i++) {
        const busy = await search().expect(503);
        expect([busy.body.error.code, busy.body.error.message]).to.deep.equal(['ErrorServerBusy', 'the store is busy; try again shortly']);
      }
      await locker.query('COMMIT');
    } finally {
      await locker.end();
    }
    expect((await search().expect(200)).body.value).to.have.length(1);
  });
});
