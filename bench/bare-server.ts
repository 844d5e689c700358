import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

// The ceiling the bridge is measured against: node:http sending the same photo bytes
// and doing nothing else — no routing, auth, cache lookup or logging.
// Usage: node --import tsx bench/bare-server.ts PORT FILE
const [port, file] = process.argv.slice(2);
if (!port || !file) throw new Error('usage: bare-server.ts PORT FILE');
const body = readFileSync(file);

createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length });
  res.end(body);
}).listen(Number(port), '127.0.0.1');

process.on('SIGTERM', () => process.exit(0));
