/**
 * A `postgres://` URL as the driver (pg-connection-string) reads it: as a WHATWG URL, or, for a
 * Unix socket's, which has no host before its path (`postgres://u:pw@/db?host=/run/postgresql`)
 * and which WHATWG URL refuses, with a stand-in host there. Undefined when neither parses.
 */
export function readDatabaseUrl(url: string): URL | undefined {
  if (URL.canParse(url)) return new URL(url);
  const standingIn = url.replace('@/', `@${SOCKET_STAND_IN}/`);
  return URL.canParse(standingIn) ? new URL(standingIn) : undefined;
}

/** A URL readDatabaseUrl read, written back as it was given: without the stand-in host. */
function writtenDatabaseUrl(url: URL): string {
  return url.toString().replace(`@${SOCKET_STAND_IN}/`, '@/');
}

const SOCKET_STAND_IN = 'socket.invalid';

/**
 * The URL with its secrets hidden: the password given as `user:password@`, and every
 * parameter named as one (libpq's `password`, and `sslpassword`, the client key's).
 */
export function withoutPassword(url: string): string {
  // Read as the driver reads it, a Unix socket's URL too: `pass%77ord=` is a password as well.
  const parsed = readDatabaseUrl(url);
  if (!parsed) return url.replace(/\/\/[^@/]*@/, '//***@').replace(/([?&][^=&?]*=)[^&]*/g, '$1***');
  if (parsed.password) parsed.password = '***';
  for (const name of [...parsed.searchParams.keys()]) if (SECRET_PARAMETER.test(name)) parsed.searchParams.set(name, '***');
  return writtenDatabaseUrl(parsed);
}

const SECRET_PARAMETER = /password$/i;

/**
 * The URL as the driver is to read it. pg 8 takes sslmode=prefer, require and verify-ca as
 * verify-full — the certificate and the host name checked (pg-connection-string's README) —
 * and says so in a SECURITY WARNING of eight lines on every process that connects: every
 * command. Handed over as verify-full, the connection is the same, checked as strictly, and
 * the warning is not printed; pg 9, which gives those modes libpq's weaker meaning, then
 * changes nothing here. `uselibpqcompat=true` asks for libpq's meaning: left as written.
 */
export function driverUrl(url: string): string {
  const parsed = readDatabaseUrl(url);
  const mode = parsed?.searchParams.get('sslmode');
  if (!parsed || !ALIASES_OF_VERIFY_FULL.has(mode ?? '') || parsed.searchParams.get('uselibpqcompat') === 'true') return url;
  parsed.searchParams.set('sslmode', 'verify-full');
  return writtenDatabaseUrl(parsed);
}

const ALIASES_OF_VERIFY_FULL = new Set(['prefer', 'require', 'verify-ca']);
