import { expect } from 'chai';
import request from 'supertest';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { samplePhoto } from '../support/sample-images.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const LIMITS = { maxInputBytes: 10_000_000, maxInputPixels: 40_000_000, jpegQuality: 85 };

describe('Graph contact photo $value: answered as every other photo door answers', () => {
  let t: TestBridge;
  let paths: string[];
  const reader = basic(READER);

  before(async () => {
    t = await startTestBridge({ BRIDGE_PHOTO_MAX_AGE_SECONDS: '600' });
    await t.store.addContacts(READER.username, [
      {
        displayName: 'Lee Gu',
        emailAddresses: ['lee@fabrikam.example'],
        phones: {},
        refs: {},
        photo: await normalizePhoto(await samplePhoto(120, 120), LIMITS),
      },
    ]);
    const list = await request(t.bridge.server).get('/v1.0/me/contacts').set('Authorization', reader).expect(200);
    const id = encodeURIComponent((list.body.value as { id: string }[])[0]!.id);
    paths = [
      `/v1.0/me/contacts/${id}/photo/$value`,
      `/v1.0/users/${encodeURIComponent(READER.username)}/contacts/${id}/photo/$value`,
      `/v1.0/me/contactFolders/contacts/contacts/${id}/photo/$value`,
    ];
  });
  after(() => t.close());

  const get = (path: string) => request(t.bridge.server).get(path).set('Authorization', reader).buffer(true);

  it("sends the photos' Cache-Control, Vary: Accept and nosniff with its ETag", async () => {
    for (const path of paths) {
      const res = await get(path).expect(200);
      expect([res.headers['content-type'], res.headers['cache-control'], res.headers['x-content-type-options']], path).to.deep.equal([
        'image/jpeg',
        'private, max-age=600',
        'nosniff',
      ]);
      expect(res.headers.vary, path).to.match(/\bAccept\b/);
      expect(res.headers.etag, path).to.match(/^"/);
    }
  });

  it('answers an If-Match naming other bytes 412 (RFC 9110 §13.1.1), its own ETag or * 200, and a held If-None-Match 304', async () => {
    for (const path of paths) {
      const { etag } = (await get(path).expect(200)).headers as { etag: string };
      expect((await get(path).set('If-Match', '"nope"')).status, path).to.equal(412);
      expect((await get(path).set('If-Match', etag)).status, path).to.equal(200);
      expect((await get(path).set('If-Match', '*')).status, path).to.equal(200);
      const notModified = await get(path).set('If-None-Match', etag).expect(304);
      expect([notModified.headers.etag, notModified.headers['cache-control']], path).to.deep.equal([etag, 'private, max-age=600']);
    }
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    for (const path of paths) {
      const got = await get(path).expect(200);
      const head = await request(t.bridge.server).head(path).set('Authorization', reader).expect(200);
      expect([head.headers['content-length'], head.headers.etag, head.headers['cache-control']], path).to.deep.equal([
        String((got.body as Buffer).length),
        got.headers.etag,
        'private, max-age=600',
      ]);
      expect(head.text ?? '', path).to.equal('');
    }
  });
});
