import sharp from 'sharp';
import { crc32 } from 'node:zlib';

/**
 * Images whose metadata, not their pixels, is the attack, built once: the in-process
 * tests and `npm run abuse` (bench/abuse/) upload the same bytes.
 */

/** As many IFD entries as fit in one JPEG APP1 segment (64 KB). */
export const EXIF_LOOP_POINTERS = 5400;

/**
 * A big-endian TIFF structure whose IFD0 is `pointers` EXIF IFD pointers, each back to
 * IFD0 itself: libexif loaded it once per pointer, recursively (minutes of a core).
 */
export function exifLoop(pointers = EXIF_LOOP_POINTERS): Buffer {
  const tiff = Buffer.alloc(8 + 2 + pointers * 12 + 4);
  tiff.write('MM\0*', 0, 'latin1');
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(pointers, 8);
  for (let i = 0; i < pointers; i++) {
    const entry = 10 + i * 12;
    tiff.writeUInt16BE(0x8769, entry); // ExifIFDPointer
    tiff.writeUInt16BE(4, entry + 2); // LONG
    tiff.writeUInt32BE(1, entry + 4);
    tiff.writeUInt32BE(8, entry + 8); // → IFD0
  }
  return tiff;
}

/** A small JPEG carrying `tiff` as its EXIF (an APP1 segment right after SOI). */
export async function jpegWithExif(tiff: Buffer): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c04040' } })
    .jpeg()
    .toBuffer();
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, 0, 0]), Buffer.from('Exif\0\0', 'latin1'), tiff]);
  app1.writeUInt16BE(app1.length - 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
}

/** A small PNG carrying `tiff` in an eXIf chunk. */
export async function pngWithExif(tiff: Buffer): Promise<Buffer> {
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c04040' } })
    .png()
    .toBuffer();
  const ihdrEnd = 8 + 8 + 13 + 4;
  const type = Buffer.from('eXIf', 'latin1');
  const chunk = Buffer.alloc(8 + tiff.length + 4);
  chunk.writeUInt32BE(tiff.length, 0);
  type.copy(chunk, 4);
  tiff.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(Buffer.concat([type, tiff])), 8 + tiff.length);
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk, png.subarray(ihdrEnd)]);
}
