import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Rendition } from '../domain/photo.js';
import { sendableBody } from '../http/end-with-body.js';
import { BridgeError } from '../domain/errors.js';
import { ifMatchHolds, ifNoneMatchHits } from '../http/etag-match.js';

/**
 * A photo answer: 304 when the client's ETag still holds, else the bytes (none for HEAD).
 * Returns the status sent; throws 412 when an If-Match does not hold. Every photo route may
 * pick the format from Accept, so every answer varies by it.
 */
export function sendRendition(req: IncomingMessage, res: ServerResponse, rendition: Rendition, cacheControl: string, requestId: string): number {
  // The client would otherwise show the placeholder for the photo's max-age after the source is back.
  const caching = rendition.sourcesFailed ? 'no-store' : cacheControl;
  // A download resumed with If-Match and Range asks for these bytes only (RFC 9110 §13.1.1).
  if (!ifMatchHolds(req.headers['if-match'], (tag) => tag === rendition.etag))
    throw BridgeError.preconditionFailed('the photo is no longer the one If-Match names');
  if (ifNoneMatchHits(req.headers['if-none-match'], rendition.etag)) {
    res.writeHead(304, { etag: rendition.etag, 'cache-control': caching, vary: varyWithAccept(res), 'request-id': requestId });
    res.end();
    return 304;
  }
  const answer = answerOf(rendition, caching);
  const head = answer.head;
  head[VARY_AT] = varyWithAccept(res);
  head[REQUEST_ID_AT] = requestId;
  res.writeHead(200, head);
  if (req.method === 'HEAD') res.end();
  else res.end(answer.body, 'latin1');
  return 200;
}

/**
 * A rendition's 200 as node:http is handed it, made once per rendition and caching: a
 * flat header list, which writeHead copies as it is (an object's entries are gathered
 * first), and the body in its sendable form.
 */
interface PhotoAnswer {
  caching: string;
  /** Name, value, …; the Vary and Request-Id values are filled in per request, just before writeHead reads them. */
  head: string[];
  body: Buffer | string;
}

const VARY_AT = 9;
const REQUEST_ID_AT = 11;
const answers = new WeakMap<Rendition, PhotoAnswer>();

function answerOf(rendition: Rendition, caching: string): PhotoAnswer {
  let answer = answers.get(rendition);
  if (answer === undefined || answer.caching !== caching) {
    const head = [
      'etag',
      rendition.etag,
      'cache-control',
      caching,
      'content-type',
      rendition.contentType,
      'content-length',
      String(rendition.bytes.length),
      'vary',
      '',
      'request-id',
      '',
      // A photo upload is any image the source held: a browser never reads one as a page.
      'x-content-type-options',
      'nosniff',
    ];
    answer = { caching, head, body: sendableBody(rendition.bytes) };
    answers.set(rendition, answer);
  }
  return answer;
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
