import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** One statement of a read: its SQL and parameters, and whether its first row is all that is wanted. */
export interface ReadStatement {
  sql: string;
  parameters: Record<string, string | number>;
  first?: boolean;
}

/** What a statement of a read answered: its rows, or its first row (undefined for none). */
export type ReadResult = unknown;

/** A failure of a read on the thread, as SQLite said it: its code (SQLITE_BUSY…) and message. */
export class ReadThreadError extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** How many statements the thread keeps prepared, by SQL: a folder's page and count per sort and restriction asked lately. */
const PREPARED_MAX = 64;

// A read-only connection of its own: in WAL mode it reads what was committed when each read
// began and never waits for the writer; a lock in the way (a checkpoint's restart) is waited
// for here, off the event loop. Each message is one read transaction, so a page and its count
// agree. Evaluated source rather than a file, so the same code runs from dist/ and under tsx.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { readonly: true, fileMustExist: true, timeout: workerData.busyTimeoutMs });
const prepared = new Map();
function statement(sql) {
  let found = prepared.get(sql);
  if (found) prepared.delete(sql);
  else found = db.prepare(sql);
  prepared.set(sql, found);
  if (prepared.size > workerData.preparedMax) prepared.delete(prepared.keys().next().value);
  return found;
}
const read = db.transaction((statements) =>
  statements.map(({ sql, parameters, first }) => (first ? statement(sql).get(parameters) : statement(sql).all(parameters))),
);
parentPort.on('message', (message) => {
  if (message === 'stop') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ id: message.id, results: read(message.statements) });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: { code: error.code, message: error.message } });
  }
});
`;

interface Pending {
  resolve(results: ReadResult[]): void;
  reject(error: Error): void;
}

/**
 * Reads of a SQLite file on a thread of their own, for the statements that may read every
 * contact of a mailbox (a restriction's or a QueryString's page and count, FindPeople's
 * contacts): SQLite cannot pause inside one statement, and a QueryString's count of 150,000
 * contacts held every other request 630 ms on the event loop. Only the rows asked for come
 * back (a page), so the copy between threads stays small. Should the thread fail, every read
 * in progress fails with it and `onFailure` lets the store read for itself again.
 */
export class SqliteReadThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private readonly exited: Promise<void>;

  constructor(path: string, busyTimeoutMs: number, onFailure: (error: Error) => void) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // Plain CommonJS: the parent's loaders (tsx in development) would only slow the start.
      execArgv: [],
      workerData: { path, busyTimeoutMs, preparedMax: PREPARED_MAX, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
    });
    // Held open only while a read is in progress: an idle thread keeps no process alive.
    this.worker.unref();
    this.worker.on('message', ({ id, results, error }: { id: number; results?: ReadResult[]; error?: { code?: string; message: string } }) => {
      const pending = this.pending.get(id)!;
      this.settled(id);
      if (error) pending.reject(new ReadThreadError(error.code, error.message));
      else pending.resolve(results!);
    });
    this.worker.once('error', (error) => {
      for (const [id, pending] of this.pending) {
        this.settled(id);
        pending.reject(error);
      }
      onFailure(error);
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  /** The statements' results, in order, read in one transaction on the thread. */
  read(statements: readonly ReadStatement[]): Promise<ReadResult[]> {
    const id = this.nextId++;
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, statements });
    });
  }

  async stop(): Promise<void> {
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }

  private settled(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }
}
