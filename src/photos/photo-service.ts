import { LRUCache } from 'lru-cache';
import { BridgeError } from '../domain/errors.js';
import { servedLongSide, type PhotoFingerprint, type Rendition } from '../domain/photo.js';
import type { PhotoSize } from '../domain/size-code.js';
import type { Store } from '../store/store.js';
import type { ImageLimits } from './image-limits.js';
import { normalizePhoto } from './normalize.js';
import { renderPhoto } from './resize.js';
import { SingleFlight } from './single-flight.js';

export interface PhotoCacheLimits {
  maxEntries: number;
  maxBytes: number;
  /** How long "this user has no photo" is believed before the store is asked again. */
  noPhotoTtlMs: number;
}

export interface PhotoServiceStats {
  storeLookups: number;
  resizes: number;
}

/** A user's photo state as last read: a fingerprint, or null for "no photo". */
type PhotoState = { photo: PhotoFingerprint | null };

/**
 * Answers "this person's photo at this size" and keeps the answer warm.
 *
 * Two caches: person → which photo (small, dropped on any change), and
 * (photo hash, size) → rendered bytes (bounded by entries and bytes; keyed by content,
 * so it never goes stale and needs no invalidation). Concurrent misses for the same
 * key share one store read and one resize.
 */
export class PhotoService {
  private readonly photoStates: LRUCache<string, PhotoState>;
  private readonly renditions: LRUCache<string, Rendition>;
  private readonly stateFlights = new SingleFlight<PhotoState>();
  private readonly renderFlights = new SingleFlight<Rendition | null>();
  readonly stats: PhotoServiceStats = { storeLookups: 0, resizes: 0 };

  constructor(
    private readonly store: Store,
    private readonly limits: ImageLimits,
    private readonly cacheLimits: PhotoCacheLimits,
  ) {
    this.photoStates = new LRUCache({ max: cacheLimits.maxEntries });
    this.renditions = new LRUCache({
      max: cacheLimits.maxEntries,
      maxSize: cacheLimits.maxBytes,
      sizeCalculation: (rendition) => rendition.bytes.length,
    });
  }

  /**
   * The hot path's synchronous look: a rendition, null for a known "no photo", or
   * undefined when the answer is not cached and `userPhoto` must be awaited.
   */
  cachedUserPhoto(email: string, size: PhotoSize): Rendition | null | undefined {
    const state = this.photoStates.get(email);
    if (!state) return undefined;
    if (!state.photo) return null;
    return this.renditions.get(renditionKey(state.photo, size));
  }

  /** The user's photo at a size, or null when the user has none or does not exist. */
  async userPhoto(email: string, size: PhotoSize): Promise<Rendition | null> {
    const cached = this.cachedUserPhoto(email, size);
    if (cached !== undefined) return cached;
    const state = this.photoStates.get(email) ?? (await this.stateFlights.run(email, () => this.loadState(email)));
    if (!state.photo) return null;
    const key = renditionKey(state.photo, size);
    return this.renditions.get(key) ?? this.renderFlights.run(key, () => this.render(email, size));
  }

  /** Normalises and stores a new photo; the next request sees it. */
  async setUserPhoto(email: string, image: Buffer, source: string): Promise<PhotoFingerprint> {
    const photo = await normalizePhoto(image, this.limits);
    if (!(await this.store.setPhoto(email, photo, source))) throw BridgeError.userNotFound(email);
    this.forget(email);
    return { sha256: photo.sha256, width: photo.width, height: photo.height };
  }

  async removeUserPhoto(email: string): Promise<boolean> {
    const removed = await this.store.removePhoto(email);
    this.forget(email);
    return removed;
  }

  /** Drops what is known about one person (their photo changed here). */
  forget(email: string): void {
    this.photoStates.delete(email.toLowerCase());
  }

  /** Drops what is known about everyone (the store changed behind our back). */
  forgetAll(): void {
    this.photoStates.clear();
  }

  private async loadState(email: string): Promise<PhotoState> {
    this.stats.storeLookups++;
    const photo = (await this.store.getPhotoFingerprint(email)) ?? null;
    const state = { photo };
    this.photoStates.set(email, state, photo ? {} : { ttl: this.cacheLimits.noPhotoTtlMs });
    return state;
  }

  private async render(email: string, size: PhotoSize): Promise<Rendition | null> {
    const original = await this.store.getPhoto(email);
    if (!original) return null;
    if (servedLongSide(original, size) < Math.max(original.width, original.height)) this.stats.resizes++;
    const rendition = await renderPhoto(original, size, this.limits.jpegQuality);
    this.renditions.set(renditionKey(original, size), rendition);
    return rendition;
  }
}

function renditionKey(photo: PhotoFingerprint, size: PhotoSize): string {
  return `${photo.sha256}:${servedLongSide(photo, size)}`;
}
