import { EventEmitter, once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { expect } from 'chai';
import { BridgeError, clientLeft } from '../../src/domain/errors.js';
import { DirectBodyMessage, declaredLength, readBody } from '../../src/http/read-body.js';

const MAX_BYTES = 256 * 1024;

/**
 * The one reader of request bodies (SOAP and uploads): every byte, in order, however it is
 * cut; 413 past the limit. Through node's own stream (an upstream's answer) and through the
 * front door's requests, whose body goes straight from the parser to it.
 */
for (const Message of [undefined, DirectBodyMessage])
  describe(`reading a request body${Message ? ' handed over by the parser (DirectBodyMessage)' : " through node's stream"}`, () => {
    let server: Server;
    let port: number;
    /** How long the server waits before it asks for a body (as for a login checked first). */
    let askAfterMs = 0;
    /** Whether the server waits for its client to have left before it asks for a body. */
    let askOnceClosed = false;
    /** Says 'asked' as the server asks for a body, and 'read' with what readBody gave. */
    const reading = new EventEmitter();
    const answer = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
      readBody(req, MAX_BYTES, (error, body) => {
        reading.emit('read', error);
        if (error) res.writeHead(error instanceof BridgeError ? error.httpStatus : 500).end();
        else res.writeHead(200).end(createHash('sha256').update(body).digest('hex'));
      });
      reading.emit('asked');
    };
    before(async () => {
      server = createServer({ IncomingMessage: Message }, (req, res) => {
        if (askOnceClosed) req.once('close', () => answer(req, res));
        else if (askAfterMs === 0) answer(req, res);
        else setTimeout(() => answer(req, res), askAfterMs);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    after(() => new Promise((resolve) => server.close(resolve)));
    afterEach(() => {
      askAfterMs = 0;
      askOnceClosed = false;
    });

    /** POSTs `pieces` as chunks of the chunked encoding, each its own write; answers status and text. */
    const send = (pieces: Buffer[], headers: Record<string, string> = {}) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request({ port, method: 'POST', headers }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (part: string) => (text += part));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        });
        req.on('error', reject);
        for (const piece of pieces) req.write(piece);
        req.end();
      });
    const digest = (body: Buffer) => createHash('sha256').update(body).digest('hex');
    const cut = (body: Buffer, sizes: () => number) => {
      const pieces: Buffer[] = [];
      for (let at = 0; at < body.length;) {
        const size = Math.min(sizes(), body.length - at);
        pieces.push(body.subarray(at, at + size));
        at += size;
      }
      return pieces;
    };

    it('keeps every byte, in order, of a body in one piece, in one-byte chunks, and in pieces of every size', async () => {
      const body = randomBytes(4096);
      expect(await send([body])).to.deep.equal({ status: 200, text: digest(body) });
      expect(await send(cut(body, () => 1))).to.deep.equal({ status: 200, text: digest(body) });
      let size = 0;
      expect(await send(cut(body, () => (size = (size * 7 + 13) % 5000) + 1))).to.deep.equal({ status: 200, text: digest(body) });
      expect(await send([])).to.deep.equal({ status: 200, text: digest(Buffer.alloc(0)) });
    });

    it('takes a body in as many pieces as 64 bytes each make of the limit, and refuses one piece more with 413', async () => {
      const pieces = MAX_BYTES / 64;
      expect((await send(cut(randomBytes(pieces), () => 1))).status).to.equal(200);
      const refused = await send(cut(randomBytes(pieces + 1), () => 1));
      expect(refused.status).to.equal(413);
    });

    it('takes a body of exactly the limit and refuses one byte more with 413, chunked or by its Content-Length', async () => {
      const atLimit = randomBytes(MAX_BYTES);
      expect(await send(cut(atLimit, () => 3000))).to.deep.equal({ status: 200, text: digest(atLimit) });
      const over = randomBytes(MAX_BYTES + 1);
      expect((await send(cut(over, () => 3000))).status).to.equal(413);
      expect((await send([over], { 'content-length': String(over.length) })).status).to.equal(413);
    });

    it('keeps every byte of a body that came, whole or in part, before it was asked for', async () => {
      askAfterMs = 50;
      const body = randomBytes(8192);
      expect(await send([body])).to.deep.equal({ status: 200, text: digest(body) });
      expect(await send(cut(body, () => 100))).to.deep.equal({ status: 200, text: digest(body) });
      const slowly = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request({ port, method: 'POST' }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (part: string) => (text += part));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        });
        req.on('error', reject);
        req.write(body.subarray(0, 1000));
        setTimeout(() => req.end(body.subarray(1000)), 100);
      });
      expect(slowly).to.deep.equal({ status: 200, text: digest(body) });
    });

    it('says the connection closed when its client leaves mid-body, asked for before or after it left', async () => {
      for (const askedOnceClosed of [false, true]) {
        askOnceClosed = askedOnceClosed;
        const asked = once(reading, 'asked');
        const read = once(reading, 'read');
        const socket = connect(port, '127.0.0.1');
        await once(socket, 'connect');
        socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf');
        // Asked for before: the client leaves once the server asked. After: the server asks once it saw the client leave.
        if (!askedOnceClosed) await asked;
        socket.destroy();
        const [error] = (await Promise.race([read, sleep(5000).then(() => ['no answer within 5 s'])])) as [unknown];
        expect(clientLeft(error), `asked ${askedOnceClosed ? 'after' : 'before'} it left: ${String(error)}`).to.equal(true);
      }
    });
  });

describe('the body length a Content-Length declares', () => {
  it('reads as Number reads it, digits or not', () => {
    const values = ['0', '7', '477', '1048576', '999999999999999', '12345678901234567890', '', ' 12', '12 ', '0x10', '1e3', '-1', '4.5', '12a'];
    for (const value of values) expect(declaredLength({ 'content-length': value }), JSON.stringify(value)).to.deep.equal(Number(value));
    expect(declaredLength({})).to.be.NaN;
  });
});
