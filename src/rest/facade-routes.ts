import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import { BridgeError } from '../domain/errors.js';
import type { ConversionRequest } from '../domain/image-conversion.js';
import { contactOwner, userOwner, type PhotoOwner } from '../domain/photo-owner.js';
import { LARGEST_PHOTO_SIZE, parseSizeCode, type PhotoSize } from '../domain/size-code.js';
import type { IdKind, ItemIds } from '../ews/item-ids.js';
import { findPeople, isSearchScope } from '../people/find-people.js';
import type { PhotoService } from '../photos/photo-service.js';
import type { Store } from '../store/store.js';
import { conversionRequestOf } from './conversion-query.js';
import { OPENAPI_DOCUMENT } from './openapi.js';
import { mailboxOf, requireAccount } from '../http/require-account.js';
import { photoCacheControl, sendRendition } from './send-photo.js';

export interface FacadeOptions {
  store: Store;
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

  router.get('/api/openapi.json', (_req, res) => {
    res.json(OPENAPI_DOCUMENT);
  });

  router.get('/api/people/photo', authenticate, photoRoute, async (req, res) => {
    const name = queryText(req, 'name');
    if (!name) throw BridgeError.invalidRequest("the 'name' parameter is required");
    const scope = queryText(req, 'scope') ?? 'ActiveDirectoryContacts';
    if (!isSearchScope(scope)) throw BridgeError.invalidRequest(`unknown scope '${scope}'`);
    const people = await findPeople(store, mailboxOf(res), name, scope, 1);
    if (people.length === 0) throw new BridgeError('ErrorNameResolutionNoResults', 404, `no one matches '${name}'`);
    if (people.length > 1) throw new BridgeError('ErrorNameResolutionMultipleResults', 409, `'${name}' matches several people; be more specific`);
    const [person] = people;
    await sendPhoto(req, res, person!.kind === 'user' ? userOwner(person!.user.email) : contactOwner(person!.contact.id));
  });

  const itemPhoto = (kind: IdKind) => async (req: Request, res: Response) => {
    const id = ids.decode(kind, String(req.params.id));
    const mailbox = mailboxOf(res);
    if (!mailbox || !(await store.getContact(mailbox, id))) throw BridgeError.itemNotFound();
    await sendPhoto(req, res, contactOwner(id));
  };
  router.get('/api/contacts/:id/photo', authenticate, photoRoute, itemPhoto('contact'));
  router.get('/api/attachments/:id', authenticate, photoRoute, itemPhoto('contactPhoto'));

  async function sendPhoto(req: Request, res: Response, owner: PhotoOwner): Promise<void> {
    const size = sizeOf(req);
    const rendition = await photos.photo(owner, size, res.locals.conversionRequest as ConversionRequest | undefined);
    if (!rendition) throw new BridgeError('ErrorItemNotFound', 404, 'no photo');
    sendRendition(req, res, rendition, cacheControl, res.locals.requestId as string);
  }

  return router;
}

/**
 * Ahead of every photo route, after the credentials (anonymous callers learn nothing
 * about the query): Vary even on errors, so a cache never serves one Accept's answer to
 * another, and the conversion parameters checked before any lookup.
 */
const photoRoute: RequestHandler = (req, res, next) => {
  res.vary('Accept');
  const queryStart = req.originalUrl.indexOf('?');
  res.locals.conversionRequest = conversionRequestOf(new URLSearchParams(queryStart < 0 ? '' : req.originalUrl.slice(queryStart + 1)), req.headers.accept);
  next();
};

function queryText(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' ? value : undefined;
}

function sizeOf(req: Request): PhotoSize {
  const code = queryText(req, 'size');
  return code === undefined ? LARGEST_PHOTO_SIZE : parseSizeCode(code);
}
