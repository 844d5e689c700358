import sharp from 'sharp';
import { photoEtag, servedLongSide, type Rendition, type StoredPhoto } from '../domain/photo.js';
import type { PhotoSize } from '../domain/size-code.js';

/**
 * Renders a normalised original at a requested size. When the original is no larger
 * than asked, its own bytes are served untouched: no upscaling, no second encode.
 */
export async function renderPhoto(original: StoredPhoto, size: PhotoSize, jpegQuality: number): Promise<Rendition> {
  const longSide = servedLongSide(original, size);
  const etag = photoEtag(original, longSide);
  if (longSide === Math.max(original.width, original.height)) {
    return { bytes: original.bytes, contentType: 'image/jpeg', width: original.width, height: original.height, etag };
  }
  const { data, info } = await sharp(original.bytes)
    .resize(longSide, longSide, { fit: 'inside' })
    .jpeg({ quality: jpegQuality })
    .toBuffer({ resolveWithObject: true });
  return { bytes: data, contentType: 'image/jpeg', width: info.width, height: info.height, etag };
}
