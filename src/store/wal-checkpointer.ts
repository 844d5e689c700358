import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the WAL is copied back; a checkpoint with nothing to copy costs microseconds. */
const CHECKPOINT_INTERVAL_MS = 1000;

// PASSIVE never waits for, nor blocks, readers and writers; a busy answer (another process
// checkpointing) is simply tried again at the next tick. Evaluated source rather than a file,
// so the same code runs from dist/ and under tsx.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true, timeout: 0 });
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    if (!/^SQLITE_(BUSY|LOCKED)/.test(error.code)) throw error;
  }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface WalCheckpointer {
  stop(): Promise<void>;
}

/**
 * Checkpoints a WAL database from a worker thread, so that the server's own connection
 * never does (its `wal_autocheckpoint` is 0): SQLite otherwise checkpoints inside the
 * COMMIT that finds the WAL long, and after another process's 200 k-user import that
 * commit — one admin upload — copied ~40 MB on the event loop. Should the thread fail,
 * `onFailure` lets the connection checkpoint for itself again.
 */
export function startWalCheckpointer(path: string, onFailure: (error: Error) => void): WalCheckpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    // Plain CommonJS: the parent's loaders (tsx in development) would only slow the start.
    execArgv: [],
    workerData: { path, driver: createRequire(import.meta.url).resolve('better-sqlite3'), intervalMs: CHECKPOINT_INTERVAL_MS },
  });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.once('error', onFailure);
  return {
    async stop() {
      // Referenced again so that a process with nothing else to do still waits for the thread to close its connection.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
