import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE_AND_IHDR = 8 + 4 + 4 + 13 + 4;

/**
 * The PNG with an iCCP chunk carrying `icc`, placed right after IHDR as the PNG
 * specification requires (before PLTE and IDAT). sharp can tag output with a profile file
 * or a built-in name only, not with the bytes a decoder handed back.
 */
export function withIccChunk(png: Buffer, icc: Buffer): Buffer {
  // Keyword, its NUL terminator, compression method 0 (zlib), then the compressed profile.
  const data = Buffer.concat([Buffer.from('ICC\0', 'latin1'), Buffer.from([0]), deflateSync(icc)]);
  const typeAndData = Buffer.concat([Buffer.from('iCCP', 'latin1'), data]);
  const chunk = Buffer.alloc(4 + typeAndData.length + 4);
  chunk.writeUInt32BE(data.length, 0);
  typeAndData.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(typeAndData), 4 + typeAndData.length);
  return Buffer.concat([png.subarray(0, SIGNATURE_AND_IHDR), chunk, png.subarray(SIGNATURE_AND_IHDR)]);
}
