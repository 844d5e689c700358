import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createFrontServer, type FrontServer } from '../../src/http/front-server.js';
import { createRequestContext } from '../../src/http/request-context.js';
import { FRONT_DOOR_LIMITS } from '../support/raw-socket.js';

describe('pipelined requests', () => {
  let front: FrontServer;
  let port: number;
  /** The requests the front door passed on, in order, with their responses. */
  const started: { url: string | undefined; res: ServerResponse; startedAt: number }[] = [];
  let onStart = () => {};

  before(async () => {
    front = createFrontServer({ certFile: '', keyFile: '' }, undefined, FRONT_DOOR_LIMITS, (req: IncomingMessage, res: ServerResponse) => {
      started.push({ url: req.url, res, startedAt: createRequestContext(req, res).startedAt });
      onStart();
    });
    front.server.listen(0, '127.0.0.1');
    await once(front.server, 'listening');
    port = (front.server.address() as AddressInfo).port;
  });
  after(() => front.server.close());

  it('starts a request only once the answer ahead of it on its connection is out, its time counted from its arrival', async () => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const first = new Promise<void>((resolve) => (onStart = resolve));
    // Both in one write: Node parses them in one read and emits both requests at once.
    socket.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n');
    await first;
    // Every request of that read has reached the front door by the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(started.map((s) => s.url)).to.deep.equal(['/first']);

    const second = new Promise<void>((resolve) => (onStart = resolve));
    const firstAnsweredAt = performance.now();
    started[0]!.res.end('one');
    await second;
    expect(started.map((s) => s.url)).to.deep.equal(['/first', '/second']);
    expect(started[1]!.startedAt, 'the second request’s time includes its wait').to.be.below(firstAnsweredAt);
    started[1]!.res.end('two');
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    while (!text.endsWith('two')) await once(socket, 'data');
    expect(text.match(/HTTP\/1\.1 200 OK/g)).to.have.length(2);
    socket.destroy();
  });
});
