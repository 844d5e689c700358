import { createHash } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import type { SearchBudget } from '../http/search-budget.js';
import { BridgeError } from '../domain/errors.js';
import type { ConversionRequest } from '../domain/image-conversion.js';
import { contactOwner, userOwner, type PhotoOwner } from '../domain/photo-owner.js';
import { LARGEST_PHOTO_SIZE, parseSizeCode, type PhotoSize } from '../domain/size-code.js';
import type { IdKind, ItemIds } from '../ews/item-ids.js';
import { findPeople, isSearchScope } from '../people/find-people.js';
import type { PhotoService } from '../photos/photo-service.js';
import type { Store } from '../store/store.js';
import { conversionRequestOf } from './conversion-query.js';
import { queryOf, queryValue } from '../http/query-parameter.js';
import { OPENAPI_DOCUMENT } from './openapi.js';
import { allowOnly } from '../http/allowed-methods.js';
import { requireAccount } from '../http/require-account.js';
import { callerTurn } from '../http/caller-turns.js';
import { contextOf, mailboxOf } from '../http/request-context.js';
import { photoCacheControl, sendRendition } from './send-photo.js';

const OPENAPI_BYTES = Buffer.from(JSON.stringify(OPENAPI_DOCUMENT));
const OPENAPI_ETAG = `"${createHash('sha256').update(OPENAPI_BYTES).digest('base64url').slice(0, 27)}"`;

interface FacadeOptions {
  store: Store;
  searches: SearchBudget;
  photos: PhotoService;
  auth: Authenticator;
  ids: ItemIds;
  photoMaxAgeSeconds: number;
}

/**
 * Decoded image bytes for what SOAP clients reach through ResolveNames, GetItem and
 * GetAttachment — for clients that want a URL, not an envelope. Same credentials,
 * size codes, conversions, ETags and "never upscale" rule as the EWS REST photo URL.
 */
export function createFacadeRoutes(options: FacadeOptions): Router {
  const { store, photos, ids } = options;
  const router = Router();
  const cacheControl = photoCacheControl(options.photoMaxAgeSeconds);
  const authenticate = requireAccount(options.auth, 'user');
  // Ahead of the credentials: every answer of a photo route varies by Accept, its 401 and 405
  // too, so a cache never serves one Accept's answer to another (the REST photo URL does the same).
  router.all(PHOTO_PATHS, (_req, res, next) => {
    res.vary('Accept');
    next();
  });

  router.get('/api/openapi.json', (_req, res) => {
    // The one answer given without a login: made once (serialising it cost ~3 ms a request), with its ETag, so Express hashes nothing.
    res.set({ 'content-type': 'application/json; charset=utf-8', etag: OPENAPI_ETAG }).send(OPENAPI_BYTES);
  });

  router.get(
    '/api/people/photo',
    authenticate,
    photoRoute(async (req, res, asked) => {
      const name = queryValue(asked.query, 'name');
      if (!name) throw BridgeError.invalidRequest("the 'name' parameter is required");
      const scope = queryValue(asked.query, 'scope') ?? 'ActiveDirectoryContacts';
      if (!isSearchScope(scope)) throw BridgeError.invalidRequest(`unknown scope '${scope}'`);
      const mailbox = mailboxOf(contextOf(req))!;
      const people = await options.searches.run(mailbox, () => findPeople(store, mailbox, name, scope, 1));
      if (people.length === 0) throw new BridgeError('ErrorNameResolutionNoResults', 404, `no one matches '${name}'`);
      if (people.length > 1) throw new BridgeError('ErrorNameResolutionMultipleResults', 409, `'${name}' matches several people; be more specific`);
      const [person] = people;
      await sendPhoto(req, res, person!.kind === 'user' ? userOwner(person!.user.email) : contactOwner(person!.contact.id), asked);
    }),
  );

  const itemPhoto = (kind: IdKind) =>
    photoRoute(async (req, res, asked) => {
      const named = String(req.params.id);
      const id = ids.decode(kind, named);
      const mailbox = mailboxOf(contextOf(req));
      const contact = mailbox ? await store.getContact(mailbox, id) : undefined;
      // An AttachmentId names one photo of the contact: one replaced or removed since is gone, as in GetAttachment.
      const current = kind !== 'contactPhoto' || (contact?.photo !== undefined && ids.isOfVersion(named, contact.photo.sha256));
      if (!contact || !current) throw BridgeError.itemNotFound();
      await sendPhoto(req, res, contactOwner(id), asked);
    });
  router.get('/api/contacts/:id/photo', authenticate, itemPhoto('contact'));
  router.get('/api/attachments/:id', authenticate, itemPhoto('contactPhoto'));
  allowOnly(router, ['/api/openapi.json', ...PHOTO_PATHS], 'GET, HEAD');

  async function sendPhoto(req: Request, res: Response, owner: PhotoOwner, { size, conversion }: PhotoQuery): Promise<void> {
    const rendition = await photos.photo(owner, size, conversion, callerTurn(contextOf(req)));
    if (!rendition) throw new BridgeError('ErrorItemNotFound', 404, 'no photo');
    sendRendition(req, res, rendition, cacheControl, contextOf(req).requestId);
  }

  return router;
}

/** A photo route's query, read once: its parameters as sent, the size and the conversion they ask for. */
interface PhotoQuery {
  query: URLSearchParams;
  size: PhotoSize;
  conversion: ConversionRequest | undefined;
}

const PHOTO_PATHS = ['/api/people/photo', '/api/contacts/:id/photo', '/api/attachments/:id'];

/**
 * Ahead of every photo route, after the credentials (anonymous callers learn nothing
 * about the query): the size and conversion parameters checked before any lookup — read as the
 * REST photo URL reads them (queryValue), so a size given twice is refused there as here.
 */
function photoRoute(handler: (req: Request, res: Response, asked: PhotoQuery) => Promise<void>): RequestHandler {
  return async (req, res) => {
    const query = queryOf(req);
    const code = queryValue(query, 'size');
    const size = code === null ? LARGEST_PHOTO_SIZE : parseSizeCode(code);
    await handler(req, res, { query, size, conversion: conversionRequestOf(query, req.headers.accept, size) });
  };
}
