import { expect } from 'chai';
import sharp from 'sharp';
import request from 'supertest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { createLogger } from '../../src/logger.js';
import { createTestIssuer, type TestIssuer } from '../support/jwt-issuer.js';
import { samplePhoto } from '../support/sample-images.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { startPhotoPeopleBridge } from '../support/photo-people.js';

/** Graph's error body: status, JSON, and the code a Graph client branches on. */
function expectGraphError(res: request.Response, status: number, code: string): void {
  expect(res.status, res.text).to.equal(status);
  expect(res.headers['content-type']).to.match(/^application\/json/);
  const body = res.body as { error: { code: string; message: string; innerError: { 'request-id': string; date: string } } };
  expect(body.error.code).to.equal(code);
  expect(body.error.message).to.be.a('string').and.not.equal('');
  expect(body.error.innerError['request-id']).to.equal(res.headers['request-id']);
}

describe('Graph-compatible photo API under /v1.0 and /beta', () => {
  let t: TestBridge;
  const reader = basic(READER);
  const admin = basic(ADMIN);

  before(async () => {
    t = await startPhotoPeopleBridge();
  });
  after(() => t.close());

  const get = (path: string, authorization = reader) => request(t.bridge.server).get(path).set('Authorization', authorization);

  describe('reading', () => {
    it('GET users/{upn}/photo → the largest photo’s metadata, its mediaEtag the ETag of photo/$value', async () => {
      const res = await get('/v1.0/users/alex.wilber@contoso.com/photo').expect(200);
      expect(res.headers['content-type']).to.match(/^application\/json/);
      const bytes = await get('/v1.0/users/alex.wilber@contoso.com/photo/$value').expect(200);
      expect(res.body).to.deep.include({
        '@odata.mediaContentType': 'image/jpeg',
        '@odata.mediaEtag': bytes.headers.etag,
        id: '486X486',
        width: 486,
        height: 486,
      });
      expect((res.body as Record<string, string>)['@odata.context']).to.match(/\/v1\.0\/\$metadata#users\('alex\.wilber%40contoso\.com'\)\/photo\/\$entity$/);
    });

    it('GET users/{upn}/photo/$value → the largest photo as JPEG, 304 on its ETag', async () => {
      const res = await get('/v1.0/users/Alex.Wilber@Contoso.com/photo/$value').buffer(true).expect(200);
      expect(res.headers['content-type']).to.equal('image/jpeg');
      const meta = await sharp(res.body as Buffer).metadata();
      expect([meta.format, meta.width, meta.height]).to.deep.equal(['jpeg', 486, 486]);
      await get('/v1.0/users/alex.wilber@contoso.com/photo/$value')
        .set('If-None-Match', res.headers.etag as string)
        .expect(304);
    });

    it('GET users/{upn}/photos/{size}/$value → that size, in either case of x, the same bytes as the EWS URL', async () => {
      for (const [segment, side] of [
        ['48x48', 48],
        ['96X96', 96],
        ['240x240', 240],
        ['648x648', 486],
      ] as const) {
        const res = await get(`/v1.0/users/alex.wilber@contoso.com/photos/${segment}/$value`).buffer(true).expect(200);
        const meta = await sharp(res.body as Buffer).metadata();
        expect([meta.width, meta.height], segment).to.deep.equal([side, side]);
      }
      const graph = await get('/v1.0/users/alex.wilber@contoso.com/photos/120x120/$value').buffer(true).expect(200);
      const ews = await get('/ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber@contoso.com&size=HR120x120').buffer(true).expect(200);
      expect(graph.headers.etag).to.equal(ews.headers.etag);
      expect(Buffer.compare(graph.body as Buffer, ews.body as Buffer)).to.equal(0);
    });

    it('reads a percent-encoded address and %24value too', async () => {
      await get('/v1.0/users/alex.wilber%40contoso.com/photos/48x48/%24value').expect(200).expect('content-type', 'image/jpeg');
    });

    it('reads a slash after $value as none, as every other Graph path reads one (it was 405 with GET in Allow)', async () => {
      for (const path of [
        '/v1.0/users/alex.wilber@contoso.com/photo/$value',
        '/beta/users/alex.wilber@contoso.com/photos/96x96/$value',
        '/v1.0/me/photo/$value',
        '/api/v2.0/me/photo/$value',
      ]) {
        const [plain, slashed] = [await get(path), await get(`${path}/`)];
        expect([slashed.status, slashed.headers['content-type'], slashed.headers.etag], path).to.deep.equal([200, 'image/jpeg', plain.headers.etag]);
      }
    });

    it('GET users/{upn}/photos → every HD size the photo has (none above its 486 px)', async () => {
      const res = await get('/v1.0/users/alex.wilber@contoso.com/photos').expect(200);
      const value = (res.body as { value: { id: string; width: number; height: number }[] }).value;
      expect(value.map(({ id, width, height }) => ({ id, width, height }))).to.deep.equal(
        [48, 64, 96, 120, 240, 360, 432].map((side) => ({ id: `${side}X${side}`, width: side, height: side })),
      );
    });

    it('tells the photo metadata without making any rendition, with the ETag each size is then served with', async () => {
      await t.bridge.photos.setPhoto(userOwner(READER.username), await samplePhoto(320, 320), 'test');
      const resizes = t.bridge.photos.stats.resizes;
      const list = (await get(`/v1.0/users/${READER.username}/photos`).expect(200)).body as { value: { id: string; '@odata.mediaEtag': string }[] };
      const one = (await get(`/v1.0/users/${READER.username}/photos/96x96`).expect(200)).body as { '@odata.mediaEtag': string };
      await get(`/v1.0/users/${READER.username}/photo`).expect(200);
      expect(t.bridge.photos.stats.resizes).to.equal(resizes);
      expect(list.value.map((entry) => entry.id)).to.deep.equal(['48X48', '64X64', '96X96', '120X120', '240X240']);
      const bytes = await get(`/v1.0/users/${READER.username}/photos/96x96/$value`).expect(200);
      expect(t.bridge.photos.stats.resizes).to.equal(resizes + 1);
      expect(bytes.headers.etag).to.equal(one['@odata.mediaEtag']).and.equal(list.value[2]!['@odata.mediaEtag']);
      await t.bridge.photos.setPhoto(userOwner(READER.username), await samplePhoto(300, 300), 'test');
    });

    it('GET users/{upn}/photos of a photo under 48 px → the photo itself, as /photo tells it', async () => {
      await t.store.upsertUsers([{ email: 'tiny.photo@contoso.com', displayName: 'Tiny Photo', refs: {} }]);
      await t.bridge.photos.setPhoto(userOwner('tiny.photo@contoso.com'), await samplePhoto(40, 30), 'test');
      const largest = (await get('/v1.0/users/tiny.photo@contoso.com/photo').expect(200)).body as Record<string, unknown>;
      const list = (await get('/v1.0/users/tiny.photo@contoso.com/photos').expect(200)).body as { value: Record<string, unknown>[] };
      expect(largest).to.deep.include({ id: '30X30', width: 30, height: 30 });
      expect(list.value.map(({ id, width, height, '@odata.mediaEtag': etag }) => ({ id, width, height, etag }))).to.deep.equal([
        { id: '30X30', width: 30, height: 30, etag: largest['@odata.mediaEtag'] },
      ]);
    });

    it('fetches every id photo and photos list, by photos/{id} and photos/{id}/$value, as the list tells it (486 px, and 40×30 under 48 px)', async () => {
      await t.store.upsertUsers([{ email: 'tiny.photo@contoso.com', displayName: 'Tiny Photo', refs: {} }]);
      await t.bridge.photos.setPhoto(userOwner('tiny.photo@contoso.com'), await samplePhoto(40, 30), 'test');
      for (const user of ['alex.wilber@contoso.com', 'tiny.photo@contoso.com']) {
        const largest = (await get(`/v1.0/users/${user}/photo`).expect(200)).body as Record<string, unknown>;
        const list = (await get(`/v1.0/users/${user}/photos`).expect(200)).body as { value: Record<string, unknown>[] };
        for (const { '@odata.context': _, ...entry } of [largest, ...list.value]) {
          const one = await get(`/v1.0/users/${user}/photos/${String(entry.id)}`);
          expect(one.status, `${user} ${String(entry.id)}`).to.equal(200);
          expect(one.body).to.deep.include(entry);
          const bytes = await get(`/v1.0/users/${user}/photos/${String(entry.id)}/$value`).buffer(true);
          expect([bytes.status, bytes.headers.etag], `${user} ${String(entry.id)}`).to.deep.equal([200, entry['@odata.mediaEtag']]);
          const meta = await sharp(bytes.body as Buffer).metadata();
          expect([meta.width, meta.height]).to.deep.equal([entry.width, entry.height]);
        }
      }
      expect((await get('/v1.0/users/alex.wilber@contoso.com/photo').expect(200)).body.id).to.equal('486X486');
    });

    it('GET users/{upn}/photos/{size} → that size’s metadata', async () => {
      const res = await get('/v1.0/users/alex.wilber@contoso.com/photos/64x64').expect(200);
      expect(res.body).to.deep.include({ id: '64X64', width: 64, height: 64, '@odata.mediaContentType': 'image/jpeg' });
    });

    it('GET photo/{size} and photo/{size}/$value as photos/{size}, as profilephoto-get’s second example asks for the 48x48 photo', async () => {
      for (const [sized, photos] of [
        ['/v1.0/me/photo/48x48/$value', '/v1.0/me/photos/48x48/$value'],
        ['/v1.0/users/alex.wilber@contoso.com/photo/64x64/%24value', '/v1.0/users/alex.wilber@contoso.com/photos/64x64/$value'],
        ['/api/v2.0/me/photo/96x96/$value', '/api/v2.0/me/photos/96x96/$value'],
      ] as const) {
        const [one, other] = [await get(sized).buffer(true).expect(200), await get(photos).buffer(true).expect(200)];
        expect([one.headers['content-type'], one.headers.etag, Buffer.compare(one.body as Buffer, other.body as Buffer)], sized).to.deep.equal([
          'image/jpeg',
          other.headers.etag,
          0,
        ]);
      }
      const meta = (await get('/v1.0/users/alex.wilber@contoso.com/photo/64x64').expect(200)).body;
      expect(meta).to.deep.include({ id: '64X64', width: 64, height: 64 });
      expect((await get('/v1.0/me/photo/47x47/$value').expect(404)).body.error.code).to.equal('ImageNotFound');
      await request(t.bridge.server).post('/v1.0/me/photo/48x48').set('Authorization', basic(READER)).expect(405);
    });

    it('/me is the caller: metadata and bytes of the reader’s own photo', async () => {
      const meta = await get('/v1.0/me/photo').expect(200);
      expect(meta.body).to.deep.include({ id: '300X300', width: 300, height: 300 });
      const bytes = await get('/v1.0/me/photos/96x96/$value').buffer(true).expect(200);
      expect((await sharp(bytes.body as Buffer).metadata()).width).to.equal(96);
      const direct = await get(`/v1.0/users/${READER.username}/photos/96x96/$value`).expect(200);
      expect(bytes.headers.etag).to.equal(direct.headers.etag);
    });

    it("OData's key form users('{upn}') names the user as users/{upn} does: the user, the photo's metadata and bytes, the contacts", async () => {
      const user = (await get("/v1.0/users('Alex.Wilber@contoso.com')").expect(200)).body as { id: string };
      expect(user.id).to.equal('alex.wilber@contoso.com');
      const meta = (await get("/v1.0/users('alex.wilber@contoso.com')/photo").expect(200)).body as Record<string, string>;
      expect(meta).to.deep.include({ id: '486X486' });
      expect(meta['@odata.context']).to.match(/#users\('alex\.wilber%40contoso\.com'\)\/photo\/\$entity$/);
      const bytes = await get("/v1.0/users('alex.wilber@contoso.com')/photo/$value").expect(200).expect('content-type', 'image/jpeg');
      expect(bytes.headers.etag).to.equal(meta['@odata.mediaEtag']);
      const sized = await get('/beta/users(%27alex.wilber%40contoso.com%27)/photos/96x96/%24value').expect(200);
      const plain = await get('/v1.0/users/alex.wilber@contoso.com/photos/96x96/$value').expect(200);
      expect(sized.headers.etag).to.equal(plain.headers.etag);
      expect((await get("/v1.0/users('alex.wilber@contoso.com')/photos/64x64").expect(200)).body).to.deep.include({ id: '64X64' });
      expect((await get("/v1.0/users('alex.wilber@contoso.com')/photos").expect(200)).body)
        .to.have.property('value')
        .with.length(7);
      await get(`/v1.0/users('${READER.username}')/contacts`).expect(200);
    });

    it("a userPrincipalName that begins with $ is read in the key form, a quote in it written twice; users/$… is Graph's 400", async () => {
      const upn = "$adele.o'vance@contoso.com";
      await t.store.upsertUsers([{ email: upn, displayName: 'Adele Vance', refs: {} }]);
      await t.bridge.photos.setPhoto(userOwner(upn), await samplePhoto(200, 200), 'test');
      const key = "users('$adele.o''vance@contoso.com')";
      expect((await get(`/v1.0/${key}`).expect(200)).body).to.deep.include({ id: upn });
      expect((await get(`/v1.0/${key}/photo`).expect(200)).body).to.deep.include({ id: '200X200' });
      await get(`/v1.0/${key}/photos/48x48/$value`).expect(200).expect('content-type', 'image/jpeg');
      for (const path of [
        `/v1.0/users/${upn}`,
        `/v1.0/users/${upn}/photo`,
        `/v1.0/users/${upn}/photo/$value`,
        `/v1.0/users/%24adele.o'vance@contoso.com/photos/48x48/$value`,
        `/v1.0/users/${upn}/contacts`,
      ]) {
        const res = await get(path);
        expectGraphError(res, 400, 'BadRequest');
        expect((res.body as { error: { message: string } }).error.message, path).to.contain("the segment 'users' refers to a collection");
      }
      // The login is checked first, as for any other path.
      expectGraphError(await request(t.bridge.server).get(`/v1.0/users/${upn}/photo/$value`), 401, 'InvalidAuthenticationToken');
      // A key that is no OData string (a lone quote, no closing quote) names no one.
      for (const path of [
        "/v1.0/users('a'b@contoso.com')/photo/$value",
        "/v1.0/users('alex.wilber@contoso.com)/photo",
        '/v1.0/users(alex.wilber@contoso.com)',
      ]) {
        expectGraphError(await get(path), 400, 'BadRequest');
      }
    });

    it('/beta answers as /v1.0 does', async () => {
      const beta = await get('/beta/users/alex.wilber@contoso.com/photo').expect(200);
      expect(beta.body).to.deep.include({ id: '486X486' });
      await get('/beta/me/photo/$value').expect(200).expect('content-type', 'image/jpeg');
    });
  });

  describe('errors as Graph writes them', () => {
    it("carries the client's request id back in an error, as Graph does, and only a plain one", async () => {
      for (const path of ['/v1.0/users/no.photo@contoso.com/photo/$value', '/v1.0/users/no.photo@contoso.com/photo']) {
        const res = await get(path).set('client-request-id', 'b1c2d3e4-0000-4000-8000-00000000abcd');
        expectGraphError(res, 404, 'ImageNotFound');
        expect([res.headers['client-request-id'], res.body.error.innerError['client-request-id']], path).to.deep.equal([
          'b1c2d3e4-0000-4000-8000-00000000abcd',
          'b1c2d3e4-0000-4000-8000-00000000abcd',
        ]);
        const odd = await get(path).set('client-request-id', '<script>');
        expect([odd.headers['client-request-id'], odd.body.error.innerError['client-request-id']], path).to.deep.equal([undefined, undefined]);
      }
    });

    it('a user without a photo → 404 ImageNotFound, for the bytes, the metadata and the list', async () => {
      expectGraphError(await get('/v1.0/users/no.photo@contoso.com/photo/$value'), 404, 'ImageNotFound');
      expectGraphError(await get('/v1.0/users/no.photo@contoso.com/photos/48x48/$value'), 404, 'ImageNotFound');
      expectGraphError(await get('/v1.0/users/no.photo@contoso.com/photo'), 404, 'ImageNotFound');
      expectGraphError(await get('/v1.0/users/no.photo@contoso.com/photos'), 404, 'ImageNotFound');
    });

    it('a user the directory does not have, or an id that is no address → 404 Request_ResourceNotFound', async () => {
      expectGraphError(await get('/v1.0/users/nobody@contoso.com/photo/$value'), 404, 'Request_ResourceNotFound');
      expectGraphError(await get('/v1.0/users/8ef9c3a1-0000-4000-8000-000000000000/photo/$value'), 404, 'Request_ResourceNotFound');
      expectGraphError(await get('/v1.0/users/nobody@contoso.com/photo'), 404, 'Request_ResourceNotFound');
    });

    it('the caller’s own mailbox without a photo → 404 ImageNotFound on /me, whether the directory lists it or not (as /me answers it)', async () => {
      const unlisted = { username: 'reader@fabrikam.example', password: 'fabrikam secret' };
      await t.store.putAccount(unlisted.username, await hashPassword(unlisted.password), 'user');
      expect((await get('/v1.0/me', basic(unlisted)).expect(200)).body).to.deep.include({ id: unlisted.username });
      for (const path of ['/v1.0/me/photo', '/v1.0/me/photos', '/v1.0/me/photos/48x48', '/v1.0/me/photo/$value', '/beta/me/photos/96x96/$value']) {
        expectGraphError(await get(path, basic(unlisted)), 404, 'ImageNotFound');
        expectGraphError(await get(path, basic(ADMIN)), 404, 'ImageNotFound');
      }
    });

    it('an id the photo is not listed with → 404 ImageNotFound, as Graph answers a size a photo lacks; no size at all or over 648 px → 400 with the sizes to use', async () => {
      for (const path of [
        '/v1.0/users/alex.wilber@contoso.com/photos/97x97/$value',
        '/v1.0/users/alex.wilber@contoso.com/photos/96x48',
        '/v1.0/users/alex.wilber@contoso.com/photos/400X400',
      ]) {
        expectGraphError(await get(path), 404, 'ImageNotFound');
      }
      for (const path of [
        '/v1.0/users/alex.wilber@contoso.com/photos/649x649/$value',
        '/v1.0/users/alex.wilber@contoso.com/photos/0x0',
        '/v1.0/users/alex.wilber@contoso.com/photos/big',
      ]) {
        const res = await get(path);
        expectGraphError(res, 400, 'ErrorInvalidPhotoSize');
        expect((res.body as { error: { message: string } }).error.message).to.contain('48x48');
      }
    });

    it('no or wrong credentials → 401 InvalidAuthenticationToken with the challenge, on the hot path and in the app', async () => {
      for (const path of ['/v1.0/users/alex.wilber@contoso.com/photo/$value', '/v1.0/me/photo/$value', '/v1.0/users/alex.wilber@contoso.com/photo']) {
        const res = await request(t.bridge.server).get(path);
        expectGraphError(res, 401, 'InvalidAuthenticationToken');
        expect(res.headers['www-authenticate']).to.match(/^Basic realm=/);
      }
      expectGraphError(
        await get('/v1.0/users/alex.wilber@contoso.com/photo/$value', basic({ username: READER.username, password: 'wrong' })),
        401,
        'InvalidAuthenticationToken',
      );
    });

    it('a path Graph does not have → 400 BadRequest; a known path with another method → 405 naming in Allow the methods it takes', async () => {
      expectGraphError(await get('/v1.0/users/alex.wilber@contoso.com/calendar'), 400, 'BadRequest');
      // Each was a 400 "Resource not found for the segment" or a 405 without Allow (RFC 9110 §15.5.6: the 405 MUST carry one).
      for (const [method, path, allow] of [
        ['post', '/v1.0/users/alex.wilber@contoso.com/photo', 'GET, HEAD, DELETE'],
        ['post', '/v1.0/me/photo/$value', 'GET, HEAD, PUT, PATCH, DELETE'],
        ['delete', '/v1.0/users/alex.wilber@contoso.com/photos/96x96', 'GET, HEAD'],
        ['delete', '/v1.0/me', 'GET, HEAD'],
        ['patch', '/v1.0/users/alex.wilber@contoso.com', 'GET, HEAD'],
        ['post', "/v1.0/users('alex.wilber@contoso.com')", 'GET, HEAD'],
        ['get', '/v1.0/$batch', 'POST'],
        ['post', '/v1.0/me/contactFolders', 'GET, HEAD'],
        ['delete', '/v1.0/me/contactFolders/contacts', 'GET, HEAD'],
        ['post', '/v1.0/me/contacts', 'GET, HEAD'],
      ] as const) {
        const res = await request(t.bridge.server)[method](path).set('Authorization', admin);
        expectGraphError(res, 405, 'Request_BadRequest');
        expect(res.headers.allow, `${method} ${path}`).to.equal(allow);
        // OPTIONS names them with a 200, as on every other path (it was a 405 here alone).
        const options = await request(t.bridge.server).options(path).set('Authorization', admin);
        expect([options.status, options.headers.allow], `OPTIONS ${path}`).to.deep.equal([200, allow]);
      }
    });
  });

  it('is described in the OpenAPI document, with the OWA URLs, under both versions', async () => {
    const res = await get('/api/openapi.json').expect(200);
    const paths = Object.keys((res.body as { paths: Record<string, unknown> }).paths);
    expect(paths).to.include.members([
      '/owa/service.svc/s/GetPersonaPhoto',
      '/owa/service.svc/s/GetUserPhoto',
      ...['v1.0', 'beta'].flatMap((version) => [
        `/${version}/users/{id}/photo`,
        `/${version}/users/{id}/photo/$value`,
        `/${version}/users/{id}/photos`,
        `/${version}/users/{id}/photos/{size}/$value`,
        `/${version}/me/photo/$value`,
      ]),
    ]);
    const document = res.body as { paths: Record<string, Record<string, unknown>> };
    for (const path of ['/v1.0/users/{id}/photo/$value', '/v1.0/me/photo/$value', '/beta/me/photo/$value']) {
      expect(document.paths[path], path).to.include.keys('get', 'put', 'delete');
    }
  });

  describe('writing (administrators)', () => {
    it('PUT users/{upn}/photo/$value stores the photo: 200, then new bytes, size and ETag', async () => {
      await t.store.upsertUsers([{ email: 'new.photo@contoso.com', displayName: 'New Photo', refs: {} }]);
      expectGraphError(await get('/v1.0/users/new.photo@contoso.com/photo/$value'), 404, 'ImageNotFound');
      await request(t.bridge.server)
        .put('/v1.0/users/new.photo@contoso.com/photo/$value')
        .set('Authorization', admin)
        .set('Content-Type', 'image/jpeg')
        .send(await samplePhoto(200, 200))
        .expect(200);
      const meta = await get('/v1.0/users/new.photo@contoso.com/photo').expect(200);
      expect(meta.body).to.deep.include({ id: '200X200', width: 200, height: 200 });
      const before = await get('/v1.0/users/new.photo@contoso.com/photo/$value').expect(200);
      await request(t.bridge.server)
        .patch('/beta/users/new.photo@contoso.com/photo/$value')
        .set('Authorization', admin)
        .set('Content-Type', 'image/png')
        .send(await samplePhoto(250, 250, 'png'))
        .expect(200);
      const after = await get('/v1.0/users/new.photo@contoso.com/photo/$value')
        .set('If-None-Match', before.headers.etag as string)
        .expect(200);
      expect(after.headers.etag).to.not.equal(before.headers.etag);
    });

    it('DELETE users/{upn}/photo removes it: 204, then ImageNotFound', async () => {
      await request(t.bridge.server).delete('/v1.0/users/new.photo@contoso.com/photo').set('Authorization', admin).expect(204);
      expectGraphError(await get('/v1.0/users/new.photo@contoso.com/photo/$value'), 404, 'ImageNotFound');
    });

    it('DELETE users/{upn}/photo/$value, the URL profilephoto-delete documents, removes it: 204, then ImageNotFound', async () => {
      for (const version of ['v1.0', 'beta']) {
        await t.bridge.photos.setPhoto(userOwner('new.photo@contoso.com'), await samplePhoto(120, 120), 'test');
        await get(`/${version}/users/new.photo@contoso.com/photo/$value`).expect(200);
        const res = await request(t.bridge.server).delete(`/${version}/users/New.Photo@contoso.com/photo/$value`).set('Authorization', admin);
        expect(res.status, version).to.equal(204);
        expect(res.text).to.equal('');
        expectGraphError(await get(`/${version}/users/new.photo@contoso.com/photo/$value`), 404, 'ImageNotFound');
      }
    });

    it('DELETE …/photo/$value with nothing to remove → 404 ImageNotFound; of a user the directory does not have → Request_ResourceNotFound', async () => {
      const del = (path: string) => request(t.bridge.server).delete(path).set('Authorization', admin);
      expectGraphError(await del('/v1.0/users/no.photo@contoso.com/photo/$value'), 404, 'ImageNotFound');
      expectGraphError(await del('/v1.0/users/nobody@contoso.com/photo/$value'), 404, 'Request_ResourceNotFound');
    });

    it('DELETE …/photo/$value refuses no login (401), and a reader on anyone’s photo while self-service is off (403), removing nothing', async () => {
      const photo = '/v1.0/users/alex.wilber@contoso.com/photo/$value';
      expectGraphError(await request(t.bridge.server).delete(photo), 401, 'InvalidAuthenticationToken');
      expectGraphError(await request(t.bridge.server).delete(photo).set('Authorization', reader), 403, 'ErrorAccessDenied');
      expectGraphError(await request(t.bridge.server).delete('/v1.0/me/photo/$value').set('Authorization', reader), 403, 'ErrorAccessDenied');
      await get(photo).expect(200);
      await get('/v1.0/me/photo/$value').expect(200);
    });

    it('changes or removes a photo only while its If-Match and If-None-Match hold: else 412, the photo as it was', async () => {
      const photo = '/v1.0/users/conditional@contoso.com/photo/$value';
      await t.store.upsertUsers([{ email: 'conditional@contoso.com', displayName: 'Conditional Photo', refs: {} }]);
      const put = (conditions: Record<string, string>) =>
        request(t.bridge.server).put(photo).set('Authorization', admin).set(conditions).set('Content-Type', 'image/jpeg');
      expectGraphError(await put({ 'If-Match': '*' }).send(await samplePhoto(100, 100)), 412, 'ErrorIrresolvableConflict');
      await put({ 'If-None-Match': '*' })
        .send(await samplePhoto(100, 100))
        .expect(200);
      expectGraphError(await put({ 'If-None-Match': '*' }).send(await samplePhoto(110, 110)), 412, 'ErrorIrresolvableConflict');
      // Another size's ETag names the same photo; the media ETag Graph's metadata gives is one.
      const seen = (await get('/v1.0/users/conditional@contoso.com/photos/48x48/$value').expect(200)).headers.etag as string;
      const mediaEtag = (await get('/v1.0/users/conditional@contoso.com/photo').expect(200)).body['@odata.mediaEtag'] as string;
      await put({ 'If-Match': `"stale", ${seen}` })
        .send(await samplePhoto(120, 120))
        .expect(200);
      for (const stale of [seen, mediaEtag, `W/${(await get(photo).expect(200)).headers.etag as string}`]) {
        expectGraphError(await put({ 'If-Match': stale }).send(await samplePhoto(130, 130)), 412, 'ErrorIrresolvableConflict');
        expectGraphError(await request(t.bridge.server).delete(photo).set('Authorization', admin).set('If-Match', stale), 412, 'ErrorIrresolvableConflict');
      }
      expect((await get('/v1.0/users/conditional@contoso.com/photo').expect(200)).body).to.deep.include({ width: 120, height: 120 });
      const current = (await get(photo).expect(200)).headers.etag as string;
      expectGraphError(
        await request(t.bridge.server).delete(photo).set('Authorization', admin).set('If-None-Match', `W/${current}`),
        412,
        'ErrorIrresolvableConflict',
      );
      await request(t.bridge.server).delete(photo).set('Authorization', admin).set('If-Match', current).expect(204);
    });

    it('answers a photo GET whose If-Match names other bytes 412, and one naming these bytes 200', async () => {
      for (const path of ['/v1.0/users/alex.wilber@contoso.com/photo/$value', '/ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber@contoso.com&size=HR96x96']) {
        const etag = (await get(path).expect(200)).headers.etag as string;
        const stale = await get(path).set('If-Match', '"not-these-bytes"');
        expect([stale.status, stale.headers['x-ews-response-code'] ?? stale.body.error.code], path).to.deep.equal([412, 'ErrorIrresolvableConflict']);
        await get(path).set('If-Match', etag).expect(200);
        await get(path).set('If-Match', '*').expect(200);
        expect((await get(path).set('If-Match', `W/${etag}`)).status, path).to.equal(412);
      }
    });

    it('refuses a reader (403 ErrorAccessDenied) before reading the body, an unknown user (404), no image (422), and a body over the upload limit (413)', async () => {
      const photo = await samplePhoto(100, 100);
      const put = (path: string, authorization: string, body: Buffer) =>
        request(t.bridge.server).put(path).set('Authorization', authorization).set('Content-Type', 'image/jpeg').send(body);
      expectGraphError(await put('/v1.0/users/alex.wilber@contoso.com/photo/$value', reader, photo), 403, 'ErrorAccessDenied');
      expectGraphError(await put('/v1.0/me/photo/$value', reader, photo), 403, 'ErrorAccessDenied');
      expectGraphError(await put('/v1.0/users/nobody@contoso.com/photo/$value', admin, photo), 404, 'Request_ResourceNotFound');
      expectGraphError(await put('/v1.0/users/alex.wilber@contoso.com/photo/$value', admin, Buffer.from('not an image')), 422, 'ErrorInvalidImage');
      expectGraphError(await put('/v1.0/users/alex.wilber@contoso.com/photo/$value', admin, Buffer.alloc(300_000, 1)), 413, 'ErrorMessageSizeExceeded');
      const unchanged = await get('/v1.0/users/alex.wilber@contoso.com/photo').expect(200);
      expect(unchanged.body).to.deep.include({ id: '486X486' });
    });
  });
});

describe('Graph DELETE me/photo/$value with self-service photos on', () => {
  const MEGAN = { username: 'megan.bowen@contoso.com', password: 'megan secret' };
  let t: TestBridge;
  const lines: Record<string, unknown>[] = [];
  const asMegan = () => request(t.bridge.server).delete('/v1.0/me/photo/$value').set('Authorization', basic(MEGAN));

  before(async () => {
    const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    t = await startTestBridge({ BRIDGE_SELF_SERVICE_PHOTOS: 'true' }, log);
    await t.store.putAccount(MEGAN.username, await hashPassword(MEGAN.password), 'user');
    await t.store.upsertUsers([
      { email: MEGAN.username, displayName: 'Megan Bowen', refs: {} },
      { email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} },
    ]);
  });
  after(() => t.close());

  it('lets the signed-in user remove their own photo: 204, then ImageNotFound, one audit line with the graph door', async () => {
    await t.bridge.photos.setPhoto(userOwner(MEGAN.username), await samplePhoto(200, 200), 'test');
    await asMegan().expect(204);
    expectGraphError(await request(t.bridge.server).get('/v1.0/me/photo/$value').set('Authorization', basic(MEGAN)), 404, 'ImageNotFound');
    const audit = lines.filter((line) => line.audit === 'photo');
    expect(audit).to.have.length(1);
    expect(audit[0]).to.include({ actor: MEGAN.username, actorRole: 'user', target: MEGAN.username, action: 'remove photo', door: 'graph' });
  });

  it('refuses them another user’s photo, and their own once an administrator locked it (403), removing nothing', async () => {
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(200, 200), 'test');
    const other = await request(t.bridge.server).delete('/v1.0/users/alex.wilber@contoso.com/photo/$value').set('Authorization', basic(MEGAN));
    expectGraphError(other, 403, 'ErrorAccessDenied');
    await t.bridge.photos.setPhoto(userOwner(MEGAN.username), await samplePhoto(200, 200), 'test');
    await t.store.setPhotoLocked(MEGAN.username, true);
    expectGraphError(await asMegan(), 403, 'ErrorAccessDenied');
    expect(await t.store.getPhoto(userOwner(MEGAN.username))).to.not.equal(undefined);
    expect(await t.store.getPhoto(userOwner('alex.wilber@contoso.com'))).to.not.equal(undefined);
  });
});

describe('Graph-compatible photo API with a bearer token and with anonymous read', () => {
  let issuer: TestIssuer;
  let t: TestBridge;
  let anonymous: TestBridge;

  before(async () => {
    issuer = await createTestIssuer();
    t = await startTestBridge(issuer.env);
    anonymous = await startTestBridge({ BRIDGE_ANONYMOUS_READ: 'true' });
    for (const bridge of [t, anonymous]) {
      await bridge.store.upsertUsers([{ email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} }]);
      await bridge.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(300, 300), 'test');
    }
  });
  after(async () => {
    await t.close();
    await anonymous.close();
    issuer.close();
  });

  it('serves bytes and metadata to a bearer token as configured today', async () => {
    const authorization = `Bearer ${await issuer.sign()}`;
    await request(t.bridge.server)
      .get('/v1.0/users/alex.wilber@contoso.com/photo/$value')
      .set('Authorization', authorization)
      .expect(200)
      .expect('content-type', 'image/jpeg');
    const meta = await request(t.bridge.server).get('/v1.0/users/alex.wilber@contoso.com/photo').set('Authorization', authorization).expect(200);
    expect(meta.body).to.deep.include({ width: 300, height: 300 });
    const res = await request(t.bridge.server).get('/v1.0/users/alex.wilber@contoso.com/photo/$value').set('Authorization', 'Bearer not.a.token');
    expectGraphError(res, 401, 'InvalidAuthenticationToken');
    expect(res.headers['www-authenticate']).to.contain('Bearer realm=');
  });

  it('with anonymous read, opens the photo bytes only: /me and metadata still ask for a login', async () => {
    await request(anonymous.bridge.server).get('/v1.0/users/alex.wilber@contoso.com/photos/48x48/$value').expect(200).expect('content-type', 'image/jpeg');
    expectGraphError(await request(anonymous.bridge.server).get('/v1.0/me/photo/$value'), 401, 'InvalidAuthenticationToken');
    expectGraphError(await request(anonymous.bridge.server).get('/v1.0/users/alex.wilber@contoso.com/photo'), 401, 'InvalidAuthenticationToken');
    expectGraphError(await request(anonymous.bridge.server).delete('/v1.0/users/alex.wilber@contoso.com/photo/$value'), 401, 'InvalidAuthenticationToken');
  });
});
