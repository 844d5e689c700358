import { expect } from 'chai';
import request from 'supertest';
import { gzipSync } from 'node:zlib';
import { envelope } from '../support/soap.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

/** A request body in a content coding is none the bridge reads: 415, as RFC 9110 §8.4 answers a coding not supported, not the coded bytes taken for text. */
describe('a request body with a Content-Encoding', () => {
  let t: TestBridge;
  before(async () => (t = await startTestBridge()));
  after(() => t.close());

  const RESOLVE = envelope('<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>reader</m:UnresolvedEntry></m:ResolveNames>');
  const BATCH = JSON.stringify({ requests: [{ id: '1', method: 'GET', url: '/me' }] });
  // superagent writes a Buffer as JSON when the type is JSON: text is sent as it is.
  const post = (path: string, type: string, body: string | Buffer, coding?: string) => {
    const test = request(t.bridge.server).post(path).set('Authorization', basic(READER)).set('Content-Type', type);
    return (coding ? test.set('Content-Encoding', coding) : test).send(body);
  };

  it('is refused with 415 on SOAP (a fault) and on Graph’s $batch (a Graph error), gzip or any other', async () => {
    const soap = await post('/EWS/Exchange.asmx', 'text/xml', gzipSync(RESOLVE), 'gzip');
    expect([soap.status, soap.text.includes('Content-Encoding &apos;gzip&apos;; send it without one</faultstring>')]).to.deep.equal([415, true]);
    const batch = await post('/v1.0/$batch', 'application/json', BATCH, 'br');
    expect([batch.status, (batch.body as { error: { message: string } }).error.message]).to.deep.equal([
      415,
      "the request body is sent with Content-Encoding 'br'; send it without one",
    ]);
  });

  it('is read as it is with Content-Encoding: identity, as without one', async () => {
    expect((await post('/EWS/Exchange.asmx', 'text/xml', RESOLVE, 'identity')).status).to.equal(200);
    expect((await post('/v1.0/$batch', 'application/json', BATCH, 'Identity')).status).to.equal(200);
  });
});
