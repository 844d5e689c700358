import { performance } from 'node:perf_hooks';
import { addressesOf } from '../domain/directory.js';
import { LRUCache } from 'lru-cache';
import sharp from 'sharp';
import { BridgeError, storeRefusedWrite } from '../domain/errors.js';
import {
  changesBox,
  changesImage,
  conversionOfTag,
  conversionTag,
  convertedEtag,
  withinSide,
  type ConversionRequest,
  type ImageConversion,
} from '../domain/image-conversion.js';
import {
  photoEtag,
  servedSide,
  type NormalizedPhoto,
  type PhotoFingerprint,
  type PhotoFit,
  type Rendition,
  type ServedRendition,
  type StoredPhoto,
  type StoredPhotoInfo,
} from '../domain/photo.js';
import { userOwner, type PhotoOwner } from '../domain/photo-owner.js';
import { PHOTO_SIZES, type PhotoSize } from '../domain/size-code.js';
import { heldWhenSent } from '../http/end-with-body.js';
import type { Logger } from '../logger.js';
import type { FetchedPhoto, PhotoPrecondition, Store } from '../store/store.js';
import { convertRendition } from './convert.js';
import type { ImageLimits } from './image-limits.js';
import { normalizePhoto } from './normalize.js';
import { ownerName } from './owner-name.js';
import type { PhotoReference, SourceFailure } from '../sources/photo-source.js';
import { referenceOf } from './photo-reference.js';
import { lookName, placeholderLook, renderPlaceholder } from './placeholder.js';
import { renderPhoto } from './resize.js';
import { SingleFlight } from '../single-flight.js';
import { OWN_PHOTOS, type OrderEntry } from '../sources/source-order.js';
import { worseFailure, type UpstreamPhotos } from './upstream-photos.js';

// libvips keeps recent operations, and the inputs they hold, for reuse, counting 50 MB of
// them by its own tally, which misses those inputs (libvips issue 1585). The bridge renders
// each rendition once and keeps the result itself, so that cache only held memory: 3,000
// placeholder renders grew the RSS by 327 MB with it, 101 MB without.
sharp.cache(false);

export interface PhotoCacheLimits {
  maxEntries: number;
  maxBytes: number;
  /** How long "this owner has no photo" is believed before the store is asked again; 0 never. */
  noPhotoTtlMs: number;
  /** How long what stands in for a lookup the sources failed is believed; FAILED_LOOKUP_TTL_MS unless a test shortens it. */
  failedLookupTtlMs?: number;
  /**
   * What else the bridge keeps of a rendition in a plain size for as long as it is cached
   * (the SOAP answer it is sent in); counted against `maxBytes` from the start, whether that
   * answer is ever made or not. Nothing unless given.
   */
  heldBesides?: (rendition: Rendition) => number;
  /** Milliseconds on the clock those TTLs run on: lru-cache's (performance.now) unless a test moves time itself. */
  now?: () => number;
}

interface PhotoServiceStats {
  storeLookups: number;
  resizes: number;
  /** Times a stored upstream photo was served because every source failed. */
  staleServed: number;
  /** Sized photos answered from memory… */
  renditionHits: number;
  /** …and those that had to be rendered (or waited for a render under way). */
  renditionMisses: number;
  /** Sized photos dropped to make room. */
  renditionEvictions: number;
}

interface UpstreamOptions {
  upstream: UpstreamPhotos;
  /** How old a photo fetched from a source may get before the sources are asked again. */
  refreshMs: number;
}

/**
 * Which photo answers an owner: a fingerprint and where it came from. A photo a size's
 * own order found upstream is held here, not stored: the store keeps one photo per owner,
 * the one the usual order gives.
 */
interface ServedPhoto extends PhotoFingerprint {
  source: string;
  held?: StoredPhoto;
}

/**
 * What the stored photo and the sources make of an owner's photo. `failed` when a source
 * failed and none had a photo: what stands in (the photo stored earlier, or none) is then
 * no answer, and is not believed as one.
 */
interface Lookup {
  photo: ServedPhoto | null;
  failed?: SourceFailure;
  /** What the sources answered, which the store took no write of: not believed long, so the record is tried again soon. */
  unrecorded?: true;
}

/**
 * An owner's photo state as last read: the photo, or null for "no photo"; and the keys of
 * its plain renditions by size, made once rather than on every cached answer.
 */
interface PhotoState extends Lookup {
  renditionKeys: Map<PhotoSize, string>;
}

/** Where an image no cache holds is made: a caller's share of the image threads (http/caller-turns.ts), or at once. */
export type Turn = <T>(make: () => Promise<T>) => Promise<T>;
const now: Turn = (make) => make();

/**
 * Answers "this person's photo at this size" (and, when asked, in this box and format,
 * or a placeholder when they have none) and keeps the answer warm.
 *
 * Caches: owner → which photo (small, dropped on any change), and (photo hash, size) →
 * rendered bytes (bounded by entries and bytes; keyed by content, so it never goes stale
 * and needs no invalidation). Renditions in another box and placeholders — what a client
 * may ask in endless variety — are kept apart, in a quarter of those bounds, so that one
 * client's variants cannot push everyone's photos out (one login filled the shared cache
 * in two minutes). Concurrent misses for the same key share one store read and one resize.
 */
export class PhotoService {
  private readonly photoStates: LRUCache<string, PhotoState>;
  /**
   * "No photo" states, apart: any address may be asked, so a flood of made-up ones would
   * otherwise push real people's states out (each then a store read again).
   */
  private readonly absentStates: LRUCache<string, PhotoState>;
  private readonly renditions: LRUCache<string, Rendition>;
  /** Renditions in another box (`w`, `h`) and placeholders (cacheFor). */
  private readonly variants: LRUCache<string, Rendition>;
  /**
   * The bytes held by size-order states, by state key: bounded by bytes, and a state whose
   * bytes are let go is dropped with them, so held photos never outgrow the cache limits.
   */
  private readonly heldOriginals: LRUCache<string, StoredPhoto>;
  /** The store's refusals to record a fetched photo already logged, by owner: one line per owner and cause, not one per request. */
  private readonly refusalsLogged: LRUCache<string, Set<string>>;
  private readonly stateFlights = new SingleFlight<PhotoState>();
  private readonly renderFlights = new SingleFlight<Rendition | null>();
  /** Bumped by every forget: a read that started before it must not cache what it read. */
  private epoch = 0;
  /** The clock the caches' TTLs run on. */
  private readonly now: () => number;
  /**
   * The last answer `cachedPhoto` found, kept while no cache of states or renditions has changed
   * and its state is not due: clients poll the same photo over and over, and the look then
   * costs a few comparisons instead of two LRU looks (some 4 % of a cached photo's CPU).
   */
  private lastHit: LastHit | undefined;
  /** Told by the caches of states and renditions of whatever enters or leaves them: that may change what a look finds. */
  private readonly forgetLastHit = () => {
    this.lastHit = undefined;
  };
  readonly stats: PhotoServiceStats = { storeLookups: 0, resizes: 0, staleServed: 0, renditionHits: 0, renditionMisses: 0, renditionEvictions: 0 };

  constructor(
    private readonly store: Store,
    private readonly limits: ImageLimits,
    private readonly cacheLimits: PhotoCacheLimits,
    private readonly sources?: UpstreamOptions,
    private readonly log?: Logger,
  ) {
    // ttlResolution 0: the clock is read on each look; lru-cache's default keeps it for 1 ms
    // with a timer, one a millisecond per cache, which cost a cached photo more (0.2 µs).
    const clock = cacheLimits.now && { perf: { now: cacheLimits.now } };
    this.now = cacheLimits.now ?? (() => performance.now());
    const changes = { onInsert: this.forgetLastHit, dispose: this.forgetLastHit };
    this.photoStates = new LRUCache({ max: cacheLimits.maxEntries, ttlResolution: 0, ...clock, ...changes });
    this.absentStates = new LRUCache({ max: Math.ceil(cacheLimits.maxEntries / 4), ttlResolution: 0, ...clock, ...changes });
    this.heldOriginals = new LRUCache({
      max: cacheLimits.maxEntries,
      maxSize: cacheLimits.maxBytes,
      sizeCalculation: (photo) => photo.bytes.length,
      dispose: (_photo, stateKey) => this.photoStates.delete(stateKey),
    });
    this.refusalsLogged = new LRUCache({ max: cacheLimits.maxEntries });
    this.renditions = this.renditionLru(cacheLimits.maxEntries, cacheLimits.maxBytes, cacheLimits.heldBesides);
    this.variants = this.renditionLru(Math.ceil(cacheLimits.maxEntries / 4), Math.ceil(cacheLimits.maxBytes / 4));
  }

  private renditionLru(maxEntries: number, maxBytes: number, heldBesides = (_rendition: Rendition) => 0): LRUCache<string, Rendition> {
    return new LRUCache({
      max: maxEntries,
      maxSize: maxBytes,
      // An entry costs its key, object and buffer header besides its bytes, the text a small one is sent as, and what is kept with it.
      sizeCalculation: (rendition) => heldWhenSent(rendition.bytes.length) + ENTRY_OVERHEAD_BYTES + heldBesides(rendition),
      onInsert: this.forgetLastHit,
      dispose: (_rendition, _key, reason) => {
        this.forgetLastHit();
        if (reason === 'evict') this.stats.renditionEvictions++;
      },
    });
  }

  /** What the caches of sized photos hold now. */
  get renditionCache(): { entries: number; bytes: number } {
    return { entries: this.renditions.size + this.variants.size, bytes: this.renditions.calculatedSize + this.variants.calculatedSize };
  }

  /**
   * Where a rendition with this conversion is kept. A new box is the client's to choose
   * (hundreds per photo), so those live apart; a format alone is what a browser's Accept
   * picks for the directory page, at most one per photo, size and format, and stays with
   * the plain renditions where a flood of boxes cannot push it out.
   */
  private cacheFor(conversion: ImageConversion | undefined): LRUCache<string, Rendition> {
    return conversion && changesBox(conversion) ? this.variants : this.renditions;
  }

  /**
   * The hot path's synchronous look: a rendition, null for a known "no photo", or
   * undefined when `photo` must be awaited: the answer is not cached, or is a failure.
   */
  cachedPhoto(owner: PhotoOwner, size: PhotoSize, conversion?: ImageConversion): Rendition | null | undefined {
    const hit = this.lastHit;
    if (hit !== undefined && hit.ownerKey === owner.key && hit.size === size && hit.conversion === conversion && this.now() < hit.until) {
      this.stats.renditionHits++;
      return hit.rendition;
    }
    const stateKey = this.stateKey(owner, size);
    const state = this.stateOf(stateKey);
    if (!state) return undefined;
    if (!state.photo) return state.failed === 'transient' ? undefined : null;
    const within = this.within(state.photo, size, conversion);
    const rendition = this.cacheFor(within).get(this.renditionKeyOf(state.photo, state.renditionKeys, size, within));
    if (!rendition) return undefined;
    this.stats.renditionHits++;
    // getRemainingTTL: Infinity for a state kept until it is dropped.
    this.lastHit = { ownerKey: owner.key, size, conversion, rendition, until: this.now() + this.photoStates.getRemainingTTL(stateKey) };
    return rendition;
  }

  /**
   * The owner's photo at a size, converted when asked; null when there is none (or no
   * such owner) and the request wants no placeholder. A rendition no cache holds is made
   * in `turn`, the caller's share of the image threads, when there is one.
   */
  async photo(owner: PhotoOwner, size: PhotoSize, request?: ConversionRequest, turn: Turn = now): Promise<Rendition | null> {
    const found = await this.find(owner, size, request, turn);
    if (found === FAILING_FOR_NOW) throw this.tryAgain();
    return found;
  }

  /**
   * As `photo`, unconverted, but null while a source fails for now: for a photo carried
   * beside other data (a contact card, an item), which then goes out without it rather
   * than not at all.
   */
  async photoIfKnown(owner: PhotoOwner, size: PhotoSize, turn: Turn = now): Promise<Rendition | null> {
    const found = await this.find(owner, size, undefined, turn);
    return found === FAILING_FOR_NOW ? null : found;
  }

  private async find(
    owner: PhotoOwner,
    size: PhotoSize,
    request: ConversionRequest | undefined,
    turn: Turn,
  ): Promise<Rendition | null | typeof FAILING_FOR_NOW> {
    const { key, state } = await this.stateFor(owner, size);
    const photo = state.photo;
    if (!photo) {
      const blank = request ? await this.placeholder(owner, size, request, turn) : null;
      if (blank) return state.failed ? { ...blank, sourcesFailed: true } : blank;
      return state.failed === 'transient' ? FAILING_FOR_NOW : null;
    }
    const conversion = this.within(photo, size, request?.conversion);
    const cacheKey = this.renditionKeyOf(photo, state.renditionKeys, size, conversion);
    const cached = this.cacheFor(conversion).get(cacheKey);
    if (cached) {
      this.stats.renditionHits++;
      return cached;
    }
    this.stats.renditionMisses++;
    // One flight per owner, though renditions are cached by photo: the flight reads the
    // owner's photo as it is now, and one changed elsewhere (the CLI, another replica) and
    // not yet heard of would otherwise be handed to everyone who shared the old one.
    return this.renderFlights.run(`${key}:${cacheKey}`, () =>
      turn(() => (conversion && changesImage(conversion) ? this.convert(owner, photo, size, conversion) : this.render(owner, photo, size))),
    );
  }

  /**
   * What the owner's photo at `size` is served as — its content type, size and ETag —
   * null when there is none. A square one is told without being made: Graph's photo list
   * names every size, and making each was nine resizes a request (a caller walking the
   * directory's lists kept every image thread busy). One in its own shape is made, since
   * its short side is what the resize rounds it to: in the caller's `turn`, as every image
   * made for a caller is (a list of nine sizes walked over a directory of such photos made
   * every other caller's first photos wait seconds).
   */
  async servedAt(owner: PhotoOwner, size: PhotoSize, turn: Turn): Promise<ServedRendition | null> {
    const { state } = await this.stateFor(owner, size);
    const photo = state.photo;
    if (!photo) {
      if (state.failed === 'transient') throw this.tryAgain();
      return null;
    }
    const fit = this.fitOf(photo);
    if (fit !== 'square') return this.photo(owner, size, undefined, turn);
    const side = servedSide(photo, size, fit);
    return { contentType: 'image/jpeg', width: side, height: side, etag: photoEtag(photo, side, fit, this.limits.jpegQuality) };
  }

  /**
   * Normalises and stores a new photo; the next request sees it. `unlessLocked`: not over a
   * lock, even one an administrator set while the image was being decoded (403); `requires`:
   * a condition on the photo it replaces, tested as it is written (Store.setPhoto).
   */
  async setPhoto(owner: PhotoOwner, image: Buffer, source: string, unlessLocked = false, requires?: PhotoPrecondition): Promise<PhotoFingerprint> {
    const photo = await normalizePhoto(image, this.limits);
    if (!(await this.store.setPhoto(owner, photo, source, unlessLocked, requires))) {
      if (owner.kind === 'user' && unlessLocked && (await this.store.isPhotoLocked(owner.email))) throw BridgeError.photoLocked();
      throw owner.kind === 'user' ? BridgeError.userNotFound(owner.email) : BridgeError.itemNotFound();
    }
    await this.forgetByEveryAddress(owner);
    return { sha256: photo.sha256, width: photo.width, height: photo.height };
  }

  async removePhoto(owner: PhotoOwner, requires?: PhotoPrecondition): Promise<boolean> {
    const removed = await this.store.removePhoto(owner, requires);
    await this.forgetByEveryAddress(owner);
    return removed;
  }

  /**
   * Drops what is known about an owner under each name it is asked by: a user's photo is
   * remembered per address asked, and may have been asked by another of theirs.
   */
  private async forgetByEveryAddress(owner: PhotoOwner): Promise<void> {
    this.forget(owner);
    if (owner.kind !== 'user') return;
    const user = await this.store.getUser(owner.email);
    if (user) for (const address of addressesOf(user)) this.forget(userOwner(address));
  }

  /** Drops what is known about one owner (their photo changed here). */
  forget(owner: PhotoOwner): void {
    this.epoch++;
    for (const key of [owner.key, ...PHOTO_SIZES.map((size) => sizeStateKey(owner, size))]) {
      this.photoStates.delete(key);
      this.absentStates.delete(key);
    }
  }

  /** Drops what is known about everyone (the store changed behind our back). */
  forgetAll(): void {
    this.epoch++;
    this.photoStates.clear();
    this.absentStates.clear();
  }

  /** The owner's photo state at a size, read when not remembered (one read however many ask at once). */
  private async stateFor(owner: PhotoOwner, size: PhotoSize): Promise<{ key: string; state: PhotoState }> {
    const key = this.stateKey(owner, size);
    const epoch = this.epoch;
    const state = this.stateOf(key) ?? (await this.stateFlights.run(`${epoch}:${key}`, () => this.loadState(owner, size, key, epoch)));
    return { key, state };
  }

  private stateOf(key: string): PhotoState | undefined {
    return this.photoStates.get(key) ?? this.absentStates.get(key);
  }

  /** A size with an order of its own keeps its own state; every other size shares the owner's. */
  private stateKey(owner: PhotoOwner, size: PhotoSize): string {
    return this.sources?.upstream.sizeOrder(owner.kind, size) ? sizeStateKey(owner, size) : owner.key;
  }

  private async loadState(owner: PhotoOwner, size: PhotoSize, key: string, epoch: number): Promise<PhotoState> {
    this.stats.storeLookups++;
    const stored = await this.store.getPhotoInfo(owner);
    const sizeOrder = this.sources?.upstream.sizeOrder(owner.kind, size);
    const lookup = sizeOrder ? await this.fromSizeOrder(owner, stored, sizeOrder) : await this.fromSources(owner, stored);
    const { photo } = lookup;
    const state: PhotoState = { ...lookup, renditionKeys: new Map() };
    // A photo held while the store took no writes is let go once a lookup finds it stored.
    if (photo?.held) this.heldOriginals.set(key, photo.held);
    else this.heldOriginals.delete(key);
    const ttlMs = this.believedForMs(lookup, owner, sizeOrder !== undefined);
    // A photo too large to hold is served this once and not remembered.
    const remember = epoch === this.epoch && ttlMs !== 0 && (!photo?.held || this.heldOriginals.has(key));
    if (remember) (photo ? this.photoStates : this.absentStates).set(key, state, ttlMs === undefined ? {} : { ttl: ttlMs });
    return state;
  }

  /** How long a lookup is believed: undefined until it is dropped, 0 not at all (to lru-cache, a ttl of 0 is "for ever"). */
  private believedForMs({ photo, failed, unrecorded }: Lookup, owner: PhotoOwner, sizeOrder: boolean): number | undefined {
    // With sources, even a found photo is only believed until it is due for a refresh.
    const fromSources = sizeOrder || this.sources?.upstream.servesKind(owner.kind);
    const answerMs = !photo ? this.cacheLimits.noPhotoTtlMs : fromSources ? this.sources!.refreshMs : undefined;
    if (!failed && !unrecorded) return answerMs;
    // A failure is no answer: an outage must not blank someone (or pin their stale photo)
    // for a whole TTL after the source is back. It is still believed a few seconds, never
    // longer than an answer: the breaker opens only on consecutive failures, so a source
    // failing for this one person alone would otherwise be asked, retries and all, on
    // every request for them. An answer the store took no write of is believed as long:
    // held a whole refresh, it would go unrecorded that long after the store is back.
    return Math.min(answerMs ?? Infinity, this.failedLookupTtlMs());
  }

  private failedLookupTtlMs(): number {
    return this.cacheLimits.failedLookupTtlMs ?? FAILED_LOOKUP_TTL_MS;
  }

  /**
   * Whether the person has a photo is unknown while the source fails, so the answer is
   * "busy, try again", never "no photo", which clients keep: again once the failure is no
   * longer believed (believedForMs, for a lookup that found nothing) and the source is asked.
   */
  private tryAgain(): BridgeError {
    const seconds = Math.max(1, Math.ceil(Math.min(this.cacheLimits.noPhotoTtlMs, this.failedLookupTtlMs()) / 1000));
    return BridgeError.serverBusy(`the photo source is failing; try again in ${seconds} s`, seconds);
  }

  /**
   * Walks a size's own order (say HR48x48: the directory, then the bridge's own photos).
   * The stored photo stands for the source it came from while fresh; another source's
   * photo is fetched and held in memory, so the usual order's stored photo is left alone.
   * When a source fails, the photo stored from it earlier is served stale rather than nothing,
   * and what a later entry answers stands in for the failed one's: neither is believed long.
   */
  private async fromSizeOrder(owner: PhotoOwner, stored: StoredPhotoInfo | undefined, order: readonly OrderEntry[]): Promise<Lookup> {
    const upstream = this.sources!.upstream;
    const own = stored && !upstream.isUpstream(stored.source) ? stored : undefined;
    let reference: PhotoReference | undefined;
    let stale: StoredPhotoInfo | undefined;
    let failed: SourceFailure | undefined;
    for (const entry of order) {
      if (entry === OWN_PHOTOS) {
        if (own) return { photo: own, failed };
        continue;
      }
      const storedHere = stored?.source === entry.name ? stored : undefined;
      if (storedHere && !this.isDue(storedHere)) return { photo: storedHere, failed };
      reference ??= await referenceOf(this.store, owner);
      if (!reference) return { photo: null };
      const result = await upstream.ask(entry, reference);
      if (result.kind === 'photo') return { photo: heldPhoto(result.photo, result.source), failed };
      if (result.kind === 'failed') {
        failed = worseFailure(failed, result.failure);
        stale ??= storedHere;
      }
    }
    if (stale) this.servedStale(owner, stale);
    return { photo: stale ?? null, failed };
  }

  private isDue(stored: StoredPhotoInfo): boolean {
    return Date.now() - Date.parse(stored.updatedAt) >= this.sources!.refreshMs;
  }

  private servedStale(owner: PhotoOwner, stored: StoredPhotoInfo): void {
    this.stats.staleServed++;
    this.log?.warn({ owner: owner.key, fetchedAt: stored.updatedAt }, 'every photo source failed; serving the stored photo');
  }

  /**
   * The stored photo, or what the sources have when the owner has no photo of its own and
   * none fetched recently. An uploaded or imported photo is the operator's word and is never
   * replaced. When every source fails, a photo fetched earlier is served stale rather than nothing.
   */
  private async fromSources(owner: PhotoOwner, stored: StoredPhotoInfo | undefined): Promise<Lookup> {
    const sources = this.sources;
    const asStored: Lookup = { photo: stored ?? null };
    if (!sources?.upstream.servesKind(owner.kind)) return asStored;
    if (stored && !sources.upstream.isUpstream(stored.source)) return asStored;
    if (stored && !this.isDue(stored)) return asStored;
    const reference = await referenceOf(this.store, owner);
    if (!reference) return asStored;
    const result = await sources.upstream.find(reference);
    if (result.kind === 'failed') {
      if (stored) this.servedStale(owner, stored);
      return { ...asStored, failed: result.failure };
    }
    const fetched = result.kind === 'photo' ? { photo: result.photo, source: result.source } : null;
    // "No photo" over nothing stored changes nothing, since the store keeps no record of a
    // "no photo" (no row, not even when the sources were asked): no write is tried. One would
    // only take the write lock, and a store taking no writes (a standby, a read-only file)
    // would refuse it, leaving the answer believed as briefly as an unrecorded one instead of
    // the no-photo TTL. The read below, as after a record that found another photo, serves an upload made meanwhile.
    const recorded = fetched || stored ? await this.record(owner, fetched, stored) : false;
    if (recorded === REFUSED) return unrecorded(fetched);
    // The sources may take seconds: a photo uploaded or imported meanwhile is kept, and served.
    if (!recorded) return { photo: (await this.store.getPhotoInfo(owner)) ?? null };
    if (!fetched) return { photo: null };
    const { sha256, width, height } = fetched.photo;
    return { photo: { sha256, width, height, source: fetched.source } };
  }

  /**
   * Records what the sources answered in place of the photo read before (`recordFetchedPhoto`);
   * REFUSED when the store takes no writes now (read-only, full, its file replaced, busy past
   * its wait), which leaves the answer in hand to serve. Any other failure is thrown.
   */
  private async record(owner: PhotoOwner, fetched: FetchedPhoto | null, read: StoredPhotoInfo | undefined): Promise<boolean | typeof REFUSED> {
    try {
      const recorded = await this.store.recordFetchedPhoto(owner, fetched, read);
      this.refusalsLogged.delete(owner.key);
      return recorded;
    } catch (error) {
      if (!storeRefusedWrite(error)) throw error;
      this.logRefusal(owner, error);
      return REFUSED;
    }
  }

  /** Once per owner and cause until a record for them succeeds: an outage of the store would otherwise log every request. */
  private logRefusal(owner: PhotoOwner, refusal: BridgeError): void {
    const logged = this.refusalsLogged.get(owner.key) ?? new Set<string>();
    if (logged.has(refusal.message)) return;
    this.refusalsLogged.set(owner.key, logged.add(refusal.message));
    this.log?.warn({ owner: owner.key, reason: refusal.message }, 'the store took no write of a photo fetched from a source; serving what the source answered');
  }

  /** Keyed by the original actually read, like `render`, so a photo replaced meanwhile cannot land under the old key. */
  private async convert(owner: PhotoOwner, photo: ServedPhoto, size: PhotoSize, conversion: ImageConversion): Promise<Rendition | null> {
    const original = photo.held ?? (await this.store.getPhoto(owner));
    if (!original) return null;
    const sized = this.renditions.get(this.renditionKey(original, size)) ?? (await renderPhoto(original, size, this.limits.jpegQuality, this.fitOf(original)));
    const converted = await convertRendition(sized, conversion, this.limits.jpegQuality);
    this.cacheFor(conversion).set(this.renditionKey(original, size, conversion), converted);
    return converted;
  }

  /**
   * The image for an owner without a photo, as `ifBlank` asks: square at the requested
   * size, fitted into the conversion's box; none for Null. Placeholders are keyed by what
   * they show (placeholder.ts), so a rename that changes the initials or colour draws a
   * new one, and the many names that share a look share one drawing.
   */
  private async placeholder(owner: PhotoOwner, size: PhotoSize, { conversion, ifBlank }: ConversionRequest, turn: Turn): Promise<Rendition | null> {
    if (ifBlank === 'Null') return null;
    const kind = ifBlank === 'Default' ? 'SrNoPhoto' : ifBlank;
    const name = kind === 'SrNoPhoto' || kind === 'SrNoPhotoWithBorder' ? await ownerName(this.store, owner) : '';
    const side = Math.min(size, conversion.width ?? size, conversion.height ?? size);
    const look = placeholderLook(kind, name);
    const key = `blank:${lookName(look)}:${side}:${conversion.type}`;
    return (
      this.variants.get(key) ??
      this.renderFlights.run(key, async () => {
        const rendition = await turn(() => renderPlaceholder(look, side, conversion.type, this.limits.jpegQuality));
        this.variants.set(key, rendition);
        return rendition;
      })
    );
  }

  private async render(owner: PhotoOwner, photo: ServedPhoto, size: PhotoSize): Promise<Rendition | null> {
    const original = photo.held ?? (await this.store.getPhoto(owner));
    if (!original) return null;
    const rendition = await renderPhoto(original, size, this.limits.jpegQuality, this.fitOf(original));
    if (rendition.bytes !== original.bytes) this.stats.resizes++;
    this.renditions.set(this.renditionKey(original, size), rendition);
    return rendition;
  }

  /**
   * Whether `tag` is, character for character, an ETag this service serves for one of the
   * photo's renditions: any size, plain or converted. What a change's If-Match may name: the
   * strong comparison of RFC 9110 §13.1.1, over every representation of the one photo; a tag
   * that only begins as one does (`"<hash>-NEVER-SERVED"`) names none.
   */
  servesEtag(photo: PhotoFingerprint & { source: string }, tag: string): boolean {
    const fit = this.fitOf(photo);
    return PHOTO_SIZES.some((size) => {
      const side = servedSide(photo, size, fit);
      const plain = photoEtag(photo, side, fit, this.limits.jpegQuality);
      if (tag === plain) return true;
      const conversion = conversionOfTag(tag.slice(plain.length, -1));
      const within = conversion && withinSide(conversion, side);
      return within !== undefined && changesImage(within) && convertedEtag(plain, within) === tag;
    });
  }

  /**
   * The conversion as it changes this photo at `size`: a width or height no smaller than the
   * side served bounds nothing (nothing is upscaled), so it is dropped, and what is left may be
   * the plain rendition — its bytes, ETag and cache entry. The query dropped only those no
   * smaller than the size code: `w=450` of a 400 px photo at HR648x648 was encoded again.
   */
  private within(photo: PhotoFingerprint & { source: string }, size: PhotoSize, conversion: ImageConversion | undefined): ImageConversion | undefined {
    return conversion && withinSide(conversion, servedSide(photo, size, this.fitOf(photo)));
  }

  private fitOf(photo: { source: string }): PhotoFit {
    return this.sources?.upstream.fitOf(photo.source) ?? 'square';
  }

  /** Keyed by content and shape, so a rendition never goes stale and needs no invalidation. */
  private renditionKey(photo: PhotoFingerprint & { source: string }, size: PhotoSize, conversion?: ImageConversion): string {
    const fit = this.fitOf(photo);
    return withConversion(`${photo.sha256}:${fit}:${servedSide(photo, size, fit)}`, conversion);
  }

  /** The same key, its plain part remembered in the photo's state. */
  private renditionKeyOf(photo: ServedPhoto, known: Map<PhotoSize, string>, size: PhotoSize, conversion?: ImageConversion): string {
    let sized = known.get(size);
    if (sized === undefined) {
      sized = this.renditionKey(photo, size);
      known.set(size, sized);
    }
    return withConversion(sized, conversion);
  }
}

/**
 * A photo the store does not keep (another order's, or one the store took no write of),
 * held in memory with the state that serves it.
 */
function heldPhoto(photo: NormalizedPhoto, source: string): ServedPhoto {
  const { sha256, width, height } = photo;
  return { sha256, width, height, source, held: { ...photo, source, updatedAt: new Date().toISOString() } };
}

/**
 * What the sources answered, when the store took no write of it: the photo held, as a size's
 * own order holds one; or "no photo", though the photo fetched earlier stays stored until the
 * store takes the removal — the source's word is the newer, and someone who took their photo
 * down must not see it come back because the bridge's disk is full.
 */
function unrecorded(fetched: FetchedPhoto | null): Lookup {
  return { photo: fetched && heldPhoto(fetched.photo, fetched.source), unrecorded: true };
}

function withConversion(sizedKey: string, conversion: ImageConversion | undefined): string {
  return conversion && changesImage(conversion) ? `${sizedKey}:${conversionTag(conversion)}` : sizedKey;
}

function sizeStateKey(owner: PhotoOwner, size: PhotoSize): string {
  return `${owner.key}@${size}`;
}

/** How long what stands in for a failed lookup is believed (see loadState). */
const FAILED_LOOKUP_TTL_MS = 5_000;

/** What `record` says when the store took no write (storeRefusedWrite). */
const REFUSED = Symbol('the store took no write');

interface LastHit {
  ownerKey: string;
  size: PhotoSize;
  /** The very conversion object asked with: a URL's parsed form is remembered, so a poll passes the same one. */
  conversion: ImageConversion | undefined;
  rendition: Rendition;
  /** When its state is due (the caches' clock). */
  until: number;
}

/** What `find` says when a source failed for now (a transient failure) and nothing stands in. */
const FAILING_FOR_NOW = Symbol('a photo source is failing for now');

/** What an entry of the rendition caches costs besides its bytes (key, object, buffer header), counted against their byte bounds. */
const ENTRY_OVERHEAD_BYTES = 512;
