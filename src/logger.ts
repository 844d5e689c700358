import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Credentials are censored even if a caller logs headers by
 * mistake; the paths are exact (no wildcards), which keeps redaction off the hot path.
 * By default the lines go to stdout in batches (see BatchedLines).
 */
export function createLogger(level: string, destination: pino.DestinationStream = batchedStdout()): Logger {
  return pino(
    {
      level,
      base: { service: 'ews-photo-bridge' },
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'password', 'bindPassword', 'clientSecret', 'token'], censor: '[redacted]' },
    },
    destination,
  );
}

/** A few hundred access lines: one write per batch. */
const LOG_BATCH_CHARS = 64 * 1024;
/** A quiet server's lines still show up within this; `tail -f` on the log feels live. */
const LOG_FLUSH_MS = 200;

/**
 * Collects log lines and hands them to `out` in batches, as nginx buffers its access
 * log: a write per line (pino's default, or its sonic-boom buffer, which re-measures
 * its whole buffer on every line) costs the photo hot path more than the rest of a
 * cached answer. A batch goes out once it holds LOG_BATCH_CHARS, at the latest every
 * LOG_FLUSH_MS (an unref'd timer), and when the process exits — a stop, process.exit
 * or an uncaught exception — so no line is lost; stdout writes are synchronous for
 * files, pipes and terminals on Linux, so the last batch is out before the process is.
 */
export class BatchedLines implements pino.DestinationStream {
  private lines: string[] = [];
  private chars = 0;

  constructor(private readonly out: { write(text: string): unknown }) {
    setInterval(() => this.flush(), LOG_FLUSH_MS).unref();
    process.once('exit', () => this.flush());
  }

  write(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= LOG_BATCH_CHARS) this.flush();
  }

  flush(): void {
    if (this.lines.length === 0) return;
    const text = this.lines.join('');
    this.lines = [];
    this.chars = 0;
    this.out.write(text);
  }
}

let stdoutLines: BatchedLines | undefined;

/** One batcher for the process, however many loggers share stdout. */
function batchedStdout(): BatchedLines {
  stdoutLines ??= new BatchedLines(process.stdout);
  return stdoutLines;
}
