import { connect } from 'node:net';

/**
 * Sends a request head declaring a `declaredBytes` body, then only `sentBytes` of it, and
 * holds the rest back: the status the server answers meanwhile, or 0 when it answers
 * nothing within `waitMs` (it is waiting for the body). A server that authenticates
 * before it reads can refuse a stranger here without holding the body.
 */
export function statusWithBodyHeld(
  port: number,
  path: string,
  headers: Record<string, string>,
  declaredBytes: number,
  sentBytes: number,
  waitMs = 10_000,
): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const done = (status: number) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    const timer = setTimeout(() => done(0), waitMs);
    socket.on('error', () => done(0));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const statusLine = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (statusLine) done(Number(statusLine[1]));
    });
    const head = Object.entries({ host: 'localhost', 'content-length': String(declaredBytes), ...headers })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n`);
    socket.write(Buffer.alloc(sentBytes, 0x20));
  });
}
