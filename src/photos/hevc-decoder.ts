import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { BridgeError } from '../domain/errors.js';
import { tooManyPixels } from './image-limits.js';

/** Decoded pixels: 8-bit RGBA, row after row, in the file's own colour space. */
export interface RgbaImage {
  width: number;
  height: number;
  rgba: Buffer;
}

type DecodeAnswer = { rgba: Uint8ClampedArray; width: number; height: number } | { tooLarge: { width: number; height: number } } | { error: string };
/** What the thread answers a decode with, and how large its WebAssembly memory has grown. */
type ThreadAnswer = DecodeAnswer & { heapBytes: number };

// libheif-js decodes synchronously inside WebAssembly: a 12-megapixel photo took 2.5 s of
// one core here, so it runs in a thread of its own, never on the event loop. That thread
// stays for the next photo: a new one loads the module again and runs it before V8 has
// optimised it (a 3-megapixel photo: about 0.5 s in a new thread, 0.15 s in a kept one,
// measured here). The primary image
// is the photo (iPhones add thumbnails and, in portrait mode, depth maps). libheif applies
// the file's rotation and mirroring (irot, imir) while decoding; the EXIF orientation HEIF
// files may also carry must then be ignored, which the raw pixels handed back do by
// carrying none. libheif-js prints why a file could not be parsed, in its own internal
// terms: console.log is silenced, so that it never reaches the bridge's stdout (its log). Each decode releases its images and context, so the next
// one reuses that memory. Evaluated source rather than a file, so the same code runs from
// dist/ and under tsx.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
console.log = () => {};
const libheif = require(workerData.libheif);
const decoder = new libheif.HeifDecoder();

function decode(input, maxPixels, answer) {
  const images = decoder.decode(input);
  const finish = (message, transfer) => {
    for (const image of images) image.free();
    if (decoder.decoder) libheif.heif_context_free(decoder.decoder);
    decoder.decoder = null;
    answer(message, transfer);
  };
  const image = images.find((candidate) => candidate.is_primary()) || images[0];
  if (!image) return finish({ error: 'no image in the file' });
  const width = image.get_width();
  const height = image.get_height();
  if (width * height > maxPixels) return finish({ tooLarge: { width, height } });
  image.display({ data: new Uint8ClampedArray(width * height * 4), width, height }, (decoded) => {
    if (!decoded) finish({ error: 'the file is damaged or cut short' });
    else finish({ rgba: decoded.data, width, height }, [decoded.data.buffer]);
  });
}

parentPort.on('message', ({ input, maxPixels }) => {
  decode(input, maxPixels, (message, transfer) => parentPort.postMessage({ ...message, heapBytes: libheif.HEAPU8.length }, transfer));
});
`;

const LIBHEIF = createRequire(import.meta.url).resolve('libheif-js/wasm-bundle');

/**
 * One decode at a time: each holds up to 4 bytes per pixel of the largest accepted image
 * plus libheif's own planes, and the machine's cores are shared with sharp. A few more
 * may wait; beyond that the caller is told to come back rather than queue without end.
 */
export const MAX_PENDING_HEVC_DECODES = 4;

/**
 * WebAssembly memory grows but never shrinks: after a photo that needed more than this
 * (a 12-megapixel one leaves it at about 65 MiB, some 5.5 bytes a pixel), the thread is
 * ended so the memory goes back, and the next photo starts a new one.
 */
const KEEP_HEVC_THREAD_HEAP_BYTES = 128 * 1024 * 1024;

/**
 * Decodes HEVC-coded HEIF files in one long-lived thread: started on first use, kept
 * between photos, not holding the process open while idle, started again when it died or
 * outgrew `keepHeapBytes`.
 */
export class HevcDecoderThread {
  private worker: Worker | undefined;
  /** The decode the thread is working on, and the thread it was given to. */
  private current: { worker: Worker; settle: (answer: DecodeAnswer) => void } | undefined;
  private previous: Promise<unknown> = Promise.resolve();
  private pending = 0;

  constructor(private readonly keepHeapBytes = KEEP_HEVC_THREAD_HEAP_BYTES) {}

  /**
   * Decodes `input` when the thread is free, then hands the pixels to `use` before the next
   * decode starts: what the caller does with a full-size image (shrink it) is part of the
   * turn, so at most one such image is alive at a time, whoever is waiting.
   */
  decode<T = RgbaImage>(input: Buffer, maxPixels: number, use: (image: RgbaImage) => T | Promise<T> = (image) => image as T): Promise<T> {
    if (this.pending >= MAX_PENDING_HEVC_DECODES) return Promise.reject(BridgeError.serverBusy('too many HEIC photos are being decoded; try again shortly', 5));
    this.pending++;
    const turn = this.previous.then(async () => use(await this.decodeNow(input, maxPixels))).finally(() => this.pending--);
    this.previous = turn.catch(() => undefined);
    return turn;
  }

  private async decodeNow(input: Buffer, maxPixels: number): Promise<RgbaImage> {
    const worker = this.worker ?? this.start();
    const answer = await new Promise<DecodeAnswer>((settle) => {
      this.current = { worker, settle };
      // Held open while it works for someone, so a command line waiting for the photo is not ended early.
      worker.ref();
      worker.postMessage({ input, maxPixels });
    });
    if ('rgba' in answer)
      return { width: answer.width, height: answer.height, rgba: Buffer.from(answer.rgba.buffer, answer.rgba.byteOffset, answer.rgba.byteLength) };
    if ('tooLarge' in answer) throw tooManyPixels(answer.tooLarge.width, answer.tooLarge.height, maxPixels);
    throw BridgeError.invalidImage(`its HEVC data could not be decoded (${answer.error})`);
  }

  private start(): Worker {
    // Plain CommonJS: the parent's loaders (tsx in development) would only slow the start.
    const worker = new Worker(THREAD_SOURCE, { eval: true, execArgv: [], workerData: { libheif: LIBHEIF } });
    const settle = (answer: DecodeAnswer) => {
      const current = this.current;
      if (current?.worker !== worker) return;
      this.current = undefined;
      current.settle(answer);
    };
    const stopped = (reason: string) => {
      if (this.worker === worker) this.worker = undefined;
      settle({ error: reason });
    };
    worker.on('message', ({ heapBytes, ...answer }: ThreadAnswer) => {
      worker.unref();
      if (heapBytes > this.keepHeapBytes) {
        this.worker = undefined;
        void worker.terminate();
      }
      settle(answer);
    });
    worker.on('error', () => stopped('the decoder failed on it'));
    worker.on('exit', () => stopped('the decoder stopped'));
    // After the listeners: adding a 'message' listener refs the thread again.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

const thread = new HevcDecoderThread();

/**
 * Decodes the primary image of an HEVC-coded HEIF file (what phones write), which sharp's
 * prebuilt libvips cannot: it carries libheif with the AV1 decoder only. The caller has
 * already checked the bytes and the header's pixel count; the thread checks the pixel
 * count again from libheif's own reading of the header before allocating anything.
 */
export function decodeHevcHeif<T = RgbaImage>(input: Buffer, maxPixels: number, use?: (image: RgbaImage) => T | Promise<T>): Promise<T> {
  return thread.decode(input, maxPixels, use);
}
