import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ShuttingDownError } from '../domain/errors.js';

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
parentPort.on('message', (statements) => {
  try {
    parentPort.postMessage({ results: read(statements) });
  } catch (error) {
    parentPort.postMessage({ error: { code: error.code, message: error.message } });
  }
});
`;

interface Queued {
  statements: readonly ReadStatement[];
  resolve(results: ReadResult[]): void;
  reject(error: Error): void;
}

/** A mailbox's reads waiting, and when it was last given a turn (0: not yet). */
interface Turns {
  queue: Queued[];
  lastTurn: number;
}

/**
 * Reads of a SQLite file on a thread of their own, for the statements that may read every
 * contact of a mailbox (a restriction's or a QueryString's page and count, FindPeople's
 * contacts, a sync's versions): SQLite cannot pause inside one statement, and a QueryString's
 * count of 150,000 contacts held every other request 630 ms on the event loop. Only the rows
 * asked for come back, so the copy between threads stays small.
 *
 * The thread reads one at a time, and the mailboxes take turns: each has a queue, and the
 * next read is the oldest of the mailbox that had a turn longest ago (or none yet). In arrival
 * order, one login's ten searches of 150,000 contacts kept another's waiting 4–11 s.
 *
 * Should the thread stop (a crash, a file it cannot open), every read queued fails with it
 * and `onFailure` is told, once.
 */
export class SqliteReadThread {
  private readonly worker: Worker;
  /** Reads waiting, by mailbox; a mailbox is kept while it has reads waiting or one being read. */
  private readonly turns = new Map<string, Turns>();
  private turnsGiven = 0;
  private reading: { mailbox: string; queued: Queued } | undefined;
  private stopped: Error | undefined;
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
    this.worker.on('message', ({ results, error }: { results?: ReadResult[]; error?: { code?: string; message: string } }) => {
      const { mailbox, queued } = this.reading!;
      this.reading = undefined;
      if (this.turns.get(mailbox)?.queue.length === 0) this.turns.delete(mailbox);
      if (error) queued.reject(new ReadThreadError(error.code, error.message));
      else queued.resolve(results!);
      this.next();
    });
    let failure: Error | undefined;
    this.worker.once('error', (error) => (failure = error));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', () => {
        const stopping = this.stopped !== undefined;
        this.fail(failure ?? new Error('the read thread stopped'));
        if (!stopping) onFailure(this.stopped!);
        resolve();
      }),
    );
  }

  /** The statements' results, in order, read in one transaction on the thread, in the mailbox's turn. */
  read(mailbox: string, statements: readonly ReadStatement[]): Promise<ReadResult[]> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => {
      const turns = this.turns.get(mailbox);
      if (turns) turns.queue.push({ statements, resolve, reject });
      else this.turns.set(mailbox, { queue: [{ statements, resolve, reject }], lastTurn: 0 });
      if (!this.reading) this.next();
    });
  }

  /** Ends the thread at once: its connection only reads, and what is still queued is answered by no one now. */
  async stop(): Promise<void> {
    this.stopped ??= new ShuttingDownError();
    await this.worker.terminate();
    await this.exited;
  }

  private next(): void {
    let chosen: [string, Turns] | undefined;
    for (const entry of this.turns) {
      if (entry[1].queue.length > 0 && (!chosen || entry[1].lastTurn < chosen[1].lastTurn)) chosen = entry;
    }
    if (!chosen) {
      this.worker.unref();
      return;
    }
    const [mailbox, turns] = chosen;
    turns.lastTurn = ++this.turnsGiven;
    this.reading = { mailbox, queued: turns.queue.shift()! };
    this.worker.ref();
    this.worker.postMessage(this.reading.queued.statements);
  }

  private fail(error: Error): void {
    this.stopped ??= error;
    const waiting = [...(this.reading ? [this.reading.queued] : []), ...[...this.turns.values()].flatMap((turns) => turns.queue)];
    this.reading = undefined;
    this.turns.clear();
    for (const queued of waiting) queued.reject(this.stopped);
  }
}
