import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { runCli } from '../support/run-cli.js';
import { ADMIN, basic, startTestBridge } from '../support/test-bridge.js';
import { iphoneStyleHeic } from './iphone-heic.js';

describe('an iPhone HEIC is accepted where a photo is set', () => {
  let portrait: Buffer;

  before(async () => {
    portrait = await iphoneStyleHeic(1512, 2016);
  });

  it('PUT /admin/users/{email}/photo stores it upright as a 486×648 JPEG', async () => {
    const t = await startTestBridge();
    try {
      await t.store.upsertUsers([{ email: 'grady.archie@contoso.com', displayName: 'Grady Archie', refs: {} }]);
      const res = await request(t.bridge.server)
        .put('/admin/users/grady.archie@contoso.com/photo')
        .set('Authorization', basic(ADMIN))
        .set('Content-Type', 'image/heic')
        .send(portrait)
        .expect(200);
      expect(res.body).to.include({ email: 'grady.archie@contoso.com', width: 486, height: 648 });
      const stored = await t.store.getPhoto(userOwner('grady.archie@contoso.com'));
      expect(stored).to.include({ contentType: 'image/jpeg', width: 486, height: 648 });
      expect((await sharp(stored!.bytes).metadata()).format).to.equal('jpeg');
    } finally {
      await t.close();
    }
  });

  it('`photo set <email> portrait.heic` on the command line stores it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'epb-heic-'));
    try {
      const db = join(dir, 'bridge.db');
      const store = new SqliteStore(db);
      await store.upsertUsers([{ email: 'megan.bowen@contoso.com', displayName: 'Megan Bowen', refs: {} }]);
      await store.close();
      writeFileSync(join(dir, 'portrait.heic'), portrait);

      const set = runCli(['--db', db, 'photo', 'set', 'megan.bowen@contoso.com', join(dir, 'portrait.heic')]);
      expect(set.stderr).to.equal('');
      expect(set.stdout).to.match(/stored a 486×648 photo for megan.bowen@contoso.com/);
      expect(set.status).to.equal(0);
      const reopened = new SqliteStore(db);
      expect(await reopened.getPhoto(userOwner('megan.bowen@contoso.com'))).to.include({ width: 486, height: 648 });
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
