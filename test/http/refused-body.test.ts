import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import { envelope } from '../support/soap.js';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';

const BODY = envelope('<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>nobody</m:UnresolvedEntry></m:ResolveNames>');

/** Everything the bridge sends until it closes the connection, or `until` holds of it. */
function received(socket: Socket, until: (text: string) => boolean = () => false): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (until(text)) resolve(text);
    });
    socket.once('close', () => resolve(text));
  });
}

/** A refused request's body: a small one is dropped and the connection kept; one still trickling in is not read for long. */
describe('the body of a refused request', () => {
  let t: TestBridge;
  let port: number;

  before(async () => {
    t = await startTestBridge();
    const server = t.bridge.server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });
  after(() => t.close());

  async function open(): Promise<Socket> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return socket;
  }

  for (const path of ['/EWS/Exchange.asmx', '/autodiscover/autodiscover.svc']) {
    it(`${path}: a small one is dropped and the connection kept for the next request`, async () => {
      const socket = await open();
      try {
        socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`);
        const answer = await received(socket, (text) => /\r\n\r\n[\s\S]*$/.test(text) && text.includes('401'));
        expect(answer).to.match(/^HTTP\/1\.1 401 /);
        expect(answer.toLowerCase()).to.include('connection: keep-alive');
      } finally {
        socket.destroy();
      }
    });

    it(`${path}: a chunked one still coming gets its 401 with Connection: close, and the bridge closes while the client goes on sending`, async () => {
      const socket = await open();
      socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n`);
      // One byte a chunk, for as long as the connection is open.
      const trickle = setInterval(() => socket.writable && socket.write('1\r\na\r\n'), 5);
      try {
        const answer = await received(socket);
        expect(answer).to.match(/^HTTP\/1\.1 401 /);
        expect(answer.toLowerCase()).to.include('connection: close');
        expect(socket.readableEnded || socket.destroyed, 'closed by the bridge').to.equal(true);
      } finally {
        clearInterval(trickle);
        socket.destroy();
      }
    });
  }
});
