/** Keeps the thread busy for `ms` without waiting for anything, as a step of a long answer made from a synchronous store does. */
export function busyFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}
