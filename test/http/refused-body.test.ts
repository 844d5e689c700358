import { expect } from 'chai';
import { createServer, type IncomingMessage } from 'node:http';
import { DROPPED_PIECES_MAX, dropRefusedBody } from '../../src/http/lingering-close.js';
import { connectTo, listenOnLoopback, received, startSocketBridge } from '../support/raw-socket.js';
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

  // Answered without reading the body (a login asked for, no such page, a method not
  // allowed), node:http itself would read it to its end after the answer, one callback a piece.
  for (const [method, path, status] of [
    ['GET', '/v1.0/me', 401],
    ['PUT', '/v1.0/me/photo/$value', 401],
    ['GET', '/no/such/page', 404],
    ['POST', '/autodiscover/autodiscover.json/v1.0/adele@contoso.example?Protocol=EWS', 405],
  ] as const) {
    it(`${method} ${path.split('?')[0]}: a chunked body still coming after its ${status} is read no more past ${DROPPED_PIECES_MAX} pieces, and the connection closes`, async () => {
      const socket = await open();
      socket.on('error', () => undefined);
      try {
        socket.write(`${method} ${path} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n`);
        expect(await received(socket, (text) => text.includes('\r\n\r\n'))).to.match(new RegExp(`^HTTP/1\\.1 ${status} `));
        // Three of the server's socket reads of one-byte chunks, the body's end, and a request after it:
        // read to its end, the body would be followed by that request's answer on a connection kept open.
        const after = received(socket, (text) => text.includes('HTTP/1.1'));
        for (let batch = 0; batch < 30 && !socket.destroyed; batch++) socket.write('1\r\na\r\n'.repeat(1000));
        if (!socket.destroyed) socket.write('0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
        expect(await after, 'no answer after the dropped body: the connection closed').to.equal('');
      } finally {
        socket.destroy();
      }
    });
  }
});

describe('dropping a refused body', () => {
  const SENT_PIECES = 30_000;
  it(`stops reading it past ${DROPPED_PIECES_MAX} pieces (the socket read under way is parsed whole) and closes the connection: each piece costs a callback; the answer reaches the client`, async () => {
    let refused: IncomingMessage | undefined;
    let answered = '';
    let clientClosed: Promise<unknown> = Promise.resolve();
    const piecesAtClose = new Promise<number>((resolve) => {
      const server = createServer((req, res) => {
        refused = req;
        let pieces = 0;
        req.on('data', () => pieces++);
        req.socket.once('close', () => {
          resolve(pieces);
          server.close();
        });
        dropRefusedBody(req, res);
        res.writeHead(401).end();
      });
      void listenOnLoopback(server).then(async (port) => {
        const socket = await connectTo(port);
        socket.on('error', () => undefined);
        socket.on('data', (chunk: Buffer) => (answered += chunk.toString('latin1')));
        clientClosed = new Promise((closed) => socket.once('close', closed));
        socket.write('POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n');
        // 180 KB of chunks: more than three of the server's 64 KiB socket reads. The parser
        // goes through a read whole, so what is cut is the reads after the one past the limit.
        for (let batch = 0; batch < SENT_PIECES / 1000 && !socket.destroyed; batch++) socket.write('1\r\na\r\n'.repeat(1000));
      });
    });
    const pieces = await piecesAtClose;
    expect(pieces).to.be.above(DROPPED_PIECES_MAX).and.below(SENT_PIECES);
    expect(refused?.complete, 'the rest was never read').to.equal(false);
    await clientClosed;
    expect(answered).to.match(/^HTTP\/1\.1 401 /);
  });
});
