import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import type { StoredPhoto } from '../src/domain/photo.js';
import { userOwner } from '../src/domain/photo-owner.js';
import { PHOTO_SIZES, type PhotoSize } from '../src/domain/size-code.js';
import { imageLimitsOf } from '../src/photos/image-limits.js';
import { normalizePhoto } from '../src/photos/normalize.js';
import { PhotoService } from '../src/photos/photo-service.js';
import { renderPhoto } from '../src/photos/resize.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { BENCH_USER } from './fixture.js';
import { nearestRank } from './statistics.js';

/** The settings a bridge started without configuration runs with. */
const DEFAULTS = loadConfig({});

export interface ResizeFigures {
  size: PhotoSize;
  p50Ms: number;
  p99Ms: number;
  bytes: number;
  /** The original is served as is at its own size: nothing is decoded or encoded. */
  passThrough: boolean;
}

/**
 * What a cache miss costs in the photo pipeline alone: renderPhoto has no cache, so
 * every call decodes the original and encodes the size afresh.
 */
export async function measureColdRenders(image: Buffer, samples: number): Promise<ResizeFigures[]> {
  const original = await storedOriginal(image);
  // One untimed render first, so loading libvips' codecs is not billed to the first size.
  await renderPhoto(original, 96, DEFAULTS.jpegQuality);
  const figures: ResizeFigures[] = [];
  for (const size of PHOTO_SIZES) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < samples; i++) {
      const started = performance.now();
      const rendition = await renderPhoto(original, size, DEFAULTS.jpegQuality);
      times.push(performance.now() - started);
      bytes = rendition.bytes.length;
    }
    times.sort((a, b) => a - b);
    const passThrough = size >= Math.max(original.width, original.height);
    figures.push({ size, p50Ms: nearestRank(times, 0.5), p99Ms: nearestRank(times, 0.99), bytes, passThrough });
  }
  return figures;
}

async function storedOriginal(image: Buffer): Promise<StoredPhoto> {
  const photo = await normalizePhoto(image, imageLimitsOf(DEFAULTS));
  return { ...photo, source: 'bench', updatedAt: new Date().toISOString() };
}

export interface SingleFlightFigures {
  callers: number;
  served: number;
  storeLookups: number;
  resizes: number;
}

/**
 * Many requests for one uncached photo at once (a meeting roster opening) should cost
 * one store read and one resize, not one per request.
 */
export async function measureSingleFlight(image: Buffer, dir: string, callers: number): Promise<SingleFlightFigures> {
  const store = new SqliteStore(join(dir, 'single-flight.db'));
  try {
    await store.upsertUsers([{ email: BENCH_USER.email, displayName: 'Bench User', refs: {} }]);
    const photos = new PhotoService(store, imageLimitsOf(DEFAULTS), {
      maxEntries: DEFAULTS.cacheMaxEntries,
      maxBytes: DEFAULTS.cacheMaxBytes,
      noPhotoTtlMs: DEFAULTS.noPhotoTtlSeconds * 1000,
    });
    const owner = userOwner(BENCH_USER.email);
    await photos.setPhoto(owner, image, 'bench');
    const renditions = await Promise.all(Array.from({ length: callers }, () => photos.photo(owner, 96)));
    return { callers, served: renditions.filter((rendition) => rendition?.width === 96).length, ...photos.stats };
  } finally {
    await store.close();
  }
}
