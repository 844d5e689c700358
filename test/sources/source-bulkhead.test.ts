import { expect } from 'chai';
import { BulkheadRejectedError } from 'cockatiel';
import { NO_PHOTO, type PhotoSource, type SourceAnswer } from '../../src/sources/photo-source.js';
import { resilient } from '../../src/sources/resilient-source.js';

describe('calls to a source are bounded: a few in flight, a queue, then refused at once', () => {
  it('runs 2 at once, queues 8, fails the 11th at once, and takes calls again as they finish', async () => {
    let running = 0;
    let mostRunning = 0;
    const waiting: (() => void)[] = [];
    const slow: PhotoSource = {
      name: 'slow',
      accepts: () => true,
      check: () => Promise.resolve([]),
      async fetch(): Promise<SourceAnswer> {
        running++;
        mostRunning = Math.max(mostRunning, running);
        await new Promise<void>((resolve) => waiting.push(resolve));
        running--;
        return NO_PHOTO;
      },
    };
    const source = resilient(slow, { timeoutMs: 10_000, retries: 0, breakerThreshold: 100, breakerHalfOpenMs: 1000, callsAtOnce: 2 });
    const call = () => source.fetch({ kind: 'user', emails: ['a@example.com'] }, AbortSignal.timeout(10_000));
    // One answer first: until one proves its credentials, a source is sent one lookup at a time (credential-gate.ts).
    const first = call();
    await new Promise((resolve) => setImmediate(resolve));
    waiting.splice(0).forEach((release) => release());
    expect(await first).to.equal(NO_PHOTO);

    const admitted = Array.from({ length: 10 }, call);
    const refused = await call().then(
      () => 'answered',
      (error: unknown) => error,
    );
    expect(refused).to.be.instanceOf(BulkheadRejectedError);
    // Let every call through, two at a time.
    while (waiting.length > 0 || running > 0) {
      waiting.splice(0).forEach((release) => release());
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(admitted)).to.deep.equal(new Array<SourceAnswer>(10).fill(NO_PHOTO));
    expect(mostRunning).to.equal(2);
    // Room again: the next call runs.
    const again = call();
    await new Promise((resolve) => setImmediate(resolve));
    waiting.splice(0).forEach((release) => release());
    expect(await again).to.equal(NO_PHOTO);
  });
});
