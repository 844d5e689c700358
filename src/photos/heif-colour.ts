import sharp from 'sharp';
import { heifProperties } from './heif-sizes.js';

/**
 * The ICC profile a HEIF's colours are in when it says so by colour codes alone: an `nclx`
 * colour property (ISO/IEC 23008-12 §6.5.5; the codes are ITU-T H.273's), the usual tag of
 * an AVIF and valid in a HEIC, has no profile for libvips to convert from, so its pixels
 * were read as sRGB numbers — a Display P3 photo came out washed out. Display P3 (P3
 * primaries, code 12, with an sRGB-like transfer) is given libvips' own P3 profile; sRGB and
 * BT.709 need none; others (BT.2020, HDR transfers) are left as they are.
 */
export async function nclxProfile(input: Buffer): Promise<Buffer | undefined> {
  const codes = nclxCodes(input);
  if (codes?.primaries !== P3_PRIMARIES || !SDR_TRANSFERS.has(codes.transfer)) return undefined;
  displayP3 ??= builtInProfile('p3');
  return displayP3;
}

/** H.273 ColourPrimaries 12: SMPTE EG 432-1, Display P3's. */
const P3_PRIMARIES = 12;
/** H.273 TransferCharacteristics a Display P3 photo is written with: sRGB's (13), BT.709's (1), BT.601's (6). */
const SDR_TRANSFERS: ReadonlySet<number> = new Set([13, 1, 6]);

let displayP3: Promise<Buffer> | undefined;

/** The bytes of one of libvips' built-in profiles, as it attaches them to an image. */
async function builtInProfile(name: 'p3'): Promise<Buffer> {
  const tagged = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } })
    .withIccProfile(name)
    .png()
    .toBuffer();
  return (await sharp(tagged).metadata()).icc!;
}

/** The colour codes of the first `nclx` colour property, read as the box lays them out: primaries, transfer, matrix (16 bits each). */
function nclxCodes(input: Buffer): { primaries: number; transfer: number } | undefined {
  const { bytes, boxes } = heifProperties(input);
  const colour = boxes.find((box) => box.type === 'colr' && box.end - box.start >= 11 && bytes.toString('latin1', box.start, box.start + 4) === 'nclx');
  return colour && { primaries: bytes.readUInt16BE(colour.start + 4), transfer: bytes.readUInt16BE(colour.start + 6) };
}
