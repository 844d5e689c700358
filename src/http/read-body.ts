import type { IncomingMessage } from 'node:http';
import { BridgeError } from '../domain/errors.js';

/**
 * Reads the whole request body and hands it to `done`, refusing it with 413 as soon as
 * it is over `maxBytes` — by its Content-Length before a byte is read, or while reading
 * a chunked one — so a large body is never buffered. A callback rather than a promise:
 * this runs on every SOAP request, and the answer can often be written in the same turn.
 */
export function readBody(req: IncomingMessage, maxBytes: number, done: (error: Error | undefined, body: Buffer) => void): void {
  const empty = Buffer.alloc(0);
  if (declaresMoreThan(req, maxBytes)) {
    req.resume();
    done(BridgeError.bodyTooLarge(maxBytes), empty);
    return;
  }
  const chunks: Buffer[] = [];
  let length = 0;
  let finished = false;
  const finish = (error: Error | undefined, body: Buffer) => {
    if (finished) return;
    finished = true;
    done(error, body);
  };
  req.on('data', (chunk: Buffer) => {
    length += chunk.length;
    if (length > maxBytes) finish(BridgeError.bodyTooLarge(maxBytes), empty);
    else if (!finished) chunks.push(chunk);
  });
  req.once('end', () => finish(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length)));
  req.once('error', (error) => finish(error, empty));
}

/** Whether the request's Content-Length is over `maxBytes`: refused with 413 before any login or byte of it. */
export function declaresMoreThan(req: IncomingMessage, maxBytes: number): boolean {
  return Number(req.headers['content-length']) > maxBytes;
}
