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

type WorkerAnswer = { rgba: Uint8ClampedArray; width: number; height: number } | { tooLarge: { width: number; height: number } } | { error: string };

// libheif-js decodes synchronously inside WebAssembly: a 12-megapixel photo took 2.5 s of
// one core here, plus about 0.5 s to load the module, so it runs in a thread of its own,
// never on the event loop. The primary image is the photo (iPhones add thumbnails and, in
// portrait mode, depth maps). libheif applies the file's rotation and mirroring (irot,
// imir) while decoding; the EXIF orientation HEIF files may also carry must then be
// ignored, which the raw pixels handed back do by carrying none. libheif-js only prints
// why a file could not be parsed, so console.log is caught to become the reason.
// Evaluated source rather than a file, so the same code runs from dist/ and under tsx.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const notes = [];
console.log = (message) => notes.push(String(message));
const libheif = require(workerData.libheif);
const decoder = new libheif.HeifDecoder();
const images = decoder.decode(workerData.input);
const image = images.find((candidate) => candidate.is_primary()) || images[0];
if (!image) {
  parentPort.postMessage({ error: notes[0] || 'no image in the file' });
} else {
  const width = image.get_width();
  const height = image.get_height();
  if (width * height > workerData.maxPixels) {
    parentPort.postMessage({ tooLarge: { width, height } });
  } else {
    image.display({ data: new Uint8ClampedArray(width * height * 4), width, height }, (decoded) => {
      if (!decoded) parentPort.postMessage({ error: notes[0] || 'the HEVC data could not be decoded' });
      else parentPort.postMessage({ rgba: decoded.data, width, height }, [decoded.data.buffer]);
    });
  }
}
`;

const LIBHEIF = createRequire(import.meta.url).resolve('libheif-js/wasm-bundle');

/**
 * One decode at a time: each holds up to 4 bytes per pixel of the largest accepted image
 * plus libheif's own planes, and the machine's cores are shared with sharp. A few more
 * may wait; beyond that the caller is told to come back rather than queue without end.
 */
export const MAX_PENDING_HEVC_DECODES = 4;
let previous: Promise<unknown> = Promise.resolve();
let pending = 0;

/**
 * Decodes the primary image of an HEVC-coded HEIF file (what phones write), which sharp's
 * prebuilt libvips cannot: it carries libheif with the AV1 decoder only. The caller has
 * already checked the bytes and the header's pixel count; the thread checks the pixel
 * count again from libheif's own reading of the header before allocating anything.
 */
export function decodeHevcHeif(input: Buffer, maxPixels: number): Promise<RgbaImage> {
  if (pending >= MAX_PENDING_HEVC_DECODES) return Promise.reject(BridgeError.serverBusy('too many HEIC photos are being decoded; try again shortly', 5));
  pending++;
  const turn = previous.then(() => decodeInThread(input, maxPixels)).finally(() => pending--);
  previous = turn.catch(() => undefined);
  return turn;
}

function decodeInThread(input: Buffer, maxPixels: number): Promise<RgbaImage> {
  return new Promise((resolve, reject) => {
    // Plain CommonJS: the parent's loaders (tsx in development) would only slow the start.
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { libheif: LIBHEIF, input, maxPixels } });
    worker.once('message', (answer: WorkerAnswer) => {
      // Ended at once: the thread's WebAssembly memory goes with it.
      void worker.terminate();
      if ('rgba' in answer)
        resolve({ width: answer.width, height: answer.height, rgba: Buffer.from(answer.rgba.buffer, answer.rgba.byteOffset, answer.rgba.byteLength) });
      else if ('tooLarge' in answer) reject(tooManyPixels(answer.tooLarge.width, answer.tooLarge.height, maxPixels));
      else reject(BridgeError.invalidImage(`its HEVC data could not be decoded (${answer.error})`));
    });
    worker.once('error', (error) => reject(BridgeError.invalidImage(`its HEVC data could not be decoded (${error.message})`)));
    worker.once('exit', () => reject(BridgeError.invalidImage('its HEVC data could not be decoded (the decoder stopped)')));
  });
}
