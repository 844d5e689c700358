import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { BridgeError, imageRefused } from '../domain/errors.js';
import type { NormalizedPhoto } from '../domain/photo.js';
import { LARGEST_PHOTO_SIZE } from '../domain/size-code.js';
import { exifProblem } from './exif-loops.js';
import { heifSizes, MAX_CODED_PIXELS_FACTOR } from './heif-sizes.js';
import { hevcHeifAsPng } from './hevc-photo.js';
import { nclxProfile } from './heif-colour.js';
import { withIccChunk } from './png-icc.js';
import { gifFrameProblem } from './gif-frames.js';
import { jpegScanProblem, withoutHarmlessFaults } from './jpeg-scans.js';
import { tiffPageProblem } from './tiff-pages.js';
import { webpFrameProblem } from './webp-frames.js';
import {
  ACCEPTED_FORMAT_NAMES,
  ACCEPTED_FORMATS,
  hasAcceptedSignature,
  sharedDecodeSlots,
  tooManyPixels,
  unusableShape,
  type ImageLimits,
} from './image-limits.js';

/**
 * Turns whatever image arrives into the one shape the bridge keeps: an upright,
 * sRGB, 8-bit, opaque JPEG no larger than the largest size code, without metadata.
 * The header is checked before any pixel is decoded, so a decompression bomb costs
 * a header read, not gigabytes of memory: besides the pixel count, a side over
 * MAX_INPUT_SIDE, a shape beyond MAX_ASPECT_RATIO or a JPEG of more than MAX_JPEG_SCANS
 * scans is refused there. Only the first frame or page of an animation or multi-page
 * file is ever decoded, and only as many images at once as `limits.decodes` allows.
 * libvips reads an HEVC-coded HEIF header (phone photos) but cannot decode its pixels;
 * those go through libheif-js first.
 */
export async function normalizePhoto(input: Buffer, limits: ImageLimits): Promise<NormalizedPhoto> {
  if (input.length === 0) throw BridgeError.invalidImage('the body is empty');
  if (input.length > limits.maxInputBytes) {
    throw BridgeError.imageTooLarge(`image is ${input.length} bytes; the limit is ${limits.maxInputBytes}`);
  }
  if (!hasAcceptedSignature(input)) throw BridgeError.invalidImage(`it is not ${ACCEPTED_FORMAT_NAMES}`);
  const structure = exifProblem(input) ?? tiffPageProblem(input) ?? webpFrameProblem(input) ?? gifFrameProblem(input);
  if (structure) throw BridgeError.invalidImage(structure);
  // The header is read in a decode slot too: what libvips does to read one is not always
  // small (a WebP's frames, a TIFF's pages), and outside the slots four such reads held
  // every thread of the pool that everyone's photos are resized on.
  const slots = limits.decodes ?? sharedDecodeSlots;
  const header = checkedHeader(input, await slots.run(() => readHeader(input)), limits);
  // A phone's HEIC waits for the one HEVC thread, which keeps its own short queue, outside
  // the slots: holding a slot while it waited, two such uploads kept everyone else's upload
  // waiting for seconds.
  if (header.format === 'heif' && header.compression === 'hevc') {
    const png = await hevcHeifAsPng(input, header.icc ?? (await nclxProfile(input)), limits.maxInputPixels);
    return slots.run(() => normalizedOrRefused(png, limits));
  }
  return slots.run(() => decode(input, header, limits));
}

/**
 * Whether the bytes are of an accepted format by their signature and their header, as
 * normalizePhoto first checks them, without decoding a pixel: for a source holding several
 * candidates for one photo (a directory's thumbnailPhoto and jpegPhoto) that passes over
 * one that is no image. The header is read in a decode slot, as normalizePhoto reads it.
 */
export async function hasImageHeader(input: Buffer): Promise<boolean> {
  if (!hasAcceptedSignature(input)) return false;
  try {
    const { format } = await sharedDecodeSlots.run(() => readHeader(input));
    return format !== undefined && ACCEPTED_FORMATS.has(format);
  } catch (error) {
    if (imageRefused(error)) return false;
    throw error;
  }
}

/** The header, once it describes an image of an accepted format within the limits. */
function checkedHeader(input: Buffer, header: sharp.Metadata, limits: ImageLimits): sharp.Metadata {
  if (!header.format || !ACCEPTED_FORMATS.has(header.format)) {
    throw BridgeError.invalidImage(`format '${header.format ?? 'unknown'}' is not accepted (${ACCEPTED_FORMAT_NAMES} are)`);
  }
  // A tiled HEIF decodes to the size its grid says, whatever its header's; every other item
  // (an alpha plane, a thumbnail) and each coded item's size must fit as well, and its coded
  // items together (each tile is decoded whole) a few times the limit.
  const heif = header.format === 'heif' ? heifSizes(input) : { sizes: [], codedPixels: 0 };
  if ('problem' in heif) throw BridgeError.invalidImage(heif.problem);
  for (const { width = 0, height = 0 } of [header, ...heif.sizes]) {
    if (width * height > limits.maxInputPixels) throw tooManyPixels(width, height, limits.maxInputPixels);
    const shape = unusableShape(width, height);
    if (shape) throw shape;
  }
  const codedLimit = MAX_CODED_PIXELS_FACTOR * limits.maxInputPixels;
  if (heif.codedPixels > codedLimit) {
    throw BridgeError.imageTooLarge(
      `its coded images come to ${heif.codedPixels} pixels in all; the limit is ${codedLimit} pixels (${MAX_CODED_PIXELS_FACTOR} times ${limits.maxInputPixels})`,
    );
  }
  const scans = header.format === 'jpeg' ? jpegScanProblem(input) : undefined;
  if (scans) throw BridgeError.invalidImage(scans);
  return header;
}

/**
 * The pixel work, in a decode slot: the header has been checked. A JPEG is decoded with
 * libjpeg's warnings as errors, since it only warns of data that ends or breaks before the
 * picture does, and goes on with grey or garbage in its place: a photo cut short but closed
 * with an end marker was kept as a mostly grey square, over the photo it replaced. libvips
 * says only the first warning, so the harmless faults found before the picture's data (stray
 * bytes where a marker is due, an odd JFIF version: common in cameras' files) are mended
 * first (jpeg-scans.ts); one after it (bytes before the end marker) means the picture was
 * whole, and the file is decoded again past it — twice the work for it, in the same slot.
 */
async function decode(input: Buffer, header: sharp.Metadata, limits: ImageLimits): Promise<NormalizedPhoto> {
  if (header.format !== 'jpeg') return normalizedOrRefused(header.format === 'heif' ? await decodableAv1Heif(input, header, limits) : input, limits);
  const mended = withoutHarmlessFaults(input);
  try {
    return await normalized(mended, limits, 'warning');
  } catch (error) {
    if (LOST_PIXELS.test(String(error))) throw BridgeError.invalidImage(DECODE_FAILED);
  }
  return normalizedOrRefused(mended, limits);
}

/** The image normalised as libvips decodes it past its warnings; a file it cannot decode is refused. */
async function normalizedOrRefused(input: Buffer, limits: ImageLimits): Promise<NormalizedPhoto> {
  try {
    return await normalized(input, limits, 'error');
  } catch {
    throw BridgeError.invalidImage(DECODE_FAILED);
  }
}

/**
 * An AV1-coded HEIF as libvips can decode it with its colours right (HEVC-coded ones go
 * through libheif-js first): one tagged by colour codes alone (heif-colour.ts) as a PNG of
 * its pixels carrying the profile the codes name, since libvips converts from a HEIF's ICC
 * profile but not from its codes; any other as it is.
 */
async function decodableAv1Heif(input: Buffer, header: sharp.Metadata, limits: ImageLimits): Promise<Buffer> {
  const profile = header.icc ?? (await nclxProfile(input));
  if (profile === undefined || profile === header.icc) return input;
  try {
    const pixels = await sharp(input, { limitInputPixels: limits.maxInputPixels, failOn: 'error', pages: 1, page: 0 })
      .resize(LARGEST_PHOTO_SIZE, LARGEST_PHOTO_SIZE, { fit: 'inside', withoutEnlargement: true })
      .png({ compressionLevel: 0 })
      .toBuffer();
    return await withIccChunk(pixels, profile);
  } catch {
    throw BridgeError.invalidImage(DECODE_FAILED);
  }
}

/**
 * libjpeg's warnings of pixels it did not have (jerror.h): JWRN_HIT_MARKER ("premature end of
 * data segment"), JWRN_JPEG_EOF ("Premature end of JPEG file"), JWRN_HUFF_BAD_CODE and
 * JWRN_ARITH_BAD_CODE ("bad Huffman code", "bad arithmetic code"), JWRN_MUST_RESYNC ("found
 * marker … instead of RST…").
 */
const LOST_PIXELS = /premature end|bad huffman code|bad arithmetic code|instead of RST/i;

async function normalized(input: Buffer, limits: ImageLimits, failOn: 'warning' | 'error'): Promise<NormalizedPhoto> {
  // pages/page: the first frame only, said outright; the header checked describes that frame.
  const { data, info } = await sharp(input, { limitInputPixels: limits.maxInputPixels, failOn, pages: 1, page: 0 })
    .rotate()
    .resize(LARGEST_PHOTO_SIZE, LARGEST_PHOTO_SIZE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .jpeg({ quality: limits.jpegQuality })
    .toBuffer({ resolveWithObject: true });
  return { bytes: data, contentType: 'image/jpeg', width: info.width, height: info.height, sha256: createHash('sha256').update(data).digest('hex') };
}

async function readHeader(input: Buffer): Promise<sharp.Metadata> {
  try {
    // Only the header is read here; the pixel limit is applied by the caller, with a clearer message.
    return await sharp(input, { limitInputPixels: false }).metadata();
  } catch {
    throw BridgeError.invalidImage('its header could not be read (the file is damaged or not an image)');
  }
}

/**
 * What a file that libvips could not decode is told: its own words named its loaders and
 * libraries (`VipsJpeg: premature end of JPEG image`, `pngload_buffer: libspng read error`).
 */
const DECODE_FAILED = 'it could not be decoded (the file is damaged or cut short)';
