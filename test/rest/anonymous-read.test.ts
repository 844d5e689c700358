import { expect } from 'chai';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { samplePhoto } from '../support/sample-images.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const PHOTO = '/ews/exchange.asmx/s/GetUserPhoto?email=megan@contoso.com&size=HR64x64';

describe('anonymous read (BRIDGE_ANONYMOUS_READ=true) serves photos only', () => {
  let t: TestBridge;

  before(async () => {
    t = await startTestBridge({ BRIDGE_ANONYMOUS_READ: 'true' });
    await t.store.upsertUsers([{ email: 'megan@contoso.com', displayName: 'Megan Bowen', title: 'Marketing Manager', refs: {} }]);
    await t.bridge.photos.setPhoto(userOwner('megan@contoso.com'), await samplePhoto(100, 100), 'test');
  });
  after(() => t.close());

  const get = (path: string) => request(t.bridge.server).get(path);

  it('answers the REST photo URL without credentials: 200 for a photo, 404 for none', async () => {
    await get(PHOTO).expect(200).expect('content-type', 'image/jpeg');
    await get('/ews/exchange.asmx/s/GetUserPhoto?email=nobody@contoso.com&size=HR64x64').expect(404);
  });

  it('tells an anonymous reader nothing of who is in the directory: one 404 for a person without a photo and for no one, no initials', async () => {
    await t.store.upsertUsers([{ email: 'lidia@contoso.com', displayName: 'Lidia Holloway', refs: {} }]);
    // The error without its request id and time, which differ from answer to answer.
    const graphNotFound = async (email: string) => {
      const { error } = (await get(`/v1.0/users/${email}/photo/$value`).expect(404)).body as { error: { code: string; message: string } };
      return { code: error.code, message: error.message };
    };
    expect(await graphNotFound('lidia@contoso.com')).to.deep.equal(await graphNotFound('nobody@contoso.com'));
    expect((await graphNotFound('nobody@contoso.com')).code).to.equal('ImageNotFound');
    // The placeholder that draws initials draws no one's for an anonymous reader: the same grey icon for a person and for no one.
    const placeholder = async (email: string) =>
      (await get(`/ews/exchange.asmx/s/GetUserPhoto?email=${email}&size=HR64x64&ifBlank=SrNoPhoto&type=png`).expect(200)).body as Buffer;
    const [person, nobody, icon] = await Promise.all([
      placeholder('lidia@contoso.com'),
      placeholder('nobody@contoso.com'),
      get('/ews/exchange.asmx/s/GetUserPhoto?email=nobody@contoso.com&size=HR64x64&ifBlank=GenericFileIcon&type=png').expect(200),
    ]);
    expect(person.equals(nobody)).to.equal(true);
    expect(person.equals(icon.body as Buffer)).to.equal(true);
  });

  for (const path of ['/api/people?q=megan', '/api/me', '/api/people/photo?name=megan', '/', '/web/directory.js']) {
    it(`asks for a login at ${path}: 401 with the Basic challenge, no directory data`, async () => {
      const res = await get(path).expect(401);
      expect(res.headers['www-authenticate']).to.equal('Basic realm="ews-photo-bridge"');
      expect(res.text).to.not.include('Megan');
    });
  }

  it('asks for a login at the Graph directory list, /v1.0/users, and names no one', async () => {
    const res = await get('/v1.0/users?$filter=startswith(displayName,%27meg%27)').expect(401);
    expect(res.body.error.code).to.equal('InvalidAuthenticationToken');
    expect(res.text).to.not.include('Megan');
  });

  it('serves the directory and the facade to a login', async () => {
    const people = (await get('/api/people?q=megan').set('Authorization', basic(READER)).expect(200)).body;
    expect(people.people.map((person: { email: string }) => person.email)).to.deep.equal(['megan@contoso.com']);
    await get('/api/people/photo?name=megan')
      .set('Authorization', basic(READER))
      .expect(200)
      .expect('content-type', /image\/jpeg/);
    await get('/').set('Authorization', basic(READER)).expect(200);
  });

  it('still needs an administrator for administration: 401 without a login, 403 for a reader', async () => {
    const path = '/admin/users/megan@contoso.com/photo';
    await request(t.bridge.server).delete(path).expect(401);
    await request(t.bridge.server).delete(path).set('Authorization', basic(READER)).expect(403);
    await request(t.bridge.server).delete(path).set('Authorization', basic(ADMIN)).expect(204);
  });
});
