import { expect } from 'chai';
import { retryUntil } from '../src/retry-until.js';

/** A clock that moves only when slept on or told to. */
function fakeClock() {
  let now = 0;
  const clock = { now: () => now, sleep: (ms: number) => Promise.resolve(void (now += ms)) };
  return { clock, at: () => now, pass: (ms: number) => void (now += ms) };
}

const POLICY = { firstDelayMs: 1000, maxDelayMs: 10_000, mayRetry: () => true, onRetry: () => {} };

/** The times each try started at, each failing after `tryMs` (a refused connection is not instant). */
async function triesWhileFailing(waitMs: number, tryMs = 0): Promise<{ triedAt: number[]; error: unknown }> {
  const { clock, at, pass } = fakeClock();
  const triedAt: number[] = [];
  const error = await retryUntil(
    () => {
      triedAt.push(at());
      pass(tryMs);
      return Promise.reject(new Error('down'));
    },
    { ...POLICY, waitMs, clock },
  ).catch((caught: unknown) => caught);
  return { triedAt, error };
}

describe('retryUntil: tries until the wait is over', () => {
  it('backs off 1, 2, 4, 8 s and makes its last try at the deadline (15 s)', async () => {
    const { triedAt, error } = await triesWhileFailing(15_000);
    expect(triedAt).to.deep.equal([0, 1000, 3000, 7000, 15_000]);
    expect((error as Error).message).to.equal('down');
  });

  it('cuts the last back-off short to try at the deadline when the tries themselves took time', async () => {
    const { triedAt } = await triesWhileFailing(15_000, 50);
    expect(triedAt).to.deep.equal([0, 1050, 3100, 7150, 15_000]);
  });

  it('waits at most 10 s between tries, and the last at 60 s', async () => {
    const { triedAt } = await triesWhileFailing(60_000);
    expect(triedAt).to.deep.equal([0, 1000, 3000, 7000, 15_000, 25_000, 35_000, 45_000, 55_000, 60_000]);
  });

  it('tries once with no wait', async () => {
    expect((await triesWhileFailing(0)).triedAt).to.deep.equal([0]);
  });

  it('answers what a later try returns, telling of each retry and its wait', async () => {
    const { clock } = fakeClock();
    const told: number[] = [];
    let tries = 0;
    const answer = await retryUntil(() => (++tries < 3 ? Promise.reject(new Error('down')) : Promise.resolve('up')), {
      ...POLICY,
      waitMs: 60_000,
      clock,
      onRetry: (_error, delayMs) => told.push(delayMs),
    });
    expect(answer).to.equal('up');
    expect(told).to.deep.equal([1000, 2000]);
  });

  it('throws a failure it may not retry at once', async () => {
    const { clock } = fakeClock();
    let tries = 0;
    const error = await retryUntil(
      () => {
        tries++;
        return Promise.reject(new Error('wrong password'));
      },
      { ...POLICY, waitMs: 60_000, clock, mayRetry: () => false },
    ).catch((caught: unknown) => caught);
    expect((error as Error).message).to.equal('wrong password');
    expect(tries).to.equal(1);
  });
});
