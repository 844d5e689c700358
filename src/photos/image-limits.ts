import { bulkhead, isBulkheadRejectedError, type BulkheadPolicy } from 'cockatiel';
import { BridgeError } from '../domain/errors.js';

/** What the pipeline agrees to decode; everything else is refused before decoding. */
export interface ImageLimits {
  maxInputBytes: number;
  maxInputPixels: number;
  jpegQuality: number;
  /**
   * Who may decode now: shared by everything normalising with these limits. Without it,
   * a process-wide default ({@link DEFAULT_PHOTO_DECODES} at once) applies.
   */
  decodes?: DecodeSlots;
}

/** Bytes at an offset a file of a format begins with (`undefined` matches any byte). */
interface Signature {
  at: number;
  bytes: readonly (number | undefined)[];
}

/**
 * Formats libvips decodes that a person's photo plausibly arrives in: libvips' name for
 * each, the name people know it by, and how its files begin.
 */
const FORMATS: readonly { format: string; name: string; signatures: readonly Signature[] }[] = [
  { format: 'jpeg', name: 'JPEG', signatures: [{ at: 0, bytes: [0xff, 0xd8, 0xff] }] },
  { format: 'png', name: 'PNG', signatures: [{ at: 0, bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] }] },
  { format: 'gif', name: 'GIF', signatures: [{ at: 0, bytes: [...Buffer.from('GIF8')] }] },
  {
    format: 'webp',
    name: 'WebP',
    signatures: [{ at: 0, bytes: [...Buffer.from('RIFF'), undefined, undefined, undefined, undefined, ...Buffer.from('WEBP')] }],
  },
  // II* and MM*, and II+ and MM+ for BigTIFF.
  {
    format: 'tiff',
    name: 'TIFF',
    signatures: [
      { at: 0, bytes: [0x49, 0x49, undefined, 0x00] },
      { at: 0, bytes: [0x4d, 0x4d, 0x00, undefined] },
    ],
  },
  // The ftyp box's size, then its type (ISO/IEC 14496-12 §4.2: "unsigned int(32) size;
  // unsigned int(32) type"): 16 bytes and 4 more a compatible brand, so the size's first
  // two bytes are 0. Four bytes of anything before 'ftyp' let text in: `<!--ftyp-->` then an SVG
  // kept librsvg sizing nested <use> for 14 s.
  { format: 'heif', name: 'HEIF', signatures: [{ at: 0, bytes: [0, 0, undefined, undefined, ...Buffer.from('ftyp')] }] },
];

export const ACCEPTED_FORMATS: ReadonlySet<string> = new Set(FORMATS.map(({ format }) => format));

/** The accepted formats as people name them, for messages. */
export const ACCEPTED_FORMAT_NAMES = FORMATS.map(({ name }) => name).join(', ');

/**
 * Whether the bytes begin as one of the accepted formats. libvips parses any file it has a
 * loader for to read its header, before the format can be refused: a 1.8 KB SVG of nested
 * `<use>` held a thread for 3.5 s while librsvg sized it, outside the decode slots.
 */
export function hasAcceptedSignature(input: Buffer): boolean {
  return FORMATS.some(({ signatures }) =>
    signatures.some(({ at, bytes }) => input.length >= at + bytes.length && bytes.every((byte, i) => byte === undefined || input[at + i] === byte)),
  );
}

/**
 * Longest side accepted, in pixels, whatever the pixel count. libvips pays per row of
 * the image (a 1×39,999,999 PNG, 77 KB, took 11 s of a pool thread to decode) and some
 * decoders per column of it, so a side bounds that work where width × height cannot. A
 * photo is stored at 648 px at most; 16,384 is the largest side WebP allows and more than
 * any camera's (a 200 Mpx sensor's long side is 16,320), well beyond any portrait.
 */
export const MAX_INPUT_SIDE = 16_384;

/**
 * Longer side over shorter side, at most. A profile photo is about square and is shown
 * cropped to a square; camera frames are 4:3 to 21:9 (2.4), phone panoramas 4–6:1. Beyond
 * 8:1 it is a banner or a strip, not a face, and within BRIDGE_MAX_INPUT_PIXELS (40 Mpx)
 * such an image would be all rows or all columns — the shapes decompression bombs take.
 */
export const MAX_ASPECT_RATIO = 8;

/**
 * Decodes that run at once when no setting says otherwise (the command line, imports).
 * Each may hold hundreds of MB (a 40 Mpx GIF frame is decoded whole) and one thread of
 * libuv's pool, which sized renditions of everyone's photos need too (4 threads unless
 * UV_THREADPOOL_SIZE says otherwise): two leave the others to them.
 */
export const DEFAULT_PHOTO_DECODES = 2;

/** Decodes that may wait for a slot when no setting says otherwise; each holds its upload's bytes meanwhile. */
export const DEFAULT_PHOTO_DECODE_QUEUE = 8;

/** Seconds a client told the decoders are busy is asked to wait; a decode takes well under one. */
const DECODES_BUSY_RETRY_SECONDS = 1;

/**
 * A bounded number of image decodes at once, and a bounded queue for the next ones: a
 * flood of uploads costs at most `concurrent` decodes' memory and pool threads, and the
 * uploads beyond the queue are refused at once with ErrorServerBusy (503 + Retry-After)
 * rather than waiting without end. cockatiel's bulkhead does the counting.
 */
export class DecodeSlots {
  private readonly bulkhead: BulkheadPolicy;

  constructor(concurrent: number, queued: number) {
    this.bulkhead = bulkhead(concurrent, queued);
  }

  /** Runs `decode` when a slot is free; rejects with ErrorServerBusy when none is and the queue is full. */
  async run<T>(decode: () => Promise<T>): Promise<T> {
    try {
      return await this.bulkhead.execute(decode);
    } catch (error) {
      // Only the bulkhead itself throws this; a decode's own failure passes through.
      if (isBulkheadRejectedError(error)) {
        throw BridgeError.serverBusy('too many photos are being decoded; try again shortly', DECODES_BUSY_RETRY_SECONDS);
      }
      throw error;
    }
  }
}

/** For limits that bring no slots of their own (tests, fixtures): generous queue, same bound on decodes. */
export const sharedDecodeSlots = new DecodeSlots(DEFAULT_PHOTO_DECODES, 1_000);

export function imageLimitsOf(config: {
  maxUploadBytes: number;
  maxInputPixels: number;
  jpegQuality: number;
  photoDecodes?: number;
  photoDecodeQueue?: number;
}): ImageLimits {
  return {
    maxInputBytes: config.maxUploadBytes,
    maxInputPixels: config.maxInputPixels,
    jpegQuality: config.jpegQuality,
    decodes: new DecodeSlots(config.photoDecodes ?? DEFAULT_PHOTO_DECODES, config.photoDecodeQueue ?? DEFAULT_PHOTO_DECODE_QUEUE),
  };
}

export function tooManyPixels(width: number, height: number, maxInputPixels: number): BridgeError {
  return BridgeError.imageTooLarge(`image is ${width}×${height} pixels; the limit is ${maxInputPixels} pixels`);
}

/** An image wider or taller than MAX_INPUT_SIDE, or longer than MAX_ASPECT_RATIO times its shorter side; undefined when it is neither. */
export function unusableShape(width: number, height: number): BridgeError | undefined {
  const longer = Math.max(width, height);
  const shorter = Math.min(width, height);
  if (longer > MAX_INPUT_SIDE) {
    return BridgeError.imageTooLarge(`image is ${width}×${height} pixels; a side may be at most ${MAX_INPUT_SIDE} pixels`);
  }
  // A header without a size is left to the decoder, which refuses it as undecodable.
  if (shorter > 0 && longer > MAX_ASPECT_RATIO * shorter) {
    return BridgeError.imageTooLarge(`image is ${width}×${height} pixels; a photo's longer side may be at most ${MAX_ASPECT_RATIO} times its shorter side`);
  }
  return undefined;
}
