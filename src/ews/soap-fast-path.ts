import type { IncomingMessage, ServerResponse } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { Authenticator } from '../auth/authenticator.js';
import { normalizeSmtpAddress } from '../domain/email.js';
import type { Rendition } from '../domain/photo.js';
import { userOwner, type PhotoOwner } from '../domain/photo-owner.js';
import { parseSizeCode, type PhotoSize } from '../domain/size-code.js';
import type { Logger } from '../logger.js';
import type { PhotoService } from '../photos/photo-service.js';
import { logRequest } from '../http/access-log.js';
import { ifNoneMatchHits } from '../http/etag-match.js';
import { requestIdOf } from '../http/request-id.js';
import { soapEnvelope } from './envelope.js';
import { EWS_PATH } from './ews-endpoint.js';
import { photoFoundXml, photoHeaders } from './operations/get-user-photo.js';
import { matchPlainGetUserPhoto } from './plain-get-user-photo.js';

/** IIS matches paths case-insensitively. */
const EWS_PATH_LOWER = EWS_PATH.toLowerCase();
/** Larger bodies are never a plain GetUserPhoto; they stream into the full path untouched. */
const MAX_FAST_BODY = 16 * 1024;
const REMEMBERED = 1000;

export interface SoapFastPathOptions {
  photos: PhotoService;
  auth: Authenticator;
  log: Logger;
  accessLog: boolean;
  photoMaxAgeSeconds: number;
  /** Where every request the fast path does not answer goes, its body already read. */
  fallback: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * SOAP GetUserPhoto is the photo request of Outlook-era clients, so it gets the same
 * treatment as the REST URL: when the credentials and the sized photo are cached and
 * the envelope has the plain shape, the answer is written here, without Express or
 * node-soap. Every other POST to the endpoint — another operation, an unusual
 * envelope, anything uncached — goes on to the full path with its body.
 */
export function createSoapFastPath(options: SoapFastPathOptions) {
  const { photos, auth, log } = options;

  // Clients repeat the same envelope and get the same answer: both are remembered
  // (bounded), so a repeat costs two map lookups instead of a regex match and a base64 encode.
  const recognised = new LRUCache<string, { owner: PhotoOwner; size: PhotoSize } | false>({ max: REMEMBERED });
  const envelopes = new LRUCache<string, Buffer>({ max: REMEMBERED, maxSize: 64 * 1024 * 1024, sizeCalculation: (b) => b.length });

  function recognise(body: string): { owner: PhotoOwner; size: PhotoSize } | false {
    let known = recognised.get(body);
    if (known === undefined) {
      const request = matchPlainGetUserPhoto(body);
      try {
        known = request ? { owner: userOwner(normalizeSmtpAddress(request.email)), size: parseSizeCode(request.sizeCode) } : false;
      } catch {
        known = false; // the full path answers a bad address or size with the proper EWS error
      }
      recognised.set(body, known);
    }
    return known;
  }

  function cachedRendition(req: IncomingMessage, body: Buffer): Rendition | undefined {
    if (!auth.cached(req.headers.authorization)?.ok) return undefined;
    const request = recognise(body.toString('utf8'));
    return request ? (photos.cachedPhoto(request.owner, request.size) ?? undefined) : undefined;
  }

  function answer(req: IncomingMessage, res: ServerResponse, rendition: Rendition, startedAt: number): void {
    const requestId = requestIdOf(req);
    const ifNoneMatch = req.headers['if-none-match'];
    const key = `${rendition.etag}|${ifNoneMatchHits(ifNoneMatch, rendition.etag)}`;
    let envelope = envelopes.get(key);
    if (!envelope) {
      envelope = Buffer.from(soapEnvelope(photoFoundXml(rendition, ifNoneMatch)));
      envelopes.set(key, envelope);
    }
    const { etag, expires } = photoHeaders(rendition, options.photoMaxAgeSeconds);
    res.writeHead(200, {
      etag,
      expires,
      'request-id': requestId,
      'content-type': 'text/xml; charset=utf-8',
      'content-length': envelope.length,
    });
    res.end(envelope);
    if (options.accessLog) logRequest(log, req, 200, startedAt, requestId);
  }

  return function handleSoapPost(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || req.headers['content-encoding']) return false;
    const url = req.url ?? '';
    if (url.length !== EWS_PATH_LOWER.length || url.toLowerCase() !== EWS_PATH_LOWER) return false;
    const length = Number(req.headers['content-length']);
    if (!(length > 0 && length <= MAX_FAST_BODY)) return false;

    const startedAt = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const rendition = cachedRendition(req, body);
      if (rendition) {
        answer(req, res, rendition, startedAt);
        return;
      }
      // A fully read request is "finished" for body-parser, which then keeps this body.
      (req as IncomingMessage & { body?: Buffer }).body = body;
      options.fallback(req, res);
    });
    return true;
  };
}
