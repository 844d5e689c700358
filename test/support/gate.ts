/** A promise and the function that settles it: work held (a decode slot, a thread's turn) until the test lets go. */
export function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}
