/**
 * libvips hands every EXIF block it finds (JPEG APP1, PNG eXIf, WebP EXIF, the HEIF Exif
 * item) to libexif, which follows the EXIF, GPS and Interoperability IFD pointers of any
 * IFD and skips a kind of IFD only once one of that kind holds entries. A block whose
 * IFDs point at themselves or at each other many times makes it load the same IFDs over
 * and over: one 64 KB APP1 of 5,400 such pointers kept a libvips thread at 100% of a core
 * for minutes, before a single pixel or even the header was answered. So each TIFF
 * structure in the file is walked here first, following the pointers libexif follows: a
 * structure that reaches one IFD twice is refused, and what libexif does with the rest is
 * then linear in its size.
 */

/** The IFD pointers libexif follows (EXIF_TAG_EXIF_IFD_POINTER, …_GPS_INFO_IFD_POINTER, …_INTEROPERABILITY_IFD_POINTER). */
const IFD_POINTERS: ReadonlySet<number> = new Set([0x8769, 0x8825, 0xa005]);
const ENTRY_BYTES = 12;
/**
 * TIFF headers and IFD entries read in one file. A camera's EXIF has a few hundred
 * entries in one to three structures; a file built of nothing but TIFF headers must not
 * make this walk the slow part.
 */
const MAX_STEPS = 20_000;

/** Why the file's EXIF must not reach libexif, or undefined when it may. */
export function exifProblem(bytes: Buffer): string | undefined {
  const budget = { steps: MAX_STEPS };
  // One plain pass for both byte orders, on the byte they share ('*'): tens of ms for
  // 10 MB whatever the bytes are, where Buffer#indexOf took 100-500 ms on bytes chosen
  // to slow it (10 MB of '*', or of a header's first bytes repeated).
  for (let star = 2; star + 1 < bytes.length; star++) {
    if (bytes[star] !== 0x2a) continue;
    const littleEndian = bytes[star - 2] === 0x49 && bytes[star - 1] === 0x49 && bytes[star + 1] === 0;
    const bigEndian = star >= 3 && bytes[star - 3] === 0x4d && bytes[star - 2] === 0x4d && bytes[star - 1] === 0;
    if (!littleEndian && !bigEndian) continue;
    if (--budget.steps < 0) return 'it holds more EXIF structures than a photo has';
    const problem = walkTiff(bytes, littleEndian ? star - 2 : star - 3, littleEndian, budget);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * Walks IFD0, IFD1 (IFD0's next) and every IFD a pointer reaches, each once. Offsets
 * count from the TIFF header at `start`; one past the end of the file ends a walk.
 */
function walkTiff(bytes: Buffer, start: number, littleEndian: boolean, budget: { steps: number }): string | undefined {
  const end = bytes.length - start;
  const u16 = (at: number) => (littleEndian ? bytes.readUInt16LE(start + at) : bytes.readUInt16BE(start + at));
  const u32 = (at: number) => (littleEndian ? bytes.readUInt32LE(start + at) : bytes.readUInt32BE(start + at));
  if (end < 8) return undefined;
  const ifd0 = u32(4);
  if (ifd0 + 2 > end) return undefined;
  const next = ifd0 + 2 + u16(ifd0) * ENTRY_BYTES;
  const pending = [ifd0];
  if (next + 4 <= end && u32(next) !== 0) pending.push(u32(next));
  const visited = new Set<number>();
  for (let ifd = pending.pop(); ifd !== undefined; ifd = pending.pop()) {
    if (ifd + 2 > end) continue;
    if (visited.has(ifd)) return 'its EXIF metadata reaches the same IFD twice';
    visited.add(ifd);
    const entries = u16(ifd);
    for (let i = 0; i < entries; i++) {
      const entry = ifd + 2 + i * ENTRY_BYTES;
      if (entry + ENTRY_BYTES > end) break;
      if (--budget.steps < 0) return 'its EXIF metadata has more entries than a photo has';
      if (IFD_POINTERS.has(u16(entry))) pending.push(u32(entry + 8));
    }
  }
  return undefined;
}
