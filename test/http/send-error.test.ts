import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { BridgeError } from '../../src/domain/errors.js';
import { sendError } from '../../src/http/send-error.js';
import { createLogger } from '../../src/logger.js';
import { statusOrError } from '../support/status-or-error.js';

describe('sendError', () => {
  it('answers a reason quoting the client as text a browser may not sniff as HTML', async () => {
    const server = createServer((req, res) =>
      sendError(res, BridgeError.invalidRequest(`no user '${req.url!.slice(1)}'`), createLogger('silent'), 'r1'),
    ).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const answer = await fetch(`http://127.0.0.1:${port}/<script>alert(1)</script>`);
      expect([answer.status, answer.headers.get('content-type'), answer.headers.get('x-content-type-options'), await answer.text()]).to.deep.equal([
        400,
        'text/plain; charset=utf-8',
        'nosniff',
        "no user '%3Cscript%3Ealert(1)%3C/script%3E'\n",
      ]);
    } finally {
      server.close();
    }
  });

  it('drops the connection, logs, and throws nothing when the head cannot be written (a header node:http refuses)', async () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => lines.push(line) });
    const server = createServer((req, res) => {
      const challenge: Record<string, string> = req.url === '/bad' ? { 'www-authenticate': 'Basic realm="Contoso – Fotos"' } : {};
      sendError(res, BridgeError.unauthenticated('authentication required'), log, 'r1', challenge);
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const get = (path: string) => statusOrError(port, path);
    try {
      expect(await get('/bad')).to.equal('ECONNRESET');
      expect(await get('/good')).to.equal(401);
      expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).to.include('an error answer could not be written');
    } finally {
      server.close();
    }
  });
});
