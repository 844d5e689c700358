import { BridgeError } from '../domain/errors.js';
import { LARGEST_PHOTO_SIZE } from '../domain/size-code.js';
import type { Store } from '../store/store.js';
import { decodedSegment } from '../http/request-target.js';
import { imageNotFound, sendGraphError } from './graph-errors.js';
import { graphUserOwner, parseGraphSize, photoNotFoundFor, USER_IN_PATH, userInMatch } from './graph-photo-path.js';
import { CALLER, type PhotoDoor, type PhotoRequest } from './user-photo-route.js';

/**
 * Graph's photo bytes on the photo hot path: `/v1.0/users/{id | upn}/photo/$value` (the
 * largest), `/v1.0/users/{id | upn}/photos/{48x48 … 648x648}/$value`, the same with the user
 * as OData's key `users('{upn}')` (UserInPath), under `/me` for the caller, and `/beta` as an
 * alias. The Graph JS client sends `$value` literally and the address with a raw `@`
 * (ews-wire G1); `%24value` and `%40` are read too.
 * A size above the photo's gives the largest available, as the EWS URL does. Graph always
 * answers JPEG, so Accept does not convert. Every other Graph URL is the app's
 * (graph-photo-routes.ts), as are a PUT, PATCH or DELETE of these.
 */
const PHOTO_VALUE = new RegExp(String.raw`^\/(?:v1\.0|beta)\/(?:(${USER_IN_PATH})|me)\/(?:photo|photos\/(?<size>[^/]+))\/(?:\$|%24)value$`, 'i');

/** The cheap test first: most requests are not for Graph at all. */
function graphValueMatch(url: string, pathLength: number): RegExpExecArray | null {
  const version = url.slice(0, 6).toLowerCase();
  if (version !== '/v1.0/' && version !== '/beta/') return null;
  return PHOTO_VALUE.exec(url.slice(0, pathLength));
}

function parse(url: string, pathLength: number): PhotoRequest | BridgeError {
  const { 1: user, groups = {} } = graphValueMatch(url, pathLength)!;
  const size = groups.size === undefined ? LARGEST_PHOTO_SIZE : parseGraphSize(decodedSegment(groups.size));
  if (size instanceof BridgeError) return size;
  if (user === undefined) return { owner: CALLER, name: 'me', size };
  const named = graphUserOwner(userInMatch(groups));
  return named instanceof BridgeError ? named : { ...named, size };
}

/** `users/{id}` reads a photo (anonymous when the operator allowed it); `/me` needs a real login. */
export function graphPhotoValueDoors(store: Store): PhotoDoor[] {
  const door = (forCaller: boolean): PhotoDoor => ({
    name: forCaller ? 'graph-me' : 'graph',
    owns: (url, pathLength) => {
      const match = graphValueMatch(url, pathLength);
      return match !== null && (match[1] === undefined) === forCaller;
    },
    need: forCaller ? 'user' : 'photo',
    parse,
    notFound: (request, owner, anonymous) =>
      anonymous ? imageNotFound() : photoNotFoundFor(store, { owner, name: request.name, caller: request.owner === CALLER }),
    sendError: sendGraphError,
    refusesOtherMethods: false,
  });
  return [door(false), door(true)];
}
