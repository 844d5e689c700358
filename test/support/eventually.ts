import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits for something another process, connection or timer makes happen, by asking until it
 * holds: a fixed sleep guesses how long that takes, too short on a slow host and wasted on a
 * fast one. Past the deadline the test fails, saying what never happened.
 */
export async function eventually(what: string, holds: () => boolean | Promise<boolean>, deadlineMs = 10_000): Promise<void> {
  const deadline = performance.now() + deadlineMs;
  while (!(await holds())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await sleep(10);
  }
}
