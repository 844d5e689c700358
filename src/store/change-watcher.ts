import type { Store } from './store.js';

/**
 * Notices commits made by other processes (the CLI importing while the server runs)
 * by polling SQLite's data_version, and tells the caches to let go. Commits made
 * through this process invalidate directly and do not wait for the poll.
 */
export function watchStoreChanges(store: Store, onChange: () => void, intervalMs = 1000): () => void {
  // The baseline is read now, not at the first tick: a commit made in between must count.
  let last: Promise<number | undefined> = store.changeCounter().catch(() => undefined);
  const timer = setInterval(() => {
    last = Promise.all([last, store.changeCounter()]).then(
      ([before, current]) => {
        if (before !== undefined && current !== before) onChange();
        return current;
      },
      () => undefined,
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
