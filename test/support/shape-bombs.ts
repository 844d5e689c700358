import { pngBomb } from './sample-images.js';

/**
 * A valid one-colour GIF of width×height pixels, written without sharp: the LZW codes of
 * one long run of colour 0 (red), so a run of n pixels takes about √(2n) codes. 65535×610
 * comes to 27,581 bytes — the size of the bomb an adversarial sweep uploaded — in milliseconds,
 * where encoding it with sharp takes seconds. Every decoder must still build the whole frame.
 */
export function oneColourGif(width: number, height: number): Buffer {
  const bytes: number[] = [];
  let bits = 0;
  let bitCount = 0;
  const write = (code: number, size: number) => {
    bits |= code << bitCount;
    bitCount += size;
    for (; bitCount >= 8; bitCount -= 8, bits >>>= 8) bytes.push(bits & 0xff);
  };
  const CLEAR = 4; // minimum code size 2: codes 0–3 are colours, 4 clears, 5 ends
  const END = 5;
  let size = 3;
  let next = 6;
  write(CLEAR, size);
  for (let remaining = width * height; remaining > 0;) {
    // The newest table entry is the longest run known: code c stands for c − 4 pixels.
    const run = Math.min(remaining, next - 5);
    write(run === 1 ? 0 : run + 4, size);
    remaining -= run;
    if (next === 4095) {
      write(CLEAR, size);
      size = 3;
      next = 6;
    } else if (++next > 1 << size && size < 12) {
      size++;
    }
  }
  write(END, size);
  if (bitCount > 0) bytes.push(bits & 0xff);
  const blocks: number[] = [];
  for (let at = 0; at < bytes.length; at += 255) {
    const block = bytes.slice(at, at + 255);
    blocks.push(block.length, ...block);
  }
  const u16 = (n: number) => [n & 0xff, n >> 8];
  return Buffer.from([
    ...Buffer.from('GIF89a', 'ascii'),
    ...u16(width),
    ...u16(height),
    0x81, // a global colour table of 4 entries
    0,
    0,
    ...[255, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0],
    0x2c, // one image, the whole screen
    0,
    0,
    0,
    0,
    ...u16(width),
    ...u16(height),
    0,
    2, // LZW minimum code size
    ...blocks,
    0,
    0x3b,
  ]);
}

/** The sweep's other bomb: a 1×39,999,999 greyscale PNG, 1 pixel under the pixel limit, about 77 KB. */
export function tallPngStrip(): Buffer {
  return pngBomb(1, 39_999_999);
}

/** A JPEG with the last scan of `jpeg` written `extra` times more before its end: each a pass of the decoder over the whole image. */
export function withRepeatedLastScan(jpeg: Buffer, extra: number): Buffer {
  const lastScan = jpeg.lastIndexOf(Buffer.from([0xff, 0xda]));
  const end = jpeg.length - 2; // EOI
  const scan = jpeg.subarray(lastScan, end);
  return Buffer.concat([jpeg.subarray(0, end), ...new Array<Buffer>(extra).fill(scan), jpeg.subarray(end)]);
}
