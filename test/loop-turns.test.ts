import { expect } from 'chai';
import { loopTurns } from '../src/loop-turns.js';

/** Turns measured on a clock the steps move, as holding the event loop that long would: no step waits on the real one. */
function turnsOnTestClock() {
  let now = 0;
  return { ...loopTurns(() => now), holdingTheLoop: (ms: number) => void (now += ms) };
}

describe('loop turns: long work lets other callbacks in', () => {
  it('maps in order, letting a callback queued before a long map run before its last item', async () => {
    const { mapInTurns, holdingTheLoop } = turnsOnTestClock();
    let made = 0;
    let itemsBeforeTheCallback: number | undefined;
    setImmediate(() => (itemsBeforeTheCallback = made));
    // Ten steps of 3 ms each: 30 ms in all, three times a turn's share.
    const mapped = await mapInTurns([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], (n) => {
      holdingTheLoop(3);
      made++;
      return n * 2;
    });
    expect(mapped).to.deep.equal([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(itemsBeforeTheCallback).to.be.a('number').and.be.below(10);
  });

  it('maps short work within the turn: nothing queued meanwhile runs before it is done', async () => {
    const { mapInTurns, holdingTheLoop } = turnsOnTestClock();
    let ranMeanwhile = false;
    setImmediate(() => (ranMeanwhile = true));
    const mapped = await mapInTurns(['a', 'b', 'c'], (s) => (holdingTheLoop(1), s.toUpperCase()));
    expect([mapped, ranMeanwhile]).to.deep.equal([['A', 'B', 'C'], false]);
  });
});

describe('loop turns: work that cannot pause starts in a turn with room', () => {
  it('runs forty steps due at once a few per turn, letting a callback queued meanwhile run before the last', async () => {
    const { inTurnWithRoom, holdingTheLoop } = turnsOnTestClock();
    let started = 0;
    let startedBeforeTheCallback: number | undefined;
    setImmediate(() => (startedBeforeTheCallback = started));
    await Promise.all(
      Array.from({ length: 40 }, () =>
        inTurnWithRoom(() => {
          // A store's query: 3 ms each, 120 ms in all.
          holdingTheLoop(3);
          started++;
        }),
      ),
    );
    expect(started).to.equal(40);
    expect(startedBeforeTheCallback).to.be.a('number').and.be.above(0).and.below(40);
  });

  it('starts at once in a turn that has room: nothing queued meanwhile runs first', async () => {
    const { inTurnWithRoom, holdingTheLoop } = turnsOnTestClock();
    let ranMeanwhile = false;
    setImmediate(() => (ranMeanwhile = true));
    await inTurnWithRoom(() => holdingTheLoop(1));
    expect(ranMeanwhile).to.equal(false);
  });
});
