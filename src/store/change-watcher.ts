import type { Store } from './store.js';

/**
 * Notices commits made by other processes (the CLI importing while the server runs)
 * by polling SQLite's data_version, and tells the caches to let go. Commits made
 * through this process invalidate directly and do not wait for the poll.
 */
export function watchStoreChanges(store: Store, onChange: () => void, intervalMs = 1000): () => void {
  let last: number | undefined;
  const timer = setInterval(() => {
    store.changeCounter().then(
      (current) => {
        if (last !== undefined && current !== last) onChange();
        last = current;
      },
      () => undefined,
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
