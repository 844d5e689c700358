import type { IncomingMessage } from 'node:http';
import { expect } from 'chai';
import { DIRECT } from '../../src/http/addressing.js';
import { requestIdOf } from '../../src/http/request-id.js';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { envelope } from '../support/soap.js';
import { samplePhoto } from '../support/sample-images.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

describe('request ids', () => {
  const bare = { headers: {}, socket: { remoteAddress: '192.0.2.7' } } as unknown as IncomingMessage;

  it("stay unique and within 12 characters past the counter's fourth digit (a longer id is a rope V8 flattens in every header check)", () => {
    // Past 46,656 (36^3) ids the counter has four base-36 digits: with an 8-character prefix, ids of 13.
    const ids = Array.from({ length: 50_000 }, () => requestIdOf(bare, DIRECT));
    expect(new Set(ids).size).to.equal(ids.length);
    expect(Math.max(...ids.map((id) => id.length))).to.be.at.most(12);
    expect(ids.at(-1)).to.match(/^[0-9a-f]{6}-[0-9a-z]{1,5}$/);
  });
});

describe("a client's own request id (client-request-id)", () => {
  let t: TestBridge;
  const photoPath = '/ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber@contoso.com&size=HR48x48';
  const id = '{9E3C2E1B-7F2D-4B77-A1C4-2B7E5D3F6A10}';

  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([{ email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} }]);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(100, 100), 'test');
  });
  after(() => t.close());

  const ask = (send: (agent: ReturnType<typeof request>) => request.Test, headers: Record<string, string>) => {
    let test = send(request(t.bridge.server)).set('Authorization', basic(READER));
    for (const [name, value] of Object.entries(headers)) test = test.set(name, value);
    return test;
  };
  const doors: [string, (agent: ReturnType<typeof request>) => request.Test][] = [
    ['the photo URL', (agent) => agent.get(photoPath)],
    [
      'SOAP',
      (agent) =>
        agent
          .post('/EWS/Exchange.asmx')
          .set('Content-Type', 'text/xml')
          .send(envelope('<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>alex</m:UnresolvedEntry></m:ResolveNames>')),
    ],
    ['Graph', (agent) => agent.get('/v1.0/me')],
    ['Autodiscover', (agent) => agent.get('/autodiscover/autodiscover.json/v1.0/alex.wilber@contoso.com?Protocol=EWS')],
  ];

  it('is sent back on every door when the request says return-client-request-id: true, as Exchange does', async () => {
    for (const [door, send] of doors) {
      // Twice: the second photo answer comes from the cache, on the hot path.
      for (const round of [1, 2]) {
        const res = await ask(send, { 'client-request-id': id, 'return-client-request-id': 'True' });
        expect([res.status, res.headers['client-request-id']], `${door} ${round}`).to.deep.equal([200, id]);
      }
    }
  });

  it('is not sent back unasked, nor when it is no sane id; the request is answered as without it', async () => {
    for (const [door, send] of doors) {
      for (const headers of <Record<string, string>[]>[
        { 'client-request-id': id },
        { 'client-request-id': 'a b<c>', 'return-client-request-id': 'true' },
        { 'client-request-id': 'x'.repeat(129), 'return-client-request-id': 'true' },
      ]) {
        const res = await ask(send, headers);
        expect([res.status, res.headers['client-request-id']], `${door} ${JSON.stringify(headers).slice(0, 60)}`).to.deep.equal([200, undefined]);
      }
    }
  });
});
