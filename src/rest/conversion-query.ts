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
  const width = queryValue(query, 'w');
  const height = queryValue(query, 'h');
  const type = queryValue(query, 'type');
  const ifBlank = queryValue(query, 'ifBlank');
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
 * A photo URL's parameter, null when absent; 400 when it is given twice, never one of the
 * two picked (IIS hands Exchange both, joined by a comma, which no value reads as).
 */
export function queryValue(query: URLSearchParams, name: string): string | null {
  const values = query.getAll(name);
  if (values.length > 1) throw BridgeError.invalidRequest(`the '${name}' parameter is given more than once`);
  return values[0] ?? null;
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

/**
 * The longest Accept header read. Browsers send under 100 characters for an image; parsing
 * a crafted 15 KB one (a quote and commas) cost 0.7 ms of the event loop per request, ten
 * photo answers' worth, with no memo to catch it.
 */
const ACCEPT_MAX_CHARACTERS = 1024;

/** A client that accepts none of the offered types still gets JPEG: a photo beats a 406. So does one whose Accept is too long to be a client's. */
function negotiatedType(accept: string | undefined): ImageType {
  if (accept === undefined || accept.length > ACCEPT_MAX_CHARACTERS) return 'jpeg';
  const best = new Negotiator({ headers: { accept } }).mediaType(OFFERED_CONTENT_TYPES);
  return best ? (best.slice('image/'.length) as ImageType) : 'jpeg';
}
