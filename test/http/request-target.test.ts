import { request as httpRequest } from 'node:http';
import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import { expect } from 'chai';
import { userOwner } from '../../src/domain/photo-owner.js';
import { connectTo, received } from '../support/raw-socket.js';
import { samplePhoto } from '../support/sample-images.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

/** A GET with the request target written as given (absolute form included) and a Host header of its own. */
function get(t: TestBridge, target: string, host: string, authorization?: string): Promise<{ status: number; body: string }> {
  const { port } = t.bridge.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: target, headers: { host, ...(authorization ? { authorization } : {}) } }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('request targets in absolute form (RFC 9112 §3.2.2)', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge({ BRIDGE_PORT: '0', BRIDGE_HOST: '127.0.0.1' });
    await t.bridge.listen();
    await t.store.upsertUsers([{ email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} }]);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(100, 100), 'test');
  });
  after(() => t.close());

  it('refuses a NUL (%00) anywhere in the target with 400: no name, id or query holds one, and PostgreSQL cannot hold one in text', async () => {
    const targets = [
      "/v1.0/users?$filter=mail%20eq%20'a%00@contoso.com'",
      '/ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber%00@contoso.com&size=HR64x64',
      '/v1.0/users/alex%00@contoso.com/photo/$value',
    ];
    const answers = await Promise.all(targets.map((target) => get(t, target, 'photos.contoso.com', basic(READER))));
    expect(answers.map((answer) => answer.status)).to.deep.equal([400, 400, 400]);
  });

  it('routes them as their origin form: the photo URL answers as it does with a path (it was a 404, while /healthz was 200)', async () => {
    const path = '/ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber@contoso.com&size=HR64x64';
    const plain = await get(t, path, 'photos.contoso.com', basic(READER));
    const absolute = await get(t, `http://photos.contoso.com${path}`, 'photos.contoso.com', basic(READER));
    expect([plain.status, absolute.status]).to.deep.equal([200, 200]);
    expect(absolute.body).to.equal(plain.body);
  });

  it('reads a path in either form alike: escapes of unreserved characters decoded (RFC 3986 §6.2.2.2), a .. segment kept, the query as sent', async () => {
    const photo = '/ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber%40contoso.com&size=HR64x64';
    const plain = await get(t, photo, 'photos.contoso.com', basic(READER));
    expect(plain.status).to.equal(200);
    for (const [target, status] of [
      ['/ews/exchange.asmx/s/GetUserPhot%6F?email=alex.wilber%40contoso.com&size=HR64x64', 200],
      ['http://photos.contoso.com/%65ws/exchange.asmx/s/GetUserPhoto?email=alex.wilber%40contoso.com&size=HR64x64', 200],
      ['/x/../ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber%40contoso.com&size=HR64x64', 404],
      ['http://photos.contoso.com/x/../ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber%40contoso.com&size=HR64x64', 404],
      // %2F is no unreserved character: still an escape, and so no path separator.
      ['/ews%2Fexchange.asmx/s/GetUserPhoto?email=alex.wilber%40contoso.com&size=HR64x64', 404],
    ] as const) {
      const res = await get(t, target, 'photos.contoso.com', basic(READER));
      expect(res.status, target).to.equal(status);
      if (status === 200) expect(res.body, target).to.equal(plain.body);
    }
  });

  it('answers OPTIONS * (the server itself, RFC 9110 §9.3.7) 200 with the methods some path takes, and another method with * 400', async () => {
    const { port } = t.bridge.server.address() as AddressInfo;
    const answerTo = async (method: string) => {
      const socket = await connectTo(port);
      socket.write(`${method} * HTTP/1.1\r\nHost: photos.contoso.com\r\nConnection: close\r\n\r\n`);
      return received(socket);
    };
    const options = await answerTo('OPTIONS');
    expect(options).to.match(/^HTTP\/1\.1 200 OK\r\n/);
    expect(options).to.match(/\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n/i);
    expect(await answerTo('GET')).to.match(/^HTTP\/1\.1 400 /);
  });

  it('refuses with 400 a target that is neither a path nor an http(s) URL (ftp://h/healthz answered as /healthz)', async () => {
    for (const target of ['ftp://h/healthz', 'http://', 'http://[::1']) {
      const res = await get(t, target, 'photos.contoso.com');
      expect([res.status, res.body.trim()], target).to.deep.equal([400, 'the request target is neither a path nor an http(s) URL']);
    }
    expect((await get(t, '/healthz', 'photos.contoso.com')).status).to.equal(200);
  });

  it('refuses with 400 an http(s) URL naming a user (RFC 9110 §4.2.4): http://good.example@evil.example/ was taken as evil.example', async () => {
    for (const target of ['http://good.example@evil.example/healthz', 'https://user:pass@photos.contoso.com/healthz', 'http://a@b']) {
      const res = await get(t, target, 'photos.contoso.com');
      expect([res.status, res.body.trim()], target).to.deep.equal([400, 'the request target names a user (user@host), which an http(s) URL may not']);
    }
    // An @ in the path or the query is no userinfo.
    expect((await get(t, 'http://photos.contoso.com/healthz?email=a@b.example', 'photos.contoso.com')).status).to.equal(200);
  });

  it("refuses a Graph URL over 4,096 characters with 414 in Graph's error JSON, which its clients read; another path as text", async () => {
    const long = `?$filter=${'a'.repeat(4100)}`;
    for (const target of [`/v1.0/users${long}`, `/BETA/me/people${long}`, `http://photos.contoso.com/v1.0/users${long}`]) {
      const res = await get(t, target, 'photos.contoso.com');
      const { error } = JSON.parse(res.body) as { error: { code: string; message: string; innerError: { 'request-id': string } } };
      expect([res.status, error.code, error.message, typeof error.innerError['request-id']], target.slice(0, 40)).to.deep.equal([
        414,
        'ErrorInvalidRequest',
        'the URL is longer than 4096 characters',
        'string',
      ]);
    }
    const other = await get(t, `/api/people${long}`, 'photos.contoso.com');
    expect([other.status, other.body.trim()]).to.deep.equal([414, 'the URL is longer than 4096 characters']);
  });

  it('builds links on the address the client connected to when the request names no host (HTTP/1.0, an empty Host): they were http://localhost', async () => {
    const { port } = t.bridge.server.address() as AddressInfo;
    const answerTo = async (head: string, body = '') => {
      const socket = await connectTo(port);
      socket.write(`${head}\r\nAuthorization: ${basic(READER)}\r\nConnection: close\r\n\r\n${body}`);
      return received(socket);
    };
    for (const head of ['GET /EWS/Exchange.asmx?wsdl HTTP/1.0', 'GET /EWS/Exchange.asmx?wsdl HTTP/1.1\r\nHost:']) {
      expect(await answerTo(head), head).to.include(`<soap:address location="http://127.0.0.1:${port}/EWS/Exchange.asmx"/>`);
    }
    const autodiscover = await answerTo('GET /autodiscover/autodiscover.json/v1.0/alex.wilber@contoso.com?Protocol=EWS HTTP/1.0');
    expect(autodiscover).to.match(/^HTTP\/1\.1 200 /);
    expect(autodiscover).to.include(`"Url":"http://127.0.0.1:${port}/EWS/Exchange.asmx"`);
    // A batch's requests reach the same address, as made in memory.
    const batch = JSON.stringify({ requests: [{ id: '1', method: 'GET', url: '/users?$top=1' }] });
    const batched = await answerTo(`POST /v1.0/$batch HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: ${batch.length}`, batch);
    expect(batched).to.match(/^HTTP\/1\.1 200 /);
    expect(batched).to.include(`"@odata.context":"http://127.0.0.1:${port}/v1.0/$metadata#users"`);
  });

  it('takes the host from the target, not from the Host header, as an origin server must', async () => {
    const res = await get(t, 'http://mail.contoso.com/autodiscover/autodiscover.json/v1.0/alex.wilber@contoso.com?Protocol=EWS', 'elsewhere.example');
    expect(res.status).to.equal(200);
    expect((JSON.parse(res.body) as { Url: string }).Url).to.equal('http://mail.contoso.com/EWS/Exchange.asmx');
  });
});

describe('links built on the address a client connected to, over IPv6', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge({ BRIDGE_PORT: '0', BRIDGE_HOST: '::' });
    await t.bridge.listen();
  });
  after(() => t.close());

  it('writes an IPv6 address in brackets, and an IPv4 client of a dual-stack listener (::ffff:127.0.0.1) as IPv4', async () => {
    const { port } = t.bridge.server.address() as AddressInfo;
    const wsdlOver = async (host: string) => {
      const socket = connect(port, host);
      await once(socket, 'connect');
      socket.write(`GET /EWS/Exchange.asmx?wsdl HTTP/1.0\r\nAuthorization: ${basic(READER)}\r\n\r\n`);
      return (await received(socket)).match(/<soap:address location="([^"]*)"/)?.[1];
    };
    expect(await wsdlOver('::1')).to.equal(`http://[::1]:${port}/EWS/Exchange.asmx`);
    expect(await wsdlOver('127.0.0.1')).to.equal(`http://127.0.0.1:${port}/EWS/Exchange.asmx`);
  });
});

describe('framing the bridge must not trust (RFC 9112)', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge({ BRIDGE_PORT: '0', BRIDGE_HOST: '127.0.0.1' });
    await t.bridge.listen();
  });
  after(() => t.close());
  const port = () => (t.bridge.server.address() as AddressInfo).port;
  /** The start of the status line answering `raw`, written at once on a connection of its own: `HTTP/1.1 400`. */
  const statusOf = async (raw: string) => {
    const socket = await connectTo(port());
    try {
      socket.write(raw);
      return (await received(socket, (text) => text.includes('\r\n\r\n'))).slice(0, 12);
    } finally {
      socket.destroy();
    }
  };

  it('refuses a request with two Host or two Authorization headers with 400 (the first had built soap:address and Autodiscover URLs, and logged in)', async () => {
    const login = basic(READER);
    for (const [path, fields] of [
      ['/healthz', 'Host: a.example\r\nHost: b.example'],
      ['/api/me', `Host: a.example\r\nAuthorization: ${login}\r\nauthorization: Basic eDp5`],
    ]) {
      expect(await statusOf(`GET ${path} HTTP/1.1\r\n${fields}\r\n\r\n`), fields).to.equal('HTTP/1.1 400');
    }
  });

  it('refuses a Host that names no host with 400 (RFC 9112 §3.2): it was answered, with links on http://localhost', async () => {
    for (const [host, status] of [
      ['a@b', 400],
      ['evil.example/x', 400],
      ['x:99999', 400],
      ['photos.contoso.com:8443', 200],
      // A container's service name (Docker Compose's project_service_1): RFC 3986's reg-name takes `_`, as IIS does.
      ['ews_bridge:8080', 200],
      ['photo_bridge_1', 200],
    ] as const) {
      expect(await statusOf(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\n\r\n`), host).to.equal(`HTTP/1.1 ${status}`);
    }
  });

  it('answers a request asking to Upgrade, then closes: one pipelined behind it, which node:http no longer reads, had hung without an answer', async () => {
    const socket = await connectTo(port());
    try {
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      const answer = await received(socket, (text) => text.includes('\r\n\r\n'));
      expect(answer).to.match(/^HTTP\/1\.1 200 /);
      expect(answer.toLowerCase()).to.include('connection: close');
      await closed;
    } finally {
      socket.destroy();
    }
  });

  it('refuses more than 100 header fields with 431: node:http dropped those past its thousandth, a proxy-appended X-Forwarded-For among them', async () => {
    for (const [fields, status] of [
      [99, 200],
      [101, 431],
      [1000, 431],
    ] as const) {
      // Host and the fillers: `fields` in all, the last an X-Forwarded-For.
      const fillers = Array.from({ length: fields - 2 }, (_, i) => `A${i}: a\r\n`).join('');
      const raw = `GET /healthz HTTP/1.1\r\nHost: localhost\r\n${fillers}X-Forwarded-For: 8.8.8.8\r\n\r\n`;
      expect(await statusOf(raw), `${fields} fields`).to.equal(`HTTP/1.1 ${status}`);
    }
  });

  it('answers a body in a transfer coding other than chunked 501 (RFC 9112 §6.1), never read as if it were plain; chunked in any case is read', async () => {
    for (const [coding, status] of [
      ['gzip, chunked', 501],
      ['x-custom , chunked', 501],
      // Read, and answered as any POST to /healthz is.
      ['Chunked', 405],
    ] as const) {
      const raw = `POST /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: ${coding}\r\n\r\n0\r\n\r\n`;
      expect(await statusOf(raw), coding).to.equal(`HTTP/1.1 ${status}`);
    }
  });

  it('closes the connection after refusing a transfer coding: a request after its body is never read, as a proxy may have framed the body otherwise', async () => {
    for (const coding of ['identity, chunked', 'gzip, chunked']) {
      const socket = await connectTo(port());
      try {
        socket.write(`POST /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: ${coding}\r\n\r\n0\r\n\r\n`);
        socket.write('GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n');
        const answers = await received(socket);
        expect(answers.match(/HTTP\/1\.1 \d{3} /g), coding).to.deep.equal(['HTTP/1.1 501 ']);
        expect(answers.toLowerCase()).to.include('connection: close');
      } finally {
        socket.destroy();
      }
    }
  });

  it('answers an HTTP/1.0 request sent chunked, then closes: a request pipelined behind it is never read (§6.1)', async () => {
    const socket = await connectTo(port());
    try {
      socket.write('POST /healthz HTTP/1.0\r\nHost: localhost\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
      socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
      const answers = await received(socket);
      expect(answers.match(/HTTP\/1\.[01] \d{3} /g), answers).to.have.length(1);
      expect(answers.toLowerCase()).to.include('connection: close');
    } finally {
      socket.destroy();
    }
  });
});
