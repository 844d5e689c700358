import Database from 'better-sqlite3';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { DirectoryUser } from '../../src/domain/directory.js';
import { isRenditionOf, type Rendition } from '../../src/domain/photo.js';
import type { ImageLimits } from '../../src/photos/image-limits.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { PhotoService, type Turn, type PhotoCacheLimits } from '../../src/photos/photo-service.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { userOwner, type PhotoOwner } from '../../src/domain/photo-owner.js';
import { makeReadOnly } from '../support/read-only-file.js';
import { rejectionOf } from '../support/rejection.js';
import { createLogger } from '../../src/logger.js';
import { UpstreamPhotos } from '../../src/photos/upstream-photos.js';
import { NO_PHOTO, type PhotoSource } from '../../src/sources/photo-source.js';
import { BridgeError } from '../../src/domain/errors.js';

const LIMITS: ImageLimits = { maxInputBytes: 10 * 1024 * 1024, maxInputPixels: 40_000_000, jpegQuality: 85 };
const CACHE: PhotoCacheLimits = { maxEntries: 1000, maxBytes: 64 * 1024 * 1024, noPhotoTtlMs: 60_000 };

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CAROL = 'carol@example.com'; // never has a photo unless a test gives her one
const NOBODY = 'nobody@example.com'; // not in the directory

function user(email: string): DirectoryUser {
  return { email, displayName: email.split('@')[0]!, refs: {} };
}

/** A distinct photo-like image per seed: its own background colour and marker position. */
async function image(seed: number, width = 700, height = 700): Promise<Buffer> {
  const background = { r: (seed * 67) % 256, g: (seed * 131 + 40) % 256, b: (seed * 29 + 90) % 256 };
  const marker = Math.max(1, Math.floor(width / 5));
  return sharp({ create: { width, height, channels: 3, background } })
    .composite([
      {
        input: { create: { width: marker, height: marker, channels: 3, background: '#ffffff' } },
        left: (seed * 37) % (width - marker),
        top: (seed * 53) % (height - marker),
      },
    ])
    .png()
    .toBuffer();
}

/** How long the tests' photo services believe a failed lookup. */
const FAILED_LOOKUP_TTL_MS = 100;

function expectRendition(rendition: Rendition | null): Rendition {
  expect(rendition).to.not.equal(null);
  return rendition!;
}

/** An upstream that fails until told what to answer: image bytes, or null for "no photo". */
function flaky(): PhotoSource & { answer?: Buffer | null; calls: number } {
  const source: PhotoSource & { answer?: Buffer | null; calls: number } = {
    name: 'hr',
    calls: 0,
    accepts: () => true,
    fetch: () => {
      source.calls++;
      if (source.answer === undefined) return Promise.reject(new Error('hr answered 503'));
      return Promise.resolve(source.answer ? { kind: 'photo' as const, bytes: source.answer } : NO_PHOTO);
    },
    check: () => Promise.resolve([]),
  };
  return source;
}

describe('PhotoService', () => {
  let dir: string;
  let databasePath: string;
  let store: SqliteStore;
  /** The time the photo services below believe their lookups by: tests move it on instead of waiting. Not 0, which lru-cache takes for "no start time". */
  let now = 1000;
  const timePasses = (ms: number) => (now += ms);

  function service(cache: Partial<PhotoCacheLimits> = {}): PhotoService {
    return new PhotoService(store, LIMITS, { ...CACHE, ...cache });
  }

  it("keeps libvips' own operation cache off: the service keeps the renditions it made", async () => {
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#0078d4' } })
      .png()
      .toBuffer();
    expect(sharp.cache()).to.deep.include({ items: { current: 0, max: 0 } });
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'epb-photo-service-'));
    databasePath = join(dir, 'bridge.db');
    store = new SqliteStore(databasePath);
    await store.upsertUsers([ALICE, BOB, CAROL].map(user));
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('userPhoto', () => {
    it('returns null for a user not in the directory', async () => {
      expect(await service().photo(userOwner(NOBODY), 96)).to.equal(null);
    });

    it('returns null for a user without a photo', async () => {
      expect(await service().photo(userOwner(CAROL), 96)).to.equal(null);
    });

    it('returns the photo set with setUserPhoto, at the size asked', async () => {
      const photos = service();
      const stored = await photos.setPhoto(userOwner(ALICE), await image(1), 'test');
      expect([stored.width, stored.height]).to.deep.equal([648, 648]);
      expect(stored.sha256).to.match(/^[0-9a-f]{64}$/);

      const rendition = expectRendition(await photos.photo(userOwner(ALICE), 96));
      expect([rendition.width, rendition.height]).to.deep.equal([96, 96]);
      expect(rendition.contentType).to.equal('image/jpeg');
      expect(rendition.etag).to.equal(`"${stored.sha256.slice(0, 32)}-96x96"`);
      const metadata = await sharp(rendition.bytes).metadata();
      expect([metadata.format, metadata.width, metadata.height]).to.deep.equal(['jpeg', 96, 96]);
    });

    it('makes what no cache holds in the caller’s turn (resizes, conversions, placeholders), and answers what it holds without one', async () => {
      const photos = service();
      await photos.setPhoto(userOwner(ALICE), await image(1), 'test');
      let turns = 0;
      const turn: Turn = (make) => {
        turns++;
        return make();
      };
      expectRendition(await photos.photo(userOwner(ALICE), 96, undefined, turn));
      expectRendition(await photos.photo(userOwner(ALICE), 96, undefined, turn));
      const png = { conversion: { type: 'png' as const }, ifBlank: 'Null' as const };
      expectRendition(await photos.photo(userOwner(ALICE), 96, png, turn));
      expectRendition(await photos.photo(userOwner(CAROL), 96, { conversion: { type: 'png' }, ifBlank: 'SrNoPhoto' }, turn));
      expect(turns, 'a resize, a conversion, a placeholder').to.equal(3);
    });

    it('stores the normalised photo: the store holds what setUserPhoto reported', async () => {
      const photos = service();
      const stored = await photos.setPhoto(userOwner(ALICE), await image(2, 1000, 500), 'upload');
      const inStore = await store.getPhoto(userOwner(ALICE));
      expect(inStore).to.not.equal(undefined);
      expect(inStore!.sha256).to.equal(stored.sha256);
      expect([inStore!.width, inStore!.height]).to.deep.equal([648, 324]);
      expect(inStore!.source).to.equal('upload');
      expect((await sharp(inStore!.bytes).metadata()).format).to.equal('jpeg');
    });

    it('serves a square stored original itself at a size at or above it, without resizing', async () => {
      const photos = service();
      await photos.setPhoto(userOwner(ALICE), await image(3, 300, 300), 'test');
      const rendition = expectRendition(await photos.photo(userOwner(ALICE), 648));
      const inStore = await store.getPhoto(userOwner(ALICE));
      expect(rendition.bytes.equals(inStore!.bytes)).to.equal(true);
      expect([rendition.width, rendition.height]).to.deep.equal([300, 300]);
      expect(photos.stats.resizes).to.equal(0);
    });

    it('serves the largest square of a smaller non-square original, and keeps the original as stored', async () => {
      const photos = service();
      await photos.setPhoto(userOwner(ALICE), await image(3, 300, 200), 'test');
      const rendition = expectRendition(await photos.photo(userOwner(ALICE), 648));
      expect([rendition.width, rendition.height]).to.deep.equal([200, 200]);
      const inStore = await store.getPhoto(userOwner(ALICE));
      expect([inStore!.width, inStore!.height]).to.deep.equal([300, 200]);
    });

    it('collapses 50 concurrent requests on a cold cache into one store lookup and one resize', async () => {
      await store.setPhoto(userOwner(ALICE), await normalizePhoto(await image(4), LIMITS), 'test');
      const photos = service();
      const results = await Promise.all(Array.from({ length: 50 }, () => photos.photo(userOwner(ALICE), 96)));

      expect(photos.stats.storeLookups).to.equal(1);
      expect(photos.stats.resizes).to.equal(1);
      const first = expectRendition(results[0]!);
      for (const result of results) {
        expect(expectRendition(result).etag).to.equal(first.etag);
        expect(result!.bytes.equals(first.bytes)).to.equal(true);
      }
    });

    it('answers later requests from the cache', async () => {
      const photos = service();
      await photos.setPhoto(userOwner(ALICE), await image(5), 'test');
      const first = expectRendition(await photos.photo(userOwner(ALICE), 96));
      const lookups = photos.stats.storeLookups;
      const resizes = photos.stats.resizes;
      for (let i = 0; i < 5; i++) {
        expect(expectRendition(await photos.photo(userOwner(ALICE), 96)).etag).to.equal(first.etag);
      }
      expect(photos.stats.storeLookups).to.equal(lookups);
      expect(photos.stats.resizes).to.equal(resizes);
    });

    it('renders each size once, and a different size separately', async () => {
      const photos = service();
      await photos.setPhoto(userOwner(ALICE), await image(6), 'test');
      const small = expectRendition(await photos.photo(userOwner(ALICE), 48));
      const medium = expectRendition(await photos.photo(userOwner(ALICE), 120));
      await photos.photo(userOwner(ALICE), 48);
      await photos.photo(userOwner(ALICE), 120);
      expect(small.etag).to.not.equal(medium.etag);
      expect([small.width, medium.width]).to.deep.equal([48, 120]);
      expect(photos.stats.resizes).to.equal(2);
      expect(photos.stats.storeLookups).to.equal(1);
    });

    it('renders a photo shared by two users once (renditions are keyed by content)', async () => {
      const photos = service();
      const picture = await image(7);
      await photos.setPhoto(userOwner(ALICE), picture, 'test');
      await photos.setPhoto(userOwner(BOB), picture, 'test');
      const a = expectRendition(await photos.photo(userOwner(ALICE), 96));
      const b = expectRendition(await photos.photo(userOwner(BOB), 96));
      expect(b.etag).to.equal(a.etag);
      expect(photos.stats.resizes).to.equal(1);
      expect(photos.stats.storeLookups).to.equal(2);
    });
  });

  describe('invalidation', () => {
    it('serves a new photo with a new ETag right after setUserPhoto', async () => {
      const photos = service();
      await photos.setPhoto(userOwner(ALICE), await image(10), 'test');
      const before = expectRendition(await photos.photo(userOwner(ALICE), 96));

      const replaced = await photos.setPhoto(userOwner(ALICE), await image(11, 800, 400), 'test');
      const after = expectRendition(await photos.photo(userOwner(ALICE), 96));
      expect(after.etag).to.not.equal(before.etag);
      expect(after.etag).to.equal(`"${replaced.sha256.slice(0, 32)}-96x96"`);
      expect(after.bytes.equals(before.bytes)).to.equal(false);
      expect([after.width, after.height]).to.deep.equal([96, 96]);
      expect(photos.cachedPhoto(userOwner(ALICE), 96)?.etag).to.equal(after.etag);
    });

    it('does not let one user’s change drop another user’s cached state', async () => {
      const photos = service();
      await photos.setPhoto(userOwner(ALICE), await image(12), 'test');
      await photos.setPhoto(userOwner(BOB), await image(13), 'test');
      const bob = expectRendition(await photos.photo(userOwner(BOB), 96));
      await photos.setPhoto(userOwner(ALICE), await image(14), 'test');
      expect(photos.cachedPhoto(userOwner(BOB), 96)?.etag).to.equal(bob.etag);
    });

    it('caches "no photo": repeated requests do not ask the store again', async () => {
      const photos = service();
      expect(await photos.photo(userOwner(CAROL), 96)).to.equal(null);
      expect(photos.stats.storeLookups).to.equal(1);
      for (let i = 0; i < 5; i++) expect(await photos.photo(userOwner(CAROL), 96)).to.equal(null);
      expect(await photos.photo(userOwner(CAROL), 240)).to.equal(null);
      expect(photos.stats.storeLookups).to.equal(1);
      expect(photos.cachedPhoto(userOwner(CAROL), 96)).to.equal(null);
    });

    it('makes a photo visible at once after setUserPhoto, even when "no photo" was cached', async () => {
      const photos = service();
      expect(await photos.photo(userOwner(CAROL), 96)).to.equal(null);
      const stored = await photos.setPhoto(userOwner(CAROL), await image(15), 'test');
      const rendition = expectRendition(await photos.photo(userOwner(CAROL), 96));
      expect(rendition.etag).to.equal(`"${stored.sha256.slice(0, 32)}-96x96"`);
    });

    it('forgets "no photo" after noPhotoTtlMs, so a photo written behind its back appears', async () => {
      // Prepared first: normalising takes longer than a short TTL on a busy machine.
      const photo = await normalizePhoto(await image(16), LIMITS);
      const photos = service({ noPhotoTtlMs: 250, now: () => now });
      expect(await photos.photo(userOwner(CAROL), 96)).to.equal(null);
      // Written straight into the store, as another process (the CLI) would.
      expect(await store.setPhoto(userOwner(CAROL), photo, 'other process')).to.equal(true);

      expect(await photos.photo(userOwner(CAROL), 96), 'still believed within the TTL').to.equal(null);
      expect(photos.stats.storeLookups).to.equal(1);

      timePasses(300);
      const rendition = expectRendition(await photos.photo(userOwner(CAROL), 96));
      expect(rendition.etag).to.equal(`"${photo.sha256.slice(0, 32)}-96x96"`);
      expect(photos.stats.storeLookups).to.equal(2);
    });

    it('with noPhotoTtlMs 0 does not remember "no photo" at all', async () => {
      // BRIDGE_NO_PHOTO_TTL_SECONDS accepts 0, and the CLI builds its service with 0:
      // "remembered for 0 ms" must mean the store is asked every time, not "forever".
      const photos = service({ noPhotoTtlMs: 0, now: () => now });
      expect(await photos.photo(userOwner(CAROL), 96)).to.equal(null);
      const photo = await normalizePhoto(await image(17), LIMITS);
      await store.setPhoto(userOwner(CAROL), photo, 'other process');
      timePasses(20); // so that even a 1 ms TTL would have run out
      const rendition = await photos.photo(userOwner(CAROL), 96);
      expect(rendition, 'the photo written behind its back is seen').to.not.equal(null);
      expect(rendition!.etag).to.equal(`"${photo.sha256.slice(0, 32)}-96x96"`);
    });

    it('keeps a known photo until told: forget() and forgetAll() make a store change visible', async () => {
      const photos = service();
      await photos.setPhoto(userOwner(ALICE), await image(18), 'test');
      await photos.setPhoto(userOwner(BOB), await image(19), 'test');
      const aliceBefore = expectRendition(await photos.photo(userOwner(ALICE), 96));
      const bobBefore = expectRendition(await photos.photo(userOwner(BOB), 96));

      const aliceNew = await normalizePhoto(await image(20), LIMITS);
      const bobNew = await normalizePhoto(await image(21), LIMITS);
      await store.setPhoto(userOwner(ALICE), aliceNew, 'other process');
      await store.setPhoto(userOwner(BOB), bobNew, 'other process');
      expect(photos.cachedPhoto(userOwner(ALICE), 96)?.etag, 'not yet told').to.equal(aliceBefore.etag);

      photos.forget(userOwner(ALICE));
      expect(photos.cachedPhoto(userOwner(ALICE), 96)).to.equal(undefined);
      expect(expectRendition(await photos.photo(userOwner(ALICE), 96)).etag).to.equal(`"${aliceNew.sha256.slice(0, 32)}-96x96"`);
      expect(photos.cachedPhoto(userOwner(BOB), 96)?.etag, 'forget() is for one person').to.equal(bobBefore.etag);

      photos.forgetAll();
      expect(photos.cachedPhoto(userOwner(BOB), 96)).to.equal(undefined);
      expect(expectRendition(await photos.photo(userOwner(BOB), 96)).etag).to.equal(`"${bobNew.sha256.slice(0, 32)}-96x96"`);
    });
  });

  it("never answers one owner with another's photo: two who share a photo, one of them changed elsewhere, asked at once", async () => {
    await store.upsertUsers([user(CAROL)]);
    const shared = await normalizePhoto(await image(50), LIMITS);
    await store.setPhoto(userOwner(ALICE), shared, 'test');
    await store.setPhoto(userOwner(CAROL), shared, 'test');
    const photos = service();
    await photos.photo(userOwner(ALICE), 96);
    await photos.photo(userOwner(CAROL), 96);
    // Changed by another process or replica (the CLI's photo set): this service has not heard of it yet.
    const changed = await normalizePhoto(await image(51), LIMITS);
    await store.setPhoto(userOwner(ALICE), changed, 'test');
    for (const [size, request] of [
      [240, undefined],
      [120, { conversion: { width: 100, type: 'png' as const }, ifBlank: 'Null' as const }],
    ] as const) {
      const [alice, carol] = await Promise.all([photos.photo(userOwner(ALICE), size, request), photos.photo(userOwner(CAROL), size, request)]);
      expect(expectRendition(carol).etag, `Carol's own photo at ${size}`).to.include(shared.sha256.slice(0, 32));
      expect(expectRendition(alice).etag, `Alice's at ${size}`).to.include(changed.sha256.slice(0, 32));
    }
  });

  describe('invalidation against a store that answers asynchronously', () => {
    /**
     * The Store interface is asynchronous so that a networked store (PostgreSQL) can
     * stand behind it. This one reads at once but answers fingerprint look-ups only
     * when the test opens the gate, as a slow network round trip would.
     */
    class SlowStore extends SqliteStore {
      gate: Promise<void> | undefined;
      override async getPhotoInfo(owner: PhotoOwner) {
        const fingerprint = await super.getPhotoInfo(owner);
        if (this.gate) await this.gate;
        return fingerprint;
      }
    }

    it('a look-up that started before setUserPhoto does not pin the old photo afterwards', async () => {
      const slow = new SlowStore(join(dir, 'slow.db'));
      try {
        await slow.upsertUsers([user(ALICE)]);
        const photos = new PhotoService(slow, LIMITS, CACHE);
        await photos.setPhoto(userOwner(ALICE), await image(70), 'test');
        const old = expectRendition(await photos.photo(userOwner(ALICE), 96));
        photos.forgetAll(); // as the change watcher does; the old rendition stays cached by content

        let open!: () => void;
        slow.gate = new Promise((resolve) => (open = resolve));
        const inFlight = photos.photo(userOwner(ALICE), 96); // reads the old fingerprint, then waits
        const replaced = await photos.setPhoto(userOwner(ALICE), await image(71), 'test');
        open();
        slow.gate = undefined;
        await inFlight; // may be the old photo: it was asked for before the change

        const next = expectRendition(await photos.photo(userOwner(ALICE), 96));
        expect(next.etag, 'the next request after setUserPhoto sees the new photo').to.equal(`"${replaced.sha256.slice(0, 32)}-96x96"`);
        expect(next.etag).to.not.equal(old.etag);
      } finally {
        await slow.close();
      }
    });
  });

  describe('setUserPhoto and removeUserPhoto', () => {
    it('removeUserPhoto removes it: null afterwards, true then false', async () => {
      const photos = service();
      await photos.setPhoto(userOwner(ALICE), await image(30), 'test');
      expectRendition(await photos.photo(userOwner(ALICE), 96));

      expect(await photos.removePhoto(userOwner(ALICE))).to.equal(true);
      expect(await photos.photo(userOwner(ALICE), 96)).to.equal(null);
      expect(await photos.photo(userOwner(ALICE), 648)).to.equal(null);
      expect(await store.getPhoto(userOwner(ALICE))).to.equal(undefined);
      expect(await photos.removePhoto(userOwner(ALICE))).to.equal(false);
    });

    it('removeUserPhoto of a user without a photo returns false', async () => {
      expect(await service().removePhoto(userOwner(CAROL))).to.equal(false);
      expect(await service().removePhoto(userOwner(NOBODY))).to.equal(false);
    });

    it('setUserPhoto for a user not in the directory throws 404 and stores nothing', async () => {
      const photos = service();
      const error = await rejectionOf(photos.setPhoto(userOwner(NOBODY), await image(31), 'test'));
      expect(error.httpStatus).to.equal(404);
      expect(error.responseCode).to.equal('ErrorItemNotFound');
      expect(error.message).to.include(NOBODY);

      expect(await store.getPhoto(userOwner(NOBODY))).to.equal(undefined);
      expect(await photos.photo(userOwner(NOBODY), 96)).to.equal(null);
      const db = new Database(databasePath, { readonly: true });
      try {
        expect(db.prepare('SELECT count(*) AS n FROM user_photos').get()).to.deep.equal({ n: 0 });
      } finally {
        db.close();
      }
    });

    it('setUserPhoto with an unusable image throws 422 and keeps the previous photo', async () => {
      const photos = service();
      await photos.setPhoto(userOwner(ALICE), await image(32), 'test');
      const before = expectRendition(await photos.photo(userOwner(ALICE), 96));

      const error = await rejectionOf(photos.setPhoto(userOwner(ALICE), Buffer.from('not an image'), 'test'));
      expect(error.httpStatus).to.equal(422);
      expect(error.responseCode).to.equal('ErrorInvalidImage');
      expect(expectRendition(await photos.photo(userOwner(ALICE), 96)).etag).to.equal(before.etag);
      photos.forgetAll();
      expect(expectRendition(await photos.photo(userOwner(ALICE), 96)).etag, 'in the store too').to.equal(before.etag);
    });

    it('setUserPhoto refuses an image over the byte limit with 413', async () => {
      const photos = new PhotoService(store, { ...LIMITS, maxInputBytes: 1024 }, CACHE);
      const error = await rejectionOf(photos.setPhoto(userOwner(ALICE), await image(33), 'test'));
      expect(error.httpStatus).to.equal(413);
      expect(await store.getPhoto(userOwner(ALICE))).to.equal(undefined);
    });
  });

  describe('cache', () => {
    it('cachedUserPhoto is undefined before the first load and the rendition after', async () => {
      await store.setPhoto(userOwner(ALICE), await normalizePhoto(await image(40), LIMITS), 'test');
      const photos = service();
      expect(photos.cachedPhoto(userOwner(ALICE), 96)).to.equal(undefined);

      const loaded = expectRendition(await photos.photo(userOwner(ALICE), 96));
      const cached = photos.cachedPhoto(userOwner(ALICE), 96);
      expect(cached).to.not.equal(undefined);
      expect(cached).to.not.equal(null);
      expect(cached!.etag).to.equal(loaded.etag);
      expect(cached!.bytes.equals(loaded.bytes)).to.equal(true);
      expect(photos.cachedPhoto(userOwner(ALICE), 240), 'another size is not rendered yet').to.equal(undefined);
    });

    it('keeps new boxes apart: however many a client asks for, the plain photos and their formats stay cached', async () => {
      await store.setPhoto(userOwner(ALICE), await normalizePhoto(await image(41), LIMITS), 'test');
      const photos = service({ maxEntries: 8 });
      await photos.photo(userOwner(ALICE), 96);
      await photos.photo(userOwner(ALICE), 48);
      // What a browser's Accept picks for the directory page: a format, no box.
      await photos.photo(userOwner(ALICE), 96, { conversion: { type: 'avif' }, ifBlank: 'Null' });
      for (let width = 10; width < 40; width++) {
        await photos.photo(userOwner(ALICE), 96, { conversion: { width, type: 'png' }, ifBlank: 'Null' });
      }
      expect(photos.cachedPhoto(userOwner(ALICE), 96), 'the plain 96').to.not.equal(undefined);
      expect(photos.cachedPhoto(userOwner(ALICE), 48), 'the plain 48').to.not.equal(undefined);
      expect(photos.cachedPhoto(userOwner(ALICE), 96, { type: 'avif' }), 'the browser’s AVIF 96').to.not.equal(undefined);
      // The new boxes were held in their own quarter of the bound: the last two of them.
      expect(photos.renditionCache.entries).to.equal(5);
      expect(photos.cachedPhoto(userOwner(ALICE), 96, { width: 39, type: 'png' })).to.not.equal(undefined);
    });

    it('keeps "no photo" for made-up addresses apart: a flood of them leaves real people’s photos known', async () => {
      await store.setPhoto(userOwner(ALICE), await normalizePhoto(await image(42), LIMITS), 'test');
      const photos = service({ maxEntries: 8 });
      await photos.photo(userOwner(ALICE), 96);
      for (let i = 0; i < 40; i++) expect(await photos.photo(userOwner(`made.up.${i}@example.com`), 96)).to.equal(null);
      const lookups = photos.stats.storeLookups;
      expect(photos.cachedPhoto(userOwner(ALICE), 96), 'still known and rendered').to.not.equal(undefined);
      await photos.photo(userOwner(ALICE), 96);
      expect(photos.stats.storeLookups, 'no store read for her again').to.equal(lookups);
    });

    it('cachedUserPhoto is null for a known "no photo"', async () => {
      const photos = service();
      expect(photos.cachedPhoto(userOwner(CAROL), 96)).to.equal(undefined);
      await photos.photo(userOwner(CAROL), 96);
      expect(photos.cachedPhoto(userOwner(CAROL), 96)).to.equal(null);
    });

    it('is bounded by bytes: the earliest renditions are evicted and rendered again', async () => {
      const users = Array.from({ length: 8 }, (_, i) => `user${i}@example.com`);
      await store.upsertUsers(users.map(user));
      for (const [i, email] of users.entries()) {
        await store.setPhoto(userOwner(email), await normalizePhoto(await image(50 + i), LIMITS), 'test');
      }
      const maxBytes = 4000;
      const photos = service({ maxBytes });

      const sizes: number[] = [];
      for (const email of users) sizes.push(expectRendition(await photos.photo(userOwner(email), 96)).bytes.length);
      expect(Math.max(...sizes), 'precondition: each rendition fits the cache').to.be.below(maxBytes);
      expect(
        sizes.reduce((a, b) => a + b, 0),
        'precondition: all of them do not',
      ).to.be.above(maxBytes);
      expect(photos.stats.resizes).to.equal(users.length);

      // The last one fetched is still cached...
      const last = users[users.length - 1]!;
      expect(photos.cachedPhoto(userOwner(last), 96)).to.not.equal(undefined);
      await photos.photo(userOwner(last), 96);
      expect(photos.stats.resizes).to.equal(users.length);

      // ...the first one was evicted: it is rendered again (its state is still known).
      const first = users[0]!;
      expect(photos.cachedPhoto(userOwner(first), 96)).to.equal(undefined);
      const lookups = photos.stats.storeLookups;
      await photos.photo(userOwner(first), 96);
      expect(photos.stats.resizes).to.equal(users.length + 1);
      expect(photos.stats.storeLookups).to.equal(lookups);
    });

    it('is bounded by entries', async () => {
      const users = [ALICE, BOB, CAROL];
      for (const [i, email] of users.entries()) {
        await store.setPhoto(userOwner(email), await normalizePhoto(await image(60 + i), LIMITS), 'test');
      }
      const photos = service({ maxEntries: 2 });
      for (const email of users) await photos.photo(userOwner(email), 96);
      expect(photos.stats.resizes).to.equal(3);
      expect(photos.cachedPhoto(userOwner(ALICE), 96), 'the first is evicted').to.equal(undefined);
      expect(photos.cachedPhoto(userOwner(CAROL), 96), 'the last is kept').to.not.equal(undefined);

      await photos.photo(userOwner(ALICE), 96);
      expect(photos.stats.resizes).to.equal(4);
      expect(photos.stats.storeLookups).to.equal(4);
    });
  });

  describe('when the sources fail', () => {
    const withSource = (hr: PhotoSource) =>
      new PhotoService(
        store,
        LIMITS,
        { ...CACHE, failedLookupTtlMs: FAILED_LOOKUP_TTL_MS, now: () => now },
        { upstream: new UpstreamPhotos({ user: [hr], contact: [] }, (bytes) => normalizePhoto(bytes, LIMITS), createLogger('silent')), refreshMs: 60_000 },
      );
    const placeholder = { conversion: { type: 'png' as const }, ifBlank: 'SrNoPhoto' as const };

    it('answers a failed lookup with "try again", believed only briefly: once the source answers again, so does the photo', async () => {
      const hr = flaky();
      const photos = withSource(hr);
      const unanswered = { responseCode: 'ErrorServerBusy', httpStatus: 503, retryAfterSeconds: 1 };
      expect(await rejectionOf(photos.photo(userOwner(ALICE), 96))).to.include(unanswered);
      hr.answer = await image(40);
      // Remembered for a moment, so that a source failing for this one person is not asked on every request…
      expect(photos.cachedPhoto(userOwner(ALICE), 96), 'not a cached "no photo"').to.equal(undefined);
      expect(await rejectionOf(photos.photo(userOwner(ALICE), 96))).to.include(unanswered);
      expect(hr.calls).to.equal(1);
      timePasses(FAILED_LOOKUP_TTL_MS + 50);
      // …but not for BRIDGE_NO_PHOTO_TTL_SECONDS.
      expect(expectRendition(await photos.photo(userOwner(ALICE), 96))).to.include({ width: 96, height: 96 });
      expect(hr.calls).to.equal(2);

      // A real "no photo" is believed for its whole TTL.
      hr.answer = null;
      expect(await photos.photo(userOwner(BOB), 96)).to.equal(null);
      hr.answer = await image(41);
      timePasses(FAILED_LOOKUP_TTL_MS + 50);
      expect(await photos.photo(userOwner(BOB), 96)).to.equal(null);
      expect(hr.calls).to.equal(3);
    });

    it('answers a photo polled from memory only while nothing changed: looked up again once its state is due, and after a forget', async () => {
      const hr = flaky();
      const photos = withSource(hr);
      hr.answer = await image(44);
      const first = expectRendition(await photos.photo(userOwner(ALICE), 96));
      expect(photos.cachedPhoto(userOwner(ALICE), 96)).to.equal(first);
      expect(photos.cachedPhoto(userOwner(ALICE), 96), 'asked again at once').to.equal(first);
      timePasses(59_999);
      expect(photos.cachedPhoto(userOwner(ALICE), 96), 'within refreshMs').to.equal(first);
      timePasses(2);
      expect(photos.cachedPhoto(userOwner(ALICE), 96), 'due for a refresh past refreshMs').to.equal(undefined);
      const lookups = photos.stats.storeLookups;
      expect(expectRendition(await photos.photo(userOwner(ALICE), 96)).etag).to.equal(first.etag);
      expect(photos.stats.storeLookups, 'looked up again').to.equal(lookups + 1);
      expect(photos.cachedPhoto(userOwner(ALICE), 96)?.etag).to.equal(first.etag);
      photos.forget(userOwner(ALICE));
      expect(photos.cachedPhoto(userOwner(ALICE), 96), 'forgotten').to.equal(undefined);
    });

    it('marks the placeholder drawn for a failed lookup, and not the one for a real "no photo"', async () => {
      const hr = flaky();
      const photos = withSource(hr);
      expect(expectRendition(await photos.photo(userOwner(ALICE), 96, placeholder)).sourcesFailed).to.equal(true);
      hr.answer = null;
      expect(expectRendition(await photos.photo(userOwner(BOB), 96, placeholder)).sourcesFailed).to.equal(undefined);
    });

    it('serves a stale photo while the source fails, believing it only briefly: the new photo follows once the source is back', async () => {
      const hr = flaky();
      const photos = withSource(hr);
      hr.answer = await image(42);
      const first = expectRendition(await photos.photo(userOwner(ALICE), 96));
      const db = new Database(databasePath);
      try {
        db.prepare("UPDATE user_photos SET updated_at = '2000-01-01T00:00:00.000Z'").run();
      } finally {
        db.close();
      }
      photos.forgetAll();
      hr.answer = undefined;
      expect(expectRendition(await photos.photo(userOwner(ALICE), 96)).etag).to.equal(first.etag);
      expect(photos.stats.staleServed).to.equal(1);
      hr.answer = await image(43);
      timePasses(FAILED_LOOKUP_TTL_MS + 50);
      expect(expectRendition(await photos.photo(userOwner(ALICE), 96)).etag).to.not.equal(first.etag);
      expect(hr.calls).to.equal(3);
    });
  });

  describe('when the store takes no writes', () => {
    const withSource = (on: SqliteStore, hr: PhotoSource, lines: string[] = [], refreshMs = 60_000) =>
      new PhotoService(
        on,
        LIMITS,
        { ...CACHE, failedLookupTtlMs: FAILED_LOOKUP_TTL_MS, now: () => now },
        { upstream: new UpstreamPhotos({ user: [hr], contact: [] }, (bytes) => normalizePhoto(bytes, LIMITS), createLogger('silent')), refreshMs },
        createLogger('info', { write: (line: string) => void lines.push(line) }),
      );
    const refusalsLogged = (lines: string[]) =>
      lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.msg === 'the store took no write of a photo fetched from a source; serving what the source answered');
    const READ_ONLY = 'the store is read-only (a SQLite file this user may not write?); nothing was changed';
    /**
     * SQLITE_READONLY on the store's own connection, and back, as admin-photo.test.ts does: "any attempt to CREATE,
     * DELETE, DROP, INSERT, or UPDATE will cause an SQLITE_READONLY error" (https://www.sqlite.org/pragma.html#pragma_query_only).
     * A connection opened on a file it may not write stays read-only until opened again: SQLITE_OPEN_READWRITE opens
     * it "for reading and writing if possible, or reading only if the file is write protected" (https://www.sqlite.org/c3ref/open.html).
     */
    const takingWrites = (on: SqliteStore, writes: boolean) => (on as unknown as { db: Database.Database }).db.pragma(`query_only = ${!writes}`);
    /** The write transactions the store has tried, refused ones too. */
    const writesOf = (on: SqliteStore) => (on as unknown as { writes: number }).writes;

    it("serves the source's photo from memory while the store's file may not be written, without a row; one warning per person and cause", async () => {
      const hr = flaky();
      hr.answer = await image(60);
      const fetched = await normalizePhoto(hr.answer, LIMITS);
      const writable = makeReadOnly(databasePath);
      const readOnly = new SqliteStore(databasePath);
      try {
        const lines: string[] = [];
        const photos = withSource(readOnly, hr, lines);
        // 648: the normalised photo itself, not resized.
        expect(expectRendition(await photos.photo(userOwner(ALICE), 648)).bytes.equals(fetched.bytes), "the source's bytes").to.equal(true);
        expect(await readOnly.getPhotoInfo(userOwner(ALICE))).to.equal(undefined);
        timePasses(FAILED_LOOKUP_TTL_MS + 50);
        expect(isRenditionOf(expectRendition(await photos.photo(userOwner(ALICE), 96)), fetched)).to.equal(true);
        expect(hr.calls, 'asked again, and refused again').to.equal(2);
        expect(await readOnly.getPhotoInfo(userOwner(ALICE))).to.equal(undefined);
        expectRendition(await photos.photo(userOwner(BOB), 96));
        expect(refusalsLogged(lines).map(({ level, owner, reason, ...rest }) => ({ level, owner, reason, more: Object.keys(rest).sort() }))).to.deep.equal(
          [ALICE, BOB].map((address) => ({ level: 40, owner: userOwner(address).key, reason: READ_ONLY, more: ['msg', 'service', 'time'] })),
        );
      } finally {
        await readOnly.close();
        writable();
      }
    });

    it('answers "no photo" over nothing stored without a write, believed for the whole no-photo TTL while another process holds the write lock', async () => {
      const hr = flaky();
      hr.answer = null;
      // A long import, say: it holds the write lock, and a write here is refused at once (no wait).
      const importer = new Database(databasePath);
      const busy = new SqliteStore(databasePath, { busyTimeoutMs: 0 });
      try {
        importer.exec('BEGIN IMMEDIATE');
        const lines: string[] = [];
        const photos = withSource(busy, hr, lines);
        const writesBefore = writesOf(busy);
        expect(await photos.photo(userOwner(CAROL), 96)).to.equal(null);
        timePasses(CACHE.noPhotoTtlMs - 1);
        expect(await photos.photo(userOwner(CAROL), 96)).to.equal(null);
        expect(hr.calls, 'believed for noPhotoTtlMs').to.equal(1);
        timePasses(2);
        expect(await photos.photo(userOwner(CAROL), 96)).to.equal(null);
        expect(hr.calls, 'asked again after it').to.equal(2);
        expect(writesOf(busy) - writesBefore, 'write transactions tried').to.equal(0);
        expect(refusalsLogged(lines)).to.deep.equal([]);
      } finally {
        importer.close();
        await busy.close();
      }
    });

    it('records the photo at the first request after the short while it is believed, once the store takes writes again', async () => {
      const hr = flaky();
      hr.answer = await image(61);
      const fetched = await normalizePhoto(hr.answer, LIMITS);
      const photos = withSource(store, hr);
      takingWrites(store, false);
      try {
        expect(isRenditionOf(expectRendition(await photos.photo(userOwner(ALICE), 96)), fetched)).to.equal(true);
        expect(await store.getPhotoInfo(userOwner(ALICE))).to.equal(undefined);
      } finally {
        takingWrites(store, true);
      }
      expect(isRenditionOf(expectRendition(await photos.photo(userOwner(ALICE), 96)), fetched)).to.equal(true);
      expect([hr.calls, await store.getPhotoInfo(userOwner(ALICE))], 'still believed').to.deep.equal([1, undefined]);
      timePasses(FAILED_LOOKUP_TTL_MS + 50);
      expect(isRenditionOf(expectRendition(await photos.photo(userOwner(ALICE), 96)), fetched)).to.equal(true);
      expect(hr.calls).to.equal(2);
      expect(await store.getPhotoInfo(userOwner(ALICE))).to.deep.include({ sha256: fetched.sha256, source: 'hr' });
    });

    it('answers "no photo" when the source says so and the store cannot remove the photo fetched earlier, and removes it once it can', async () => {
      const hr = flaky();
      hr.answer = null;
      await store.setPhoto(userOwner(ALICE), await normalizePhoto(await image(62), LIMITS), 'hr');
      // Due for a refresh at every lookup.
      const photos = withSource(store, hr, [], 0);
      takingWrites(store, false);
      try {
        expect(await photos.photo(userOwner(ALICE), 96)).to.equal(null);
        expect(await store.getPhotoInfo(userOwner(ALICE)), 'not removed').to.not.equal(undefined);
      } finally {
        takingWrites(store, true);
      }
      timePasses(FAILED_LOOKUP_TTL_MS + 50);
      expect(await photos.photo(userOwner(ALICE), 96)).to.equal(null);
      expect(hr.calls).to.equal(2);
      expect(await store.getPhotoInfo(userOwner(ALICE))).to.equal(undefined);
    });

    it('lets any other failure of the record through: only a store that takes no writes now is served around', async () => {
      const hr = flaky();
      hr.answer = await image(63);
      const db = new Database(databasePath);
      try {
        db.exec("CREATE TRIGGER refuse_photos BEFORE INSERT ON user_photos BEGIN SELECT RAISE(ABORT, 'photos refused by a trigger'); END");
      } finally {
        db.close();
      }
      const refused = await withSource(store, hr)
        .photo(userOwner(ALICE), 96)
        .then(
          () => expect.fail('expected the lookup to fail'),
          (error: Error) => error,
        );
      expect([refused instanceof BridgeError, refused.message]).to.deep.equal([false, 'photos refused by a trigger']);
    });
  });

  describe('a photo written while the sources are asked', () => {
    /** A source that answers only when the test lets it, and says when it has been asked. */
    function gated(answer: Buffer | null) {
      let asked!: () => void;
      let release!: () => void;
      const wasAsked = new Promise<void>((resolve) => (asked = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      const source: PhotoSource = {
        name: 'hr',
        accepts: () => true,
        fetch: async () => {
          asked();
          await released;
          return answer ? { kind: 'photo' as const, bytes: answer } : NO_PHOTO;
        },
        check: () => Promise.resolve([]),
      };
      return { source, wasAsked, release };
    }
    const withSource = (hr: PhotoSource, refreshMs = 60_000) =>
      new PhotoService(store, LIMITS, CACHE, {
        upstream: new UpstreamPhotos({ user: [hr], contact: [] }, (bytes) => normalizePhoto(bytes, LIMITS), createLogger('silent')),
        refreshMs,
      });

    for (const [answer, situation] of [
      ['a photo', 'with no photo stored'],
      ['no photo', 'with no photo stored'],
      ['no photo', 'over a stored photo of theirs, due for a refresh'],
    ] as const) {
      it(`keeps an upload made while the source is asked, which answers ${answer} ${situation}`, async () => {
        const hr = gated(answer === 'a photo' ? await image(50) : null);
        if (situation !== 'with no photo stored') await store.setPhoto(userOwner(ALICE), await normalizePhoto(await image(51), LIMITS), 'hr');
        const photos = withSource(hr.source, situation === 'with no photo stored' ? 60_000 : 0);
        const lookup = photos.photo(userOwner(ALICE), 96);
        await hr.wasAsked;
        const uploaded = await photos.setPhoto(userOwner(ALICE), await image(52), 'upload');
        hr.release();
        await lookup;
        expect(await store.getPhotoInfo(userOwner(ALICE))).to.deep.include({ sha256: uploaded.sha256, source: 'upload' });
        const served = expectRendition(await photos.photo(userOwner(ALICE), 96));
        expect(isRenditionOf(served, uploaded), 'served from the upload').to.equal(true);
      });
    }
  });

  describe('a size with an order of its own', () => {
    /** A directory-like upstream answering a 64x48 thumbnail per address, counting its calls. */
    function directory(thumbnails: Map<string, Buffer>): PhotoSource & { calls: number } {
      const source = {
        name: 'dir',
        keepsShape: true,
        calls: 0,
        accepts: () => true,
        fetch: (reference: { emails: string[] }) => {
          source.calls++;
          const bytes = thumbnails.get(reference.emails[0]!);
          return Promise.resolve(bytes ? { kind: 'photo' as const, bytes } : NO_PHOTO);
        },
        check: () => Promise.resolve([]),
      };
      return source;
    }
    const withOrders = (dir: PhotoSource, cache: Partial<PhotoCacheLimits> = {}) =>
      new PhotoService(
        store,
        LIMITS,
        { ...CACHE, now: () => now, ...cache },
        {
          upstream: new UpstreamPhotos(
            { user: [], contact: [], bySize: [{ size: 48, user: [dir, 'store'] }] },
            (bytes) => normalizePhoto(bytes, LIMITS),
            createLogger('silent'),
          ),
          refreshMs: 60_000,
        },
      );

    it('answers that size from the source in its own shape and the others from the store, and forget() drops both', async () => {
      const dir = directory(new Map([[ALICE, await image(30, 64, 48)]]));
      const photos = withOrders(dir);
      await photos.setPhoto(userOwner(ALICE), await image(31, 300, 200), 'upload');
      expect(expectRendition(await photos.photo(userOwner(ALICE), 48))).to.include({ width: 48, height: 36 });
      expect(expectRendition(await photos.photo(userOwner(ALICE), 96))).to.include({ width: 96, height: 96 });
      expect(dir.calls).to.equal(1);
      expect((await store.getPhotoInfo(userOwner(ALICE)))?.source, 'the held thumbnail is not stored').to.equal('upload');

      photos.forget(userOwner(ALICE));
      expect(photos.cachedPhoto(userOwner(ALICE), 48)).to.equal(undefined);
      expect(photos.cachedPhoto(userOwner(ALICE), 96)).to.equal(undefined);
    });

    it("makes a photo in its own shape in the caller's turn to tell what it is served as; a square one is told without one", async () => {
      const photos = withOrders(directory(new Map([[ALICE, await image(30, 64, 48)]])));
      await photos.setPhoto(userOwner(ALICE), await image(31, 300, 200), 'upload');
      const busy: Turn = () => Promise.reject(BridgeError.serverBusy('too many photos of yours are being made; try again shortly', 1));
      expect(await rejectionOf(photos.servedAt(userOwner(ALICE), 48, busy))).to.include({ responseCode: 'ErrorServerBusy' });
      expect(photos.cachedPhoto(userOwner(ALICE), 48)).to.equal(undefined);
      expect(await photos.servedAt(userOwner(ALICE), 96, busy)).to.include({ width: 96, height: 96 });
      expect(await photos.servedAt(userOwner(ALICE), 48, (make) => make())).to.include({ width: 48, height: 36 });
    });

    it('holds found photos within the byte limit: one let go is fetched again, never taken for "no photo"', async () => {
      const dir = directory(
        new Map([
          [ALICE, await image(32, 64, 48)],
          [BOB, await image(33, 64, 48)],
        ]),
      );
      const held = await normalizePhoto(await image(32, 64, 48), LIMITS);
      // Room for one held photo: holding Bob's lets Alice's go.
      const photos = withOrders(dir, { maxBytes: held.bytes.length + 200 });
      expect(expectRendition(await photos.photo(userOwner(ALICE), 48))).to.include({ width: 48, height: 36 });
      expect(expectRendition(await photos.photo(userOwner(BOB), 48))).to.include({ width: 48, height: 36 });
      expect(photos.cachedPhoto(userOwner(ALICE), 48)).to.equal(undefined);
      expect(expectRendition(await photos.photo(userOwner(ALICE), 48))).to.include({ width: 48, height: 36 });
      expect(dir.calls).to.equal(3);
    });

    it('answers a failed lookup for that size with "try again", believed only briefly', async () => {
      const hr = flaky();
      const photos = withOrders(hr, { failedLookupTtlMs: FAILED_LOOKUP_TTL_MS });
      expect(await rejectionOf(photos.photo(userOwner(ALICE), 48))).to.include({ responseCode: 'ErrorServerBusy', retryAfterSeconds: 1 });
      hr.answer = await image(44, 64, 48);
      timePasses(FAILED_LOOKUP_TTL_MS + 50);
      expect(expectRendition(await photos.photo(userOwner(ALICE), 48))).to.include({ width: 48, height: 48 });
      expect(hr.calls).to.equal(2);
    });

    it('serves the own photo while the source ahead of it fails, believing it only briefly: the source’s photo follows once it is back', async () => {
      const hr = flaky();
      const photos = withOrders(hr, { failedLookupTtlMs: FAILED_LOOKUP_TTL_MS });
      await photos.setPhoto(userOwner(ALICE), await image(45, 300, 200), 'upload');
      const own = expectRendition(await photos.photo(userOwner(ALICE), 48));
      hr.answer = await image(46, 64, 48);
      timePasses(FAILED_LOOKUP_TTL_MS + 50);
      expect(expectRendition(await photos.photo(userOwner(ALICE), 48)).etag).to.not.equal(own.etag);
      expect(hr.calls).to.equal(2);
    });

    it('serves a found photo too large to hold, without remembering it', async () => {
      const dir = directory(new Map([[ALICE, await image(34, 64, 48)]]));
      const photos = withOrders(dir, { maxBytes: 100 });
      expect(expectRendition(await photos.photo(userOwner(ALICE), 48))).to.include({ width: 48, height: 36 });
      expect(expectRendition(await photos.photo(userOwner(ALICE), 48))).to.include({ width: 48, height: 36 });
      expect(dir.calls).to.equal(2);
    });
  });
});
