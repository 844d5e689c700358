import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server, ServerResponse } from 'node:http';
import { connect, isIPv6, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createFrontServer, MAX_UNANSWERED_PER_CONNECTION, tlsPairOf } from '../../src/http/front-server.js';
import { addLoopbackAddresses, documentationNetworks } from '../support/loopback-addresses.js';
import { makeSelfSignedCertificate } from '../support/self-signed.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const HEALTHZ = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n';
const HEALTHZ_THEN_CLOSE = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';

/** A raw TCP connection to the bridge, from `localAddress` if given (an IPv6 one reaches it at ::1); resolves once connected. */
async function open(port: number, localAddress?: string): Promise<Socket> {
  const socket = connect({ port, host: localAddress && isIPv6(localAddress) ? '::1' : '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
  socket.on('error', () => {}); // a refused connection may be reset; 'close' tells the outcome
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('close', () => reject(new Error('closed before connecting')));
  });
  return socket;
}

async function listening(server: Server): Promise<{ port: number }> {
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { port: (server.address() as { port: number }).port };
}

/** Sends `request` and resolves with the status of the answer, or `closed` when the server closes the connection without one. */
function statusOf(socket: Socket, request: string): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    let received = '';
    const onData = (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(received);
      if (status && received.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve(Number(status[1]));
      }
    };
    socket.on('data', onData);
    socket.once('close', () => resolve('closed'));
    socket.write(request);
  });
}

/** The server's sides of the connections it accepts from now on (listening after the bridge's own limits, so they have counted a connection before this sees it). */
function acceptedBy(server: Server): Socket[] {
  const accepted: Socket[] = [];
  server.on('connection', (socket: Socket) => accepted.push(socket));
  return accepted;
}

/** Writes `count` requests in one piece and resolves, once the server closes or has answered them all, with the statuses it sent. */
function pipelined(socket: Socket, request: string, count: number): Promise<number[]> {
  return new Promise((resolve) => {
    let received = '';
    const statuses = () => [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (statuses().length === count) resolve(statuses());
    });
    socket.once('close', () => resolve(statuses()));
    socket.write(request.repeat(count));
  });
}

describe('a connection whose client stops reading its answer', () => {
  for (const tls of [false, true]) {
    it(`is closed once nothing has moved on it for BRIDGE_IDLE_TIMEOUT_SECONDS, its answer unfinished (${tls ? 'HTTPS' : 'HTTP'})`, async () => {
      const limits = {
        maxConnections: 10,
        maxConnectionsPerClient: 10,
        trustedProxies: '',
        headersTimeoutMs: 5_000,
        requestTimeoutMs: 10_000,
        idleTimeoutMs: 300,
        refused: { perClient: 0, overall: 0 },
      };
      const dir = mkdtempSync(join(tmpdir(), 'epb-idle-'));
      const files = tls ? makeSelfSignedCertificate(dir, { name: 'server', commonName: 'idle', altNames: 'IP:127.0.0.1' }) : { certFile: '', keyFile: '' };
      const piece = Buffer.alloc(1024 * 1024, 'x');
      const servers: Server[] = [];
      const readers: Socket[] = [];
      let answered: ServerResponse | undefined;
      const cut = new Promise<void>((resolve, reject) => {
        const front = createFrontServer(files, tlsPairOf(files), limits, (_req, res) => {
          answered = res;
          res.once('close', () => resolve());
          res.writeHead(200, { 'content-length': String(256 * piece.length) });
          // 256 MiB, written as fast as the connection takes it: far more than the sockets' buffers hold.
          const more = () => {
            for (let i = 0; i < 256 && !res.destroyed; i++) if (!res.write(piece)) return void res.once('drain', more);
          };
          more();
        });
        servers.push(front.server);
        listening(front.server)
          .then(async ({ port }) => {
            const socket = await open(port);
            const reader = tls ? tlsConnect({ socket, ca: readFileSync(files.certFile), checkServerIdentity: () => undefined }) : socket;
            reader.on('error', () => {});
            reader.write('GET /large HTTP/1.1\r\nHost: localhost\r\n\r\n');
            // Never reads: the server's writes stop completing once the buffers are full.
            reader.pause();
            readers.push(reader);
          })
          .catch(reject);
      });
      try {
        await cut;
        expect(answered?.writableFinished, 'the answer was cut, not finished').to.equal(false);
        expect(answered?.destroyed, 'its connection closed').to.equal(true);
      } finally {
        for (const reader of readers.splice(0)) reader.destroy();
        for (const server of servers.splice(0)) server.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('connection limits of the public port', () => {
  let t: TestBridge | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await t?.close();
    t = undefined;
  });

  async function openAll(port: number, count: number, localAddress?: string): Promise<Socket[]> {
    const opened: Socket[] = [];
    for (let i = 0; i < count; i++) {
      const socket = await open(port, localAddress);
      sockets.push(socket);
      opened.push(socket);
    }
    return opened;
  }

  it('closes, unanswered, a connection over BRIDGE_MAX_CONNECTIONS_PER_CLIENT, and takes one again once another closes', async () => {
    t = await startTestBridge({ BRIDGE_MAX_CONNECTIONS_PER_CLIENT: '5' });
    const { server } = t.bridge;
    const { port } = await t.bridge.listen();
    const accepted = acceptedBy(server);
    // Five idle connections, as a slowloris client opens them.
    const idle = await openAll(port, 5);
    const sixth = await open(port);
    sockets.push(sixth);
    expect(await statusOf(sixth, HEALTHZ_THEN_CLOSE)).to.equal('closed');

    // The five stayed open: each still answers.
    expect(await Promise.all(idle.map((socket) => statusOf(socket, HEALTHZ)))).to.deep.equal([200, 200, 200, 200, 200]);

    // Once the server has closed one of them (its 'close' listeners run in order: the count has dropped when this one runs), a new connection is taken.
    const serverSide = accepted.find((socket) => socket.remotePort === idle[0]!.localPort);
    expect(serverSide, "the server's side of the first connection").to.not.equal(undefined);
    const closed = new Promise((resolve) => serverSide!.once('close', resolve));
    idle[0]!.destroy();
    await closed;
    const next = await open(port);
    sockets.push(next);
    expect(await statusOf(next, HEALTHZ_THEN_CLOSE)).to.equal(200);
    expect(await t.bridge.metrics.metrics()).to.include('ews_photo_bridge_connections_refused_total{cap="per_client"} 1\n');
  });

  it('counts by the peer address: a trusted proxy is not capped, another address is', async function () {
    t = await startTestBridge({ BRIDGE_MAX_CONNECTIONS_PER_CLIENT: '5', BRIDGE_TRUSTED_PROXIES: '127.0.0.1' });
    const { port } = await t.bridge.listen();
    const viaProxy = await openAll(port, 10);
    expect(await Promise.all(viaProxy.map((socket) => statusOf(socket, HEALTHZ)))).to.deep.equal(Array(10).fill(200));

    // 127.0.0.2 is loopback too on Linux, but no trusted proxy: its sixth connection is refused.
    const direct = await openAll(port, 5, '127.0.0.2');
    const sixth = await open(port, '127.0.0.2');
    sockets.push(sixth);
    expect(await statusOf(sixth, HEALTHZ_THEN_CLOSE)).to.equal('closed');
    expect(await Promise.all(direct.map((socket) => statusOf(socket, HEALTHZ)))).to.deep.equal([200, 200, 200, 200, 200]);
  });

  it('counts an IPv6 client by its /64: another address of it is refused over the cap, one of the next /64 is taken', async () => {
    const [network, next] = documentationNetworks();
    const [first, second, other] = [`${network}::1`, `${network}:ffff:1:2:3`, `${next}::1`];
    const removeAddresses = addLoopbackAddresses([first, second, other]);
    try {
      t = await startTestBridge({ BRIDGE_MAX_CONNECTIONS_PER_CLIENT: '5', BRIDGE_HOST: '::1' });
      const { port } = await t.bridge.listen();
      const held = await openAll(port, 5, first);
      const sixth = await open(port, second);
      sockets.push(sixth);
      expect(await statusOf(sixth, HEALTHZ_THEN_CLOSE), 'another address of the same /64').to.equal('closed');
      const [elsewhere] = await openAll(port, 1, other);
      expect(await statusOf(elsewhere!, HEALTHZ_THEN_CLOSE), 'the next /64').to.equal(200);
      expect(await Promise.all(held.map((socket) => statusOf(socket, HEALTHZ)))).to.deep.equal([200, 200, 200, 200, 200]);
      expect(await t.bridge.metrics.metrics()).to.include('ews_photo_bridge_connections_refused_total{cap="per_client"} 1\n');
    } finally {
      for (const socket of sockets.splice(0)) socket.destroy();
      removeAddresses();
    }
  });

  it('closes, unanswered, a connection over BRIDGE_MAX_CONNECTIONS, whichever its address', async () => {
    t = await startTestBridge({ BRIDGE_MAX_CONNECTIONS: '3', BRIDGE_TRUSTED_PROXIES: '127.0.0.1' });
    const { port } = await t.bridge.listen();
    const held = await openAll(port, 3);
    const fourth = await open(port);
    sockets.push(fourth);
    expect(await statusOf(fourth, HEALTHZ_THEN_CLOSE)).to.equal('closed');
    expect(await Promise.all(held.map((socket) => statusOf(socket, HEALTHZ)))).to.deep.equal([200, 200, 200]);
    expect(await t.bridge.metrics.metrics()).to.include('ews_photo_bridge_connections_refused_total{cap="overall"} 1\n');
  });

  it('answers 408 and closes a connection whose headers do not come within BRIDGE_HEADERS_TIMEOUT_SECONDS', async () => {
    t = await startTestBridge({ BRIDGE_HEADERS_TIMEOUT_SECONDS: '1', BRIDGE_REQUEST_TIMEOUT_SECONDS: '2' });
    const { port } = await t.bridge.listen();
    const slow = await open(port);
    sockets.push(slow);
    // A request line and one header byte, then nothing: a slowloris client.
    expect(await statusOf(slow, 'GET /healthz HTTP/1.1\r\nH')).to.equal(408);
  });

  it('answers 408 and closes a connection whose body does not come within BRIDGE_REQUEST_TIMEOUT_SECONDS', async () => {
    t = await startTestBridge({ BRIDGE_HEADERS_TIMEOUT_SECONDS: '1', BRIDGE_REQUEST_TIMEOUT_SECONDS: '2' });
    const { port } = await t.bridge.listen();
    const slow = await open(port);
    sockets.push(slow);
    // A signed-in SOAP request whose body stops short: a client parking a connection.
    const head = `POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${basic(READER)}\r\nContent-Type: text/xml\r\nContent-Length: 1000\r\n\r\n`;
    expect(await statusOf(slow, `${head}<?xml version="1.0"?>`)).to.equal(408);
  });

  it('caps per client with built-in TLS too, before any handshake', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'epb-limits-tls-'));
    try {
      const { certFile, keyFile } = makeSelfSignedCertificate(dir, { name: 'server', commonName: 'limits', altNames: 'IP:127.0.0.1' });
      t = await startTestBridge({ BRIDGE_TLS_CERT_FILE: certFile, BRIDGE_TLS_KEY_FILE: keyFile, BRIDGE_MAX_CONNECTIONS_PER_CLIENT: '2' });
      const { port } = await t.bridge.listen();
      const held = await openAll(port, 2);
      // The third is closed without a byte from either side (no TLS alert: the server never read its hello).
      const third = await open(port);
      sockets.push(third);
      let received = 0;
      third.on('data', (chunk: Buffer) => (received += chunk.length));
      await new Promise((resolve) => third.once('close', resolve));
      expect(received).to.equal(0);
      // The two held ones still take a handshake and a request.
      const statuses = await Promise.all(
        held.map((socket) => {
          const secure = tlsConnect({ socket, ca: readFileSync(certFile), checkServerIdentity: () => undefined });
          secure.on('error', () => {});
          return statusOf(secure, HEALTHZ);
        }),
      );
      expect(statuses).to.deep.equal([200, 200]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sets 20 s for headers, 60 s for a whole request, 120 s idle, 5 s between keep-alive requests and 10,000 connections by default', async () => {
    t = await startTestBridge();
    const { server } = t.bridge;
    // The idle limit is the front server's own look over its connections (closingIdle), shown at work above; its default is the setting's.
    // An idle keep-alive connection is closed after Node's 5 s: deploy/nginx.conf drops its own before (keepalive_timeout 4s).
    expect({
      headersTimeout: server.headersTimeout,
      requestTimeout: server.requestTimeout,
      idleSeconds: loadConfig({}).idleTimeoutSeconds,
      keepAliveTimeout: server.keepAliveTimeout,
    }).to.deep.equal({
      headersTimeout: 20_000,
      requestTimeout: 60_000,
      idleSeconds: 120,
      keepAliveTimeout: 5_000,
    });
    expect(server.maxConnections).to.equal(10_000);
  });

  it('refuses bad limits, and a headers timeout not shorter than the request timeout', () => {
    for (const [name, value] of [
      ['BRIDGE_MAX_CONNECTIONS', '0'],
      ['BRIDGE_MAX_CONNECTIONS', 'many'],
      ['BRIDGE_MAX_CONNECTIONS_PER_CLIENT', '0'],
      ['BRIDGE_MAX_CONNECTIONS_PER_CLIENT', '2.5'],
      ['BRIDGE_HEADERS_TIMEOUT_SECONDS', '0'],
      ['BRIDGE_REQUEST_TIMEOUT_SECONDS', '-1'],
    ] as const) {
      expect(() => loadConfig({ [name]: value }), `${name}=${value}`).to.throw(ConfigError, new RegExp(`${name}: .*\\(got "${value.replace('.', '\\.')}"\\)`));
    }
    expect(() => loadConfig({ BRIDGE_HEADERS_TIMEOUT_SECONDS: '60' })).to.throw(
      ConfigError,
      /BRIDGE_HEADERS_TIMEOUT_SECONDS \(60\) must be shorter than BRIDGE_REQUEST_TIMEOUT_SECONDS \(60\)/,
    );
    expect(() => loadConfig({ BRIDGE_HEADERS_TIMEOUT_SECONDS: '30', BRIDGE_REQUEST_TIMEOUT_SECONDS: '20' })).to.throw(ConfigError, /must be shorter/);
    expect(
      loadConfig({
        BRIDGE_MAX_CONNECTIONS: '50000',
        BRIDGE_MAX_CONNECTIONS_PER_CLIENT: '32',
        BRIDGE_HEADERS_TIMEOUT_SECONDS: '10',
        BRIDGE_REQUEST_TIMEOUT_SECONDS: '300',
      }),
    ).to.include({
      maxConnections: 50_000,
      maxConnectionsPerClient: 32,
      headersTimeoutSeconds: 10,
      requestTimeoutSeconds: 300,
    });
  });
  it(`answers ${MAX_UNANSWERED_PER_CONNECTION} pipelined requests, and closes a connection that sends more before reading its answers once those are out`, async () => {
    t = await startTestBridge();
    const { port } = await t.bridge.listen();
    const within = await open(port);
    sockets.push(within);
    expect(await pipelined(within, HEALTHZ, MAX_UNANSWERED_PER_CONNECTION)).to.deep.equal(new Array<number>(MAX_UNANSWERED_PER_CONNECTION).fill(200));
    const flood = await open(port);
    sockets.push(flood);
    const answered = await pipelined(flood, HEALTHZ, 450);
    expect(flood.destroyed || flood.readableEnded, 'the connection was closed').to.equal(true);
    // The answer under way and the 16 waiting behind it, then the close.
    expect(answered.length).to.be.at.most(MAX_UNANSWERED_PER_CONNECTION + 1);
    // Other connections are served as before.
    const next = await open(port);
    sockets.push(next);
    expect(await statusOf(next, HEALTHZ)).to.equal(200);
  });
});
