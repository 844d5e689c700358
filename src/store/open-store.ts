import type { Config } from '../config.js';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import { StoreOpenError, type UpgradeStarting } from './migrations.js';
import { databaseDown, DISK_FULL_SQLSTATE, INSUFFICIENT_PRIVILEGE_SQLSTATE, LOCK_NOT_AVAILABLE_SQLSTATE, READ_ONLY_SQLSTATE } from './postgres-errors.js';
import type { Store } from './store.js';
import { readDatabaseUrl, withoutPassword } from './database-url.js';
import { untrustedCertificate } from '../network-errors.js';
import { readProblemOf } from '../file-problem.js';

type StoreSettings = Pick<Config, 'databaseUrl' | 'databasePath' | 'databasePoolSize' | 'databaseQueryTimeoutMs' | 'storeBusyTimeoutMs'>;

/**
 * The store the settings name: PostgreSQL when BRIDGE_DATABASE_URL is set, else the
 * embedded SQLite file. A server checkpoints SQLite's WAL in the background, and bounds
 * each PostgreSQL statement; a one-shot command does neither.
 */
export async function openStore(settings: StoreSettings, use: 'server' | 'command', upgradeStarting?: UpgradeStarting): Promise<Store> {
  try {
    if (settings.databaseUrl) {
      return await PostgresStore.open(settings.databaseUrl, {
        busyTimeoutMs: settings.storeBusyTimeoutMs,
        poolSize: settings.databasePoolSize,
        queryTimeoutMs: use === 'server' ? settings.databaseQueryTimeoutMs : undefined,
        ...(upgradeStarting ? { upgradeStarting } : {}),
      });
    }
    return new SqliteStore(settings.databasePath, {
      busyTimeoutMs: settings.storeBusyTimeoutMs,
      checkpointInBackground: use === 'server',
      readInBackground: use === 'server',
      ...(upgradeStarting ? { upgradeStarting } : {}),
    });
  } catch (error) {
    throw storeOpenProblem(error, storeLocation(settings)) ?? error;
  }
}

/** The failures to open a store that an operator can act on, said as such; undefined for a real surprise. */
export function storeOpenProblem(error: unknown, location: string): StoreOpenError | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code } = error as { code?: string };
  if (databaseDown(error)) {
    // Node's socket errors name their code in the message; a server's SQLSTATE needs its words (57P03: "…is starting up").
    const why = code && error.message.includes(code) ? code : [code, error.message].filter(Boolean).join(': ');
    return new StoreOpenError(`cannot reach the database at ${location} (${why}); is PostgreSQL running and listening there?`, { cause: error });
  }
  // too_many_connections: every connection the server allows is taken (other replicas, a pooler, psql sessions); one may free up.
  if (code === TOO_MANY_CONNECTIONS_SQLSTATE) {
    return new StoreOpenError(
      `PostgreSQL at ${location} has no connection to spare (${error.message}); raise max_connections or lower BRIDGE_DATABASE_POOL_SIZE`,
      {
        cause: error,
      },
    );
  }
  // PostgreSQL's SQLSTATEs: invalid_password, invalid_authorization_specification, invalid_catalog_name.
  if (code === '28P01' || code === '28000' || code === '3D000') return new StoreOpenError(`PostgreSQL at ${location}: ${error.message}`);
  // pg's own words when the server asks for a password (SCRAM) and the URL gives none.
  if (/client password must be a string/.test(error.message)) {
    return new StoreOpenError(`PostgreSQL at ${location} asks for a password, and the URL gives none (postgres://user:password@host/db, or PGPASSWORD)`);
  }
  // insufficient_privilege: the schema upgrade creates and alters tables. Since PostgreSQL 15 only the database's owner (and so
  // schema public's) may create them, and only a table's owner may alter it: one another role made is that role's.
  if (code === INSUFFICIENT_PRIVILEGE_SQLSTATE) {
    const url = readDatabaseUrl(location);
    const role = url?.username ? decodeURIComponent(url.username) : '<role>';
    const database = url?.pathname.slice(1) || '<database>';
    return new StoreOpenError(
      `PostgreSQL at ${location}: ${error.message}; ${role} is to own the database and the bridge's tables: as a superuser, ALTER DATABASE ${database} OWNER TO ${role} (tables another role made: REASSIGN OWNED BY that role TO ${role})`,
      { cause: error },
    );
  }
  const tlsFile = tlsFileNotRead(error, location);
  if (tlsFile) return new StoreOpenError(`PostgreSQL at ${location}: cannot read ${tlsFile}: ${readProblemOf(error)}`);
  if (untrustedCertificate(error)) {
    return new StoreOpenError(
      `PostgreSQL at ${location}: TLS: ${error.message}; give the CA that signed the server's certificate as ?sslmode=verify-full&sslrootcert=/path/to/ca.pem, and reach the server by a name its certificate has`,
      { cause: error },
    );
  }
  // pg's own words (and no code) for a server that answered TLS's request with "N": ssl is off in its postgresql.conf.
  if (error.message === 'The server does not support SSL connections') {
    return new StoreOpenError(`PostgreSQL at ${location} does not take TLS connections, which the URL asks for (sslmode); turn ssl on in its postgresql.conf`, {
      cause: error,
    });
  }
  // lock_not_available: at the open, only the migration lock is waited for (MIGRATION_LOCK_TIMEOUT).
  if (code === LOCK_NOT_AVAILABLE_SQLSTATE) {
    return new StoreOpenError(
      `PostgreSQL at ${location}: another bridge held the store's migration lock too long (${error.message}): a replica upgrading a large directory, or migrate-store copying into it; start this one again once it is done`,
      { cause: error },
    );
  }
  if (code === READ_ONLY_SQLSTATE) return new StoreOpenError(`the database at ${location} is read-only (a standby?); point BRIDGE_DATABASE_URL at the primary`);
  if (code === DISK_FULL_SQLSTATE || code === 'SQLITE_FULL') return new StoreOpenError(`no space left on the device for the database at ${location}`);
  // SQLITE_READONLY and its extended codes (…_CANTINIT: the -shm file). SQLite gives a new -wal
  // and -shm the mode of the database file, so a read-only file leaves read-only companions behind.
  if (code?.startsWith('SQLITE_READONLY'))
    return new StoreOpenError(
      `${location} is read-only to this user: ${location}, ${location}-wal and ${location}-shm must be writable by the user the bridge runs as`,
    );
  if (code === 'SQLITE_CANTOPEN') return new StoreOpenError(`cannot open the database file ${location}: may this user read and write it and its folder?`);
  if (code === 'SQLITE_NOTADB') return new StoreOpenError(`${location} is not a SQLite database`);
  return undefined;
}

/** Which of the URL's TLS files (the driver reads them as it takes the URL) `error` failed to open, as `sslrootcert '/path'`. */
function tlsFileNotRead(error: Error, location: string): string | undefined {
  const { syscall, path } = error as NodeJS.ErrnoException;
  const parameters = readDatabaseUrl(location)?.searchParams;
  if (syscall !== 'open' || path === undefined || !parameters) return undefined;
  const name = ['sslrootcert', 'sslcert', 'sslkey'].find((candidate) => parameters.get(candidate) === path);
  return name && `${name} '${path}'`;
}

/** Whether opening the store failed only because its database server cannot be reached yet, or has no connection for it yet. */
export function storeNotReachedYet(error: unknown): boolean {
  return (
    error instanceof StoreOpenError && (databaseDown(error.cause) || (error.cause as { code?: unknown } | undefined)?.code === TOO_MANY_CONNECTIONS_SQLSTATE)
  );
}

const TOO_MANY_CONNECTIONS_SQLSTATE = '53300';

/** Where the store is, for logs and banners: the file, or the URL without its password. */
export function storeLocation(settings: Pick<StoreSettings, 'databaseUrl' | 'databasePath'>): string {
  return settings.databaseUrl ? withoutPassword(settings.databaseUrl) : settings.databasePath;
}
