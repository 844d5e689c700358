import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Addressing } from './addressing.js';

// A random per-process prefix and a counter: unique across replicas, and cheaper than
// a UUID per request on the photo hot path.
const prefix = randomBytes(4).toString('hex');
let counter = 0;

/**
 * The id a trusted proxy gave the request, when it sent a sane one (so a trace crosses
 * services), else a new one. Anyone else's is not taken: a client could give its requests
 * another request's id, and the log lines of the two would read as one request's.
 */
export function requestIdOf(req: IncomingMessage, addressing: Addressing): string {
  const given = req.headers['x-request-id'];
  // Whether the peer is trusted is asked last: most requests bring no id.
  if (typeof given === 'string' && given.length > 0 && given.length <= 128 && /^[\w.:-]+$/.test(given) && addressing.fromTrustedProxy(req)) return given;
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}-${counter.toString(36)}`;
}
