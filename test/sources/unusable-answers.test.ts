import { expect } from 'chai';
import { BrokenCircuitError } from 'cockatiel';
import { BridgeError } from '../../src/domain/errors.js';
import type { ImageLimits } from '../../src/photos/image-limits.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { UnusableAnswerError, type PhotoReference, type PhotoSource, type SourceAnswer } from '../../src/sources/photo-source.js';
import { AnswerTooLarge } from '../../src/sources/outbound-http.js';
import { resilient } from '../../src/sources/resilient-source.js';
import { samplePhoto } from '../support/sample-images.js';

const LIMITS: ImageLimits = { maxInputBytes: 1024 * 1024, maxInputPixels: 40_000_000, jpegQuality: 85 };
const OPTIONS = { timeoutMs: 10_000, retries: 2, breakerThreshold: 3, breakerHalfOpenMs: 60_000 };
const REFERENCE: PhotoReference = { kind: 'user', emails: ['a@example.com'] };

/** A source answering `bytes` to every lookup, counting the lookups. */
function answering(bytes: () => Promise<Buffer>): PhotoSource & { calls: number } {
  return {
    name: 'fixed',
    calls: 0,
    accepts: () => true,
    check: () => Promise.resolve([]),
    async fetch(): Promise<SourceAnswer> {
      this.calls++;
      return { kind: 'photo', bytes: await bytes() };
    },
  };
}

const outcome = (promise: Promise<SourceAnswer>) =>
  promise.then(
    (answer) => answer,
    (error: unknown) => error,
  );

describe('what a source answers is checked within its call', () => {
  it('counts unusable bytes as failures: not asked again at once, and the breaker opens after a few, saying once why', async () => {
    const garbage = answering(() => Promise.resolve(Buffer.from('<html>not a photo</html>')));
    const opened: string[] = [];
    const source = resilient(garbage, { ...OPTIONS, usable: (bytes) => normalizePhoto(bytes, LIMITS), onOpen: (reason) => opened.push(reason) });
    const outcomes = [];
    for (let i = 0; i < 6; i++) outcomes.push(await outcome(source.fetch(REFERENCE, AbortSignal.timeout(10_000))));
    expect(outcomes.slice(0, 3).every((error) => error instanceof UnusableAnswerError)).to.equal(true);
    expect((outcomes[0] as Error).message).to.match(/^unusable image: /);
    expect(outcomes.slice(3).every((error) => error instanceof BrokenCircuitError)).to.equal(true);
    expect(garbage.calls, 'three lookups, none retried, none once the breaker opened').to.equal(3);
    expect(source.breakerState?.()).to.equal('open');
    expect(opened).to.deep.equal([(outcomes[2] as Error).message]);
  });

  it('asks no more than once when its own outbound policy refused the answer (over the size limit: read to the limit three times)', async () => {
    const oversized = answering(() => Promise.reject(new AnswerTooLarge('response larger than 10485760 bytes')));
    const source = resilient(oversized, OPTIONS);
    expect(await outcome(source.fetch(REFERENCE, AbortSignal.timeout(10_000)))).to.be.instanceOf(AnswerTooLarge);
    expect(oversized.calls).to.equal(1);
  });

  it('hands a usable photo on normalised, and the bridge’s own busy decoders count against no one', async () => {
    const good = answering(() => samplePhoto(100, 100));
    let busy = true;
    const source = resilient(good, {
      ...OPTIONS,
      usable: (bytes) => (busy ? Promise.reject(BridgeError.serverBusy('decoders busy', 1)) : normalizePhoto(bytes, LIMITS)),
    });
    for (let i = 0; i < 5; i++) expect(await outcome(source.fetch(REFERENCE, AbortSignal.timeout(10_000)))).to.be.instanceOf(BridgeError);
    expect(good.calls, 'busy is not retried').to.equal(5);
    expect(source.breakerState?.()).to.equal('closed');
    busy = false;
    const answer = await source.fetch(REFERENCE, AbortSignal.timeout(10_000));
    expect(answer.kind === 'photo' && answer.photo).to.include({ contentType: 'image/jpeg', width: 100, height: 100 });
  });
});
