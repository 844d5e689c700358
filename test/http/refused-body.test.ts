import { expect } from 'chai';
import { received, startSocketBridge } from '../support/raw-socket.js';
import { envelope } from '../support/soap.js';

const BODY = envelope('<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>nobody</m:UnresolvedEntry></m:ResolveNames>');

/** A refused request's body: a small one is dropped and the connection kept; one still trickling in is not read for long. */
describe('the body of a refused request', () => {
  let bridge: Awaited<ReturnType<typeof startSocketBridge>>;
  before(async () => (bridge = await startSocketBridge()));
  after(() => bridge.t.close());
  const open = () => bridge.open();

  for (const path of ['/EWS/Exchange.asmx', '/autodiscover/autodiscover.svc']) {
    it(`${path}: a small one is dropped and the connection kept for the next request`, async () => {
      const socket = await open();
      try {
        socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`);
        const answer = await received(socket, (text) => text.includes('\r\n\r\n'));
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
