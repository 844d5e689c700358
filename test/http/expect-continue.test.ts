import { expect } from 'chai';
import { received, startSocketBridge } from '../support/raw-socket.js';
import { envelope } from '../support/soap.js';
import { basic, READER } from '../support/test-bridge.js';

const BODY = envelope('<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>nobody</m:UnresolvedEntry></m:ResolveNames>');

const head = (authorization?: string) =>
  'POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\nExpect: 100-continue\r\n' +
  `Content-Length: ${Buffer.byteLength(BODY)}\r\n${authorization ? `Authorization: ${authorization}\r\n` : ''}\r\n`;

describe('Expect: 100-continue', () => {
  let bridge: Awaited<ReturnType<typeof startSocketBridge>>;
  before(async () => (bridge = await startSocketBridge()));
  after(() => bridge.t.close());
  const open = () => bridge.open();

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

  it('answers a request with no body to come, though it expects 100-continue, and keeps the connection', async () => {
    const socket = await open();
    const photo = `GET /ews/exchange.asmx/s/GetUserPhoto?email=nobody@contoso.com&size=HR96x96 HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${basic(READER)}\r\n`;
    socket.write(
      `${photo}Expect: 100-continue\r\n\r\n${photo}Content-Length: 0\r\nExpect: 100-continue\r\n\r\nGET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    );
    const answers = await received(socket, (text) => text.includes('\r\n\r\nok'));
    expect(answers.match(/^HTTP\/1\.1 \d+/gm)).to.deep.equal(['HTTP/1.1 100', 'HTTP/1.1 404', 'HTTP/1.1 100', 'HTTP/1.1 404', 'HTTP/1.1 200']);
    expect(answers.toLowerCase()).to.not.include('connection: close');
    socket.destroy();
  });
});
