import sharp from 'sharp';
import { LARGEST_PHOTO_SIZE } from '../domain/size-code.js';
import { decodeHevcHeif } from './hevc-decoder.js';
import { withIccChunk } from './png-icc.js';

/**
 * An HEVC-coded HEIF photo as a PNG no larger than the largest photo size, for the normal
 * pipeline to take from there. Its ICC profile (an iPhone's is Display P3) goes along, so
 * its colours are converted to sRGB like those of any other tagged image rather than
 * being read as sRGB numbers. Shrunk first, within the decoder's turn (only one full-size
 * image at a time), so the intermediate PNG costs next to nothing.
 */
export async function hevcHeifAsPng(input: Buffer, icc: Buffer | undefined, maxInputPixels: number): Promise<Buffer> {
  const png = await decodeHevcHeif(input, maxInputPixels, ({ width, height, rgba }) =>
    sharp(rgba, { raw: { width, height, channels: 4 } })
      .resize(LARGEST_PHOTO_SIZE, LARGEST_PHOTO_SIZE, { fit: 'inside', withoutEnlargement: true })
      .png({ compressionLevel: 0 })
      .toBuffer(),
  );
  return icc ? withIccChunk(png, icc) : png;
}
