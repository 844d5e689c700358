import type { IncomingMessage } from 'node:http';
import { BridgeError } from '../domain/errors.js';

/**
 * The whole request body, refused with 413 as soon as it is over `maxBytes` — by its
 * Content-Length before a byte is read, or while reading a chunked one — so a large
 * body is never buffered.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => BridgeError.bodyTooLarge(maxBytes);
  if (Number(req.headers['content-length']) > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > maxBytes) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, length)));
    req.once('error', reject);
  });
}
