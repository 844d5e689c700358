import { once } from 'node:events';
import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { startTestBridge, type TestBridge } from './test-bridge.js';

/** Starts `server` on a free loopback port; returns the port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

/** A plain TCP connection to a loopback port, once connected, to write a request by hand. */
export async function connectTo(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

/** Everything the server sends on `socket` until `until` holds of it or the connection closes. */
export function received(socket: Socket, until: (text: string) => boolean = () => false): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (until(text)) done();
    };
    const done = () => {
      socket.off('data', onData).off('close', done);
      resolve(text);
    };
    socket.on('data', onData).once('close', done);
  });
}

/** A test bridge listening on loopback, and the way to open a raw connection to it. */
export async function startSocketBridge(): Promise<{ t: TestBridge; open: () => Promise<Socket> }> {
  const t = await startTestBridge();
  const port = await listenOnLoopback(t.bridge.server);
  return { t, open: () => connectTo(port) };
}

/** The front door's connection limits for a test of it alone (createFrontServer): room for every test's connections, and the documented timeouts' order. */
export const FRONT_DOOR_LIMITS = {
  maxConnections: 100,
  maxConnectionsPerClient: 10,
  trustedProxies: '',
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  refused: { perClient: 0, overall: 0 },
};
