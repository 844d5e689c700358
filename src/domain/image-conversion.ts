import { LARGEST_PHOTO_SIZE } from './size-code.js';

/** The output formats a client may ask for; JPEG is what every photo is stored as. */
export const IMAGE_TYPES = ['jpeg', 'png', 'gif', 'webp', 'avif'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];
export type ImageContentType = `image/${ImageType}`;

/** What to send for a person without a photo, with the names CRM image APIs use. */
export const BLANK_KINDS = ['Null', 'ClearPixel', 'SrNoPhoto', 'SrNoPhotoWithBorder', 'GenericFileIcon', 'Default'] as const;
export type BlankKind = (typeof BLANK_KINDS)[number];

/** `w`/`h` may not exceed the largest photo size: nothing is ever upscaled beyond it anyway. */
export const MAX_CONVERSION_SIDE = LARGEST_PHOTO_SIZE;

/** A photo rendition turned into another box or format. Width and height bound it: fit inside, never upscale. */
export interface ImageConversion {
  width?: number;
  height?: number;
  type: ImageType;
}

/** A conversion plus what to answer when there is no photo to convert. */
export interface ConversionRequest {
  conversion: ImageConversion;
  ifBlank: BlankKind;
}

export function contentTypeOf(type: ImageType): ImageContentType {
  return `image/${type}`;
}

/** A short, stable name for a conversion — part of cache keys and ETags, e.g. `w80h80-png`. */
export function conversionTag(conversion: ImageConversion): string {
  const box = `${conversion.width === undefined ? '' : `w${conversion.width}`}${conversion.height === undefined ? '' : `h${conversion.height}`}`;
  return box ? `${box}-${conversion.type}` : conversion.type;
}

/** A converted rendition's ETag: its plain rendition's with the conversion's tag inside the quotes, so each conversion has its own. */
export function convertedEtag(plainEtag: string, conversion: ImageConversion): string {
  return `${plainEtag.slice(0, -1)}-${conversionTag(conversion)}"`;
}

const CONVERSION_TAG = new RegExp(String.raw`^(?:(?:w([1-9]\d{0,2}))?(?:h([1-9]\d{0,2}))?-)?(${IMAGE_TYPES.join('|')})$`);

/** The conversion a conversionTag names, undefined for text that is none; only conversionTag's own spelling of it reads back to itself. */
export function conversionOfTag(tag: string): ImageConversion | undefined {
  const match = CONVERSION_TAG.exec(tag);
  if (!match) return undefined;
  const [, width, height, type] = match;
  return { ...(width === undefined ? {} : { width: Number(width) }), ...(height === undefined ? {} : { height: Number(height) }), type: type as ImageType };
}

/**
 * The conversion without a width or height that cannot bound a photo at most `side`
 * pixels across (nothing is upscaled): one name per distinct result, so `w=49`…`w=648` of
 * a 48-pixel photo are one cache entry, not 600 (one login filled the cache that way).
 */
export function withinSide(conversion: ImageConversion, side: number): ImageConversion {
  const { width, height, type } = conversion;
  return { ...(width !== undefined && width < side ? { width } : {}), ...(height !== undefined && height < side ? { height } : {}), type };
}

export function changesImage(conversion: ImageConversion): boolean {
  return changesBox(conversion) || conversion.type !== 'jpeg';
}

export function changesBox(conversion: ImageConversion): boolean {
  return conversion.width !== undefined || conversion.height !== undefined;
}
