import { BridgeError } from '../domain/errors.js';
import type { PhotoOwner } from '../domain/photo-owner.js';
import { LARGEST_PHOTO_SIZE } from '../domain/size-code.js';
import type { Store } from '../store/store.js';
import { decodedSegment } from '../http/request-target.js';
import { imageNotFound, resourceNotFound, sendGraphError } from './graph-errors.js';
import { graphUserOwner, photoNotFoundFor, SIZE_IN_PATH, sizeInPath, USER_IN_PATH, userInMatch } from './graph-photo-path.js';
import { outlookPhotoNotFound } from './outlook-photo.js';
import { CALLER, type PhotoDoor, type PhotoRequest } from './user-photo-route.js';

/**
 * Photo bytes on the photo hot path by Graph's URLs: `/v1.0/users/{id | upn}/photo/$value`
 * (the largest), `/v1.0/users/{id | upn}/photos/{48x48 … 648x648}/$value`, the user as
 * OData's key `users('{upn}')` (UserInPath) and the size as `photos('{size}')` (SizeInPath),
 * under `/me` for the caller, and `/beta` as an alias — and by the Outlook REST API's, the
 * same under `/api/v2.0` and `/api/beta` (outlook-photo.ts). The Graph JS client sends `$value`
 * literally and the address with a raw `@` (ews-wire G1); `%24value` and `%40` are read too.
 * A slash at the end is read as none, as the app's routes read one. A size above the photo's gives the largest available, as the EWS URL does. Both always
 * answer JPEG, so Accept does not convert. Every other URL of theirs is the app's
 * (graph-photo-routes.ts), as are a PUT, PATCH or DELETE of these.
 */
const VALUE_PATH = String.raw`\/(?:(${USER_IN_PATH})|me)\/(?:photo|${SIZE_IN_PATH})\/(?:\$|%24)value\/?$`;

/** One API's `$value` URLs: the cheap test of its prefix first, as most requests are for neither. */
interface ValueApi {
  readonly name: string;
  /** Lower-case prefixes, all of one length. */
  readonly prefixes: readonly string[];
  readonly path: RegExp;
  readonly unknownUser: (id: string) => BridgeError;
  readonly notFound: (store: Store, request: PhotoRequest, owner: PhotoOwner, anonymous: boolean) => BridgeError | Promise<BridgeError>;
}

const GRAPH: ValueApi = {
  name: 'graph',
  prefixes: ['/v1.0/', '/beta/'],
  path: new RegExp(String.raw`^\/(?:v1\.0|beta)${VALUE_PATH}`, 'i'),
  unknownUser: resourceNotFound,
  notFound: (store, request, owner, anonymous) =>
    anonymous ? imageNotFound() : photoNotFoundFor(store, { owner, name: request.name, caller: request.owner === CALLER }),
};

const OUTLOOK: ValueApi = {
  name: 'outlook',
  prefixes: ['/api/v2.0/', '/api/beta/'],
  path: new RegExp(String.raw`^\/api\/(?:v2\.0|beta)${VALUE_PATH}`, 'i'),
  unknownUser: outlookPhotoNotFound,
  notFound: outlookPhotoNotFound,
};

function valueMatch(api: ValueApi, url: string, pathLength: number): RegExpExecArray | null {
  const length = api.prefixes[0]!.length;
  if (!api.prefixes.includes(url.slice(0, length).toLowerCase())) return null;
  return api.path.exec(url.slice(0, pathLength));
}

function parser(api: ValueApi) {
  return (url: string, pathLength: number): PhotoRequest | BridgeError => {
    const { 1: user, groups = {} } = valueMatch(api, url, pathLength)!;
    const sized =
      groups.size === undefined && groups.sizeKey === undefined
        ? { size: LARGEST_PHOTO_SIZE }
        : sizeInPath({ size: groups.size && decodedSegment(groups.size), sizeKey: groups.sizeKey && decodedSegment(groups.sizeKey) });
    if (sized instanceof BridgeError) return sized;
    if (user === undefined) return { owner: CALLER, name: 'me', ...sized };
    const named = graphUserOwner(userInMatch(groups), api.unknownUser);
    return named instanceof BridgeError ? named : { ...named, ...sized };
  };
}

/** `users/{id}` reads a photo (anonymous when the operator allowed it); `/me` needs a real login. */
export function photoValueDoors(store: Store): PhotoDoor[] {
  const door = (api: ValueApi, forCaller: boolean): PhotoDoor => ({
    name: forCaller ? `${api.name}-me` : api.name,
    owns: (url, pathLength) => {
      const match = valueMatch(api, url, pathLength);
      return match !== null && (match[1] === undefined) === forCaller;
    },
    need: forCaller ? 'user' : 'photo',
    parse: parser(api),
    notFound: (request, owner, anonymous) => api.notFound(store, request, owner, anonymous),
    sendError: sendGraphError,
    refusesOtherMethods: false,
  });
  return [GRAPH, OUTLOOK].flatMap((api) => [door(api, false), door(api, true)]);
}
