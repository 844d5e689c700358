import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { logRequest } from '../../src/http/access-log.js';
import type { RequestContext } from '../../src/http/request-context.js';
import { BatchedLines, createLogger } from '../../src/logger.js';
import { samplePhoto } from '../support/sample-images.js';
import { envelope } from '../support/soap.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

type Line = Record<string, unknown>;
const PHOTO_URL = '/ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber@contoso.com&size=HR64x64';

describe('access log', () => {
  let t: TestBridge;
  const written: string[] = [];

  before(async () => {
    t = await startTestBridge({ BRIDGE_ACCESS_LOG: 'true' }, createLogger('info', { write: (line: string) => written.push(line) }));
    await t.store.upsertUsers([{ email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} }]);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(200, 200), 'test');
  });
  after(() => t.close());

  /** The access line of the request that got this response (the line is written as the answer finishes, so it may trail it a moment). */
  async function lineOf(res: { headers: Record<string, string> }): Promise<Line> {
    const requestId = res.headers['request-id'];
    expect(requestId, 'the response names its request id').to.be.a('string');
    for (let attempt = 0; attempt < 100; attempt++) {
      const line = written.map((text) => JSON.parse(text) as Line).find((entry) => entry.msg === 'request' && entry.reqId === requestId);
      if (line) return line;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no access line for request ${requestId}`);
  }

  /** The first access line that `matches` (it may trail the answer a moment). */
  async function lineWhere(matches: (line: Line) => boolean): Promise<Line> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const line = written.map((text) => JSON.parse(text) as Line).find((entry) => entry.msg === 'request' && matches(entry));
      if (line) return line;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('no such access line');
  }

  /** Resolves when the server has answered `HTTP/1.1 100 Continue` on `socket`; fails if the connection closes first. */
  function hundredContinue(socket: Socket): Promise<void> {
    return new Promise((resolve, reject) => {
      let answer = '';
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString('latin1');
        if (answer.startsWith('HTTP/1.1 100 Continue\r\n')) resolve();
      });
      socket.once('close', () => reject(new Error(`no 100 Continue; answered: ${answer}`)));
    });
  }

  const isLoopback = (client: unknown) => expect(client).to.be.oneOf(['127.0.0.1', '::ffff:127.0.0.1', '::1']);
  /** What a server on `port` answers `bytes` written by hand on a connection of their own, until it closes the connection. */
  const answerOn = async (port: number, bytes: string) => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.write(bytes);
    await once(socket, 'close');
    return Buffer.concat(chunks).toString('latin1');
  };

  it('writes one JSON line per request with the fields every path shares, and no query string', async () => {
    const asked = performance.now();
    const res = await request(t.bridge.server).get(PHOTO_URL).set('Authorization', basic(READER)).expect(200);
    const answered = performance.now();
    const line = await lineOf(res);
    expect(line).to.include({
      level: 30,
      service: 'ews-photo-bridge',
      method: 'GET',
      path: '/ews/exchange.asmx/s/GetUserPhoto',
      status: 200,
      user: READER.username,
    });
    // How long the request took, in milliseconds: no less than nothing, no more than the client waited for it (to the tenth it is written to).
    expect(line.ms)
      .to.be.a('number')
      .that.is.within(0, answered - asked + 0.1);
    expect(line.time).to.be.a('number');
    isLoopback(line.client);
    expect(written.filter((text) => text.includes(res.headers['request-id']!))).to.have.length(1);
    expect(written.join('')).to.not.include('alex.wilber@contoso.com');
  });

  it('names the user and the client on the cached hot path too', async () => {
    await request(t.bridge.server).get(PHOTO_URL).set('Authorization', basic(READER)).expect(200);
    const res = await request(t.bridge.server).get(PHOTO_URL).set('Authorization', basic(READER)).expect(200);
    const line = await lineOf(res);
    expect(line).to.include({ status: 200, user: READER.username });
    isLoopback(line.client);
  });

  it('names the user a failed login tried, never the password', async () => {
    const res = await request(t.bridge.server)
      .get(PHOTO_URL)
      .set('Authorization', basic({ username: 'mallory@contoso.com', password: 'hunter2-guess' }))
      .expect(401);
    const line = await lineOf(res);
    expect(line).to.include({ status: 401, attemptedUser: 'mallory@contoso.com' });
    expect(line).to.not.have.property('user');
    isLoopback(line.client);
    expect(written.join('')).to.not.include('hunter2-guess');
  });

  it('cuts a long name a failed login tried to 320 characters, in the access line and the warning', async () => {
    const long = `${'m'.repeat(3000)}@contoso.com`;
    const res = await request(t.bridge.server)
      .get(PHOTO_URL)
      .set('Authorization', basic({ username: long, password: 'guess' }))
      .expect(401);
    const line = await lineOf(res);
    expect(line.attemptedUser).to.equal(`${'m'.repeat(320)}…`);
    expect(written.join('')).to.not.include('m'.repeat(321));
  });

  it('names the account an admin route refused, as the user', async () => {
    const res = await request(t.bridge.server).delete('/admin/users/alex.wilber@contoso.com/photo').set('Authorization', basic(READER)).expect(403);
    expect(await lineOf(res)).to.include({ path: '/admin/users/{address}/photo', status: 403, user: READER.username });
  });

  it('writes a line for a metrics scrape too', async () => {
    const res = await request(t.bridge.server).get('/metrics').expect(200);
    expect(await lineOf(res)).to.include({ path: '/metrics', status: 200 });
  });

  it('answers and logs a request that expects something other than 100-continue as any other (RFC 9110 §10.1.1 lets a server ignore it)', async () => {
    // node:http's client sends its head at once when told to expect: the request is written by hand.
    const server = t.bridge.server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write(`GET /api/me?expecting HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(READER)}\r\nExpect: something-else\r\nConnection: close\r\n\r\n`);
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      await once(socket, 'close');
      expect(answer).to.match(/^HTTP\/1\.1 200 /);
      const requestId = /^request-id: (\S+)/im.exec(answer)?.[1];
      expect(await lineWhere((entry) => entry.reqId === requestId)).to.include({ path: '/api/me', status: 200, user: READER.username });
    } finally {
      server.close();
    }
  });

  it('names the user and the client on Express routes', async () => {
    const res = await request(t.bridge.server).get('/api/me').set('Authorization', basic(READER)).expect(200);
    const line = await lineOf(res);
    expect(line).to.include({ path: '/api/me', status: 200, user: READER.username });
    isLoopback(line.client);
  });

  it('logs the whole path of a route Express mounts under a prefix', async () => {
    const res = await request(t.bridge.server).get('/v1.0/me/contacts?$top=1').set('Authorization', basic(READER)).expect(200);
    expect(await lineOf(res)).to.include({ path: '/v1.0/me/contacts', status: 200, user: READER.username });
  });

  it('names the user and the client on SOAP requests', async () => {
    const res = await request(t.bridge.server)
      .post('/EWS/Exchange.asmx')
      .set('Authorization', basic(READER))
      .set('Content-Type', 'text/xml; charset=utf-8')
      .send(envelope('<m:GetUserPhoto><m:Email>alex.wilber@contoso.com</m:Email><m:SizeRequested>HR48x48</m:SizeRequested></m:GetUserPhoto>'))
      .expect(200);
    const line = await lineOf(res);
    expect(line).to.include({ method: 'POST', path: '/EWS/Exchange.asmx', status: 200, user: READER.username });
    isLoopback(line.client);
  });

  it('logs a request whose client left mid-body as 499, on every door that reads a body, and writes no error for it', async () => {
    const server = t.bridge.server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const doors = [
      { path: '/EWS/Exchange.asmx', login: READER },
      { path: '/autodiscover/autodiscover.xml', login: READER },
      { path: '/admin/users/alex.wilber@contoso.com/photo', logged: '/admin/users/{address}/photo', login: ADMIN, method: 'PUT' },
    ];
    try {
      for (const door of doors) {
        const socket = connect(port, '127.0.0.1');
        await once(socket, 'connect');
        // Each door sends its 100 Continue once the request is logged in and its body wanted
        // (read-body.ts): the client leaves mid-body after that.
        const continued = hundredContinue(socket);
        socket.write(
          `${door.method ?? 'POST'} ${door.path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(door.login)}\r\n` +
            'Content-Type: text/xml\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n',
        );
        await continued;
        await new Promise((resolve) => socket.write('<a>', resolve));
        socket.destroy();
        const line = await lineWhere((entry) => entry.path === (door.logged ?? door.path) && entry.status === 499);
        expect(line, door.path).to.include({ status: 499, user: door.login.username });
      }
      const errors = written.map((text) => JSON.parse(text) as Line).filter((entry) => Number(entry.level) >= 50);
      expect(errors, 'no error lines').to.deep.equal([]);
    } finally {
      server.close();
    }
  });

  it('logs a request whose body came too slowly with the 408 node:http answered it, on every door that reads a body', async () => {
    const slow = await startTestBridge(
      { BRIDGE_ACCESS_LOG: 'true', BRIDGE_HEADERS_TIMEOUT_SECONDS: '1', BRIDGE_REQUEST_TIMEOUT_SECONDS: '2' },
      createLogger('info', { write: (line: string) => written.push(line) }),
    );
    const server = slow.bridge.server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const paths = ['/EWS/Exchange.asmx', '/autodiscover/autodiscover.xml', '/v1.0/$batch'];
      await Promise.all(
        paths.map(async (path) => {
          const answer = await answerOn(
            port,
            `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(READER)}\r\nContent-Type: text/xml\r\nContent-Length: 5000\r\n\r\n<a>`,
          );
          expect(answer, path).to.match(/^HTTP\/1\.1 408 /);
        }),
      );
      for (const path of paths) expect(await lineWhere((entry) => entry.path === path && entry.status === 408), path).to.include({ user: READER.username });
    } finally {
      await slow.close();
    }
  });

  it('logs a request whose chunked body does not parse with the 400 node:http answered it, not as a client that left', async () => {
    const server = t.bridge.server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      for (const path of ['/EWS/Exchange.asmx', '/autodiscover/autodiscover.xml', '/v1.0/$batch']) {
        const head = `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(READER)}\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n`;
        expect(await answerOn(port, `${head}zz\r\n<a/>\r\n0\r\n\r\n`), path).to.match(/^HTTP\/1\.1 400 /);
        expect(await lineWhere((entry) => entry.path === path && entry.status === 400), path).to.include({ user: READER.username });
      }
    } finally {
      server.close();
    }
  });

  it('writes a line for a request node:http refuses unread (headers too large, not HTTP, CONNECT), with its status and client', async () => {
    const server = t.bridge.server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const answerTo = (bytes: string) => answerOn(port, bytes);
    try {
      const huge = await answerTo(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`);
      expect(huge).to.equal('HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n');
      const garbage = await answerTo('NOT HTTP AT ALL\r\n\r\n');
      expect(garbage).to.equal('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      // A proxy's method: 501, after the answer to the request ahead of it on the connection.
      const tunnel = await answerTo('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nCONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
      expect(tunnel).to.match(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok\nHTTP\/1\.1 501 Not Implemented\r\nConnection: close\r\nContent-Length: 0\r\n\r\n$/);
      const lines = async (status: number) => {
        for (let attempt = 0; attempt < 100; attempt++) {
          const found = written.map((text) => JSON.parse(text) as Line).filter((entry) => entry.msg === 'request refused unread' && entry.status === status);
          if (found.length > 0) return found;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return [];
      };
      const [tooLarge] = await lines(431);
      expect(tooLarge).to.include({ level: 30, reason: 'HPE_HEADER_OVERFLOW' });
      isLoopback(tooLarge!.client);
      expect((await lines(400)).length).to.equal(1);
      expect((await lines(501))[0]).to.include({ reason: 'CONNECT' });
    } finally {
      server.close();
    }
  });

  it('leaves out the addresses a path names, as it leaves out the query string', async () => {
    const graph = await request(t.bridge.server).get('/v1.0/users/alex.wilber@contoso.com/photo/$value').set('Authorization', basic(READER)).expect(200);
    expect(await lineOf(graph)).to.include({ path: '/v1.0/users/{address}/photo/$value', user: READER.username });
    const encoded = await request(t.bridge.server).get('/v1.0/users/alex.wilber%40contoso.com/photo/$value').set('Authorization', basic(READER)).expect(200);
    expect(await lineOf(encoded)).to.include({ path: '/v1.0/users/{address}/photo/$value' });
    const twice = await request(t.bridge.server).get('/v1.0/users/secret.person%2540contoso.com/photo').set('Authorization', basic(READER));
    expect(await lineOf(twice)).to.include({ path: '/v1.0/users/{address}/photo' });
    const autodiscover = await request(t.bridge.server).get('/autodiscover/autodiscover.json/v1.0/secret.person@contoso.com?Protocol=EWS');
    expect(await lineOf(autodiscover)).to.include({ path: '/autodiscover/autodiscover.json/v1.0/{address}' });
    expect(written.join('')).to.not.include('alex.wilber').and.not.include('secret.person');
  });

  it('leaves out whom a path names by any other name: a display name, an alias, an OData key', async () => {
    for (const [path, logged] of [
      ['/v1.0/users/Secret%20Person/photo', '/v1.0/users/{address}/photo'],
      ['/beta/USERS/secret.person/photo/$value', '/beta/USERS/{address}/photo/$value'],
      ["/v1.0/users('secret.person')/photo", '/v1.0/users{address}/photo'],
      ['/v1.0/users%2Fsecret.person/photo', '/v1.0/users{address}/{address}'],
      ['/v1.0/users;x=1/secret.person/photo', '/v1.0/users{address}/{address}/photo'],
      ['/v1.0/users//secret.person/photo', '/v1.0/users//{address}/photo'],
      ['/v1.0/users/./secret.person/photo', '/v1.0/users/./{address}/photo'],
      ['/autodiscover/autodiscover.json/v1.0//secretperson', '/autodiscover/autodiscover.json/v1.0//{address}'],
      ['/autodiscover/autodiscover.json%2Fv1.0/secretperson', '/autodiscover/autodiscover.json{address}/{address}'],
      // An OData segment names no one.
      ['/v1.0/users/$count', '/v1.0/users/$count'],
      ['/api/v2.0/Users/secretperson/photo', '/api/v2.0/Users/{address}/photo'],
      ['/Autodiscover/Autodiscover.json/v1.0/secretperson?Protocol=EWS', '/Autodiscover/Autodiscover.json/v1.0/{address}'],
    ]) {
      const res = await request(t.bridge.server).get(path!).set('Authorization', basic(READER));
      expect((await lineOf(res)).path, path).to.equal(logged);
    }
    expect(written.join('').toLowerCase()).to.not.include('secret');
  });

  it('cuts a very long path short in the line', async () => {
    const res = await request(t.bridge.server)
      .get(`/${'x'.repeat(3000)}`)
      .expect(404);
    const line = await lineOf(res);
    expect((line.path as string).length).to.be.lessThan(600);
  });

  it("writes each line at once, before any later line, with its logger's fields and the time its request ended", () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => lines.push(line) });
    const req = { url: '/healthz', method: 'GET', headers: {} };
    const context = (requestId: string) => ({ req, res: {}, requestId, clientAddress: '192.0.2.7', startedAt: performance.now() }) as unknown as RequestContext;
    const before = Date.now();
    logRequest(log, context('line-1'), 200);
    logRequest(log.child({ component: 'test' }), context('line-2'), 503);
    log.warn('a later line');
    const entries = lines.map((text) => JSON.parse(text) as Line);
    expect(entries.map((entry) => entry.reqId ?? entry.msg)).to.deep.equal(['line-1', 'line-2', 'a later line']);
    expect(entries[1]).to.include({ status: 503, component: 'test', service: 'ews-photo-bridge' });
    for (const entry of entries.slice(0, 2)) expect(entry.time).to.be.within(before, Date.now());
  });

  it("writes its lines as bytes into stdout's batch, each field as JSON has it, a connection's next request with its own path and user", () => {
    const batches: Buffer[] = [];
    const out = new BatchedLines({ write: (bytes: Buffer) => batches.push(bytes) });
    const log = createLogger('info', out);
    const socket = {};
    const context = (url: string, username: string | undefined, requestId: string, startedAt: number) =>
      ({
        req: { url, method: 'GET', headers: {}, socket },
        res: {},
        requestId,
        clientAddress: '2001:db8::7',
        startedAt,
        principal: username === undefined ? undefined : { username },
      }) as unknown as RequestContext;
    const graphPhoto = '/v1.0/users/zoë@contoso.com/photo/$value';
    const endedAt = performance.now();
    logRequest(log, context(graphPhoto, 'zoë.ångström@contoso.com', 'id-1', endedAt - 12.34), 200, endedAt);
    logRequest(log, context(graphPhoto, 'zoë.ångström@contoso.com', 'id-2', endedAt - 0.04), 304, endedAt);
    logRequest(log, context('/odd/"quoted"\\and\u0001control?email=someone@contoso.com', undefined, 'id-3', endedAt - 7), 401, endedAt);
    logRequest(log, context(graphPhoto, 'other.person@contoso.com', 'id-4', endedAt - 1500), 200, endedAt);
    // A later millisecond: the line's start is written again, the rest of the line as before.
    logRequest(log, context(graphPhoto, 'other.person@contoso.com', 'id-5', endedAt + 4), 200, endedAt + 5);
    expect(batches, 'held in the batch until flushed').to.have.length(0);
    out.flush();
    const entries = Buffer.concat(batches)
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((text) => JSON.parse(text) as Line);
    const shared = { level: 30, service: 'ews-photo-bridge', method: 'GET', client: '2001:db8::7', msg: 'request' };
    const photoPath = '/v1.0/users/{address}/photo/$value';
    expect(entries[0]).to.include({ ...shared, reqId: 'id-1', status: 200, ms: 12.3, path: photoPath, user: 'zoë.ångström@contoso.com' });
    expect(entries[1]).to.include({ ...shared, reqId: 'id-2', status: 304, ms: 0, path: photoPath, user: 'zoë.ångström@contoso.com' });
    expect(entries[2]).to.include({ ...shared, reqId: 'id-3', status: 401, ms: 7, path: '/odd/"quoted"\\and\u0001control' });
    expect(entries[2]).to.not.have.property('user');
    expect(entries[3]).to.include({ ...shared, reqId: 'id-4', status: 200, ms: 1500, path: photoPath, user: 'other.person@contoso.com' });
    expect(entries[4]).to.include({ ...shared, reqId: 'id-5', status: 200, ms: 1, path: photoPath, user: 'other.person@contoso.com' });
    expect(new Set(entries.slice(0, 4).map((entry) => entry.time)).size, 'one millisecond, one time').to.equal(1);
    expect((entries[4]!.time as number) - (entries[0]!.time as number)).to.equal(5);
    expect(entries).to.have.length(5);
  });

  it("follows its logger's level as it changes: no access lines while it is above info", () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => lines.push(line) });
    const req = { url: '/healthz', method: 'GET', headers: {} };
    const context = (requestId: string) => ({ req, res: {}, requestId, clientAddress: '192.0.2.7', startedAt: performance.now() }) as unknown as RequestContext;
    logRequest(log, context('while-info'), 200);
    log.level = 'warn';
    logRequest(log, context('while-warn'), 200);
    log.level = 'debug';
    logRequest(log, context('while-debug'), 200);
    expect(lines.map((text) => (JSON.parse(text) as Line).reqId)).to.deep.equal(['while-info', 'while-debug']);
  });

  it('loses no buffered line when the process exits', () => {
    // Fewer lines than the buffer holds, and an exit before the periodic flush: only the exit writes them.
    const script = `
      import { createLogger } from './src/logger.js';
      import { logRequest } from './src/http/access-log.js';
      const log = createLogger('info');
      const req = { url: '/healthz?secret=1', method: 'GET', headers: {} };
      for (let i = 0; i < 3; i++) logRequest(log, { req, res: {}, requestId: 'exit-' + i, clientAddress: '192.0.2.7', startedAt: performance.now() }, 200);
      process.exit(0);`;
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const lines = stdout
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as Line);
    expect(lines.map((line) => [line.reqId, line.path, line.client])).to.deep.equal([0, 1, 2].map((i) => [`exit-${i}`, '/healthz', '192.0.2.7']));
  });
});
