import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { LRUCache } from 'lru-cache';
import { ANONYMOUS_PRINCIPAL, type AuthNeed, type AuthResult, type Authenticator } from '../auth/authenticator.js';
import { normalizeSmtpAddress } from '../domain/email.js';
import { BridgeError } from '../domain/errors.js';
import type { ConversionRequest } from '../domain/image-conversion.js';
import { hasDimensions, type PixelDimensions } from '../domain/photo.js';
import { LARGEST_PHOTO_SIZE, parseSizeCode, type PhotoSize } from '../domain/size-code.js';
import type { Logger } from '../logger.js';
import type { PhotoService } from '../photos/photo-service.js';
import { logRequest, logWhenDone } from '../http/access-log.js';
import { callerTurn } from '../http/caller-turns.js';
import { applyLogin, refusalHeaders } from '../http/login-step.js';
import { mailboxOf, type RequestContext } from '../http/request-context.js';
import { sendError } from '../http/send-error.js';
import { conversionRequestOf } from './conversion-query.js';
import { queryParameters, queryValue } from '../http/query-parameter.js';
import { photoCacheControl, sendRendition, varyWithAccept } from './send-photo.js';
import { userOwner, type PhotoOwner } from '../domain/photo-owner.js';
import { RequestMetrics, type RouteMeter } from '../metrics/request-metrics.js';

/** IIS matches paths case-insensitively, and clients rely on it. */
const USER_PHOTO_PATH = '/ews/exchange.asmx/s/getuserphoto';

/** Stands for "the caller's own photo" (Graph's `/me`): known only once the request is authenticated. */
export const CALLER = Symbol('the caller');

/** What every photo URL asks, whatever its shape: whose photo, at which size, converted how. */
export interface PhotoRequest {
  owner: PhotoOwner | typeof CALLER;
  /** How the URL named the owner, for error messages. */
  name: string;
  size: PhotoSize;
  /** Dimensions only a rendition of exactly these answers (a Graph photo id); another is the door's not-found. */
  exactly?: PixelDimensions;
  conversionRequest?: ConversionRequest;
}

/**
 * One URL shape of the photo hot path (the EWS REST URL, OWA's, Graph's `$value`). A door
 * only recognises its URLs and reads them into a PhotoRequest, and says how its protocol
 * writes an error; authentication, the photo service, the answer and the access line are
 * the route's, the same for every door.
 */
export interface PhotoDoor {
  /** Its route in the metrics (`ews-rest`, `owa`, `graph`). */
  readonly name: string;
  /** Whether this door answers the URL (`pathLength` = the part before `?`). Runs on every request: keep it cheap. */
  owns(url: string, pathLength: number): boolean;
  /** What the caller must be; `photo` lets an anonymous read in when the operator allowed it. */
  readonly need: AuthNeed;
  /** Reads the URL (and Accept) into a request, or the error to answer. Pure, so it is remembered per URL. */
  parse(url: string, pathLength: number, accept: string | undefined): PhotoRequest | BridgeError;
  /**
   * The error for a request that found no photo. A door may tell "no such person" apart,
   * but not to an anonymous reader (`anonymous`): which addresses are people is directory data.
   */
  notFound(request: PhotoRequest, owner: PhotoOwner, anonymous: boolean): BridgeError | Promise<BridgeError>;
  /** Writes an error as this door's clients expect it; the route passes the headers every error carries. */
  sendError(res: ServerResponse, error: unknown, log: Logger, requestId: string, headers: Record<string, string>): void;
  /** GET and HEAD are answered by the route; another method gets a 405 here (true) or goes on to the app (false). */
  readonly refusesOtherMethods: boolean;
}

interface UserPhotoRouteOptions {
  photos: PhotoService;
  auth: Authenticator;
  log: Logger;
  accessLog: boolean;
  photoMaxAgeSeconds: number;
  /** The URL shapes answered, asked in order; the EWS REST URL alone when not given. */
  doors?: readonly PhotoDoor[];
  /** Where answers are counted (front door `photo`, one route per door); uncounted when not given. */
  requests?: RequestMetrics;
}

/** Answers the request when it is for a photo URL; false for any other URL. */
export interface UserPhotoRoute {
  (context: RequestContext): boolean;
  /** What the memo of parsed queries holds: entries and their accounted bytes. */
  readonly rememberedQueries: { count: number; bytes: number };
}

/**
 * The photo URLs of a directory user: the EWS REST URL
 * `GET /ews/exchange.asmx/s/GetUserPhoto?email=…&size=HR96x96` and the other doors
 * (OWA, Graph's `$value`) that read into the same request.
 *
 * This is the hot path, so it is served straight from node:http, ahead of Express:
 * when the credentials and the sized photo are both cached, the answer is built
 * synchronously from map lookups.
 */
export function createUserPhotoRoute(options: UserPhotoRouteOptions): UserPhotoRoute {
  const { photos, auth, log, accessLog } = options;
  const requests = options.requests ?? new RequestMetrics();
  const doors = (options.doors ?? [EWS_REST_PHOTO_DOOR]).map((door) => ({ door, meter: requests.meter(PHOTO_FRONT_DOOR, door.name) }));
  const cacheControl = photoCacheControl(options.photoMaxAgeSeconds);
  const parsedQueries = new ParsedQueryMemo();

  async function answerSlowly(context: RequestContext, target: PhotoTarget, authResult: AuthResult | undefined): Promise<void> {
    const { req, res } = context;
    const { door } = target.metered;
    try {
      const refusal = applyLogin(context, authResult ?? (await auth.authenticate(req.headers.authorization, door.need, context.clientAddress)));
      if (refusal) throw refusal;
      const request = parsedQueries.get(target, req);
      if (request instanceof BridgeError) throw request;
      const owner = ownerOf(request, context);
      if (!owner) throw BridgeError.unauthenticated('authentication required');
      const anonymous = context.principal === ANONYMOUS_PRINCIPAL;
      const conversionRequest = anonymous ? withoutNames(request.conversionRequest) : request.conversionRequest;
      const rendition = await photos.photo(owner, request.size, conversionRequest, callerTurn(context));
      if (!rendition || !hasDimensions(rendition, request.exactly)) throw await door.notFound(request, owner, anonymous);
      sendRendition(req, res, rendition, cacheControl, context.requestId);
    } catch (error) {
      fail(context, door, error);
    }
  }

  /** Every error of these routes, with Vary: Accept as their photos (a cache keeps one answer per Accept either way). */
  function fail({ res, requestId }: RequestContext, door: PhotoDoor, error: unknown, more: Record<string, string> = {}): void {
    door.sendError(res, error, log, requestId, refusalHeaders(auth, error, { ...more, 'request-id': requestId, vary: varyWithAccept(res) }));
  }

  function handleUserPhoto(context: RequestContext): boolean {
    const { req, res } = context;
    const url = req.url ?? '';
    const last = (req.socket as Connection)[LAST_TARGET];
    const target = last !== undefined && last.url === url ? last : targetOf(doors, url);
    if (!target) return false;
    const { door, meter } = target.metered;

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (!door.refusesOtherMethods) return false;
      if (accessLog) logWhenDone(log, context);
      requests.recordWhenDone(context, PHOTO_FRONT_DOOR, door.name);
      fail(context, door, new BridgeError('ErrorInvalidRequest', 405, 'use GET or HEAD'), { allow: 'GET, HEAD' });
      return true;
    }

    // Credentials are checked before the query is even parsed: an anonymous caller
    // learns nothing about it, and costs no memory.
    const authResult = auth.cached(req.headers.authorization, door.need, context.clientAddress);
    if (authResult?.ok) {
      context.principal = authResult.principal;
      const request = parsedQueries.get(target, req);
      if (!(request instanceof BridgeError)) {
        const owner = ownerOf(request, context);
        // A condition to hold is answered on the way that can write its failure.
        const cached = owner && req.headers['if-match'] === undefined && photos.cachedPhoto(owner, request.size, request.conversionRequest?.conversion);
        if (cached && hasDimensions(cached, request.exactly)) {
          const status = sendRendition(req, res, cached, cacheControl, context.requestId);
          const endedAt = performance.now();
          meter.record(status, context.startedAt, endedAt);
          if (accessLog) logRequest(log, context, status, endedAt);
          return true;
        }
      }
    }
    if (accessLog) logWhenDone(log, context);
    requests.recordWhenDone(context, PHOTO_FRONT_DOOR, door.name);
    void answerSlowly(context, target, authResult);
    return true;
  }

  return Object.defineProperty(handleUserPhoto, 'rememberedQueries', { get: () => parsedQueries.size }) as UserPhotoRoute;
}

/** The front door these routes are counted under. */
const PHOTO_FRONT_DOOR = 'photo';

interface MeteredDoor {
  door: PhotoDoor;
  meter: RouteMeter;
}

/**
 * A photo URL as its door reads it, and once an authenticated request asked it, as it was
 * parsed. A keep-alive connection polling a photo sends the same URL each time, so the
 * last one let in is kept on its socket (one a connection, within the URL length limit,
 * gone with it): comparing two strings costs less than asking each door again and hashing
 * the URL for the memo.
 */
interface PhotoTarget {
  readonly url: string;
  /** The part before `?`. */
  readonly pathLength: number;
  readonly metered: MeteredDoor;
  /** The Accept it was parsed with, and what came of it; undefined until an authenticated request parsed it. */
  accept: string | undefined;
  parsed: PhotoRequest | BridgeError | undefined;
}

function targetOf(doors: readonly MeteredDoor[], url: string): PhotoTarget | undefined {
  const queryStart = url.indexOf('?');
  const pathLength = queryStart < 0 ? url.length : queryStart;
  for (const metered of doors) {
    if (metered.door.owns(url, pathLength)) return { url, pathLength, metered, accept: undefined, parsed: undefined };
  }
  return undefined;
}

/**
 * What an anonymous reader may see in place of a missing photo: no one's initials (those
 * drawn from the directory tell who is in it, and part of their names), the grey person
 * icon instead; Null and ClearPixel as asked.
 */
function withoutNames(request: ConversionRequest | undefined): ConversionRequest | undefined {
  if (!request || request.ifBlank === 'Null' || request.ifBlank === 'ClearPixel' || request.ifBlank === 'GenericFileIcon') return request;
  return { ...request, ifBlank: 'GenericFileIcon' };
}

/** Whose photo; for the caller's own, none when the caller has no mailbox (an anonymous read). */
function ownerOf(request: PhotoRequest, context: RequestContext): PhotoOwner | undefined {
  if (request.owner !== CALLER) return request.owner;
  const mailbox = mailboxOf(context);
  return mailbox === undefined ? undefined : userOwner(mailbox);
}

/**
 * Clients ask for the same few URLs over and over; parsing one is a pure function of it
 * (and of Accept), so the answer is remembered rather than redone per request. A URL
 * belongs to one door only, so the URL is the key. Only authenticated requests reach
 * it, and it is bounded by the bytes of its keys, so long URLs cannot make it hold more
 * than that. The target parsed last on a connection is kept on its socket (PhotoTarget).
 */
class ParsedQueryMemo {
  private readonly parsed = new LRUCache<string, PhotoRequest | BridgeError>({
    maxSize: PARSED_QUERIES_MAX_BYTES,
    sizeCalculation: (_request, key) => key.length + ENTRY_OVERHEAD_BYTES,
  });

  get(target: PhotoTarget, req: IncomingMessage): PhotoRequest | BridgeError {
    const accept = req.headers.accept;
    if (target.parsed !== undefined && target.accept === accept) return target.parsed;
    const { url, pathLength } = target;
    const key = accept === undefined ? url : `${url}\n${accept}`;
    let request = this.parsed.get(key);
    if (request === undefined) {
      request = target.metered.door.parse(url, pathLength, accept);
      this.parsed.set(key, request);
    }
    target.accept = accept;
    target.parsed = request;
    (req.socket as Connection)[LAST_TARGET] = target;
    return request;
  }

  get size(): { count: number; bytes: number } {
    return { count: this.parsed.size, bytes: this.parsed.calculatedSize };
  }
}

const LAST_TARGET = Symbol('the photo URL an authenticated request on this connection asked last');
type Connection = Socket & { [LAST_TARGET]?: PhotoTarget };

/** A few thousand typical URLs (about 100 characters each, plus their parsed form). */
export const PARSED_QUERIES_MAX_BYTES = 2 * 1024 * 1024;
/** A rough size of a parsed request and the memo's own bookkeeping. */
const ENTRY_OVERHEAD_BYTES = 256;

/**
 * A door for URLs that name the person in the query, `?email=…&size=HR96x96` plus the
 * conversion knobs, as the EWS REST URL does; `paths` are lower case and matched
 * case-insensitively, as IIS does. Other parameters (OWA's `UA`, `sc`) are ignored.
 */
export function queryPhotoDoor(name: string, paths: readonly string[]): PhotoDoor {
  const lengths = new Set(paths.map((path) => path.length));
  return {
    name,
    owns: (url, pathLength) => lengths.has(pathLength) && paths.includes(url.slice(0, pathLength).toLowerCase()),
    need: 'photo',
    parse: (url, pathLength, accept) => parsePhotoQuery(url.slice(pathLength + 1), accept),
    notFound: (request) => BridgeError.photoNotFound(request.name),
    sendError,
    refusesOtherMethods: true,
  };
}

export const EWS_REST_PHOTO_DOOR = queryPhotoDoor('ews-rest', [USER_PHOTO_PATH]);

/** No size means the largest available, as Exchange's REST endpoint does. */
function parsePhotoQuery(queryString: string, accept: string | undefined): PhotoRequest | BridgeError {
  try {
    const query = queryParameters(queryString);
    const sizeCode = queryValue(query, 'size');
    const email = normalizeSmtpAddress(queryValue(query, 'email') ?? '');
    const size = sizeCode === null ? LARGEST_PHOTO_SIZE : parseSizeCode(sizeCode);
    return { name: email, owner: userOwner(email), size, conversionRequest: conversionRequestOf(query, accept, size) };
  } catch (error) {
    if (error instanceof BridgeError) return error;
    throw error;
  }
}
