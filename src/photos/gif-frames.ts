/**
 * The frames of a GIF, counted from its blocks (GIF89a specification: after the header and
 * the logical screen descriptor with its optional global colour table, blocks each begun by
 * a byte — 0x2C an image, 0x21 an extension, 0x3B the end — the image's and extension's
 * data in sub-blocks of a length byte each, ended by a zero). libvips' GIF loader reads
 * every frame as it opens the file: 600,000 frames of 1×1 (9 MB) took 0.7 s of a decode
 * thread, 3.4 s on a loaded host, for a photo of which only the first frame is used.
 */
export const MAX_GIF_FRAMES = 1000;

/** Blocks walked at most: the frames, and the extensions around them (a graphic control extension before each frame). */
const MAX_GIF_BLOCKS = 2 * MAX_GIF_FRAMES + 64;

const IMAGE = 0x2c;
const EXTENSION = 0x21;
const TRAILER = 0x3b;

/** Why a GIF must not reach libvips, or undefined when it may (or the bytes are no GIF, or a broken one libvips refuses itself). */
export function gifFrameProblem(bytes: Buffer): string | undefined {
  if (bytes.length < 13 || !/^GIF8[79]a$/.test(bytes.toString('latin1', 0, 6))) return undefined;
  let at = 13 + colourTableBytes(bytes[10]!);
  let frames = 0;
  for (let blocks = 1; at < bytes.length; blocks++) {
    if (blocks > MAX_GIF_BLOCKS) return `it is a GIF of more than ${MAX_GIF_BLOCKS} blocks`;
    const kind = bytes[at]!;
    if (kind === TRAILER) return undefined;
    if (kind === IMAGE) {
      if (++frames > MAX_GIF_FRAMES) return `it is a GIF of more than ${MAX_GIF_FRAMES} frames; only its first would be used`;
      // Separator, position and size (9 bytes), the local colour table, the LZW minimum code size.
      at += 10 + (at + 9 < bytes.length ? colourTableBytes(bytes[at + 9]!) : 0) + 1;
    } else if (kind === EXTENSION) {
      at += 2;
    } else {
      return undefined;
    }
    at = afterSubBlocks(bytes, at);
  }
  return undefined;
}

/** A colour table's length from a descriptor's packed byte: none unless its top bit is set, else 3 × 2^(size + 1). */
function colourTableBytes(packed: number): number {
  return packed & 0x80 ? 3 * 2 ** ((packed & 0x07) + 1) : 0;
}

/** Where the data sub-blocks starting at `at` end: past the zero-length one. */
function afterSubBlocks(bytes: Buffer, at: number): number {
  while (at < bytes.length && bytes[at] !== 0) at += bytes[at]! + 1;
  return at + 1;
}
