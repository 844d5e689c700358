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
