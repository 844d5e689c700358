import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/** PostgreSQL's SSLRequest: length 8, then the code 80877103 (protocol docs, "SSLRequest"). */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/**
 * A PostgreSQL server that speaks TLS, for a test server that does not: answers a client's
 * SSLRequest with 'S', as a server with ssl on does, takes the handshake with the given
 * certificate, and relays the protocol inside to the loopback port `targetPort` in plain.
 */
export async function startPostgresTlsFront(targetPort: number, tls: { keyFile: string; certFile: string }): Promise<{ port: number; close(): Promise<void> }> {
  const [key, cert] = [readFileSync(tls.keyFile), readFileSync(tls.certFile)];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    client.once('data', (request: Buffer) => {
      if (!request.equals(SSL_REQUEST)) return client.destroy();
      client.write('S');
      const secure = new TLSSocket(client, { isServer: true, key, cert });
      const upstream = connect(targetPort, '127.0.0.1');
      sockets.add(upstream);
      for (const [from, to] of [
        [secure, upstream],
        [upstream, secure],
      ] as const) {
        from.pipe(to);
        from.on('error', () => to.destroy());
        from.on('close', () => to.destroy());
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
