import express, { Router, type Request } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import { BridgeError } from '../domain/errors.js';
import { hasDimensions, type ServedRendition } from '../domain/photo.js';
import { userOwner } from '../domain/photo-owner.js';
import { LARGEST_PHOTO_SIZE, PHOTO_SIZES, type PhotoSize } from '../domain/size-code.js';
import { callerTurn } from '../http/caller-turns.js';
import { contextOf, mailboxOf } from '../http/request-context.js';
import { requireAccount } from '../http/require-account.js';
import type { Logger } from '../logger.js';
import type { PhotoChangeDoor } from '../photos/photo-change-audit.js';
import type { PhotoService, Turn } from '../photos/photo-service.js';
import type { Store } from '../store/store.js';
import { photoUploadBody, uploadedImage, type PhotoChanges } from './self-service-photos.js';
import { graphErrorHandler, refuseOtherMethods, resourceNotFound, unknownSegment } from './graph-errors.js';
import {
  graphContextUrl,
  graphSizeId,
  graphUserOwner,
  isListedUser,
  photoNotFoundFor,
  sizedPaths,
  sizeInPath,
  userAndMePaths,
  type AskedOwner,
  type UserInPath,
} from './graph-photo-path.js';
import { outlookContextUrl, outlookPhotoEntity, outlookPhotoNotFound } from './outlook-photo.js';

interface GraphPhotoRoutesOptions {
  store: Store;
  photos: PhotoService;
  auth: Authenticator;
  log: Logger;
  maxUploadBytes: number;
  changes: PhotoChanges;
  /** Graph's words (the default) or the Outlook REST API's. */
  dialect?: PhotoApiDialect;
}

/** How an API that names photos as Graph does writes their metadata, and tells there is none. */
export interface PhotoApiDialect {
  /** Its door in the audit of photo changes. */
  readonly door: PhotoChangeDoor;
  /** A photo's metadata, without `@odata.context`; undefined: the placeholder of someone without one (when `placeholder`). */
  entity(req: Request, asked: AskedOwner, served: ServedRendition | undefined): Record<string, unknown>;
  /** `@odata.context` of `what` (`photo/$entity`, `photos`) of the owner asked. */
  context(req: Request, asked: AskedOwner, what: string): string;
  /** The error for a photo that is not there, or a user who is not. */
  notFound(asked: AskedOwner): BridgeError | Promise<BridgeError>;
  /** The error for a user id that is no address. */
  readonly unknownUser: (id: string) => BridgeError;
  /** Whether metadata of someone known without a photo is the placeholder rather than notFound. */
  readonly placeholder: boolean;
}

/** Graph's (https://learn.microsoft.com/en-us/graph/api/resources/profilephoto). */
function graphDialect(store: Store): PhotoApiDialect {
  return {
    door: 'graph',
    entity: (_req, _asked, served) => photoEntity(served!),
    context: (req, asked, what) => graphContextUrl(req, asked.name, what),
    notFound: (asked) => photoNotFoundFor(store, asked),
    unknownUser: resourceNotFound,
    placeholder: false,
  };
}

/** The Outlook REST API's (outlook-photo.ts): Exchange's not-found, a placeholder for someone known without a photo. */
export const OUTLOOK_DIALECT: PhotoApiDialect = {
  door: 'outlook',
  entity: outlookPhotoEntity,
  context: outlookContextUrl,
  notFound: outlookPhotoNotFound,
  unknownUser: outlookPhotoNotFound,
  placeholder: true,
};

/**
 * The Graph-compatible photo API apart from the bytes (those are on the photo hot path,
 * graph-photo-value.ts), mounted under `/v1.0` and `/beta`, as profilephoto-get and
 * profilephoto-update document it (https://learn.microsoft.com/en-us/graph/api/profilephoto-get):
 * - `GET …/photo` → the largest photo's metadata; `GET …/photos/{size}` → that size's;
 *   `GET …/photos` → `{"value":[…]}`, every HD size the photo has (a 504x504 photo has
 *   all but 648x648, as Graph says; one under 48 px lists itself). Metadata asks for a real login, not an anonymous read.
 * - `PUT` (or `PATCH`) `…/photo/$value` with the image as body (200), `DELETE …/photo/$value`
 *   (204, https://learn.microsoft.com/en-us/graph/api/profilephoto-delete): administrators, and
 *   a user on their own photo when self-service allows it (as Graph lets User.ReadWrite update
 *   the signed-in user's photo); the admin API's upload limit and pipeline
 *   (self-service-photos.ts); who may is checked before the body is read. `DELETE …/photo`
 *   does the same: Graph's own OpenAPI description has it (Remove-MgUserPhoto, "Delete
 *   navigation property photo"), though profilephoto-delete shows only `$value`.
 * Errors are Graph's JSON (graph-errors.ts); any other path under the version is Graph's
 * "Resource not found for the segment", a known path with another method a 405. The Outlook
 * REST API names photos by the same paths (`photos('{size}')` too, as Graph also reads it), so
 * the same routes under `/api/v2.0` and `/api/beta` answer it in its words (OUTLOOK_DIALECT).
 */
export function createGraphPhotoRoutes(options: GraphPhotoRoutesOptions): Router {
  const { store, photos, auth, log, maxUploadBytes, changes } = options;
  const dialect = options.dialect ?? graphDialect(store);
  const router = Router();
  const reader = requireAccount(auth, 'user');

  /**
   * What the photo the path names is served as at `size` (its metadata, not its bytes):
   * undefined for someone known without one where the dialect answers its placeholder, else
   * its not-found (Graph's: ImageNotFound for a user without one, else Request_ResourceNotFound).
   */
  async function servedOf(asked: AskedOwner, size: PhotoSize, turn: Turn): Promise<ServedRendition | undefined> {
    const served = await photos.servedAt(asked.owner, size, turn);
    if (served) return served;
    if (dialect.placeholder && (await isListedUser(store, asked))) return undefined;
    throw await dialect.notFound(asked);
  }

  /** `users/{id}` and `users('{id}')` name a user by address; `/me` is the caller (a real login: `reader`/`admin` let no anonymous read through). */
  function ownerIn(req: Request<UserInPath>): AskedOwner {
    const { id, key } = req.params;
    if (id === undefined && key === undefined) {
      const mailbox = mailboxOf(contextOf(req));
      if (mailbox === undefined) throw BridgeError.unauthenticated('authentication required');
      return { owner: userOwner(mailbox), name: mailbox, caller: true };
    }
    const named = graphUserOwner({ id, key }, dialect.unknownUser);
    if (named instanceof BridgeError) throw named;
    return { ...named, caller: false };
  }

  /** The address of the user whose photo the path names (these paths name users only). */
  function userEmailIn(req: Request<UserInPath>): string {
    const { owner, name } = ownerIn(req);
    if (owner.kind !== 'user') throw dialect.unknownUser(name);
    return owner.email;
  }

  router.get(userAndMePaths('/photo'), reader, async (req, res) => {
    const asked = ownerIn(req);
    const served = await servedOf(asked, LARGEST_PHOTO_SIZE, callerTurn(contextOf(req)));
    res.json({ '@odata.context': dialect.context(req, asked, 'photo/$entity'), ...dialect.entity(req, asked, served) });
  });

  router.get(sizedPaths(''), reader, async (req, res) => {
    const sized = sizeInPath(req.params);
    if (sized instanceof BridgeError) throw sized;
    const asked = ownerIn(req);
    const served = await servedOf(asked, sized.size, callerTurn(contextOf(req)));
    if (served && !hasDimensions(served, sized.exactly)) throw await dialect.notFound(asked);
    res.json({ '@odata.context': dialect.context(req, asked, 'photos/$entity'), ...dialect.entity(req, asked, served) });
  });

  router.get(userAndMePaths('/photos'), reader, async (req, res) => {
    const asked = ownerIn(req);
    const turn = callerTurn(contextOf(req));
    const largest = await servedOf(asked, LARGEST_PHOTO_SIZE, turn);
    const sized = largest ? await Promise.all(PHOTO_SIZES.map((size) => photos.servedAt(asked.owner, size, turn))) : [];
    // A size is there when its rendition really has that long side (never upscaled). A photo
    // under 48 px has none of them; it is listed as itself, so the list never hides what /photo serves.
    const available = sized.filter((served, i) => served && Math.max(served.width, served.height) === PHOTO_SIZES[i]) as ServedRendition[];
    const listed = available.length > 0 ? available : [largest];
    res.json({ '@odata.context': dialect.context(req, asked, 'photos'), value: listed.map((served) => dialect.entity(req, asked, served)) });
  });

  const mayChange: express.RequestHandler = async (req, _res, next) => {
    await changes.authorize(contextOf(req).principal!, userEmailIn(req), req.headers, () => dialect.notFound(ownerIn(req)));
    next();
  };
  const upload: express.RequestHandler = async (req, res) => {
    await changes.set(contextOf(req).principal!, userEmailIn(req), uploadedImage(req), dialect.door, req.headers);
    res.status(200).end();
  };
  const body = photoUploadBody(maxUploadBytes);
  router.put(userAndMePaths('/photo/$value'), reader, mayChange, body, upload);
  router.patch(userAndMePaths('/photo/$value'), reader, mayChange, body, upload);

  router.delete(['/photo', '/photo/$value'].flatMap(userAndMePaths), reader, mayChange, async (req, res) => {
    if (!(await changes.remove(contextOf(req).principal!, userEmailIn(req), dialect.door, req.headers))) throw await dialect.notFound(ownerIn(req));
    res.status(204).end();
  });

  refuseOtherMethods(router, userAndMePaths('/photo'), 'GET, HEAD, DELETE');
  refuseOtherMethods(router, userAndMePaths('/photo/$value'), 'GET, HEAD, PUT, PATCH, DELETE');
  refuseOtherMethods(router, [...userAndMePaths('/photos'), ...sizedPaths(''), ...sizedPaths('/$value')], 'GET, HEAD');
  router.use((req) => {
    throw unknownSegment(req.path.split('/').filter(Boolean).at(-1) ?? '');
  });

  router.use(graphErrorHandler(log));
  return router;
}

/** A profilePhoto as Graph writes it: the media type and ETag of its bytes, its size id and dimensions. */
export function photoEntity(rendition: ServedRendition) {
  return {
    '@odata.mediaContentType': rendition.contentType,
    '@odata.mediaEtag': rendition.etag,
    id: graphSizeId(rendition.width, rendition.height),
    width: rendition.width,
    height: rendition.height,
  };
}
