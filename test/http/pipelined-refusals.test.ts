import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { expect } from 'chai';
import { createFrontServer, MAX_UNANSWERED_PER_CONNECTION, type FrontServer } from '../../src/http/front-server.js';
import { createLogger } from '../../src/logger.js';
import { eventually } from '../support/eventually.js';
import { connectTo, FRONT_DOOR_LIMITS, listenOnLoopback, received } from '../support/raw-socket.js';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';

/** The status of every answer in `text`, in order. */
const statusesIn = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));

/** Everything the server sends for `bytes`, written in one piece, until it closes the connection. */
async function answerTo(port: number, bytes: string): Promise<string> {
  const socket = await connectTo(port);
  socket.on('error', () => {});
  socket.write(bytes);
  return received(socket);
}

const GARBAGE = 'GARBAGE\r\n\r\n';

describe('a request refused behind pipelined ones (front door)', () => {
  let front: FrontServer;
  let port: number;
  /** What the listener was handed, by path. */
  const started: string[] = [];
  /** The `request refused unread` reports: status and reason. */
  const unread: [number, string][] = [];
  /** Answers `/slow` only once this resolves. */
  let slowAnswer: Promise<void> = Promise.resolve();
  /** The connection the last `/slow` came on, as the server holds it. */
  let slowConnection: Socket | undefined;

  before(async () => {
    const limits = { ...FRONT_DOOR_LIMITS, unreadable: (_client: string, status: number, reason: string) => unread.push([status, reason]) };
    front = createFrontServer({ certFile: '', keyFile: '' }, undefined, limits, (req: IncomingMessage, res: ServerResponse) => {
      started.push(req.url ?? '');
      const answer = () => res.end(req.url);
      if (req.url === '/slow') slowConnection = req.socket;
      if (req.url === '/slow') void slowAnswer.then(answer);
      else answer();
    });
    port = await listenOnLoopback(front.server);
  });
  after(() => front.server.close());
  beforeEach(() => {
    started.length = 0;
    unread.length = 0;
  });

  it('answers the requests ahead of a malformed one, in order, then refuses it 400 and closes: the answer in the making had been replaced by the 400', async () => {
    let release = () => {};
    slowAnswer = new Promise((resolve) => (release = resolve));
    const answer = answerTo(port, `GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n${GARBAGE}`);
    while (started.length === 0) await new Promise((resolve) => setImmediate(resolve));
    release();
    const text = await answer;
    expect(statusesIn(text)).to.deep.equal([200, 200, 400]);
    expect(text).to.match(/\r\n\r\n\/slowHTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n\/nextHTTP\/1\.1 400 Bad Request\r\nConnection: close\r\n\r\n$/);
    expect(started).to.deep.equal(['/slow', '/next']);
    expect(unread).to.deep.equal([[400, 'HPE_INVALID_METHOD']]);
  });

  it('still answers both when the client half-closes after the malformed request (nc -N)', async () => {
    let release = () => {};
    slowAnswer = new Promise((resolve) => (release = resolve));
    const socket = await connectTo(port);
    const answer = received(socket);
    const sent = `GET /slow HTTP/1.1\r\nHost: x\r\n\r\n${GARBAGE}`;
    await new Promise<void>((resolve) => socket.end(sent, resolve));
    // Its FIN is out, behind every byte before it. The server reads no more once it met the
    // garbage (refusedInTurn), so the FIN waits unread: every byte before it is all it can have read.
    await eventually('the server read every byte the client sent', () => slowConnection?.bytesRead === Buffer.byteLength(sent));
    expect(started).to.deep.equal(['/slow']);
    release();
    expect(statusesIn(await answer)).to.deep.equal([200, 400]);
    expect(unread).to.deep.equal([[400, 'HPE_INVALID_METHOD']]);
  });

  it('refuses a pipelined request whose body fails while it waits for its turn, after the answer ahead: the listener never sees it', async () => {
    let release = () => {};
    slowAnswer = new Promise((resolve) => (release = resolve));
    const answer = answerTo(port, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\nPOST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
    while (started.length === 0) await new Promise((resolve) => setImmediate(resolve));
    release();
    expect(statusesIn(await answer)).to.deep.equal([200, 400]);
    expect(started).to.deep.equal(['/slow']);
    expect(unread).to.have.length(1);
    expect(unread[0]![0]).to.equal(400);
  });

  it('tells of each request left unanswered when its client resets the connection while they wait (499)', async () => {
    let release = () => {};
    slowAnswer = new Promise((resolve) => (release = resolve));
    const socket = await connectTo(port);
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n');
    while (started.length === 0) await new Promise((resolve) => setImmediate(resolve));
    socket.resetAndDestroy();
    while (unread.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    release();
    expect(started).to.deep.equal(['/slow']);
    expect(unread).to.deep.equal([
      [499, 'CLOSED_BEFORE_ITS_TURN'],
      [499, 'CLOSED_BEFORE_ITS_TURN'],
    ]);
  });
});

describe('pipelined requests and their access lines (bridge)', () => {
  let t: TestBridge;
  let port: number;
  const written: string[] = [];
  type Line = { msg: string; status: number; reason?: string; path?: string };
  const lines = () => written.map((text) => JSON.parse(text) as Line);
  /** The access lines, once `count` have been written (a line may trail its answer a moment). */
  async function accessLines(count: number): Promise<Line[]> {
    for (let attempt = 0; attempt < 100 && lines().length < count; attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
    return lines();
  }

  before(async () => {
    t = await startTestBridge({ BRIDGE_ACCESS_LOG: 'true' }, createLogger('info', { write: (line: string) => written.push(line) }));
    port = await listenOnLoopback(t.bridge.server);
  });
  after(() => t.close());
  beforeEach(() => (written.length = 0));

  it('sends both answers ahead of a malformed request, then its 400: a line for each of the three', async () => {
    const text = await answerTo(port, `GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n${GARBAGE}`);
    expect(statusesIn(text)).to.deep.equal([200, 200, 400]);
    const logged = await accessLines(3);
    expect(logged.map((line) => [line.msg, line.status, line.path ?? line.reason])).to.deep.equal([
      ['request', 200, '/healthz'],
      ['request', 200, '/readyz'],
      ['request refused unread', 400, 'HPE_INVALID_METHOD'],
    ]);
  });

  it(`writes a line for every request of a connection pipelining past ${MAX_UNANSWERED_PER_CONNECTION}: one per answer sent, 499 for the rest`, async () => {
    const count = MAX_UNANSWERED_PER_CONNECTION + 2;
    const text = await answerTo(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(count));
    const answered = statusesIn(text);
    expect(answered.length).to.be.within(MAX_UNANSWERED_PER_CONNECTION, MAX_UNANSWERED_PER_CONNECTION + 1);
    expect(answered.every((status) => status === 200)).to.equal(true);
    const logged = await accessLines(count);
    expect(logged).to.have.length(count);
    expect(logged.filter((line) => line.msg === 'request' && line.status === 200)).to.have.length(answered.length);
    const unanswered = logged.filter((line) => line.msg === 'request refused unread');
    expect(unanswered.map((line) => line.status)).to.deep.equal(new Array<number>(count - answered.length).fill(499));
    expect(unanswered[0]).to.include({ reason: 'PIPELINED_OVER_LIMIT' });
  });

  it('refuses an HTTP/1.1 request without Host with its own 400 (request id, access line), and answers one of HTTP/1.0', async () => {
    const text = await answerTo(port, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(text).to.match(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).to.match(/\r\nrequest-id: \S+\r\n/i);
    expect(text).to.include('the request has no Host header');
    const [line, ...more] = await accessLines(1);
    expect(line).to.include({ msg: 'request', status: 400, path: '/healthz' });
    expect(more).to.deep.equal([]);
    expect(await t.bridge.metrics.metrics()).to.include('ews_photo_bridge_requests_total{door="front",route="bad-target",status="400"} 1\n');

    written.length = 0;
    const old = await answerTo(port, 'GET /healthz HTTP/1.0\r\n\r\n');
    expect(statusesIn(old)).to.deep.equal([200]);
    expect((await accessLines(1)).map((entry) => entry.status)).to.deep.equal([200]);
  });
});
