import type { BridgeError } from '../domain/errors.js';
import type { Store } from './store.js';

/** A store that is told of other processes' commits as they happen (PostgreSQL's LISTEN/NOTIFY). */
export interface ChangeFeed {
  /** Calls `listener` after another process commits, and `status` when it stops and starts hearing them; returns the way to stop. */
  subscribeToChanges(listener: () => void, status?: (listening: boolean) => void): () => void;
  /** Whether other processes' commits are heard now, and how often the connection hearing them was lost. */
  changeFeedStatus(): { listening: boolean; losses: number };
}

/** What happened to the embedded store's file under it: renamed over, deleted, restored to an older schema in place, or migrated by a newer bridge. */
export type FileChange = 'replaced' | 'removed' | 'restored' | 'upgraded';

/** What the embedded store tells of its file and threads, for the log and the metrics. */
export interface EmbeddedStoreEvents {
  /** Calls `listener` when its path no longer names the file it opened, or that file went back to an older schema (once), or on to a newer one (once per version); found by the change poll, a ping or a failed statement. */
  onFileReplaced(listener: (path: string, how: FileChange) => void): void;
  /** Calls `listener` each time the thread that reads large mailboxes stops: the store reads them on the event loop until it starts another. */
  onReadThreadFailure(listener: (error: Error, restartInMs: number) => void): void;
  /** How many times that thread has stopped on its own. */
  readThreadFailureCount(): number;
}

/** What a store on a database server tells of it, for the log. */
export interface ServerStoreEvents {
  /** Calls `listener` with each failure to reach the server (refused, ended, shutting down): an outage, told apart from busy. */
  onUnreachable(listener: (error: Error) => void): void;
  /** Calls `listener` when a ping or a failed statement finds the database's schema not this bridge's (a restore, a newer replica), once per version found. */
  onSchemaNotThisBridges(listener: (problem: BridgeError) => void): void;
}

/**
 * Tells the caches to let go when another process commits to the store: the CLI
 * importing while the server runs, another replica's admin upload or source refresh.
 * A store that announces commits is listened to; the embedded one is polled (SQLite's
 * data_version). Commits made through this process invalidate directly and do not
 * wait for either.
 */
export function watchStoreChanges(store: Store, onChange: () => void, onListening?: (listening: boolean) => void, intervalMs = 1000): () => void {
  if (isChangeFeed(store)) return store.subscribeToChanges(onChange, onListening);
  // The baseline is read now, not at the first tick: a commit made in between must count.
  // A look that failed leaves the count unknown (undefined), and a commit may have gone
  // unseen meanwhile: the next look that succeeds counts as a change.
  let last: Promise<number | undefined> = store.changeCounter().catch(() => undefined);
  const timer = setInterval(() => {
    last = Promise.all([last, store.changeCounter()]).then(
      ([before, current]) => {
        if (current !== before) onChange();
        return current;
      },
      () => undefined,
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

export function isChangeFeed(store: Store): store is Store & ChangeFeed {
  return typeof (store as Partial<ChangeFeed>).subscribeToChanges === 'function';
}

export function hasServerStoreEvents(store: Store): store is Store & ServerStoreEvents {
  return typeof (store as Partial<ServerStoreEvents>).onUnreachable === 'function';
}

export function hasEmbeddedStoreEvents(store: Store): store is Store & EmbeddedStoreEvents {
  return typeof (store as Partial<EmbeddedStoreEvents>).onFileReplaced === 'function';
}
