import { BridgeError } from './errors.js';

/** The square sizes Exchange serves, in pixels of the long side. */
export const PHOTO_SIZES = [48, 64, 96, 120, 240, 360, 432, 504, 648] as const;
export type PhotoSize = (typeof PHOTO_SIZES)[number];
export const LARGEST_PHOTO_SIZE = Math.max(...PHOTO_SIZES) as PhotoSize;
/** The codes clients write for them (`HR96x96`); OpenAPI and error messages list these. */
export const SIZE_CODES: readonly string[] = PHOTO_SIZES.map((size) => sizeCodeOf(size));

const SIZE_CODE = /^HR([1-9]\d{1,2})[xX]([1-9]\d{1,2})$/;
const KNOWN_SIZES: ReadonlySet<number> = new Set(PHOTO_SIZES);

/**
 * Parses an EWS size code such as `HR96x96` (UCWA writes `HR96X96`).
 * Anything else — non-square, unknown, or not a size code at all — is rejected
 * rather than rounded, as Exchange does.
 */
export function parseSizeCode(code: string): PhotoSize {
  const match = SIZE_CODE.exec(code);
  if (match && match[1] === match[2] && KNOWN_SIZES.has(Number(match[1]))) {
    return Number(match[1]) as PhotoSize;
  }
  throw BridgeError.invalidPhotoSize(code, SIZE_CODES);
}

export function sizeCodeOf(size: PhotoSize): string {
  return `HR${size}x${size}`;
}
