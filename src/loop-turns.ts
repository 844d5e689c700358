import { performance } from 'node:perf_hooks';
/**
 * Long answers (a FindItem of ten folders, 2,500 contacts) are made of many small steps
 * that never wait for I/O: without a pause they run in one turn of the event loop, and
 * forty of them at once kept every other request — /healthz included — waiting 5 s.
 * Between steps, such work asks `pauseIfLong`: once the current turn has run for
 * TURN_MS, it goes on in a later turn, after the I/O that arrived meanwhile.
 */
const TURN_MS = 10;

/** When the current turn's first pausable step ran; undefined until one runs. */
let turnStartedAt: number | undefined;

function turnIsLong(): boolean {
  const now = performance.now();
  if (turnStartedAt === undefined) {
    turnStartedAt = now;
    // Cleared before the work it may have paused resumes (immediates run in order): that work starts a new turn.
    setImmediate(() => (turnStartedAt = undefined));
    return false;
  }
  return now - turnStartedAt > TURN_MS;
}

/** Resolves in a later turn when this one has run long, else at once (undefined: nothing to await). */
export function pauseIfLong(): Promise<void> | undefined {
  return turnIsLong() ? new Promise((resolve) => setImmediate(resolve)) : undefined;
}

/**
 * Runs `work` that cannot pause once begun (a store's query) in the first turn with room,
 * found just before it begins: forty pages whose queries were all due in one turn still ran
 * one after another in it (contact delta: /healthz waited 300–390 ms; 40–80 since).
 */
export async function inTurnWithRoom<T>(work: () => T): Promise<Awaited<T>> {
  // Looked at again after each pause: others resumed in that turn may have used it up.
  for (let pause = pauseIfLong(); pause; pause = pauseIfLong()) await pause;
  return await work();
}

/** `list.map(make)`, pausing between items whenever the turn has run long; resolves in a turn with room for what is done with the list. */
export async function mapInTurns<T, R>(list: readonly T[], make: (item: T) => R): Promise<R[]> {
  const made: R[] = [];
  for (const item of list) {
    made.push(make(item));
    const pause = pauseIfLong();
    if (pause) await pause;
  }
  return inTurnWithRoom(() => made);
}
