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
  for (const part of jpegParts(bytes)) {
    if (part.kind === 'segment' && part.marker === SOS && ++scans > MAX_JPEG_SCANS)
      return `it is a JPEG of more than ${MAX_JPEG_SCANS} scans; a photo has about ten`;
  }
  return undefined;
}

/**
 * The JPEG without what libjpeg would skip with a warning where a marker is due (stray bytes,
 * an FF 00), and with a JFIF version it knows: decoded with warnings as errors (normalize.ts),
 * these harmless faults, common in cameras' files, stood in front of the warnings that mean
 * lost pixels, and libvips says only its first. The same bytes when there is nothing to drop.
 */
export function withoutHarmlessFaults(bytes: Buffer): Buffer {
  const kept: [number, number][] = [];
  let from = 0;
  let jfifMajorAt: number | undefined;
  for (const part of jpegParts(bytes)) {
    if (part.kind === 'stray') {
      kept.push([from, part.start]);
      from = part.end;
    } else if (part.marker === APP0 && bytes.toString('latin1', part.body + 2, part.body + 7) === 'JFIF\0' && bytes[part.body + 7] !== 1) {
      jfifMajorAt = part.body + 7;
    }
  }
  if (from === 0 && jfifMajorAt === undefined) return bytes;
  // Patched in place of a copy: the offsets the walk found stay good.
  const source = Buffer.from(bytes);
  if (jfifMajorAt !== undefined) source[jfifMajorAt] = 1;
  kept.push([from, source.length]);
  return Buffer.concat(kept.map(([start, end]) => source.subarray(start, end)));
}

const APP0 = 0xe0;

/** A marker (`body`: where what follows it starts, its length first), or bytes libjpeg skips. */
type JpegPart = { kind: 'segment'; marker: number; body: number } | { kind: 'stray'; start: number; end: number };

/**
 * The main image's parts, walked as libjpeg reads them: each marker and each run of bytes
 * it would skip where a marker is due. A scan's coded data belongs to its SOS. Ends at EOI or where the bytes do.
 */
function* jpegParts(bytes: Buffer): Generator<JpegPart> {
  if (bytes[0] !== 0xff || bytes[1] !== SOI) return;
  let at = 2;
  while (at + 1 < bytes.length) {
    // Not at a marker: libjpeg skips to the next 0xFF (a warning, not an error) and decodes
    // on, so the walk does too — stopping here let one stray byte hide 170,000 scans.
    if (bytes[at] !== 0xff) {
      const next = bytes.indexOf(0xff, at);
      yield { kind: 'stray', start: at, end: next < 0 ? bytes.length : next };
      if (next < 0) return;
      at = next;
      continue;
    }
    let marker = bytes[at + 1]!;
    // Fill bytes: any number of 0xFF may come before a marker.
    while (marker === 0xff && at + 2 < bytes.length) marker = bytes[++at + 1]!;
    at += 2;
    // FF 00 where a marker is due is none to libjpeg: it drops the two bytes and looks on for
    // the next 0xFF (a warning). Read as a marker with a length, it hid 3,500 scans.
    if (marker === 0x00) {
      yield { kind: 'stray', start: at - 2, end: at };
      continue;
    }
    if (marker === EOI) return;
    yield { kind: 'segment', marker, body: at };
    if (standsAlone(marker)) continue;
    if (at + 1 >= bytes.length) return;
    at += bytes.readUInt16BE(at);
    if (marker !== SOS) continue;
    // The scan's coded data: a 0xFF in it is followed by 0x00 (a stuffed byte) or an RST marker.
    while (at + 1 < bytes.length && !(bytes[at] === 0xff && bytes[at + 1] !== 0x00 && !standsAlone(bytes[at + 1]!))) at++;
  }
}
