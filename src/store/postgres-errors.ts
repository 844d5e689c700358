import { BridgeError } from '../domain/errors.js';
import { hostUnreachable } from '../network-errors.js';

/** lock_not_available: a lock not granted within lock_timeout. */
export const LOCK_NOT_AVAILABLE_SQLSTATE = '55P03';
/**
 * SQLSTATEs that mean "others' work is in the way right now", not "this request is wrong":
 * a lock not granted within lock_timeout, a conflict with another transaction, a server out
 * of connections. https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const BUSY_SQLSTATES = new Set([LOCK_NOT_AVAILABLE_SQLSTATE, '40001', '40P01', '53300']);
/** query_canceled: a statement that ran out of its time, busy with its own work. */
const STATEMENT_TIMED_OUT = '57014';
/** admin_shutdown, crash_shutdown, cannot_connect_now: the server is stopping, restarting or starting. */
const DOWN_SQLSTATES = new Set(['57P01', '57P02', '57P03']);

/**
 * read_only_sql_transaction: a write on a hot standby or under default_transaction_read_only.
 * PostgreSQL docs, Hot Standby: "All such connections are strictly read-only".
 */
export const READ_ONLY_SQLSTATE = '25006';

/** The answer to a write on a database that takes none: it is most likely a standby. */
export function readOnlyError(busyTimeoutMs: number): BridgeError {
  return BridgeError.storeReadOnly(busyTimeoutMs, 'a PostgreSQL standby?');
}

/**
 * character_not_in_repertoire: text PostgreSQL cannot hold, a NUL above all ("invalid byte
 * sequence for encoding UTF8: 0x00"); the request's, not the server's fault.
 */
const NOT_IN_REPERTOIRE_SQLSTATE = '22021';

/** disk_full (errcodes appendix, class 53 "Insufficient Resources"). */
export const DISK_FULL_SQLSTATE = '53100';

/** insufficient_privilege (errcodes appendix, class 42 "Syntax Error or Access Rule Violation"). */
export const INSUFFICIENT_PRIVILEGE_SQLSTATE = '42501';

/**
 * undefined_table, undefined_column (errcodes appendix, class 42): what a statement meets on a
 * schema older than the one it was written for.
 */
const SCHEMA_OBJECT_MISSING_SQLSTATES = new Set(['42P01', '42703']);

/** Whether a statement failed for a table or column the database does not have. */
export function lacksSchemaObject(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && SCHEMA_OBJECT_MISSING_SQLSTATES.has(code);
}

/** pg-pool says "no connection in time" (every pooled connection in use) in words only… */
const BUSY_MESSAGES = /^timeout exceeded when trying to connect/;
/** …as pg says "no answer within query_timeout"… */
const NO_ANSWER_MESSAGES = /^Query read timeout/;
/** …and "connection lost" too. */
const DOWN_MESSAGES = /^Connection terminated/;

/**
 * What a failed statement means to a client. Busy is the PostgreSQL counterpart of the
 * SQLite store's busy retry: the wait itself happened in the server (lock_timeout), in the
 * pool (connectionTimeoutMillis) or for an answer (query_timeout), and what is left is to
 * answer ErrorServerBusy (503 + Retry-After) rather than a 500. A database that takes no
 * writes, or has no room for them, is said as such, and so is a server that does not answer at
 * all (stopped, restarting, unreachable): an outage said "busy" sent the operator to the wrong
 * place. Anything else is passed on unchanged.
 */
export function fromPostgresError(error: unknown, busyTimeoutMs: number): unknown {
  const code = codeOf(error);
  if (code === READ_ONLY_SQLSTATE) return readOnlyError(busyTimeoutMs);
  if (code === DISK_FULL_SQLSTATE) return BridgeError.storeFull();
  if (code === NOT_IN_REPERTOIRE_SQLSTATE) return BridgeError.invalidRequest('the request holds a character the database cannot hold in text (a NUL)');
  if (databaseDown(error)) return BridgeError.storeUnreachable(busyTimeoutMs);
  if (isBusy(error)) return BridgeError.storeBusy(busyTimeoutMs);
  return error instanceof Error && (codeOf(error) === STATEMENT_TIMED_OUT || NO_ANSWER_MESSAGES.test(error.message))
    ? BridgeError.storeBusy(busyTimeoutMs, 'itself')
    : error;
}

/**
 * Whether the connection a statement failed on can no longer be trusted: it gave no answer
 * in time, so it may be dead without having been closed (a failover, a firewall that
 * dropped it). It is to be discarded, not returned to the pool, nor asked to roll back.
 */
export function connectionUnanswered(error: unknown): boolean {
  return error instanceof Error && NO_ANSWER_MESSAGES.test(error.message);
}

function codeOf(error: unknown): string | undefined {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function isBusy(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = codeOf(error);
  return (code !== undefined && BUSY_SQLSTATES.has(code)) || BUSY_MESSAGES.test(error.message);
}

/** A server that does not answer at all: stopped, starting, restarting, or not reachable over the network. */
export function databaseDown(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = codeOf(error);
  return (code !== undefined && DOWN_SQLSTATES.has(code)) || hostUnreachable(error) || noSocketFile(error) || DOWN_MESSAGES.test(error.message);
}

/** A Unix-socket URL (`?host=/run/postgresql`) with no server's socket there: nothing listening, as ECONNREFUSED is over TCP. */
function noSocketFile(error: Error): boolean {
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  return code === 'ENOENT' && syscall === 'connect';
}
