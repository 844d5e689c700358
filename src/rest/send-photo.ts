import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Rendition } from '../domain/photo.js';
import { ifNoneMatchHits } from './etag-match.js';

/**
 * A photo answer: 304 when the client's ETag still holds, else the bytes (none for
 * HEAD). Returns the status sent. All headers go in one writeHead literal: Node then
 * serialises them directly instead of merging with headers set earlier.
 */
export function sendRendition(req: IncomingMessage, res: ServerResponse, rendition: Rendition, cacheControl: string, requestId: string): number {
  if (ifNoneMatchHits(req.headers['if-none-match'], rendition.etag)) {
    res.writeHead(304, { etag: rendition.etag, 'cache-control': cacheControl, 'request-id': requestId });
    res.end();
    return 304;
  }
  res.writeHead(200, {
    etag: rendition.etag,
    'cache-control': cacheControl,
    'content-type': rendition.contentType,
    'content-length': rendition.bytes.length,
    'request-id': requestId,
  });
  res.end(req.method === 'HEAD' ? undefined : rendition.bytes);
  return 200;
}

export function photoCacheControl(maxAgeSeconds: number): string {
  return `private, max-age=${maxAgeSeconds}`;
}
