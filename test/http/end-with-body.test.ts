import { randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { endWithBody, JOINED_MAX_BYTES } from '../../src/http/end-with-body.js';

/** Every answer body the photo doors and SOAP send goes out through endWithBody: the bytes must arrive as they are, whatever they hold. */
describe('ending an answer with its body', () => {
  const bodies = new Map<string, Buffer>([
    ['every byte value', Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256))],
    ['a small random photo', randomBytes(3_000)],
    ['as large as is joined to the head', randomBytes(JOINED_MAX_BYTES)],
    ['one byte larger', randomBytes(JOINED_MAX_BYTES + 1)],
    ['200 KB', randomBytes(200_000)],
    ['nothing', Buffer.alloc(0)],
  ]);
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((req, res) => {
      const body = bodies.get(decodeURIComponent(req.url!.slice(1)))!;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      endWithBody(res, body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const get = (name: string) =>
    new Promise<{ length: string | undefined; bytes: Buffer }>((resolve, reject) => {
      request({ port, path: `/${encodeURIComponent(name)}` }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => resolve({ length: res.headers['content-length'], bytes: Buffer.concat(parts) }));
      })
        .on('error', reject)
        .end();
    });

  for (const [name, body] of bodies) {
    it(`sends ${name} byte for byte, twice (the second time from its remembered text)`, async () => {
      for (let time = 0; time < 2; time++) {
        const answer = await get(name);
        expect(answer.length).to.equal(String(body.length));
        expect(answer.bytes.equals(body)).to.equal(true);
      }
    });
  }
});
