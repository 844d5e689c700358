import { expect } from 'chai';
import sharp from 'sharp';
import { photoEtag, type StoredPhoto } from '../../src/domain/photo.js';
import { PHOTO_SIZES, type PhotoSize } from '../../src/domain/size-code.js';
import type { ImageLimits } from '../../src/photos/image-limits.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { renderPhoto } from '../../src/photos/resize.js';
import { samplePhoto } from '../support/sample-images.js';

const LIMITS: ImageLimits = { maxInputBytes: 10 * 1024 * 1024, maxInputPixels: 40_000_000, jpegQuality: 85 };
const QUALITY = 85;

/** A stored original as the pipeline keeps it, from a generated sample image. */
async function original(width: number, height: number): Promise<StoredPhoto> {
  const photo = await normalizePhoto(await samplePhoto(width, height), LIMITS);
  expect([photo.width, photo.height], 'precondition: original size').to.deep.equal([width, height]);
  return { ...photo, source: 'test', updatedAt: new Date(0).toISOString() };
}

describe('renderPhoto', () => {
  let square: StoredPhoto; // 648x648
  let landscape: StoredPhoto; // 648x432
  let small: StoredPhoto; // 200x150

  before(async () => {
    square = await original(648, 648);
    landscape = await original(648, 432);
    small = await original(200, 150);
  });

  describe('sizes', () => {
    for (const size of PHOTO_SIZES) {
      it(`renders a 648x648 original at ${size}x${size}`, async () => {
        const rendition = await renderPhoto(square, size, QUALITY);
        expect([rendition.width, rendition.height]).to.deep.equal([size, size]);
        expect(rendition.contentType).to.equal('image/jpeg');
        const metadata = await sharp(rendition.bytes).metadata();
        expect(metadata.format).to.equal('jpeg');
        expect([metadata.width, metadata.height], 'the bytes are really that size').to.deep.equal([size, size]);
      });
    }

    for (const size of PHOTO_SIZES) {
      it(`renders a 648x432 original with long side ${size}, keeping the aspect ratio`, async () => {
        const rendition = await renderPhoto(landscape, size, QUALITY);
        expect(rendition.width).to.equal(size);
        expect(rendition.height).to.be.closeTo((size * 2) / 3, 1);
        const metadata = await sharp(rendition.bytes).metadata();
        expect([metadata.width, metadata.height]).to.deep.equal([rendition.width, rendition.height]);
      });
    }

    it('renders a 648x432 original at HR96x96 as exactly 96x64', async () => {
      const rendition = await renderPhoto(landscape, 96, QUALITY);
      expect([rendition.width, rendition.height]).to.deep.equal([96, 64]);
    });

    it('renders a portrait original by its long side (432x648 at 96 → 64x96)', async () => {
      const portrait = await original(432, 648);
      const rendition = await renderPhoto(portrait, 96, QUALITY);
      expect([rendition.width, rendition.height]).to.deep.equal([64, 96]);
    });

    it('keeps the picture when resizing: the marker stays top-left', async () => {
      const rendition = await renderPhoto(square, 96, QUALITY);
      const { data, info } = await sharp(rendition.bytes).raw().toBuffer({ resolveWithObject: true });
      const at = (x: number, y: number) => data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3);
      const [r, g, b] = at(4, 4);
      expect(r).to.be.above(200);
      expect(g).to.be.below(60);
      expect(b).to.be.below(60);
      const [r2, , b2] = at(90, 90);
      expect(b2).to.be.above(r2! + 100);
    });

    it('serves a 648 original at 648 as its own bytes', async () => {
      const rendition = await renderPhoto(square, 648, QUALITY);
      expect(rendition.bytes.equals(square.bytes)).to.equal(true);
      expect([rendition.width, rendition.height]).to.deep.equal([648, 648]);
    });
  });

  describe('an original smaller than asked', () => {
    for (const size of [240, 360, 648] as const) {
      it(`returns the original bytes unchanged at ${size} (no upscaling, no re-encode)`, async () => {
        const rendition = await renderPhoto(small, size, QUALITY);
        expect(rendition.bytes.equals(small.bytes)).to.equal(true);
        expect([rendition.width, rendition.height]).to.deep.equal([200, 150]);
        expect(rendition.contentType).to.equal('image/jpeg');
      });
    }

    it('returns the original bytes when it is exactly the long side asked', async () => {
      const exact = await original(120, 80);
      const rendition = await renderPhoto(exact, 120, QUALITY);
      expect(rendition.bytes.equals(exact.bytes)).to.equal(true);
      expect([rendition.width, rendition.height]).to.deep.equal([120, 80]);
    });

    it('still downsizes it to a size below its own', async () => {
      const rendition = await renderPhoto(small, 96, QUALITY);
      expect(rendition.bytes.equals(small.bytes)).to.equal(false);
      expect([rendition.width, rendition.height]).to.deep.equal([96, 72]);
    });

    it('gives every size at or above the original the same ETag (same bytes)', async () => {
      const etags = await Promise.all(([240, 360, 432, 504, 648] as PhotoSize[]).map(async (size) => (await renderPhoto(small, size, QUALITY)).etag));
      expect(new Set(etags).size).to.equal(1);
      expect(etags[0]).to.equal(photoEtag(small, 200));
    });
  });

  describe('ETag', () => {
    it('is strong: quoted, not W/', async () => {
      for (const size of PHOTO_SIZES) {
        const { etag } = await renderPhoto(square, size, QUALITY);
        expect(etag).to.match(/^"[^"]+"$/);
        expect(etag.startsWith('W/')).to.equal(false);
      }
    });

    it('is photoEtag of the original and the long side served', async () => {
      expect((await renderPhoto(landscape, 96, QUALITY)).etag).to.equal(photoEtag(landscape, 96));
      expect((await renderPhoto(small, 648, QUALITY)).etag).to.equal(photoEtag(small, 200));
    });

    it('differs between sizes', async () => {
      const etags = await Promise.all(PHOTO_SIZES.map(async (size) => (await renderPhoto(square, size, QUALITY)).etag));
      expect(new Set(etags).size).to.equal(PHOTO_SIZES.length);
    });

    it('is the same for the same photo and size', async () => {
      const first = await renderPhoto(square, 120, QUALITY);
      const second = await renderPhoto(square, 120, QUALITY);
      expect(second.etag).to.equal(first.etag);
      expect(second.bytes.equals(first.bytes), 'and so are the bytes').to.equal(true);
    });

    it('differs for a different photo at the same size', async () => {
      const other = await original(648, 640);
      expect(other.sha256).to.not.equal(square.sha256);
      expect((await renderPhoto(other, 96, QUALITY)).etag).to.not.equal((await renderPhoto(square, 96, QUALITY)).etag);
    });
  });
});
