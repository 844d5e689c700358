import { BridgeError } from '../domain/errors.js';

/**
 * SQLSTATEs that mean "the database is in the way right now", not "this request is wrong":
 * a lock not granted within lock_timeout, a cancelled (timed-out) statement, a conflict
 * with another transaction, a server out of connections or starting or stopping.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const BUSY_SQLSTATES = new Set(['55P03', '57014', '40001', '40P01', '53300', '57P01', '57P02', '57P03']);

/** Socket errors of a server that cannot be reached right now. */
const BUSY_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** pg and pg-pool say "no connection in time" (every pooled connection in use) and "connection lost" in words only. */
const BUSY_MESSAGES = /^(timeout exceeded when trying to connect|Connection terminated)/;

/**
 * The PostgreSQL counterpart of the SQLite store's busy retry: the wait itself happened
 * in the server (lock_timeout) or in the pool (connectionTimeoutMillis), both bounded by
 * the store's busy timeout, and what is left is to answer ErrorServerBusy (503 +
 * Retry-After) rather than a 500. Anything else is passed on unchanged.
 */
export function busyAsBridgeError(error: unknown, busyTimeoutMs: number): unknown {
  if (!isBusy(error)) return error;
  return BridgeError.serverBusy('the store is busy; try again shortly', Math.max(1, Math.ceil(busyTimeoutMs / 1000)));
}

function isBusy(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (BUSY_SQLSTATES.has(code) || BUSY_SOCKET_CODES.has(code))) return true;
  return BUSY_MESSAGES.test(error.message);
}
