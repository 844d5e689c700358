import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Credentials are censored even if a caller logs headers by
 * mistake; the paths are exact (no wildcards), which keeps redaction off the hot path.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ews-photo-bridge' },
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'password', 'bindPassword', 'clientSecret', 'token'], censor: '[redacted]' },
    },
    destination,
  );
}
