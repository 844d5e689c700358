import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { BridgeError } from '../domain/errors.js';
import { pieceDropper } from './lingering-close.js';

/** What a refused or cut body is handed over as: no bytes, shared, since none can be written into it. */
const EMPTY = Buffer.alloc(0);

/**
 * Reads the whole body of a message (a request, or an upstream's answer) and hands it to
 * `done`, refusing it with 413 as soon as it is over `maxBytes` — by its Content-Length
 * before a byte is read, or while reading a chunked one — so a large body is never
 * buffered. A callback rather than a promise: this runs on every SOAP request, and the
 * answer can often be written in the same turn.
 *
 * A body in one piece (the common case) is kept as it came; the pieces of any other are
 * copied into one buffer as they come, grown by doubling. Kept as a list, each piece cost
 * its own Buffer object and held the whole socket read it was cut from: a 10 MiB upload
 * sent in chunks of one byte took the RSS to 4 GB.
 */
export function readBody(req: IncomingMessage, maxBytes: number, done: (error: Error | undefined, body: Buffer) => void): void {
  if (declaresMoreThan(req.headers, maxBytes)) {
    req.on('data', pieceDropper(req));
    done(BridgeError.bodyTooLarge(maxBytes), EMPTY);
    return;
  }
  sendContinue(req);
  let first: Buffer | undefined;
  let joined: Buffer | undefined;
  let length = 0;
  let pieces = 0;
  const maxPieces = maxPiecesOf(maxBytes);
  let finished = false;
  let drop: (() => void) | undefined;
  const finish = (error: Error | undefined, body: Buffer) => {
    if (finished) return;
    finished = true;
    if (error) drop = pieceDropper(req);
    done(error, body);
  };
  req.on('data', (chunk: Buffer) => {
    if (finished) {
      drop?.();
      return;
    }
    const total = length + chunk.length;
    if (total > maxBytes || ++pieces > maxPieces) {
      first = joined = undefined;
      finish(total > maxBytes ? BridgeError.bodyTooLarge(maxBytes) : BridgeError.bodyInTooManyPieces(maxPieces), EMPTY);
      return;
    }
    if (length === 0) {
      first = chunk;
    } else {
      if (!joined || total > joined.length) {
        const grown = Buffer.allocUnsafe(Math.min(maxBytes, Math.max(2 * total, FIRST_JOINED_BYTES)));
        (joined ?? first!).copy(grown, 0, 0, length);
        joined = grown;
        first = undefined;
      }
      chunk.copy(joined, length);
    }
    length = total;
  });
  // 'end' and 'close' come once each, so plain listeners do: `once` wraps each in a closure of its own.
  req.on('end', () => finish(undefined, joined ? joined.subarray(0, length) : (first ?? EMPTY)));
  // A message's only errors are its connection's, and every message closes, after its 'end'
  // too: 'close' before 'end' is the error, made only when it is the answer (an Error's
  // stack cost every SOAP request 14 µs of server CPU under load). With no 'error'
  // listener, node:http emits no 'error' on a message (IncomingMessage#_destroy).
  req.on('close', () => {
    if (!finished) finish(BridgeError.connectionClosed(), EMPTY);
  });
}

/** The responses whose 100 Continue waits until their request's body is wanted: few, asked for every body read (a WeakMap answers a miss at once, as request-context.ts says). */
const awaitingContinue = new WeakMap<IncomingMessage, ServerResponse>();

/**
 * Holds the 100 Continue of a request that expects one until readBody wants its body. Until
 * then its answer closes the connection: a client refused without a 100 need not send the
 * body (RFC 9110 §10.1.1), and bytes it does send would be read as its next request.
 */
export function holdContinue(req: IncomingMessage, res: ServerResponse): void {
  awaitingContinue.set(req, res);
  res.setHeader('connection', 'close');
}

function sendContinue(req: IncomingMessage): void {
  const res = awaitingContinue.get(req);
  if (!res) return;
  awaitingContinue.delete(req);
  res.removeHeader('connection');
  res.writeContinue();
}

/**
 * The pieces (chunks of the chunked encoding, or socket reads) a body may come in: on
 * average 64 bytes each, and never fewer than 1,024 pieces. Each costs the parser a
 * callback, so a 1 MiB body sent in one-byte chunks (6 MB on the wire) took 2.6 s of the
 * event loop to read, where clients send kilobytes a piece.
 */
function maxPiecesOf(maxBytes: number): number {
  return Math.max(1024, Math.ceil(maxBytes / 64));
}

/** The first size of a body that came in pieces: a SOAP envelope fits. */
const FIRST_JOINED_BYTES = 16 * 1024;

/** Whether a message's Content-Length is over `maxBytes`: refused with 413 before any login or byte of it. Takes the headers: a request's `headers` is a getter in node:http, dearer than a property, so a caller that has them passes them on. */
export function declaresMoreThan(headers: IncomingHttpHeaders, maxBytes: number): boolean {
  return Number(headers['content-length']) > maxBytes;
}
