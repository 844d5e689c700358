import { bulkhead, isBulkheadRejectedError, type BulkheadPolicy } from 'cockatiel';
import Negotiator from 'negotiator';
import { BridgeError } from '../domain/errors.js';
import {
  BLANK_KINDS,
  IMAGE_TYPES,
  MAX_CONVERSION_SIDE,
  changesImage,
  contentTypeOf,
  type BlankKind,
  type ConversionRequest,
  type ImageType,
  withinSide,
} from '../domain/image-conversion.js';
import type { PhotoSize } from '../domain/size-code.js';
import { mailboxOf, type RequestContext } from '../http/request-context.js';

/** JPEG first: on a tie (any image type, or anything at all) the stored format wins and nothing is re-encoded. */
const OFFERED_CONTENT_TYPES = IMAGE_TYPES.map(contentTypeOf);
const SIDE = /^[1-9]\d{0,2}$/;

/**
 * The image conversion a photo request asks for through `w`, `h`, `type`, `ifBlank`
 * and `Accept`, or undefined when it asks for none — the common case, decided without
 * parsing anything so the photo hot path stays as it is. Bad values throw a 400. A side
 * no smaller than the photo's `size` bounds nothing and is dropped (withinSide).
 */
export function conversionRequestOf(query: URLSearchParams, accept: string | undefined, size: PhotoSize): ConversionRequest | undefined {
  const width = query.get('w');
  const height = query.get('h');
  const type = query.get('type');
  const ifBlank = query.get('ifBlank');
  if (width === null && height === null && type === null && ifBlank === null && (accept === undefined || accept === '*/*')) return undefined;
  const request: ConversionRequest = {
    conversion: withinSide(
      {
        ...(width === null ? {} : { width: parseSide('w', width) }),
        ...(height === null ? {} : { height: parseSide('h', height) }),
        type: type === null ? negotiatedType(accept) : parseType(type),
      },
      size,
    ),
    ifBlank: ifBlank === null ? 'Null' : parseBlankKind(ifBlank),
  };
  return changesImage(request.conversion) || request.ifBlank !== 'Null' ? request : undefined;
}

/**
 * Conversions and placeholders one caller may have made at once, and waiting: each is a
 * fresh encode on libuv's four threads (AVIF 120–240 ms), so one login asking 48 distinct
 * ones at once made other users' first photos wait 2–7 s. A caller's own burst (a page of
 * photos through an HTTP/2 proxy) waits its turn; past the queue it is told to come back.
 */
const CONVERSIONS_AT_ONCE = 4;
const CONVERSIONS_WAITING = 64;
const converting = new Map<string, BulkheadPolicy>();

/** Runs `make` (a photo that may need converting) in the caller's turn; ErrorServerBusy when the caller has a full queue already. */
export async function inCallersTurn<T>(context: RequestContext, make: () => Promise<T>): Promise<T> {
  const caller = mailboxOf(context) ?? `address ${context.clientAddress}`;
  let slots = converting.get(caller);
  if (!slots) converting.set(caller, (slots = bulkhead(CONVERSIONS_AT_ONCE, CONVERSIONS_WAITING)));
  try {
    return await slots.execute(make);
  } catch (error) {
    if (isBulkheadRejectedError(error)) throw BridgeError.serverBusy('too many converted photos of yours are being made; try again shortly', 1);
    throw error;
  } finally {
    // Gone once idle: many callers leave nothing behind.
    if (slots.executionSlots === CONVERSIONS_AT_ONCE && slots.queueSlots === CONVERSIONS_WAITING) converting.delete(caller);
  }
}

function parseSide(name: string, value: string): number {
  const side = SIDE.test(value) ? Number(value) : 0;
  if (side < 1 || side > MAX_CONVERSION_SIDE) {
    throw BridgeError.invalidRequest(`'${name}' must be a whole number of pixels from 1 to ${MAX_CONVERSION_SIDE}, not '${value.slice(0, 20)}'`);
  }
  return side;
}

function parseType(value: string): ImageType {
  const type = value.toLowerCase();
  if ((IMAGE_TYPES as readonly string[]).includes(type)) return type as ImageType;
  throw BridgeError.invalidRequest(`unknown image type '${value.slice(0, 20)}'; use one of ${IMAGE_TYPES.map((known) => known.toUpperCase()).join(', ')}`);
}

function parseBlankKind(value: string): BlankKind {
  const kind = BLANK_KINDS.find((known) => known.toLowerCase() === value.toLowerCase());
  if (kind) return kind;
  throw BridgeError.invalidRequest(`unknown ifBlank '${value.slice(0, 40)}'; use one of ${BLANK_KINDS.join(', ')}`);
}

/** A client that accepts none of the offered types still gets JPEG: a photo beats a 406. */
function negotiatedType(accept: string | undefined): ImageType {
  if (accept === undefined) return 'jpeg';
  const best = new Negotiator({ headers: { accept } }).mediaType(OFFERED_CONTENT_TYPES);
  return best ? (best.slice('image/'.length) as ImageType) : 'jpeg';
}
