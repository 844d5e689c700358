import type { IncomingMessage } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { AuthResult, Authenticator } from '../auth/authenticator.js';
import { normalizeSmtpAddress } from '../domain/email.js';
import { BridgeError } from '../domain/errors.js';
import type { ConversionRequest } from '../domain/image-conversion.js';
import { LARGEST_PHOTO_SIZE, parseSizeCode, type PhotoSize } from '../domain/size-code.js';
import type { Logger } from '../logger.js';
import type { PhotoService } from '../photos/photo-service.js';
import { logRequest, logWhenFinished } from '../http/access-log.js';
import type { RequestContext } from '../http/request-context.js';
import { sendError } from '../http/send-error.js';
import { conversionRequestOf } from './conversion-query.js';
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

/** Answers the request when it is for the photo URL; false for any other URL. */
export interface UserPhotoRoute {
  (context: RequestContext): boolean;
  /** What the memo of parsed queries holds: entries and their accounted bytes. */
  readonly rememberedQueries: { count: number; bytes: number };
}

/**
 * The EWS REST photo URL, `GET /ews/exchange.asmx/s/GetUserPhoto?email=…&size=HR96x96`.
 *
 * This is the hot path, so it is served straight from node:http, ahead of Express:
 * when the credentials and the sized photo are both cached, the answer is built
 * synchronously from map lookups.
 */
export function createUserPhotoRoute(options: UserPhotoRouteOptions): UserPhotoRoute {
  const { photos, auth, log, accessLog } = options;
  const cacheControl = photoCacheControl(options.photoMaxAgeSeconds);
  const parsedQueries = new ParsedQueryMemo();

  async function answerSlowly(context: RequestContext, authResult: AuthResult | undefined): Promise<void> {
    const { req, res } = context;
    try {
      const authenticated = authResult ?? (await auth.authenticate(req.headers.authorization, 'photo', context.clientAddress));
      if (!authenticated.ok) {
        context.attemptedUser = authenticated.attemptedUser;
        throw authenticated.error;
      }
      context.principal = authenticated.principal;
      const request = parsedQueries.get(req);
      if (request instanceof BridgeError) throw request;
      const rendition = await photos.photo(request.owner, request.size, request.conversionRequest);
      if (!rendition) throw BridgeError.photoNotFound(request.email);
      sendRendition(req, res, rendition, cacheControl, context.requestId);
    } catch (error) {
      fail(context, error);
    }
  }

  function fail({ res, requestId }: RequestContext, error: unknown): void {
    const unauthenticated = error instanceof BridgeError && error.httpStatus === 401;
    const headers = { 'request-id': requestId, vary: varyWithAccept(res) };
    sendError(res, error, log, requestId, unauthenticated ? { ...headers, 'www-authenticate': auth.challenge } : headers);
  }

  function handleUserPhoto(context: RequestContext): boolean {
    const { req, res } = context;
    const url = req.url ?? '';
    const queryStart = url.indexOf('?');
    const pathLength = queryStart < 0 ? url.length : queryStart;
    if (pathLength !== USER_PHOTO_PATH.length || url.slice(0, pathLength).toLowerCase() !== USER_PHOTO_PATH) return false;

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (accessLog) logWhenFinished(log, context);
      sendError(res, new BridgeError('ErrorInvalidRequest', 405, 'use GET or HEAD'), log, context.requestId, { allow: 'GET, HEAD', 'request-id': context.requestId });
      return true;
    }

    // Credentials are checked before the query is even parsed: an anonymous caller
    // learns nothing about it, and costs no memory.
    const authResult = auth.cached(req.headers.authorization, 'photo');
    if (authResult?.ok) {
      context.principal = authResult.principal;
      const request = parsedQueries.get(req);
      const cached = request instanceof BridgeError ? undefined : photos.cachedPhoto(request.owner, request.size, request.conversionRequest?.conversion);
      if (cached) {
        const status = sendRendition(req, res, cached, cacheControl, context.requestId);
        if (accessLog) logRequest(log, context, status);
        return true;
      }
    }
    if (accessLog) logWhenFinished(log, context);
    void answerSlowly(context, authResult);
    return true;
  }

  return Object.defineProperty(handleUserPhoto, 'rememberedQueries', { get: () => parsedQueries.size }) as UserPhotoRoute;
}

/**
 * Clients ask for the same few URLs over and over; parsing a query is a pure function
 * of it (and of Accept), so the answer is remembered rather than redone per request.
 * Only authenticated requests reach it, and it is bounded by the bytes of its keys, so
 * long queries cannot make it hold more than that.
 */
class ParsedQueryMemo {
  private readonly parsed = new LRUCache<string, PhotoRequest | BridgeError>({
    maxSize: PARSED_QUERIES_MAX_BYTES,
    sizeCalculation: (_request, key) => key.length + ENTRY_OVERHEAD_BYTES,
  });

  get(req: IncomingMessage): PhotoRequest | BridgeError {
    const url = req.url ?? '';
    const queryStart = url.indexOf('?');
    const queryString = queryStart < 0 ? '' : url.slice(queryStart + 1);
    const accept = req.headers.accept;
    const key = accept === undefined ? queryString : `${queryString}\n${accept}`;
    let request = this.parsed.get(key);
    if (request === undefined) {
      request = parsePhotoRequest(queryString, accept);
      this.parsed.set(key, request);
    }
    return request;
  }

  get size(): { count: number; bytes: number } {
    return { count: this.parsed.size, bytes: this.parsed.calculatedSize };
  }
}

/** A few thousand typical queries (about 60 characters each, plus their parsed form). */
export const PARSED_QUERIES_MAX_BYTES = 2 * 1024 * 1024;
/** A rough size of a parsed request and the memo's own bookkeeping. */
const ENTRY_OVERHEAD_BYTES = 256;

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
