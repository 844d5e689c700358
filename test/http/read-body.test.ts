import { createHash, randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { BridgeError } from '../../src/domain/errors.js';
import { readBody } from '../../src/http/read-body.js';

const MAX_BYTES = 256 * 1024;

/** The one reader of request bodies (SOAP and uploads): every byte, in order, however it is cut; 413 past the limit. */
describe('reading a request body', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((req, res) =>
      readBody(req, MAX_BYTES, (error, body) => {
        if (error) res.writeHead(error instanceof BridgeError ? error.httpStatus : 500).end();
        else res.writeHead(200).end(createHash('sha256').update(body).digest('hex'));
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

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
});
