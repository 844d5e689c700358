import { expect } from 'chai';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { samplePhoto } from '../support/sample-images.js';
import { envelope } from '../support/soap.js';
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

  it('has every SOAP answer kept nowhere: photos, lists, errors, faults, Autodiscover’s', async () => {
    const soap = (path: string, body: string) =>
      request(t.bridge.server).post(path).set('Authorization', basic(READER)).set('Content-Type', 'text/xml; charset=utf-8').send(body);
    const kinds = {
      photo: envelope('<m:GetUserPhoto><m:Email>megan.bowen@contoso.com</m:Email><m:SizeRequested>HR48x48</m:SizeRequested></m:GetUserPhoto>'),
      streamed: envelope(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds></m:FindItem>',
      ),
      unsupported: envelope('<m:ExpandDL><m:Mailbox><t:EmailAddress>team@contoso.com</t:EmailAddress></m:Mailbox></m:ExpandDL>'),
      'unsupported, own shape': envelope('<m:GetRoomLists/>'),
      undeclared: envelope('<ResolveNames xmlns="https://schemas.microsoft.com/exchange/services/2006/messages"/>'),
      malformed: '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><m:GetItem>',
    };
    const answers = await Promise.all(
      Object.entries(kinds).map(async ([kind, body]) => {
        const answer = await soap('/EWS/Exchange.asmx', body);
        return `${kind} ${answer.status} ${answer.headers['cache-control']}`;
      }),
    );
    const autodiscover = await soap('/autodiscover/autodiscover.svc', '<soap:Envelope');
    answers.push(`autodiscover ${autodiscover.status} ${autodiscover.headers['cache-control']}`);
    expect(answers).to.deep.equal([
      'photo 200 no-store',
      'streamed 200 no-store',
      'unsupported 200 no-store',
      'unsupported, own shape 500 no-store',
      'undeclared 500 no-store',
      'malformed 500 no-store',
      'autodiscover 500 no-store',
    ]);
  });
});
