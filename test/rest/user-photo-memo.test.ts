import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { userOwner } from '../../src/domain/photo-owner.js';
import { createLogger } from '../../src/logger.js';
import { createRequestContext } from '../../src/http/request-context.js';
import { createUserPhotoRoute, PARSED_QUERIES_MAX_BYTES, type UserPhotoRoute } from '../../src/rest/user-photo-route.js';
import { samplePhoto } from '../support/sample-images.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

/**
 * The photo URL remembers parsed queries. Only authenticated requests may add to that
 * memo, and it holds a bounded number of bytes however long the queries are.
 */
describe('the photo URL’s memo of parsed queries', () => {
  let t: TestBridge;
  let route: UserPhotoRoute;
  let server: Server;
  let base: string;

  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([{ email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} }]);
    await t.store.upsertUsers([{ email: 'megan.bowen@contoso.com', displayName: 'Megan Bowen', refs: {} }]);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(200, 200), 'test');
    await t.bridge.photos.setPhoto(userOwner('megan.bowen@contoso.com'), await samplePhoto(300, 300), 'test');
    // The route as the bridge builds it, on the bridge's own photo service and authenticator, so its memo can be read.
    route = createUserPhotoRoute({ photos: t.bridge.photos, auth: t.bridge.auth, log: createLogger('silent'), accessLog: false, photoMaxAgeSeconds: 60 });
    server = createServer((req, res) => {
      if (!route(createRequestContext(req, res))) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  /** `count` requests, 20 at a time, each with its own long query string; returns the statuses seen. */
  async function flood(count: number, headers: Record<string, string>): Promise<Set<number>> {
    const statuses = new Set<number>();
    let next = 0;
    const padding = 'p'.repeat(3500);
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < count) {
          const i = next++;
          const res = await fetch(`${base}/ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber@contoso.com&size=HR48x48&pad=${i}${padding}`, { headers });
          await res.arrayBuffer();
          statuses.add(res.status);
        }
      }),
    );
    return statuses;
  }

  it('stays empty after 2000 unauthenticated requests with distinct long queries', async () => {
    expect(await flood(1000, {})).to.deep.equal(new Set([401]));
    expect(await flood(1000, { authorization: 'Basic %%%' })).to.deep.equal(new Set([401]));
    expect(route.rememberedQueries).to.deep.equal({ count: 0, bytes: 0 });
  });

  it('remembers authenticated queries, within its byte bound however many there are', async () => {
    expect(await flood(2000, { authorization: basic(READER) })).to.deep.equal(new Set([200]));
    const { count, bytes } = route.rememberedQueries;
    expect(bytes).to.be.at.most(PARSED_QUERIES_MAX_BYTES);
    expect(count).to.be.greaterThan(0).and.lessThan(2000);
  });

  it('answers each request on a keep-alive connection for its own URL and Accept, not the one the connection asked before', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ask = (email: string, accept?: string) =>
      new Promise<{ status: number; type: string; etag: string; port: number }>((resolve, reject) => {
        const headers: Record<string, string> = { authorization: basic(READER), ...(accept ? { accept } : {}) };
        request(`${base}/ews/exchange.asmx/s/GetUserPhoto?email=${email}&size=HR48x48`, { agent, headers }, (res) => {
          const port = res.socket.localPort!;
          res.resume().on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), etag: String(res.headers.etag), port }));
        })
          .on('error', reject)
          .end();
      });
    try {
      const alex = await ask('alex.wilber@contoso.com');
      const megan = await ask('megan.bowen@contoso.com');
      const alexPng = await ask('alex.wilber@contoso.com', 'image/png');
      const alexAgain = await ask('alex.wilber@contoso.com');
      const answers = [alex, megan, alexPng, alexAgain];
      expect(new Set(answers.map((a) => a.port)).size, 'one connection').to.equal(1);
      expect(answers.map((a) => [a.status, a.type])).to.deep.equal([
        [200, 'image/jpeg'],
        [200, 'image/jpeg'],
        [200, 'image/png'],
        [200, 'image/jpeg'],
      ]);
      expect(new Set([alex.etag, megan.etag, alexPng.etag]).size).to.equal(3);
      expect(alexAgain.etag).to.equal(alex.etag);
    } finally {
      agent.destroy();
    }
  });
});
