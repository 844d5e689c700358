import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { BridgeError } from '../../src/domain/errors.js';
import { sendError } from '../../src/http/send-error.js';
import { createLogger } from '../../src/logger.js';
import { sendGraphError } from '../../src/rest/graph-errors.js';
import { statusOrError } from '../support/status-or-error.js';

describe('sendGraphError', () => {
  // A body whose connection closed before it ended (read-body.ts) is the failure a client that left makes.
  it('drops the connection of a client that left, as sendError does: no 499 answer written, no line logged', async () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => lines.push(line) });
    const server = createServer((req, res) => {
      const send = req.url === '/graph' ? sendGraphError : sendError;
      send(res, BridgeError.connectionClosed(), log, 'r1');
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const get = (path: string) => statusOrError(port, path);
    try {
      expect([await get('/text'), await get('/graph')]).to.deep.equal(['ECONNRESET', 'ECONNRESET']);
      expect(lines).to.deep.equal([]);
    } finally {
      server.close();
    }
  });

  it('writes a BridgeError as Graph does: its status, code and message in JSON', async () => {
    const server = createServer((_req, res) => sendGraphError(res, BridgeError.itemNotFound(), createLogger('silent'), 'r1')).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const answer = await fetch(`http://127.0.0.1:${port}/`);
      const body = (await answer.json()) as { error: { code: string; innerError: Record<string, string> } };
      expect([answer.status, answer.headers.get('content-type'), body.error.code, body.error.innerError['request-id']]).to.deep.equal([
        404,
        'application/json',
        'ErrorItemNotFound',
        'r1',
      ]);
    } finally {
      server.close();
    }
  });

  it('cuts an answer whose head is out, logging a refusal as a warning and anything unexpected as an error', async () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => lines.push(line) });
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"value":[');
      sendGraphError(res, req.url === '/refused' ? BridgeError.serverBusy('the store is busy', 1) : new Error('broken'), log, 'r1');
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const get = (path: string) =>
      new Promise<string>((resolve) => {
        request({ host: '127.0.0.1', port, path }, (res) => {
          res.on('error', () => resolve('cut')).resume();
          res.on('end', () => resolve('ended'));
        })
          .on('error', () => resolve('cut'))
          .end();
      });
    try {
      expect([await get('/refused'), await get('/broken')]).to.deep.equal(['cut', 'cut']);
      expect(lines.map((line) => JSON.parse(line) as { level: number; msg: string }).map(({ level, msg }) => [level, msg])).to.deep.equal([
        [40, 'answer failed while streaming'],
        [50, 'answer failed while streaming'],
      ]);
    } finally {
      server.close();
    }
  });
});
