import { expect } from 'chai';
import request from 'supertest';
import { MAX_URL_LENGTH } from '../../src/http/request-target.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

describe(`URLs longer than ${MAX_URL_LENGTH} characters`, () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
  });
  after(() => t.close());

  /** A URL of exactly `length` characters: the path, then a query padded to fit. */
  const urlOf = (path: string, length: number) => `${path}?pad=${'a'.repeat(length - path.length - 5)}`;

  it('are refused with 414 on the photo URL, before credentials are even looked at', async () => {
    const url = urlOf('/ews/exchange.asmx/s/GetUserPhoto', MAX_URL_LENGTH + 1);
    const res = await request(t.bridge.server).get(url).set('Authorization', basic(READER)).expect(414);
    expect(res.text).to.match(/longer than 4096/);
    expect(res.headers['request-id']).to.be.a('string');
    await request(t.bridge.server).get(url).expect(414);
  });

  it('are refused with 414 on every other path too (Express routes, SOAP, unknown paths)', async () => {
    await request(t.bridge.server)
      .get(urlOf('/api/people', MAX_URL_LENGTH + 1))
      .set('Authorization', basic(READER))
      .expect(414);
    await request(t.bridge.server)
      .post(urlOf('/EWS/Exchange.asmx', MAX_URL_LENGTH + 1))
      .set('Authorization', basic(READER))
      .send('<x/>')
      .expect(414);
    await request(t.bridge.server)
      .get(`/${'p'.repeat(MAX_URL_LENGTH)}`)
      .expect(414);
  });

  it('at the limit are still answered', async () => {
    await request(t.bridge.server).get(urlOf('/ews/exchange.asmx/s/GetUserPhoto', MAX_URL_LENGTH)).expect(401);
    await request(t.bridge.server).get(urlOf('/api/people', MAX_URL_LENGTH)).set('Authorization', basic(READER)).expect(200);
  });
});
