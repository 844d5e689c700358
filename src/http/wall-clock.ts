/**
 * The wall-clock time (ms since the epoch) of `performance.now()` readings. A request's start
 * is read once, on the monotonic clock; `Date.now()` is a call into V8's runtime (some 200
 * instructions under callgrind), so the two clocks' difference is read again only every
 * WALL_CLOCK_MS: a clock stepped by NTP shows this soon. `Date.now()` has whole milliseconds,
 * so a difference within one of the one in use is the same one read again, and is not taken:
 * times a few milliseconds apart stay exactly that far apart across a reading.
 */
export class WallClock {
  private offset = 0;
  private readUntil = -Infinity;

  at(monotonic: number): number {
    if (monotonic >= this.readUntil) {
      const read = Date.now() - monotonic;
      if (Math.abs(read - this.offset) >= 1) this.offset = read;
      this.readUntil = monotonic + WALL_CLOCK_MS;
    }
    return this.offset + monotonic;
  }
}

const WALL_CLOCK_MS = 100;
