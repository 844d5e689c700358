import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

// The ceiling the bridge is measured against: node:http sending the same bytes — the
// bridge's answer and its head, header for header — and doing nothing else: no routing,
// auth, cache lookup or logging. It is sent the bridge's own requests (URL, Authorization,
// body), which node:http reads and it does not look at. A POST's body is read to its end
// first, as any SOAP server must before it can answer (the ceiling for SOAP).
// Usage: node bare-server.mjs PORT BODY_FILE HEAD_FILE, this file as plain JavaScript (http.ts,
// bareServerScript): run through tsx, it names a closure on every request, and is slower.
// HEAD_FILE: JSON [[name, value], …], the bridge's headers but Content-Length, Date and Connection.
const [port, bodyFile, headFile] = process.argv.slice(2);
if (!port || !bodyFile || !headFile) throw new Error('usage: bare-server.ts PORT BODY_FILE HEAD_FILE');
const body = readFileSync(bodyFile);
const head = [...(JSON.parse(readFileSync(headFile, 'utf8')) as [string, string][]).flat(), 'content-length', String(body.length)];

createServer((req, res) => {
  const answer = () => {
    res.writeHead(200, head);
    res.end(body);
  };
  if (req.method === 'POST') req.resume().once('end', answer);
  else answer();
}).listen(Number(port), '127.0.0.1');

process.on('SIGTERM', () => process.exit(0));
