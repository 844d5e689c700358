import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import { MAX_URL_LENGTH } from '../../src/http/request-target.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

describe(`URLs longer than ${MAX_URL_LENGTH} characters`, () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
  });
  after(() => t.close());

  /** A URL of exactly `length` characters: the path, then a query padded to fit. */
  const urlOf = (path: string, length: number) => `${path}?pad=${'a'.repeat(length - path.length - 5)}`;

  it('are refused with 414 on the photo URL, before credentials are even looked at', async () => {
    const url = urlOf('/ews/exchange.asmx/s/GetUserPhoto', MAX_URL_LENGTH + 1);
    const res = await request(t.bridge.server).get(url).set('Authorization', basic(READER)).expect(414);
    expect(res.text).to.match(/longer than 4096/);
    expect(res.headers['request-id']).to.be.a('string');
    await request(t.bridge.server).get(url).expect(414);
  });

  it('are refused with 414 on every other path too (Express routes, SOAP, unknown paths)', async () => {
    await request(t.bridge.server)
      .get(urlOf('/api/people', MAX_URL_LENGTH + 1))
      .set('Authorization', basic(READER))
      .expect(414);
    await request(t.bridge.server)
      .post(urlOf('/EWS/Exchange.asmx', MAX_URL_LENGTH + 1))
      .set('Authorization', basic(READER))
      .send('<x/>')
      .expect(414);
    await request(t.bridge.server)
      .get(`/${'p'.repeat(MAX_URL_LENGTH)}`)
      .expect(414);
  });

  it("are refused with 414 past node:http's 16 KiB head too, alone or after another answer on the connection; a header field past it stays 431", async () => {
    const server = t.bridge.server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    /** The status lines the bridge answers `requests` with, each sent in one write once the answer before it is in. */
    const statusesOf = async (...requests: string[]) => {
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      for (const [i, bytes] of requests.entries()) {
        socket.write(bytes);
        if (i < requests.length - 1) while (!answered(answer)) await once(socket, 'data');
      }
      await once(socket, 'close');
      return answer.match(/^HTTP\/1\.1 \d+ [^\r]*/gm);
    };
    /** Whether `bytes` hold one whole answer: its head, and as many bytes after it as it says. */
    const answered = (bytes: string) => {
      const headEnd = bytes.indexOf('\r\n\r\n');
      const length = /^content-length: (\d+)/im.exec(bytes.slice(0, headEnd))?.[1];
      return headEnd !== -1 && bytes.length >= headEnd + 4 + Number(length ?? 0);
    };
    const get = (path: string, header = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${header}\r\n`;
    try {
      for (const length of [20_000, 100_000]) {
        expect(await statusesOf(get(urlOf('/ews/exchange.asmx/s/GetUserPhoto', length))), `${length}`).to.deep.equal(['HTTP/1.1 414 URI Too Long']);
      }
      expect(await statusesOf(get('/healthz'), get(urlOf('/api/people', 20_000)))).to.deep.equal(['HTTP/1.1 200 OK', 'HTTP/1.1 414 URI Too Long']);
      expect(await statusesOf(get('/healthz', `X-Pad: ${'a'.repeat(20_000)}\r\n`))).to.deep.equal(['HTTP/1.1 431 Request Header Fields Too Large']);
    } finally {
      server.close();
    }
  });

  it('at the limit are still answered', async () => {
    await request(t.bridge.server).get(urlOf('/ews/exchange.asmx/s/GetUserPhoto', MAX_URL_LENGTH)).expect(401);
    await request(t.bridge.server).get(urlOf('/api/people', MAX_URL_LENGTH)).set('Authorization', basic(READER)).expect(200);
  });
});
