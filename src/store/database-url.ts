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
export function writtenDatabaseUrl(url: URL): string {
  return url.toString().replace(`@${SOCKET_STAND_IN}/`, '@/');
}

const SOCKET_STAND_IN = 'socket.invalid';
