import { createServer } from 'node:net';

/** Ports already handed out by this process: their servers may not listen yet. */
const given = new Set<number>();

/**
 * A loopback TCP port nobody listens on right now, for a server a test starts. Linux gives
 * a closed port 0 listener the same port again about once in 7,000 pairs of calls, so two
 * calls before either server listens (slapd's two ports) could collide: each port is handed
 * out once.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    if (given.has(port)) continue;
    given.add(port);
    return port;
  }
}
