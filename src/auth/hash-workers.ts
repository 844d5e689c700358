import { Worker } from 'node:worker_threads';
import { BridgeError, ShuttingDownError } from '../domain/errors.js';

export interface ScryptJob {
  password: string;
  salt: Buffer;
  N: number;
  r: number;
  p: number;
  keyLength: number;
  maxmem: number;
}

export interface HashWorkersOptions {
  /** Threads that run scrypt; one keeps logins from ever taking more than one core. */
  workers: number;
  /** Derivations that may wait for a thread; beyond it callers get ErrorServerBusy. */
  maxQueued: number;
}

// scryptSync on purpose: inside the worker it blocks only that thread, whereas the async
// form would queue on libuv's thread pool, the very pool sharp's image work runs on.
// Evaluated source rather than a file, so the same code runs from dist/ and under tsx;
// getBuiltinModule works whether Node evaluates it as a script or as a module.
const WORKER_SOURCE = `
const { parentPort } = process.getBuiltinModule('node:worker_threads');
const { scryptSync } = process.getBuiltinModule('node:crypto');
parentPort.on('message', ({ id, job }) => {
  try {
    const key = scryptSync(job.password, job.salt, job.keyLength, { N: job.N, r: job.r, p: job.p, maxmem: job.maxmem });
    parentPort.postMessage({ id, key });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

interface Pending {
  job: ScryptJob;
  /** Whose turn it waits in (`derive`'s `site`). */
  site: string;
  resolve(key: Buffer): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  busy?: { id: number; pending: Pending };
}

const busy = () => BridgeError.serverBusy('too many logins are being checked; try again shortly', 1);

/**
 * A small pool of worker threads for password hashing, apart from the libuv pool, with a
 * bounded queue: a flood of distinct wrong passwords costs at most `workers` cores and
 * `maxQueued` waiting jobs, and never slows image conversions. Threads start on first
 * use and are unreferenced while idle, so they never keep a process alive.
 *
 * The queue is shared fairly between sites (`derive`): a full queue makes room for a site
 * with fewer jobs waiting than the site with most, whose newest job is refused instead, and a
 * thread takes the oldest job of a site with fewest waiting. First come, first served, one
 * site's wrong logins over 256 networks kept the queue full, and every other login got 503.
 */
export class HashWorkers {
  private readonly threads: Thread[] = [];
  private readonly queue: Pending[] = [];
  /** The jobs in `queue` of each site. */
  private readonly waiting = new Map<string, number>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly options: HashWorkersOptions) {}

  /** `site`: whose turn the job waits in, a client's site (clientSite) for a login; jobs of no one's share one. */
  derive(job: ScryptJob, site = ''): Promise<Buffer> {
    if (this.closed) return Promise.reject(new ShuttingDownError());
    const idle = this.idleThread();
    if (!idle && this.queue.length >= this.options.maxQueued && !this.madeRoomFor(site)) return Promise.reject(busy());
    return new Promise((resolve, reject) => {
      const pending = { job, site, resolve, reject };
      if (idle) this.start(idle, pending);
      else {
        this.queue.push(pending);
        this.waiting.set(site, (this.waiting.get(site) ?? 0) + 1);
      }
    });
  }

  /** Ends the threads; jobs still waiting or running fail. */
  async close(): Promise<void> {
    this.closed = true;
    const stopped = new ShuttingDownError();
    this.waiting.clear();
    for (const pending of this.queue.splice(0)) pending.reject(stopped);
    await Promise.all(
      this.threads.splice(0).map((thread) => {
        thread.busy?.pending.reject(stopped);
        return thread.worker.terminate();
      }),
    );
  }

  private idleThread(): Thread | undefined {
    const idle = this.threads.find((thread) => !thread.busy);
    if (idle || this.threads.length >= this.options.workers) return idle;
    // No execArgv: the worker needs none of the parent's loaders or flags (tsx, --input-type).
    const thread: Thread = { worker: new Worker(WORKER_SOURCE, { eval: true, execArgv: [] }) };
    thread.worker.unref();
    thread.worker.on('message', (message: { id: number; key?: Uint8Array; error?: string }) => this.finished(thread, message));
    thread.worker.on('error', (error) => this.failed(thread, error));
    this.threads.push(thread);
    return thread;
  }

  private start(thread: Thread, pending: Pending): void {
    const id = this.nextId++;
    thread.busy = { id, pending };
    // Referenced only while it works: a CLI awaiting a hash must not exit under it.
    thread.worker.ref();
    thread.worker.postMessage({ id, job: pending.job });
  }

  private finished(thread: Thread, message: { id: number; key?: Uint8Array; error?: string }): void {
    const busy = thread.busy;
    if (!busy || busy.id !== message.id) return;
    thread.busy = undefined;
    if (message.key) busy.pending.resolve(Buffer.from(message.key));
    else busy.pending.reject(new Error(message.error ?? 'scrypt failed'));
    this.next(thread);
  }

  /** A thread that died takes its job with it; the next job gets a fresh thread. */
  private failed(thread: Thread, error: Error): void {
    thread.busy?.pending.reject(error);
    this.threads.splice(this.threads.indexOf(thread), 1);
    if (this.queue.length === 0) return;
    const replacement = this.idleThread();
    if (replacement) this.start(replacement, this.take(this.nextIndex()));
  }

  private next(thread: Thread): void {
    if (this.queue.length > 0) this.start(thread, this.take(this.nextIndex()));
    else thread.worker.unref();
  }

  /**
   * Whether a full queue made room for a job of `site`: when the site with most jobs waiting
   * has more than `site` would have with it, its newest is refused (503) to make room, so that
   * no site can hold every place, and sites equally full do not push each other out.
   */
  private madeRoomFor(site: string): boolean {
    let fullest: string | undefined;
    let most = 0;
    for (const [each, count] of this.waiting)
      if (count > most) {
        fullest = each;
        most = count;
      }
    if (fullest === undefined || (this.waiting.get(site) ?? 0) + 1 >= most) return false;
    const newest = this.queue.findLastIndex((pending) => pending.site === fullest);
    this.take(newest).reject(busy());
    return true;
  }

  /** Where in the queue the oldest job of a site with fewest jobs waiting is: a site waiting alone goes before a flood. */
  private nextIndex(): number {
    let best = 0;
    let fewest = Infinity;
    for (let i = 0; i < this.queue.length; i++) {
      const count = this.waiting.get(this.queue[i]!.site)!;
      if (count < fewest) {
        best = i;
        fewest = count;
      }
    }
    return best;
  }

  /** Takes the job at `index` off the queue. */
  private take(index: number): Pending {
    const [pending] = this.queue.splice(index, 1) as [Pending];
    const left = this.waiting.get(pending.site)! - 1;
    if (left === 0) this.waiting.delete(pending.site);
    else this.waiting.set(pending.site, left);
    return pending;
  }
}
