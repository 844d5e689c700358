import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Credentials are censored even if a caller logs headers by
 * mistake; the paths are exact (no wildcards), which keeps redaction off the hot path.
 *
 * By default lines go to stdout through a buffer: a write per request costs the photo
 * hot path more than the rest of its work (as nginx buffers its access log). The buffer
 * is written once it holds LOG_BUFFER_BYTES, at the latest every LOG_FLUSH_MS (an unref'd
 * timer), and synchronously when the process exits — pino flushes its own destinations
 * on exit — so a stop, even an uncaught exception, loses no line.
 */
export function createLogger(level: string, destination: pino.DestinationStream = bufferedStdout()): Logger {
  return pino(
    {
      level,
      base: { service: 'ews-photo-bridge' },
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'password', 'bindPassword', 'clientSecret', 'token'], censor: '[redacted]' },
    },
    destination,
  );
}

/** About a hundred access lines: one system call per batch, well under sonic-boom's 16 KiB write limit. */
const LOG_BUFFER_BYTES = 8 * 1024;
/** A quiet server's lines still show up within this; `tail -f` on a log feels live. */
const LOG_FLUSH_MS = 200;

function bufferedStdout(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES, periodicFlush: LOG_FLUSH_MS });
}
