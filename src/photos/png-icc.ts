import { promisify } from 'node:util';
import { crc32, deflate } from 'node:zlib';

const deflated = promisify(deflate);

const SIGNATURE_AND_IHDR = 8 + 4 + 4 + 13 + 4;

/**
 * The PNG with an iCCP chunk carrying `icc`, placed right after IHDR as the PNG
 * specification requires (before PLTE and IDAT). sharp can tag output with a profile file
 * or a built-in name only, not with the bytes a decoder handed back.
 */
export async function withIccChunk(png: Buffer, icc: Buffer): Promise<Buffer> {
  // Stored, not compressed (zlib level 0), and off the event loop: the PNG only goes to sharp,
  // and a HEIC's 7.9 MB profile that compresses slowly held the loop ~2 s at zlib's default level.
  const stored = await deflated(icc, { level: 0 });
  // Keyword, its NUL terminator, compression method 0 (zlib), then the profile in zlib's format.
  const data = Buffer.concat([Buffer.from('ICC\0', 'latin1'), Buffer.from([0]), stored]);
  const typeAndData = Buffer.concat([Buffer.from('iCCP', 'latin1'), data]);
  const chunk = Buffer.alloc(4 + typeAndData.length + 4);
  chunk.writeUInt32BE(data.length, 0);
  typeAndData.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(typeAndData), 4 + typeAndData.length);
  return Buffer.concat([png.subarray(0, SIGNATURE_AND_IHDR), chunk, png.subarray(SIGNATURE_AND_IHDR)]);
}
