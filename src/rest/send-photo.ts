import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Rendition } from '../domain/photo.js';
import { endWithBody } from '../http/end-with-body.js';
import { ifNoneMatchHits } from '../http/etag-match.js';

/**
 * A photo answer: 304 when the client's ETag still holds, else the bytes (none for
 * HEAD). Returns the status sent. All headers go in one writeHead literal: Node then
 * serialises them directly instead of merging with headers set earlier. Every photo
 * route may pick the format from Accept, so every answer varies by it.
 */
export function sendRendition(req: IncomingMessage, res: ServerResponse, rendition: Rendition, cacheControl: string, requestId: string): number {
  // The client would otherwise show the placeholder for the photo's max-age after the source is back.
  const caching = rendition.sourcesFailed ? 'no-store' : cacheControl;
  if (ifNoneMatchHits(req.headers['if-none-match'], rendition.etag)) {
    res.writeHead(304, { etag: rendition.etag, 'cache-control': caching, vary: varyWithAccept(res), 'request-id': requestId });
    res.end();
    return 304;
  }
  res.writeHead(200, {
    etag: rendition.etag,
    'cache-control': caching,
    'content-type': rendition.contentType,
    'content-length': rendition.bytes.length,
    vary: varyWithAccept(res),
    'request-id': requestId,
  });
  if (req.method === 'HEAD') res.end();
  else endWithBody(res, rendition.bytes);
  return 200;
}

export function photoCacheControl(maxAgeSeconds: number): string {
  return `private, max-age=${maxAgeSeconds}`;
}

/**
 * The Vary value for a photo answer: Accept joins whatever is there already (CORS sets
 * Origin) instead of replacing it, since writeHead's headers override earlier ones.
 */
export function varyWithAccept(res: ServerResponse): string {
  const earlier = res.getHeader('vary');
  if (earlier === undefined) return 'Accept';
  const fields = [earlier].flat().join(', ');
  return /\baccept\b/i.test(fields) ? fields : `${fields}, Accept`;
}
