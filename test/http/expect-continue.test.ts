import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import { envelope } from '../support/soap.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const BODY = envelope('<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>nobody</m:UnresolvedEntry></m:ResolveNames>');

/** Everything the bridge sends on `socket` until `until` holds of it (or the connection closes). */
function received(socket: Socket, until: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (until(text)) done();
    };
    const done = () => {
      socket.off('data', onData).off('close', done);
      resolve(text);
    };
    socket.on('data', onData).once('close', done);
  });
}

const head = (authorization?: string) =>
  'POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\nExpect: 100-continue\r\n' +
  `Content-Length: ${Buffer.byteLength(BODY)}\r\n${authorization ? `Authorization: ${authorization}\r\n` : ''}\r\n`;

describe('Expect: 100-continue', () => {
  let t: TestBridge;
  let port: number;

  before(async () => {
    t = await startTestBridge();
    const server = t.bridge.server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });
  after(() => t.close());

  async function open(): Promise<Socket> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return socket;
  }

  it('answers a caller without a login 401 and closes, never inviting the body with a 100', async () => {
    const socket = await open();
    socket.write(head());
    const answer = await received(socket, () => false);
    expect(answer).to.match(/^HTTP\/1\.1 401 /);
    expect(answer).to.not.include('100 Continue');
    expect(answer.toLowerCase()).to.include('connection: close');
    expect(socket.readableEnded || socket.destroyed, 'closed by the bridge').to.equal(true);
  });

  it('sends 100 Continue to a logged-in caller once the body is wanted, answers it, and keeps the connection', async () => {
    const socket = await open();
    socket.write(head(basic(READER)));
    expect(await received(socket, (text) => text.includes('\r\n\r\n'))).to.equal('HTTP/1.1 100 Continue\r\n\r\n');
    socket.write(BODY);
    const answer = await received(socket, (text) => text.includes('</s:Envelope>'));
    expect(answer).to.match(/^HTTP\/1\.1 200 /);
    expect(answer).to.include('ResponseClass="Error"');
    expect(answer.toLowerCase()).to.not.include('connection: close');
    // The same connection takes the next request.
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(await received(socket, (text) => text.includes('\r\n\r\n'))).to.match(/^HTTP\/1\.1 200 /);
    socket.destroy();
  });
});
