import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// A random per-process prefix and a counter: unique across replicas, and cheaper than
// a UUID per request on the photo hot path.
const prefix = randomBytes(4).toString('hex');
let counter = 0;

/** The caller's id when it sent a sane one (so a trace crosses services), else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && given.length > 0 && given.length <= 128 && /^[\w.:-]+$/.test(given)) return given;
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}-${counter.toString(36)}`;
}
