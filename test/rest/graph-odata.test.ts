import { expect } from 'chai';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { samplePhoto } from '../support/sample-images.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

interface BatchAnswer {
  responses: { id: string; status: number; headers: Record<string, string>; body?: Record<string, unknown> }[];
}

/** OData's conventions on the Graph-compatible API's JSON answers (graph-odata.ts). */
describe('Graph answers as OData writes them', () => {
  let t: TestBridge;
  const NO_METADATA = 'application/json;odata.metadata=none';

  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([
      { email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} },
      { email: 'alex.wu@contoso.com', displayName: 'Alex Wu', refs: {} },
      { email: READER.username, displayName: 'The Reader', refs: {} },
    ]);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(300, 300), 'test');
    await t.store.addContacts(READER.username, [
      { displayName: 'Lee Gu', emailAddresses: ['lee@fabrikam.com'], phones: {}, refs: {} },
      { displayName: 'Megan Bowen', emailAddresses: ['megan@fabrikam.com'], phones: {}, refs: {} },
    ]);
  });
  after(() => t.close());

  const get = (path: string, accept?: string) => {
    const req = request(t.bridge.server).get(path).set('Authorization', basic(READER));
    return accept === undefined ? req : req.set('Accept', accept);
  };
  const batch = (body: string, accept?: string, path = '/v1.0/$batch') => {
    const req = request(t.bridge.server).post(path).set('Authorization', basic(READER)).set('Content-Type', 'application/json');
    return (accept === undefined ? req : req.set('Accept', accept)).send(body);
  };

  it('sends OData-Version: 4.0 on every JSON answer (errors and batches too), not on text or photo bytes', async () => {
    // The Outlook REST API's answers too: OData 4.0 as Graph's.
    for (const path of [
      '/v1.0/me',
      '/beta/users/alex.wilber@contoso.com/photo',
      '/v1.0/me/contacts',
      '/v1.0/users?$top=1',
      '/v1.0/me/contactFolders',
      "/api/v2.0/Users('alex.wilber@contoso.com')/photo",
    ]) {
      const res = await get(path).expect(200);
      expect([res.type, res.headers['odata-version']], path).to.deep.equal(['application/json', '4.0']);
    }
    const missing = await get('/v1.0/users/nobody@contoso.com').expect(404);
    expect([missing.type, missing.headers['odata-version']]).to.deep.equal(['application/json', '4.0']);
    const photoless = await get('/v1.0/users/alex.wu@contoso.com/photo/$value').expect(404);
    expect(photoless.headers['odata-version']).to.equal('4.0');
    const count = await get('/v1.0/me/contacts/$count').expect(200);
    expect([count.text, count.headers['odata-version']]).to.deep.equal(['2', undefined]);
    const bytes = await get('/v1.0/users/alex.wilber@contoso.com/photo/$value').expect(200);
    expect([bytes.type, bytes.headers['odata-version']]).to.deep.equal(['image/jpeg', undefined]);

    const batched = await batch(JSON.stringify({ requests: [{ id: '1', method: 'GET', url: '/me' }] })).expect(200);
    expect(batched.headers['odata-version']).to.equal('4.0');
    // Inside, as Graph names it.
    expect((batched.body as BatchAnswer).responses[0]!.headers).to.deep.include({ 'OData-Version': '4.0' });
  });

  it('leaves control information out for odata.metadata=none, but the next link and the count', async () => {
    const minimal = (await get('/v1.0/me/contacts?$top=1&$count=true').expect(200)).body as Record<string, unknown>;
    expect(minimal).to.include.keys('@odata.context', '@odata.count', '@odata.nextLink');
    expect((minimal.value as object[])[0]).to.include.keys('@odata.etag');

    const none = await get('/v1.0/me/contacts?$top=1&$count=true', NO_METADATA).expect(200);
    expect(none.headers['odata-version']).to.equal('4.0');
    const body = none.body as Record<string, unknown>;
    expect(Object.keys(body)).to.have.members(['@odata.count', 'value', '@odata.nextLink']);
    // Each request reaches another port of supertest's: the links agree from the path on.
    const onward = (link: unknown) => new URL(String(link)).pathname + new URL(String(link)).search;
    expect([body['@odata.count'], onward(body['@odata.nextLink'])]).to.deep.equal([2, onward(minimal['@odata.nextLink'])]);
    const contact = (body.value as Record<string, unknown>[])[0]!;
    expect(Object.keys(contact).filter((key) => key.startsWith('@'))).to.deep.equal([]);
    expect(contact.displayName).to.equal('Lee Gu');

    // 4.01's unprefixed parameter, among other media ranges, and an entity.
    const photo = (await get('/v1.0/users/alex.wilber@contoso.com/photo', 'text/plain, application/json; metadata=none').expect(200)).body;
    expect(photo).to.deep.equal({ id: '300X300', width: 300, height: 300 });
    // Without it, as before.
    expect((await get('/v1.0/me', 'application/json;odata.metadata=minimal').expect(200)).body).to.include.keys('@odata.context');
  });

  it('reads odata.metadata=none from $format as from Accept, $format first', async () => {
    const keys = async (path: string, accept?: string) => Object.keys((await get(path, accept).expect(200)).body as object);
    expect(await keys(`/v1.0/me?$format=${encodeURIComponent(NO_METADATA)}`)).to.not.include('@odata.context');
    expect(await keys('/v1.0/me?$FORMAT=application/json;odata.metadata=none')).to.not.include('@odata.context');
    // $format's JSON asks minimal metadata, whatever Accept asked.
    expect(await keys('/v1.0/me?$format=json', NO_METADATA)).to.include('@odata.context');
    expect(await keys('/v1.0/me?$format=application/json', NO_METADATA)).to.include('@odata.context');
    expect(await keys('/v1.0/me', NO_METADATA)).to.not.include('@odata.context');
  });

  it('answers a batch asked odata.metadata=none with each request answered so, unless it asks otherwise, at any spelling of its path', async () => {
    // Express routes the path in any case and with a slash after it.
    for (const path of ['/v1.0/$batch', '/v1.0/$BATCH', '/v1.0/$batch/']) {
      const res = await batch(
        JSON.stringify({
          requests: [
            { id: '1', method: 'GET', url: '/me' },
            { id: '2', method: 'GET', url: '/me', headers: { Accept: 'application/json' } },
          ],
        }),
        NO_METADATA,
        path,
      ).expect(200);
      const [inherited, own] = (res.body as BatchAnswer).responses;
      expect(inherited!.body, path).to.not.have.property('@odata.context');
      expect(inherited!.body, path).to.include({ mail: READER.username });
      expect(own!.body, path).to.have.property('@odata.context');
    }
  });

  it('reads a batch whose JSON starts with a byte order mark (RFC 8259 §8.1)', async () => {
    const json = JSON.stringify({ requests: [{ id: '1', method: 'GET', url: '/me' }] });
    const res = await batch(`\uFEFF${json}`); // sent as UTF-8: EF BB BF first
    expect(res.status, res.text).to.equal(200);
    expect((res.body as BatchAnswer).responses.map(({ id, status }) => [id, status])).to.deep.equal([['1', 200]]);
    // Two marks are no JSON still.
    const twice = await batch(`\uFEFF\uFEFF${json}`).expect(400);
    expect(twice.body.error.message).to.equal('Invalid batch payload format: the body is not JSON.');
  });
});

describe('Graph list links carry $format as they carry the query', () => {
  let t: TestBridge;
  const NO_METADATA = 'application/json;odata.metadata=none';
  const format = `$format=${encodeURIComponent(NO_METADATA)}`;

  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([
      { email: READER.username, displayName: 'The Reader', refs: {} },
      ...['alex.wilber', 'alex.wu'].map((name) => ({ email: `${name}@contoso.com`, displayName: name, manager: READER.username, refs: {} })),
    ]);
    await t.store.addContacts(
      READER.username,
      ['Lee Gu', 'Megan Bowen'].map((displayName) => ({ displayName, emailAddresses: [], phones: {}, refs: {} })),
    );
  });
  after(() => t.close());

  /** Each link of a list from `path` on, a delta's last too: its `$format`, and whether the page it led to held `@odata.context`. */
  const walk = async (path: string, prefer?: string) => {
    const links: [string | null, boolean][] = [];
    for (let next: string | undefined = path, delta = false; next !== undefined && links.length < 5;) {
      const req = request(t.bridge.server).get(next).set('Authorization', basic(READER));
      const body = (await (prefer === undefined ? req : req.set('Prefer', prefer)).expect(200)).body as Record<string, unknown>;
      if (links.length > 0) links.at(-1)![1] = '@odata.context' in body;
      const link = delta ? undefined : ((body['@odata.nextLink'] ?? body['@odata.deltaLink']) as string | undefined);
      delta = '@odata.deltaLink' in body;
      const url = link === undefined ? undefined : new URL(link);
      if (url) links.push([url.searchParams.get('$format'), true]);
      next = url && url.pathname + url.search;
    }
    return links;
  };

  it('writes $format=…odata.metadata=none into every nextLink and deltaLink, so each page comes in one shape', async () => {
    for (const path of [
      `/v1.0/me/contacts?$top=1&${format}`,
      `/v1.0/users?$top=2&${format}`,
      `/v1.0/me/people?$top=2&${format}`,
      `/v1.0/me/directReports?$top=1&${format}`,
    ]) {
      const links = await walk(path);
      expect(links.length, path).to.be.greaterThan(0);
      expect(links, path).to.deep.equal(links.map(() => [NO_METADATA, false]));
    }
    // A delta round: its pages' nextLinks, then its deltaLink.
    expect(await walk(`/v1.0/me/contacts/delta?${format}`, 'odata.maxpagesize=1')).to.deep.equal([
      [NO_METADATA, false],
      [NO_METADATA, false],
    ]);
  });
});
