/**
 * The frames of an animated WebP, counted from its RIFF chunks (developers.google.com/speed/
 * webp/docs/riff_container: after `RIFF`, a size and `WEBP`, chunks of a four-character
 * type, a little-endian size and the data, padded to an even length; each `ANMF` is one
 * frame). libvips looks each frame up from the first as it reads the header, so that read
 * grows with the square of the frames: 199,000 frames of 16×16 (10 MB) took 69 s of a
 * thread, 20,000 took 635 ms, 1,000 took 3 ms. Only the first frame is ever decoded.
 */
export const MAX_WEBP_FRAMES = 1000;

/**
 * Chunks walked at most: the frames and the few others a WebP has (VP8X, ICCP, ANIM, EXIF,
 * XMP). 1.3 million tiny unknown chunks (10 MB) took the walk 103–139 ms of the event loop.
 */
const MAX_WEBP_CHUNKS = MAX_WEBP_FRAMES + 64;

/** `ANMF` as the big-endian number its four bytes make: compared without making a string of each chunk's type. */
const ANMF = 0x414e4d46;

/** Why a WebP must not reach libvips, or undefined when it may (or the bytes are no WebP). */
export function webpFrameProblem(bytes: Buffer): string | undefined {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WEBP') return undefined;
  let frames = 0;
  let chunks = 0;
  for (let at = 12; at + 8 <= bytes.length; at += 8 + bytes.readUInt32LE(at + 4) + (bytes.readUInt32LE(at + 4) & 1)) {
    if (++chunks > MAX_WEBP_CHUNKS) return `it is a WebP of more than ${MAX_WEBP_CHUNKS} chunks`;
    if (bytes.readUInt32BE(at) === ANMF && ++frames > MAX_WEBP_FRAMES) {
      return `it is a WebP of more than ${MAX_WEBP_FRAMES} frames; only its first would be used`;
    }
  }
  return undefined;
}
