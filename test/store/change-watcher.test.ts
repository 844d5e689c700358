import { expect } from 'chai';
import { watchStoreChanges } from '../../src/store/change-watcher.js';
import type { Store } from '../../src/store/store.js';
import { eventually } from '../support/eventually.js';

/** A store whose change counter gives these answers, one per look (an Error: the look fails, as SQLITE_BUSY would). */
function countingStore(answers: (number | Error)[]): { store: Store; looks: () => number } {
  let looks = 0;
  const changeCounter = () => {
    const answer = answers[Math.min(looks++, answers.length - 1)]!;
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  return { store: { changeCounter } as unknown as Store, looks: () => looks };
}

async function changesHeard(answers: (number | Error)[]): Promise<number> {
  const { store, looks } = countingStore(answers);
  let changes = 0;
  const stop = watchStoreChanges(store, () => changes++, undefined, 5);
  await eventually(`the watcher's ${answers.length + 1} looks at the counter`, () => looks() > answers.length);
  stop();
  return changes;
}

describe('watchStoreChanges (polling the embedded store)', () => {
  it('hears each commit once, and nothing while the counter stays', async () => {
    expect(await changesHeard([5, 5, 6, 6, 7, 7])).to.equal(2);
  });

  it('counts a look that failed as a change once the counter is read again: a commit may have landed meanwhile', async () => {
    expect(await changesHeard([5, 5, new Error('SQLITE_BUSY'), 6, 6])).to.equal(1);
    expect(await changesHeard([5, new Error('SQLITE_BUSY'), 5, 5])).to.equal(1);
  });
});
