import { expect } from 'chai';
import sharp from 'sharp';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { samplePhoto } from '../support/sample-images.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { startPhotoPeopleBridge } from '../support/photo-people.js';

/*
 * The Outlook REST API's User Photo API, as an Outlook add-in calls it at its mailbox's
 * restUrl: the reference's URLs (v2.0: me/photo, Users('{email}')/photo and their $value;
 * beta: photos and photos('{size}') too) and its answers (PascalCase metadata, the 1X1
 * placeholder of someone without a photo).
 */
describe('Outlook REST API photos under /api/v2.0 and /api/beta, as an add-in asks them at its restUrl', () => {
  let t: TestBridge;

  before(async () => {
    t = await startPhotoPeopleBridge();
  });
  after(() => t.close());

  const get = (path: string, as = READER) => request(t.bridge.server).get(path).set('Authorization', basic(as));

  it("answers me/photo with the metadata the reference's sample writes, its mediaEtag the ETag of me/photo/$value", async () => {
    const meta = await get('/api/v2.0/me/photo')
      .expect(200)
      .expect('Content-Type', /^application\/json/);
    const bytes = await get('/api/v2.0/me/photo/$value').buffer(true).expect(200).expect('Content-Type', 'image/jpeg');
    const base = new URL(meta.body['@odata.context']).origin;
    expect(meta.body).to.deep.equal({
      '@odata.context': `${base}/api/v2.0/$metadata#Me/photo/$entity`,
      '@odata.id': `${base}/api/v2.0/Users('${encodeURIComponent(READER.username)}')/photo`,
      '@odata.mediaContentType': 'image/jpeg',
      '@odata.mediaEtag': bytes.headers.etag,
      Id: '300X300',
      Width: 300,
      Height: 300,
    });
    await get('/api/v2.0/me/photo/$value').set('If-None-Match', bytes.headers.etag!).expect(304);
  });

  it("serves Users('{email}')/photo/$value with the bytes Graph serves, and beta's photos('{size}') at that size", async () => {
    const outlook = await get("/api/v2.0/Users('Alex.Wilber@contoso.com')/photo/$value").buffer(true).expect(200);
    const graph = await get('/v1.0/users/alex.wilber@contoso.com/photo/$value').buffer(true).expect(200);
    expect([outlook.headers.etag, Buffer.compare(outlook.body as Buffer, graph.body as Buffer)]).to.deep.equal([graph.headers.etag, 0]);
    const small = await get("/api/beta/users('alex.wilber%40contoso.com')/photos('96x96')/$value").buffer(true).expect(200);
    const { width, height, format } = await sharp(small.body as Buffer).metadata();
    expect([format, width, height]).to.deep.equal(['jpeg', 96, 96]);
    const sized = await get("/api/beta/Users('alex.wilber@contoso.com')/photos('96X96')").expect(200);
    expect([sized.body.Id, sized.body.Width, sized.body['@odata.mediaEtag']]).to.deep.equal(['96X96', 96, small.headers.etag]);
    expect(sized.body['@odata.context']).to.match(/\/api\/beta\/\$metadata#Users\('alex\.wilber%40contoso\.com'\)\/photos\/\$entity$/);
    // The photos collection: every HD size the 486 px photo has.
    const all = await get("/api/beta/Users('alex.wilber@contoso.com')/photos").expect(200);
    expect(all.body.value.map((photo: { Id: string }) => photo.Id)).to.deep.equal(['48X48', '64X64', '96X96', '120X120', '240X240', '360X360', '432X432']);
    // The quotes percent-encoded, as some clients write them; Graph reads the size as OData's key too.
    expect((await get('/api/v2.0/me/photos(%2748x48%27)').expect(200)).body.Id).to.equal('48X48');
    await get('/api/v2.0/Users(%27alex.wilber%40contoso.com%27)/photos(%2748x48%27)/$value').expect(200).expect('Content-Type', 'image/jpeg');
    await get("/v1.0/me/photos('48x48')/$value").expect(200).expect('Content-Type', 'image/jpeg');
  });

  it("answers someone without a photo with the reference's 1X1 placeholder, whose $value is Exchange's 404; one it does not know 404", async () => {
    const none = await get("/api/v2.0/Users('no.photo@contoso.com')/photo").expect(200);
    expect(none.body).to.deep.include({ '@odata.mediaContentType': 'image/gif', '@odata.mediaEtag': '', Id: '1X1', Width: 1, Height: 1 });
    for (const path of [
      "/api/v2.0/Users('no.photo@contoso.com')/photo/$value",
      "/api/v2.0/Users('nobody@contoso.com')/photo",
      "/api/v2.0/Users('nobody@contoso.com')/photo/$value",
      "/api/v2.0/Users('nobody')/photo",
      "/api/beta/Users('nobody')/photos('48x48')/$value",
    ]) {
      const res = await get(path).expect(404);
      expect(res.body.error, path).to.deep.include({ code: 'ErrorItemNotFound', message: "The photo wasn't found." });
    }
    // A login the directory does not list has no placeholder either: its me is no one with a photo, as its Users('…') is.
    for (const path of ['/api/v2.0/me/photo', '/api/beta/me/photos', `/api/v2.0/Users('${ADMIN.username}')/photo`]) {
      const res = await get(path, ADMIN).expect(404);
      expect(res.body.error, path).to.deep.include({ code: 'ErrorItemNotFound', message: "The photo wasn't found." });
    }
    expect((await get("/api/beta/Users('no.photo@contoso.com')/photos").expect(200)).body.value.map((photo: { Id: string }) => photo.Id)).to.deep.equal([
      '1X1',
    ]);
  });

  it('asks for a login, refuses a size over 648 px (400) and one the photo is not listed with (404), has no photos in v1.0, and lets PATCH and PUT set a photo as Graph does', async () => {
    await request(t.bridge.server).get('/api/v2.0/me/photo/$value').expect(401);
    await request(t.bridge.server).get('/api/v2.0/me/photo').expect(401);
    await get("/api/beta/me/photos('649x649')/$value").expect(400);
    await get("/api/beta/me/photos('97x97')/$value").expect(404);
    await get('/api/v1.0/me/photo').expect(404);
    // A reader may not change another user's photo; an administrator may, by PATCH (v2.0) as by PUT.
    const image = await samplePhoto(200, 200);
    const upload = (method: 'patch' | 'put', path: string, as = ADMIN) =>
      request(t.bridge.server)[method](path).set('Authorization', basic(as)).set('Content-Type', 'image/jpeg').send(image);
    expect((await upload('patch', "/api/v2.0/Users('no.photo@contoso.com')/photo/$value", READER).expect(403)).body.error.code).to.equal('ErrorAccessDenied');
    await upload('patch', "/api/v2.0/Users('no.photo@contoso.com')/photo/$value").expect(200);
    expect((await get("/api/v2.0/Users('no.photo@contoso.com')/photo").expect(200)).body.Id).to.equal('200X200');
    await upload('put', "/api/beta/Users('nobody@contoso.com')/photo/$value").expect(404);
    await request(t.bridge.server).post('/api/v2.0/me/photo').set('Authorization', basic(READER)).expect(405);
  });

  it('answers keys it cannot read with a JSON error, never a 500', async () => {
    for (const [path, status] of [
      [`/api/v2.0/me/photos('${"'".repeat(3000)}')/$value`, 400],
      ["/api/v2.0/Users('%ZZ')/photo/$value", 404],
      ["/api/v2.0/Users('alex.wilber@contoso.com/photo/$value", 400],
      ["/api/beta/me/photos('96x96'')", 400],
      ['/api/v2.0/Users(alex.wilber@contoso.com)/photo', 400],
    ] as const) {
      const res = await get(path).expect('Content-Type', /^application\/json/);
      expect([res.status, typeof res.body.error.code], path).to.deep.equal([status, 'string']);
    }
  });
});

describe('Outlook REST API photos with anonymous read on', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge({ BRIDGE_ANONYMOUS_READ: 'true' });
    await t.store.upsertUsers([{ email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} }]);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(120, 120), 'test');
  });
  after(() => t.close());

  it("opens a user's photo bytes only: me, the metadata and someone without a photo stay as closed as they are elsewhere", async () => {
    await request(t.bridge.server).get("/api/v2.0/Users('alex.wilber@contoso.com')/photo/$value").expect(200).expect('Content-Type', 'image/jpeg');
    await request(t.bridge.server).get('/api/v2.0/me/photo/$value').expect(401);
    await request(t.bridge.server).get("/api/v2.0/Users('alex.wilber@contoso.com')/photo").expect(401);
    // No person or no photo: the same answer, which tells an anonymous reader nothing about the directory.
    const none = await request(t.bridge.server).get("/api/v2.0/Users('nobody@contoso.com')/photo/$value").expect(404);
    expect(none.body.error.code).to.equal('ErrorItemNotFound');
  });
});
