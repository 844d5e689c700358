import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { expect } from 'chai';
import { makeSelfSignedCertificate } from '../support/self-signed.js';
import { envelope } from '../support/soap.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const RESOLVE = envelope('<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>nobody</m:UnresolvedEntry></m:ResolveNames>');

const soapRequest = (body: string, contentLength = Buffer.byteLength(body)) =>
  'POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\n' +
  `Authorization: ${basic(READER)}\r\nContent-Length: ${contentLength}\r\n\r\n${body}`;

const photoRequest = (email: string) =>
  `GET /ews/exchange.asmx/s/GetUserPhoto?email=${encodeURIComponent(email)}&size=HR96x96 HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${basic(READER)}\r\n\r\n`;

/** What the bridge sends on a connection whose client half-closes it after `requests`, until the bridge closes it. */
async function halfClosedExchange(port: number, requests: string, tls = false): Promise<{ text: string; endedByBridge: boolean }> {
  const options = { port, host: '127.0.0.1', allowHalfOpen: true };
  // The test trusts any certificate: what is tested is the connection's end, not whom it reaches.
  const socket: Socket = tls ? connectTls({ ...options, rejectUnauthorized: false }) : connect(options);
  await once(socket, tls ? 'secureConnect' : 'connect');
  let text = '';
  let endedByBridge = false;
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('end', () => (endedByBridge = true));
  socket.end(requests);
  await once(socket, 'close');
  return { text, endedByBridge };
}

describe('a client that half-closes its connection after its request', () => {
  let t: TestBridge;
  let port: number;

  beforeEach(async () => {
    // A new bridge each time: the login is not remembered yet, so every answer below comes turns after the client's FIN.
    t = await startTestBridge();
    const server = t.bridge.server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });
  afterEach(() => t.close());

  it('gets its SOAP answer whole, then the bridge closes the connection', async () => {
    const { text, endedByBridge } = await halfClosedExchange(port, soapRequest(RESOLVE));
    expect(text).to.match(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).to.include('ResponseClass="Error"').and.include('<m:ResponseCode>ErrorNameResolutionNoResults</m:ResponseCode>');
    expect(text).to.match(/<\/s:Envelope>$/);
    expect(endedByBridge).to.equal(true);
  });

  it('gets the answers to all its pipelined requests, in order, then the connection closes', async () => {
    const { text, endedByBridge } = await halfClosedExchange(port, photoRequest('nobody@example.com') + soapRequest(RESOLVE));
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => match[1]);
    expect(statuses).to.deep.equal(['404', '200']);
    expect(text).to.match(/<\/s:Envelope>$/);
    expect(endedByBridge).to.equal(true);
  });

  it('is refused with 400 when its FIN cuts the body short, and the bridge goes on answering', async () => {
    const { text } = await halfClosedExchange(port, soapRequest(RESOLVE.slice(0, 40), Buffer.byteLength(RESOLVE)));
    expect(text).to.match(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect((await halfClosedExchange(port, soapRequest(RESOLVE))).text).to.match(/^HTTP\/1\.1 200 OK\r\n/);
  });
});

describe('a TLS client (BRIDGE_TLS_CERT_FILE) that half-closes its connection after its request', () => {
  let dir: string;
  let t: TestBridge;
  let port: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'epb-half-close-'));
    const { keyFile, certFile } = makeSelfSignedCertificate(dir, { name: 'server', commonName: '127.0.0.1', altNames: 'IP:127.0.0.1' });
    t = await startTestBridge({ BRIDGE_TLS_CERT_FILE: certFile, BRIDGE_TLS_KEY_FILE: keyFile });
    const server = t.bridge.server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gets its SOAP answer whole, then the bridge closes the connection', async () => {
    const { text, endedByBridge } = await halfClosedExchange(port, soapRequest(RESOLVE), true);
    expect(text).to.match(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text)
      .to.include('<m:ResponseCode>ErrorNameResolutionNoResults</m:ResponseCode>')
      .and.match(/<\/s:Envelope>$/);
    expect(endedByBridge).to.equal(true);
  });
});
