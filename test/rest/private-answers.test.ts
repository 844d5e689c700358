import { expect } from 'chai';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { samplePhoto } from '../support/sample-images.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

describe('answers to a login, as a shared cache in front of the bridge sees them', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([{ email: 'megan.bowen@contoso.com', displayName: 'Megan Bowen', refs: {} }]);
    await t.bridge.photos.setPhoto(userOwner('megan.bowen@contoso.com'), await samplePhoto(96, 96), 'test');
  });
  after(() => t.close());

  it('marks every JSON answer private, so no cache hands one login’s data to another', async () => {
    const paths = [
      '/v1.0/me',
      '/v1.0/users',
      '/v1.0/users/megan.bowen@contoso.com',
      '/v1.0/users/$count',
      '/v1.0/users/megan.bowen@contoso.com/photo',
      '/v1.0/users/megan.bowen@contoso.com/photos',
      '/v1.0/me/contacts',
      '/v1.0/me/people',
      '/api/v2.0/users/megan.bowen@contoso.com/photo',
    ];
    const policies = await Promise.all(
      paths.map(async (path) => {
        const answer = await request(t.bridge.server).get(path).set('Authorization', basic(READER)).set('ConsistencyLevel', 'eventual');
        return `${path} ${answer.status} ${answer.headers['cache-control']}`;
      }),
    );
    expect(policies).to.deep.equal(paths.map((path) => `${path} 200 private, no-cache`));
  });

  it('has the directory page’s API answers kept nowhere, not even in the browser’s disk cache', async () => {
    for (const path of ['/api/people', '/api/people?q=megan', '/api/me']) {
      const answer = await request(t.bridge.server).get(path).set('Authorization', basic(READER));
      expect(`${path} ${answer.status} ${answer.headers['cache-control']}`).to.equal(`${path} 200 no-store`);
    }
  });

  it('marks Autodiscover’s answers private too, written outside that app', async () => {
    const pox = await request(t.bridge.server)
      .post('/autodiscover/autodiscover.xml')
      .set('Authorization', basic(READER))
      .set('Content-Type', 'text/xml')
      .send(
        `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>${READER.username}</EMailAddress>` +
          '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>',
      );
    const json = await request(t.bridge.server).get(`/autodiscover/autodiscover.json/v1.0/${READER.username}?Protocol=EWS`);
    expect([pox.status, pox.headers['cache-control'], json.status, json.headers['cache-control']]).to.deep.equal([
      200,
      'private, no-cache',
      200,
      'private, no-cache',
    ]);
  });
});
