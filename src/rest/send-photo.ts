import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Rendition } from '../domain/photo.js';
import { ifNoneMatchHits } from './etag-match.js';

/** A photo answer: 304 when the client's ETag still holds, else the bytes (none for HEAD). */
export function sendRendition(req: IncomingMessage, res: ServerResponse, rendition: Rendition, cacheControl: string): void {
  const headers = { etag: rendition.etag, 'cache-control': cacheControl };
  if (ifNoneMatchHits(req.headers['if-none-match'], rendition.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': rendition.contentType, 'content-length': rendition.bytes.length });
  res.end(req.method === 'HEAD' ? undefined : rendition.bytes);
}

export function photoCacheControl(maxAgeSeconds: number): string {
  return `private, max-age=${maxAgeSeconds}`;
}
