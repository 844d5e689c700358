import { BridgeError } from '../domain/errors.js';
import { acceptedImageType } from './accepted-image-type.js';
import {
  BLANK_KINDS,
  IMAGE_TYPES,
  MAX_CONVERSION_SIDE,
  changesImage,
  type BlankKind,
  type ConversionRequest,
  type ImageType,
  withinSide,
} from '../domain/image-conversion.js';
import type { PhotoSize } from '../domain/size-code.js';
import { queryValue } from '../http/query-parameter.js';

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
        type: type === null ? acceptedImageType(accept) : parseType(type),
      },
      size,
    ),
    ifBlank: ifBlank === null ? 'Null' : parseBlankKind(ifBlank),
  };
  return changesImage(request.conversion) || request.ifBlank !== 'Null' ? request : undefined;
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
