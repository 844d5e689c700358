import type { IncomingMessage, ServerResponse } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { AuthResult, Authenticator } from '../auth/authenticator.js';
import { normalizeSmtpAddress } from '../domain/email.js';
import { BridgeError } from '../domain/errors.js';
import type { ConversionRequest } from '../domain/image-conversion.js';
import { LARGEST_PHOTO_SIZE, parseSizeCode, type PhotoSize } from '../domain/size-code.js';
import type { Logger } from '../logger.js';
import type { PhotoService } from '../photos/photo-service.js';
import { logRequest, logWhenFinished } from '../http/access-log.js';
import { conversionRequestOf } from './conversion-query.js';
import { requestIdOf } from '../http/request-id.js';
import { sendError } from '../http/send-error.js';
import { photoCacheControl, sendRendition, varyWithAccept } from './send-photo.js';
import { userOwner, type PhotoOwner } from '../domain/photo-owner.js';

/** IIS matches paths case-insensitively, and clients rely on it. */
export const USER_PHOTO_PATH = '/ews/exchange.asmx/s/getuserphoto';

export interface UserPhotoRouteOptions {
  photos: PhotoService;
  auth: Authenticator;
  log: Logger;
  accessLog: boolean;
  photoMaxAgeSeconds: number;
}

/**
 * The EWS REST photo URL, `GET /ews/exchange.asmx/s/GetUserPhoto?email=…&size=HR96x96`.
 *
 * This is the hot path, so it is served straight from node:http, ahead of Express:
 * when the credentials and the sized photo are both cached, the answer is built
 * synchronously from two map lookups. Returns false for any other URL.
 */
export function createUserPhotoRoute(options: UserPhotoRouteOptions) {
  const { photos, auth, log } = options;
  const cacheControl = photoCacheControl(options.photoMaxAgeSeconds);

  async function answerSlowly(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    authResult: AuthResult | undefined,
    request: PhotoRequest | BridgeError,
  ): Promise<void> {
    try {
      const authenticated = authResult ?? (await auth.authenticateRead(req.headers.authorization));
      if (!authenticated.ok) throw BridgeError.unauthenticated(authenticated.reason);
      if (request instanceof BridgeError) throw request;
      const rendition = await photos.photo(request.owner, request.size, request.conversionRequest);
      if (!rendition) throw BridgeError.photoNotFound(request.email);
      sendRendition(req, res, rendition, cacheControl, requestId);
    } catch (error) {
      fail(res, error, requestId);
    }
  }

  function fail(res: ServerResponse, error: unknown, requestId: string): void {
    const unauthenticated = error instanceof BridgeError && error.httpStatus === 401;
    const headers = { 'request-id': requestId, vary: varyWithAccept(res) };
    sendError(res, error, log, requestId, unauthenticated ? { ...headers, 'www-authenticate': auth.challenge } : headers);
  }

  // Clients ask for the same few URLs over and over; parsing a query is a pure function
  // of it (and of Accept), so the answer is remembered rather than redone per request.
  const parsedRequests = new LRUCache<string, PhotoRequest | BridgeError>({ max: PARSED_REQUESTS_KEPT });
  function parsedRequest(queryString: string, accept: string | undefined): PhotoRequest | BridgeError {
    const key = accept === undefined ? queryString : `${queryString}\n${accept}`;
    let request = parsedRequests.get(key);
    if (request === undefined) {
      request = parsePhotoRequest(queryString, accept);
      parsedRequests.set(key, request);
    }
    return request;
  }

  return function handleUserPhoto(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '';
    const queryStart = url.indexOf('?');
    const path = queryStart < 0 ? url : url.slice(0, queryStart);
    if (path.length !== USER_PHOTO_PATH.length || path.toLowerCase() !== USER_PHOTO_PATH) return false;

    const startedAt = performance.now();
    const requestId = requestIdOf(req);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (options.accessLog) logWhenFinished(log, req, res, requestId);
      sendError(res, new BridgeError('ErrorInvalidRequest', 405, 'use GET or HEAD'), log, requestId, { allow: 'GET, HEAD', 'request-id': requestId });
      return true;
    }

    // Credentials are checked before the query, so an anonymous caller learns nothing
    // about which addresses or sizes are valid.
    const authResult = auth.cached(req.headers.authorization);
    const request = parsedRequest(queryStart < 0 ? '' : url.slice(queryStart + 1), req.headers.accept);
    const cached = authResult?.ok && !(request instanceof BridgeError) ? photos.cachedPhoto(request.owner, request.size, request.conversionRequest?.conversion) : undefined;
    if (cached) {
      const status = sendRendition(req, res, cached, cacheControl, requestId);
      if (options.accessLog) logRequest(log, req, status, startedAt, requestId);
      return true;
    }
    if (options.accessLog) logWhenFinished(log, req, res, requestId);
    void answerSlowly(req, res, requestId, authResult, request);
    return true;
  };
}

const PARSED_REQUESTS_KEPT = 10_000;

interface PhotoRequest {
  email: string;
  owner: PhotoOwner;
  size: PhotoSize;
  conversionRequest?: ConversionRequest;
}

/** No size means the largest available, as Exchange's REST endpoint does. */
function parsePhotoRequest(queryString: string, accept: string | undefined): PhotoRequest | BridgeError {
  try {
    const query = new URLSearchParams(queryString);
    const sizeCode = query.get('size');
    const email = normalizeSmtpAddress(query.get('email') ?? '');
    return {
      email,
      owner: userOwner(email),
      size: sizeCode === null ? LARGEST_PHOTO_SIZE : parseSizeCode(sizeCode),
      conversionRequest: conversionRequestOf(query, accept),
    };
  } catch (error) {
    if (error instanceof BridgeError) return error;
    throw error;
  }
}
