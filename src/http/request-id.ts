import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Addressing } from './addressing.js';

/**
 * A new request's id: a random per-process prefix and a counter, unique across replicas and
 * cheaper than a UUID per request on the photo hot path. It stays within 12 characters, as
 * `a1b2c3-zzzzz`: V8 joins strings that short into one flat string, but a longer join into a
 * rope, which node:http's check of every header value it writes then flattens on its slow
 * path (some 0.4 µs a request). The prefix is drawn again once the counter has used its five
 * digits (60 million requests).
 */
const COUNTER_LIMIT = 36 ** 5;
let prefix = newPrefix();
let counter = 0;

function newPrefix(): string {
  return randomBytes(3).toString('hex');
}

/**
 * The id a trusted proxy gave the request, when it sent a sane one (so a trace crosses
 * services), else a new one. Anyone else's is not taken: a client could give its requests
 * another request's id, and the log lines of the two would read as one request's.
 */
export function requestIdOf(req: IncomingMessage, addressing: Addressing): string {
  const given = req.headers['x-request-id'];
  // Whether the peer is trusted is asked last: most requests bring no id.
  if (isSaneId(given) && addressing.fromTrustedProxy(req)) return given;
  if (++counter === COUNTER_LIMIT) {
    prefix = newPrefix();
    counter = 1;
  }
  return `${prefix}-${counter.toString(36)}`;
}

/**
 * A client's own id for its request, sent back when it asks: "client-request-id … only
 * present if the request contains the return-client-request-id header with a value of true"
 * (Learn, "Instrumenting client requests for EWS and REST in Exchange"), so it can match
 * answers to requests. A sane one only, as for X-Request-Id; a client's id never becomes
 * the bridge's own, which the access log carries.
 */
export function echoClientRequestId(req: IncomingMessage, res: ServerResponse): void {
  const asked = req.headers['return-client-request-id'];
  if (typeof asked !== 'string' || asked.trim().toLowerCase() !== 'true') return;
  const given = req.headers['client-request-id'];
  if (isSaneId(given)) res.setHeader('client-request-id', given);
}

/** An id a request brings that may be logged or sent back: up to 128 letters, digits and `_.:{}-` (a GUID in braces among them), once. */
function isSaneId(value: string | string[] | undefined): value is string {
  return typeof value === 'string' && SANE_ID.test(value);
}
const SANE_ID = /^[\w.:{}-]{1,128}$/;
