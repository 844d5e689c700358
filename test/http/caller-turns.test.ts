import { expect } from 'chai';
import type { RequestContext } from '../../src/http/request-context.js';
import { callerTurn, MADE_AT_ONCE } from '../../src/http/caller-turns.js';
import { rejectionOf } from '../support/rejection.js';

const callerContext = (username: string) => ({ principal: { username, role: 'user' }, clientAddress: '192.0.2.1' }) as unknown as RequestContext;

describe('images made for each caller in turn', () => {
  it(`makes ${MADE_AT_ONCE} images of a caller’s at once and queues 64, refuses the next with ErrorServerBusy; other callers go on`, async () => {
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
    const admitted = Array.from({ length: MADE_AT_ONCE + 64 }, () => callerTurn(mallory)(make));
    const refused = await rejectionOf(callerTurn(mallory)(make));
    expect(refused).to.include({ responseCode: 'ErrorServerBusy', httpStatus: 503 });
    expect(await callerTurn(callerContext('victim@example.com'))(() => Promise.resolve('victim served'))).to.equal('victim served');
    while (release.length > 0) {
      release.splice(0).forEach((done) => done());
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(admitted)).to.have.length(MADE_AT_ONCE + 64);
    expect(mostRunning).to.equal(MADE_AT_ONCE);
    // Her turn is free again.
    expect(await callerTurn(mallory)(() => Promise.resolve('made again'))).to.equal('made again');
  });

  it('counts a caller without a login by its network: an IPv6 client by its /64', async () => {
    const stranger = (clientAddress: string) => ({ clientAddress }) as unknown as RequestContext;
    let release = (_made: string) => {};
    const held = new Promise<string>((resolve) => (release = resolve));
    const admitted = Array.from({ length: MADE_AT_ONCE + 64 }, (_, i) => callerTurn(stranger(`2001:db8:1:2::${i.toString(16)}`))(() => held));
    expect(await rejectionOf(callerTurn(stranger('2001:db8:1:2:ffff::9'))(() => held))).to.include({ responseCode: 'ErrorServerBusy' });
    expect(await callerTurn(stranger('2001:db8:1:3::1'))(() => Promise.resolve('another network served'))).to.equal('another network served');
    release('made');
    expect(await Promise.all(admitted)).to.have.length(MADE_AT_ONCE + 64);
  });
});
