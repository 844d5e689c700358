import { expect } from 'chai';
import type { PhotoSize } from '../../src/domain/size-code.js';
import type { RequestContext } from '../../src/http/request-context.js';
import { conversionRequestOf } from '../../src/rest/conversion-query.js';
import { inCallersTurn } from '../../src/rest/conversion-turns.js';
import { rejectionOf } from '../support/rejection.js';

const callerContext = (username: string) => ({ principal: { username, role: 'user' }, clientAddress: '192.0.2.1' }) as unknown as RequestContext;

describe('photo conversions: one result per name, and each caller in turn', () => {
  it('drops a width or height no smaller than the photo size: it bounds nothing', () => {
    const of = (query: string, size: PhotoSize) => conversionRequestOf(new URLSearchParams(query), undefined, size)?.conversion;
    expect(of('w=49&type=png', 48)).to.deep.equal({ type: 'png' });
    expect(of('w=600&h=48&type=png', 48)).to.deep.equal({ type: 'png' });
    expect(of('w=40&h=600&type=png', 48)).to.deep.equal({ width: 40, type: 'png' });
    // Nothing left to change: no conversion at all, the plain photo.
    expect(conversionRequestOf(new URLSearchParams('w=96'), undefined, 96)).to.equal(undefined);
  });

  it('makes 4 of a caller’s conversions at once and queues 64, refuses the next with ErrorServerBusy; other callers go on', async () => {
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
    const admitted = Array.from({ length: 68 }, () => inCallersTurn(mallory, make));
    const refused = await rejectionOf(inCallersTurn(mallory, make));
    expect(refused).to.include({ responseCode: 'ErrorServerBusy', httpStatus: 503 });
    expect(await inCallersTurn(callerContext('victim@example.com'), () => Promise.resolve('victim served'))).to.equal('victim served');
    while (release.length > 0) {
      release.splice(0).forEach((done) => done());
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(admitted)).to.have.length(68);
    expect(mostRunning).to.equal(4);
    // Her turn is free again.
    expect(await inCallersTurn(mallory, () => Promise.resolve('made again'))).to.equal('made again');
  });
});
