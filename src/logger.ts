import { pino, type Logger } from 'pino';
import { jsonWithUnseenEscaped } from './domain/plain-text.js';

export type { Logger };

/**
 * Structured JSON logs. Credentials are censored even if a caller logs headers by
 * mistake; the paths are exact (no wildcards), which keeps redaction off the hot path.
 * By default the lines go to stdout in batches (see BatchedLines), the access log's among them.
 * Every line has the characters that hide or rearrange what a terminal shows escaped
 * (jsonWithUnseenEscaped), here once for whatever a caller logs; access lines, written
 * without pino, escape theirs where they are made (access-log.ts).
 */
export function createLogger(level: string, destination: pino.DestinationStream = batchedStdout()): Logger {
  return pino(
    {
      level,
      base: { service: 'ews-photo-bridge' },
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'password', 'bindPassword', 'clientSecret', 'token'], censor: '[redacted]' },
      hooks: { streamWrite: jsonWithUnseenEscaped },
    },
    destination,
  );
}

/** Where access lines are written as bytes: a BatchedLines, or access-log.ts's LineAtATime for any other destination. */
export interface LineBytes {
  /** Makes room for `bytes` more bytes in `buffer`, from `used` on. */
  reserve(bytes: number): void;
  readonly buffer: Buffer;
  readonly used: number;
  /** The bytes up to `end` are written: whole lines. */
  commit(end: number): void;
}

/** A few hundred access lines: one write per batch. */
const LOG_BATCH_BYTES = 64 * 1024;
/** A quiet server's lines still show up within this; `tail -f` on the log feels live. */
const LOG_FLUSH_MS = 200;
/** The most UTF-8 bytes one UTF-16 code unit can take (a surrogate pair takes 4 for 2). */
const MAX_UTF8_BYTES_PER_UNIT = 3;

/**
 * Collects log lines and hands them to `out` in batches, as nginx buffers its access
 * log: a write per line (pino's default, or its sonic-boom buffer, which re-measures
 * its whole buffer on every line) costs the photo hot path more than the rest of a
 * cached answer. Each line is copied into a byte buffer as it comes, so it dies young:
 * kept as strings until the batch is joined, a few hundred lines at a time were copied
 * by every young-generation collection (in process, 0.3–1.1 µs more per cached photo
 * than copying them at once). A batch goes out once it holds LOG_BATCH_BYTES, at the latest
 * every LOG_FLUSH_MS (an unref'd timer), and when the process exits — a stop,
 * process.exit or an uncaught exception — so no line is lost; stdout writes are
 * synchronous for files, pipes and terminals on Linux, so the last batch is out before
 * the process is.
 */
export class BatchedLines implements pino.DestinationStream, LineBytes {
  private batch = Buffer.allocUnsafe(LOG_BATCH_BYTES);
  private end = 0;

  constructor(private readonly out: { write(bytes: Buffer): unknown }) {
    setInterval(() => this.flush(), LOG_FLUSH_MS).unref();
    process.once('exit', () => this.flush());
  }

  write(line: string): void {
    const mostBytes = line.length * MAX_UTF8_BYTES_PER_UNIT;
    if (mostBytes > LOG_BATCH_BYTES - this.end) {
      this.flush();
      // A line longer than a whole batch goes out on its own.
      if (mostBytes > LOG_BATCH_BYTES) {
        this.out.write(Buffer.from(line));
        return;
      }
    }
    this.end += this.batch.write(line, this.end);
  }

  /** Access lines are written here as bytes (access-log.ts): room for `bytes` more, after the lines before. */
  reserve(bytes: number): void {
    if (bytes > LOG_BATCH_BYTES - this.end) this.flush();
    if (bytes > this.batch.length) this.batch = Buffer.allocUnsafe(bytes);
  }

  get buffer(): Buffer {
    return this.batch;
  }

  get used(): number {
    return this.end;
  }

  commit(end: number): void {
    this.end = end;
  }

  flush(): void {
    if (this.end === 0) return;
    // The filled buffer is handed over whole and a new one started: `out` may keep it.
    const full = this.batch.subarray(0, this.end);
    this.batch = Buffer.allocUnsafe(LOG_BATCH_BYTES);
    this.end = 0;
    this.out.write(full);
  }
}

let stdoutLines: BatchedLines | undefined;

/** One batcher for the process, however many loggers share stdout. */
function batchedStdout(): BatchedLines {
  stdoutLines ??= new BatchedLines(process.stdout);
  return stdoutLines;
}
