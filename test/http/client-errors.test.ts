import { expect } from 'chai';
import request from 'supertest';
import { createLogger } from '../../src/logger.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

/** A client's malformed request is a 4xx with a plain reason on every door: never a 500, never a stack in the log. */
describe('malformed requests the web framework refuses', () => {
  let t: TestBridge;
  const logged: Record<string, unknown>[] = [];

  before(async () => {
    t = await startTestBridge({}, createLogger('info', { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) }));
  });
  after(() => t.close());

  it('answers a route parameter whose percent-encoding does not decode with 400, before and whatever the login', async () => {
    const paths = ['/EWS/%', '/api/contacts/%/photo', '/api/attachments/%ZZ', '/v1.0/users/%/photo', '/v1.0/users/%E0%A4%A/photo', '/v1.0/me/contacts/%'];
    for (const path of paths) {
      const res = await request(t.bridge.server).get(path);
      expect([res.status, res.text.includes('URIError') || res.text.includes('    at ')], path).to.deep.equal([400, false]);
      if (path.startsWith('/v1.0/')) expect(res.body.error?.code, path).to.be.a('string');
    }
    expect(logged.filter((line) => (line.level as number) >= 50)).to.deep.equal([]);
  });

  it('answers a query string whose percent-encoding does not decode with 400, not a search for U+FFFD or for the escape as written', async () => {
    const photoUrls = [
      '/ews/exchange.asmx/s/GetUserPhoto?email=al%ZZ@contoso.com&size=HR96x96',
      '/owa/service.svc/s/GetPersonaPhoto?email=a@contoso.com&x=%FF',
    ];
    for (const path of [
      '/api/people?q=%E0%A4',
      '/api/people?q=al%ZZ',
      "/v1.0/users?$filter=startswith(displayName,'%E0')",
      '/v1.0/me/contacts?$top=%FF',
      ...photoUrls,
    ]) {
      const res = await request(t.bridge.server).get(path).set('Authorization', basic(READER)).set('ConsistencyLevel', 'eventual');
      expect([res.status, res.text.includes('not validly percent-encoded')], path).to.deep.equal([400, true]);
    }
    const accented = await request(t.bridge.server).get('/api/people?q=%C3%A9').set('Authorization', basic(READER));
    expect([accented.status, accented.body.q]).to.deep.equal([200, 'é']);
    expect(logged.filter((line) => (line.level as number) >= 50)).to.deep.equal([]);
  });
});
