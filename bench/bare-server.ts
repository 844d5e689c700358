import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

// The ceiling the bridge is measured against: node:http sending the same bytes and
// doing nothing else — no routing, auth, cache lookup or logging. A POST's body is read
// to its end first, as any SOAP server must before it can answer (the ceiling for SOAP).
// Usage: node --import tsx bench/bare-server.ts PORT FILE [CONTENT_TYPE]
const [port, file, contentType = 'image/jpeg'] = process.argv.slice(2);
if (!port || !file) throw new Error('usage: bare-server.ts PORT FILE [CONTENT_TYPE]');
const body = readFileSync(file);

createServer((req, res) => {
  const answer = () => {
    res.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
    res.end(body);
  };
  if (req.method === 'POST') req.resume().once('end', answer);
  else answer();
}).listen(Number(port), '127.0.0.1');

process.on('SIGTERM', () => process.exit(0));
