import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

/** A TCP relay in front of a loopback port, which can be told to go silent on the connections it carries. */
export interface TcpRelay {
  port: number;
  /**
   * The connections open now stop carrying anything either way and stay open, as those a
   * failover or a firewall dropped: no reset, no close, only silence. Later connections are relayed.
   */
  stallOpenConnections(): void;
  close(): Promise<void>;
}

export async function startTcpRelay(targetPort: number): Promise<TcpRelay> {
  const pairs = new Set<{ client: Socket; upstream: Socket; stalled: boolean }>();
  const server = createServer((client) => {
    const pair = { client, upstream: connect(targetPort, '127.0.0.1'), stalled: false };
    pairs.add(pair);
    const relay = (from: Socket, to: Socket) => {
      from.on('data', (chunk: Buffer) => {
        if (!pair.stalled) to.write(chunk);
      });
      from.on('end', () => {
        if (!pair.stalled) to.end();
      });
      from.on('error', () => to.destroy());
      from.on('close', () => pairs.delete(pair));
    };
    relay(client, pair.upstream);
    relay(pair.upstream, client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    stallOpenConnections() {
      for (const pair of pairs) pair.stalled = true;
    },
    async close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
