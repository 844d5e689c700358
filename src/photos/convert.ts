import sharp from 'sharp';
import { contentTypeOf, convertedEtag, type ImageConversion } from '../domain/image-conversion.js';
import type { Rendition } from '../domain/photo.js';
import { encodeAs } from './encode.js';

/**
 * A sized rendition fitted inside the conversion's box — never enlarged — and encoded
 * as asked.
 */
export async function convertRendition(rendition: Rendition, conversion: ImageConversion, quality: number): Promise<Rendition> {
  const resized = sharp(rendition.bytes).resize(conversion.width, conversion.height, { fit: 'inside', withoutEnlargement: true });
  const { data, info } = await encodeAs(resized, conversion.type, quality).toBuffer({ resolveWithObject: true });
  return {
    bytes: data,
    contentType: contentTypeOf(conversion.type),
    width: info.width,
    height: info.height,
    etag: convertedEtag(rendition.etag, conversion),
  };
}
