import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** A photo-like test image: a gradient with a marker in the top-left corner. */
export async function samplePhoto(width: number, height: number, format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  const image = sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } }).composite([
    {
      input: { create: { width: Math.max(1, Math.floor(width / 4)), height: Math.max(1, Math.floor(height / 4)), channels: 3, background: '#ff0000' } },
      top: 0,
      left: 0,
    },
  ]);
  return format === 'png' ? image.png().toBuffer() : image.jpeg().toBuffer();
}

/** A PNG of black-and-white noise: as large as a photo gets once encoded (626 KB at 648 pixels and JPEG quality 100). */
export async function noisePhoto(side: number): Promise<Buffer> {
  const pixels = Buffer.alloc(side * side * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = ((i * 2654435761) >>> 24) & 1 ? 255 : 0;
  return sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
    .png()
    .toBuffer();
}

/**
 * A valid PNG that claims width×height pixels but is tiny on disk: a 1-bit image of
 * zeros compresses to almost nothing. Decoding it would need width×height bytes or more.
 * Made once per size: compressing 50 MB of zeros took 105 ms, and a simulator that made it as
 * it answered held the test process's event loop — on a loaded machine past the bridge's 1 s
 * source timeout, whose retry then got a real photo, not the bomb the test had queued.
 */
export function pngBomb(width: number, height: number): Buffer {
  const key = `${width}x${height}`;
  let bomb = bombs.get(key);
  if (bomb === undefined) {
    bomb = madePngBomb(width, height);
    bombs.set(key, bomb);
  }
  return bomb;
}
const bombs = new Map<string, Buffer>();

function madePngBomb(width: number, height: number): Buffer {
  const rowBytes = 1 + Math.ceil(width / 8);
  const raw = Buffer.alloc(rowBytes * height);
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 1; // bit depth
  header[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
