/**
 * A progressive JPEG is decoded scan by scan, and libjpeg redoes work for the whole image
 * in each: a 10 MB file of 165,000 empty scans over 6320×6320 pixels kept a libvips
 * thread busy for about 13 minutes (~5 ms a scan), within every size and pixel limit.
 * libjpeg-turbo has a scan limit for this (TurboJPEG's TJPARAM_SCANLIMIT) that libvips
 * does not set, so the scans of the main image are counted here before it is decoded.
 * Encoders write about ten (libjpeg's progressive script: 10 for colour, 6 for grey).
 */
export const MAX_JPEG_SCANS = 100;

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
/** Markers that stand alone, without a length: TEM and RST0–RST7. */
const standsAlone = (marker: number) => marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);

/** Why a JPEG must not be decoded (too many scans), or undefined. Walks the markers of the main image once: linear in its size. */
export function jpegScanProblem(bytes: Buffer): string | undefined {
  let scans = 0;
  walkJpeg(bytes, { segment: (marker) => marker !== SOS || ++scans <= MAX_JPEG_SCANS });
  return scans > MAX_JPEG_SCANS ? `it is a JPEG of more than ${MAX_JPEG_SCANS} scans; a photo has about ten` : undefined;
}

/**
 * The JPEG without what libjpeg would skip with a warning where a marker is due (stray bytes,
 * an FF 00), and with a JFIF version it knows: decoded with warnings as errors (normalize.ts),
 * these harmless faults, common in cameras' files, stood in front of the warnings that mean
 * lost pixels, and libvips says only its first. The same bytes when there is nothing to mend,
 * or more than a camera's file has (MAX_MENDED_RUNS): a file of millions took seconds of the
 * event loop and a gigabyte to mend, and is decoded past its faults as any other is.
 */
export function withoutHarmlessFaults(bytes: Buffer): Buffer {
  const strays: [number, number][] = [];
  let jfifMajorAt: number | undefined;
  walkJpeg(bytes, {
    stray: (start, end) => {
      strays.push([start, end]);
      return strays.length <= MAX_MENDED_RUNS;
    },
    segment: (marker, body) => {
      if (marker === APP0 && bytes.toString('latin1', body + 2, body + 7) === 'JFIF\0' && bytes[body + 7] !== 1) jfifMajorAt = body + 7;
    },
  });
  if (strays.length > MAX_MENDED_RUNS || (strays.length === 0 && jfifMajorAt === undefined)) return bytes;
  // Patched in a copy, not in place: the caller's bytes stay as sent, and the offsets the walk found stay good.
  const source = jfifMajorAt === undefined ? bytes : Buffer.from(bytes);
  if (jfifMajorAt !== undefined) source[jfifMajorAt] = 1;
  const kept: Buffer[] = [];
  let from = 0;
  for (const [start, end] of strays) {
    kept.push(source.subarray(from, start));
    from = end;
  }
  kept.push(source.subarray(from));
  return Buffer.concat(kept);
}

/** Runs of stray bytes a JPEG may have mended: a camera's file has one or two. */
const MAX_MENDED_RUNS = 16;

const APP0 = 0xe0;

/** What a walk of a JPEG tells; either may stop it by returning false. */
interface JpegVisitor {
  /** A marker; `body` is where what follows it starts (its length first, for one with a length). */
  segment?(marker: number, body: number): boolean | void;
  /** A run of bytes libjpeg skips where a marker is due, those next to each other as one. */
  stray?(start: number, end: number): boolean | void;
}

/**
 * Walks the main image's markers as libjpeg reads them, to EOI or the bytes' end. A scan's
 * coded data belongs to its SOS. Plain calls, not a generator: a file of five million stray
 * pairs took a generator 90 ms of the event loop, this walk 10.
 */
function walkJpeg(bytes: Buffer, visitor: JpegVisitor): void {
  if (bytes[0] !== 0xff || bytes[1] !== SOI) return;
  let strayStart = -1;
  let at = 2;
  /** Tells the stray run that ends here, if any; false when the visitor stops the walk. */
  const strayEnds = (end: number) => {
    if (strayStart < 0) return true;
    const start = strayStart;
    strayStart = -1;
    return visitor.stray?.(start, end) !== false;
  };
  while (at + 1 < bytes.length) {
    // Not at a marker: libjpeg skips to the next 0xFF (a warning, not an error) and decodes
    // on, so the walk does too — stopping here let one stray byte hide 170,000 scans.
    if (bytes[at] !== 0xff) {
      if (strayStart < 0) strayStart = at;
      at = bytes.indexOf(0xff, at);
      if (at < 0) {
        strayEnds(bytes.length);
        return;
      }
      continue;
    }
    const markerAt = at;
    let marker = bytes[at + 1]!;
    // Fill bytes: any number of 0xFF may come before a marker.
    while (marker === 0xff && at + 2 < bytes.length) marker = bytes[++at + 1]!;
    at += 2;
    // FF 00 where a marker is due is none to libjpeg: it drops the two bytes and looks on for
    // the next 0xFF (a warning). Read as a marker with a length, it hid 3,500 scans.
    if (marker === 0x00) {
      if (strayStart < 0) strayStart = markerAt;
      continue;
    }
    if (!strayEnds(markerAt) || marker === EOI) return;
    if (visitor.segment?.(marker, at) === false) return;
    if (standsAlone(marker)) continue;
    if (at + 1 >= bytes.length) return;
    at += bytes.readUInt16BE(at);
    if (marker !== SOS) continue;
    // The scan's coded data: a 0xFF in it is followed by 0x00 (a stuffed byte) or an RST marker.
    while (at + 1 < bytes.length && !(bytes[at] === 0xff && bytes[at + 1] !== 0x00 && !standsAlone(bytes[at + 1]!))) at++;
  }
  strayEnds(Math.min(at, bytes.length));
}
