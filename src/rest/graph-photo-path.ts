import type { Request } from 'express';
import { normalizeSmtpAddress } from '../domain/email.js';
import { BridgeError } from '../domain/errors.js';
import type { PixelDimensions } from '../domain/photo.js';
import { userOwner, type PhotoOwner } from '../domain/photo-owner.js';
import { PHOTO_SIZES, type PhotoSize } from '../domain/size-code.js';
import { contextOf, linkBaseOf } from '../http/request-context.js';
import { decodedSegment } from '../http/request-target.js';
import type { Store } from '../store/store.js';
import { dollarUserSegment, imageNotFound, resourceNotFound, unknownSegment } from './graph-errors.js';

/*
 * How the Graph-compatible API names people and sizes
 * (https://learn.microsoft.com/en-us/graph/api/profilephoto-get): `users/{id | userPrincipalName}`
 * (or `users('{id}')`, UserInPath) and `photos/{size}` with the HD sizes 48x48 … 648x648. A
 * user's id here is their primary SMTP address, which is also their user principal name in
 * the bridge's directory.
 */

/** Graph's versions; `beta` answers as `v1.0` does. */
export const GRAPH_VERSIONS = ['v1.0', 'beta'] as const;

/** Graph writes size ids as `240X240`; requests may use either case. */
export const GRAPH_SIZE_IDS: readonly string[] = PHOTO_SIZES.map((size) => `${size}x${size}`);

/**
 * A user as a Graph path names one, in either shape Get user documents
 * (https://learn.microsoft.com/en-us/graph/api/user-get): `users/{id | userPrincipalName}`, or
 * OData's key `users('{id}')`, the one way to name a userPrincipalName that begins with `$`:
 * "remove the slash (/) after `/users` and enclose the userPrincipalName in parentheses and
 * single quotes … `/users('$AdeleVance@contoso.com')`". Percent-decoded: `id` is the segment,
 * `key` what is between the parentheses; Express routes (userPaths) and regular expressions
 * (USER_IN_PATH, userInMatch) name them so.
 */
export interface UserInPath {
  id?: string;
  key?: string;
}

/** The Express paths that name a user, in both shapes, followed by `suffix`. */
function userPaths(suffix: string): string[] {
  return [`/users/:id${suffix}`, `/users\\(:key\\)${suffix}`];
}

/** userPaths and the caller's own, `/me`, followed by `suffix`. */
export function userAndMePaths(suffix: string): string[] {
  return [...userPaths(suffix), `/me${suffix}`];
}

/** Both shapes in a regular expression over a raw path: the named groups `id` and `key`, still percent-encoded. */
export const USER_IN_PATH = String.raw`users(?:\/(?<id>[^/?]+)|\((?<key>[^/?]*)\))`;

/** The user a USER_IN_PATH match names, percent-decoded as Express decodes its parameters. */
export function userInMatch(groups: Partial<Record<string, string>>): UserInPath {
  const { id, key } = groups;
  return { id: id === undefined ? undefined : decodedSegment(id), key: key === undefined ? undefined : decodedSegment(key) };
}

/** An OData string literal: in single quotes, a quote in it written twice (OData ABNF, `SQUOTE-in-string`). */
const STRING_LITERAL = /^'((?:[^']|'')*)'$/;

/** The id a path names, or Graph's 400: for `users/$…` (a `$` segment is OData's), and for a key that is no string. */
export function graphUserId({ id = '', key }: UserInPath): string | BridgeError {
  if (key === undefined) return id.startsWith('$') ? dollarUserSegment() : id;
  const literal = STRING_LITERAL.exec(key);
  return literal ? literal[1]!.replaceAll("''", "'") : unknownSegment(`users(${key})`);
}

/** Whose photo a Graph path asks for and the name it gave them; `caller` for `/me`. */
export interface AskedOwner {
  owner: PhotoOwner;
  name: string;
  caller: boolean;
}

/**
 * The user a path names, or Graph's error: its 400 for an id it cannot read, `unknown` (by
 * default Graph's not-found) for an id that is no address.
 */
export function graphUserOwner(path: UserInPath, unknown: (id: string) => BridgeError = resourceNotFound): Omit<AskedOwner, 'caller'> | BridgeError {
  const id = graphUserId(path);
  if (id instanceof BridgeError) return id;
  if (!id.includes('@')) return unknown(id);
  try {
    return { owner: userOwner(normalizeSmtpAddress(id)), name: id };
  } catch {
    return unknown(id);
  }
}

const SIZE_SEGMENT = /^([1-9]\d{0,2})[xX]([1-9]\d{0,2})$/;
const KNOWN_SIZES: ReadonlySet<number> = new Set(PHOTO_SIZES);

/** A size as a Graph path names it: an HD size, and for any other id, the dimensions of the rendition it names. */
export interface GraphSize {
  size: PhotoSize;
  exactly?: PixelDimensions;
}

/**
 * `96x96` (or `96X96`) → 96, served as the EWS URL serves its size code. Any other id a photo
 * may be listed with (`400X400` for the largest of a 400 px photo, `30X30` under 48 px, `96X72`
 * for one in its own shape) names the rendition of the smallest HD size that covers it, and
 * only when that rendition has exactly those dimensions: in OData an entity's id addresses it
 * in its collection, so every id `photo` and `photos` give can be fetched; one the photo has
 * not is Graph's 404 (GraphSize.exactly). Above 648 px is no id the bridge ever gives:
 * refused, as Exchange refuses an unknown size code.
 */
function parseGraphSize(segment: string): GraphSize | BridgeError {
  const match = SIZE_SEGMENT.exec(segment);
  if (match) {
    const [width, height] = [Number(match[1]), Number(match[2])];
    if (width === height && KNOWN_SIZES.has(width)) return { size: width as PhotoSize };
    const size = PHOTO_SIZES.find((side) => side >= Math.max(width, height));
    if (size !== undefined) return { size, exactly: { width, height } };
  }
  return BridgeError.invalidPhotoSize(segment, GRAPH_SIZE_IDS);
}

/** A size as a path names it: `photos/{size}` (`size`), or OData's key `photos('{size}')` (`sizeKey`), as the Outlook REST API writes it. */
export interface SizeInPath {
  size?: string;
  sizeKey?: string;
}

/**
 * The Express paths of one size of a user's (or the caller's) photos, in both shapes, and as
 * a size of the one photo (`photo/48x48`, as profilephoto-get's second example asks it),
 * followed by `suffix`.
 */
export function sizedPaths(suffix: string): string[] {
  return [`/photos/:size${suffix}`, `/photos\\(:sizeKey\\)${suffix}`, `/photo/:size${suffix}`].flatMap(userAndMePaths);
}

/** Those shapes in a regular expression over a raw path: the named groups `size` and `sizeKey`, still percent-encoded. */
export const SIZE_IN_PATH = String.raw`(?:photos?\/(?<size>[^/?]+)|photos\((?<sizeKey>[^/?]*)\))`;

/** The size a path names (percent-decoded), or the error for one it does not know. */
export function sizeInPath({ size, sizeKey }: SizeInPath): GraphSize | BridgeError {
  if (sizeKey === undefined) return parseGraphSize(size ?? '');
  const literal = STRING_LITERAL.exec(sizeKey);
  return parseGraphSize(literal ? literal[1]! : sizeKey);
}

/** A profilePhoto's id, as Graph writes it. */
export function graphSizeId(width: number, height: number): string {
  return `${width}X${height}`;
}

/**
 * Whether the owner asked is someone: the caller's own mailbox is there whether the
 * directory lists it or not, as `/me` answers it (graph-user-routes.ts); another, when the
 * directory lists them.
 */
async function isKnownOwner(store: Store, asked: AskedOwner): Promise<boolean> {
  return asked.caller || isListedUser(store, asked);
}

/** Whether the directory lists the user asked for: a login it does not list is someone (isKnownOwner), but no one with a photo to have. */
export async function isListedUser(store: Store, { owner }: AskedOwner): Promise<boolean> {
  return owner.kind === 'user' && (await store.getUser(owner.email)) !== undefined;
}

/** Graph tells a user without a photo (ImageNotFound) from an id it does not know (Request_ResourceNotFound). */
export async function photoNotFoundFor(store: Store, asked: AskedOwner): Promise<BridgeError> {
  return (await isKnownOwner(store, asked)) ? imageNotFound() : resourceNotFound(asked.name);
}

/** The Graph base the client reached (addressing.ts), with the version it asked: what links handed out start with. */
export function graphBaseUrl(req: Request): string {
  return `${linkBaseOf(contextOf(req))}${req.baseUrl}`;
}

/**
 * The URL the client asked, without its query, on the base it reached: where the next page
 * of a list is, by the path the client chose (`/users/{own address}/contacts` lists what
 * `/me/contacts` does, and Graph's nextLink keeps the path it was asked by).
 */
export function graphListUrl(req: Request): string {
  return `${linkBaseOf(contextOf(req))}${new URL(req.originalUrl, 'http://bridge').pathname}`;
}

/** `@odata.context` as Graph writes it. The user is an OData key literal, in which a quote is written twice. */
export function graphContextUrl(req: Request, name: string, what: string): string {
  return `${graphBaseUrl(req)}/$metadata#users('${encodeURIComponent(name.replaceAll("'", "''"))}')/${what}`;
}
