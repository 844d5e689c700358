import { performance } from 'node:perf_hooks';
/**
 * Long answers (a FindItem of ten folders, 2,500 contacts) are made of many small steps
 * that never wait for I/O: without a pause they run in one turn of the event loop, and
 * forty of them at once kept every other request — /healthz included — waiting 5 s.
 * Between steps, such work asks `pauseIfLong`: once the current turn has run for
 * TURN_MS, it goes on in a later turn, after the I/O that arrived meanwhile.
 */
const TURN_MS = 10;

/** Closures over one turn's start, not methods: callers take them apart. */
export interface LoopTurns {
  /** Resolves in a later turn when this one has run long, else at once (undefined: nothing to await). */
  pauseIfLong: () => Promise<void> | undefined;
  /**
   * Runs `work` that cannot pause once begun (a store's query) in the first turn with room,
   * found just before it begins: forty pages whose queries were all due in one turn still ran
   * one after another in it (contact delta: /healthz waited 300–390 ms; 40–80 since).
   */
  inTurnWithRoom: <T>(work: () => T) => Promise<Awaited<T>>;
  /** `list.map(make)`, pausing between items whenever the turn has run long; resolves in a turn with room for what is done with the list. */
  mapInTurns: <T, R>(list: readonly T[], make: (item: T, index: number) => R) => Promise<R[]>;
}

/**
 * Turns measured on `now` (milliseconds on a clock that only moves forward). The process has
 * one event loop, so its work shares the one set below; a test makes its own on a clock it moves.
 */
export function loopTurns(now: () => number): LoopTurns {
  /** When the current turn's first pausable step ran; undefined until one runs. */
  let turnStartedAt: number | undefined;

  function turnIsLong(): boolean {
    const at = now();
    if (turnStartedAt === undefined) {
      turnStartedAt = at;
      // Cleared before the work it may have paused resumes (immediates run in order): that work starts a new turn.
      setImmediate(() => (turnStartedAt = undefined));
      return false;
    }
    return at - turnStartedAt > TURN_MS;
  }

  function pauseIfLong(): Promise<void> | undefined {
    return turnIsLong() ? new Promise((resolve) => setImmediate(resolve)) : undefined;
  }

  async function inTurnWithRoom<T>(work: () => T): Promise<Awaited<T>> {
    // Looked at again after each pause: others resumed in that turn may have used it up.
    for (let pause = pauseIfLong(); pause; pause = pauseIfLong()) await pause;
    return await work();
  }

  async function mapInTurns<T, R>(list: readonly T[], make: (item: T, index: number) => R): Promise<R[]> {
    const made: R[] = [];
    for (const [index, item] of list.entries()) {
      made.push(make(item, index));
      const pause = pauseIfLong();
      if (pause) await pause;
    }
    return inTurnWithRoom(() => made);
  }

  return { pauseIfLong, inTurnWithRoom, mapInTurns };
}

/** The process's turns, on the monotonic clock. */
export const PROCESS_TURNS = loopTurns(() => performance.now());
export const { pauseIfLong, inTurnWithRoom, mapInTurns } = PROCESS_TURNS;
