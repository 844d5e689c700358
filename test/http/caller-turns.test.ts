import { once } from 'node:events';
import { Agent, get } from 'node:http';
import { expect } from 'chai';
import { userOwner } from '../../src/domain/photo-owner.js';
import type { RequestContext } from '../../src/http/request-context.js';
import { callerTurn, MADE_AT_ONCE, MADE_WAITING } from '../../src/http/caller-turns.js';
import { rejectionOf } from '../support/rejection.js';
import { samplePhoto } from '../support/sample-images.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const callerContext = (username: string) => ({ principal: { username, role: 'user' }, clientAddress: '192.0.2.1' }) as unknown as RequestContext;

describe('images made for each caller in turn', () => {
  it(`makes ${MADE_AT_ONCE} images of a caller’s at once and queues ${MADE_WAITING}, refuses the next with ErrorServerBusy; other callers go on`, async () => {
    const mallory = callerContext('mallory@example.com');
    let running = 0;
    let mostRunning = 0;
    const release: (() => void)[] = [];
    const make = () =>
      new Promise<string>((resolve) => {
        running++;
        mostRunning = Math.max(mostRunning, running);
        release.push(() => {
          running--;
          resolve('made');
        });
      });
    const admitted = Array.from({ length: MADE_AT_ONCE + MADE_WAITING }, () => callerTurn(mallory)(make));
    const refused = await rejectionOf(callerTurn(mallory)(make));
    expect(refused).to.include({ responseCode: 'ErrorServerBusy', httpStatus: 503 });
    expect(await callerTurn(callerContext('victim@example.com'))(() => Promise.resolve('victim served'))).to.equal('victim served');
    while (release.length > 0) {
      release.splice(0).forEach((done) => done());
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(admitted)).to.have.length(MADE_AT_ONCE + MADE_WAITING);
    expect(mostRunning).to.equal(MADE_AT_ONCE);
    // Her turn is free again.
    expect(await callerTurn(mallory)(() => Promise.resolve('made again'))).to.equal('made again');
  });

  it('counts a caller without a login by its network: an IPv6 client by its /64', async () => {
    const stranger = (clientAddress: string) => ({ clientAddress }) as unknown as RequestContext;
    let release = (_made: string) => {};
    const held = new Promise<string>((resolve) => (release = resolve));
    const admitted = Array.from({ length: MADE_AT_ONCE + MADE_WAITING }, (_, i) => callerTurn(stranger(`2001:db8:1:2::${i.toString(16)}`))(() => held));
    expect(await rejectionOf(callerTurn(stranger('2001:db8:1:2:ffff::9'))(() => held))).to.include({ responseCode: 'ErrorServerBusy' });
    expect(await callerTurn(stranger('2001:db8:1:3::1'))(() => Promise.resolve('another network served'))).to.equal('another network served');
    release('made');
    expect(await Promise.all(admitted)).to.have.length(MADE_AT_ONCE + MADE_WAITING);
  });
});

describe('a page of many photos no cache holds, asked for at once by one login (HTTP/2 through a proxy asks for them all)', () => {
  const PEOPLE = 200;
  let t: TestBridge;
  let port: number;
  before(async () => {
    t = await startTestBridge();
    const people = Array.from({ length: PEOPLE }, (_, i) => ({ email: `person${i}@example.com`, displayName: `Person ${i}`, refs: {} }));
    await t.store.upsertUsers(people);
    const photo = await samplePhoto(300, 300);
    for (const person of people) await t.bridge.photos.setPhoto(userOwner(person.email), photo, 'test');
    const server = t.bridge.server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });
  after(() => t.close());

  it(`answers all ${PEOPLE}, none refused for being too many at once`, async () => {
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    try {
      const statuses = await Promise.all(
        Array.from({ length: PEOPLE }, (_, i) =>
          fetchStatus(`http://127.0.0.1:${port}/ews/exchange.asmx/s/GetUserPhoto?email=person${i}%40example.com&size=HR240x240`, agent),
        ),
      );
      expect(statuses.filter((status) => status !== 200)).to.deep.equal([]);
    } finally {
      agent.destroy();
    }
  });
});

function fetchStatus(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent, headers: { authorization: basic(READER) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}
