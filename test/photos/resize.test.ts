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

/**
 * A portrait-like scene: a plain wall with a face (skin ellipse, dark hair, eyes) at a
 * known centre, as a non-square photo whose square crop must keep it.
 */
async function portraitScene(width: number, height: number, faceX: number, faceY: number): Promise<StoredPhoto> {
  const r = Math.min(width, height) / 6;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="#8a9bb0"/>
    <ellipse cx="${faceX}" cy="${faceY}" rx="${r * 0.8}" ry="${r}" fill="#e0ac8a"/>
    <ellipse cx="${faceX}" cy="${faceY - r * 0.75}" rx="${r * 0.85}" ry="${r * 0.45}" fill="#3b2616"/>
    <circle cx="${faceX - r * 0.3}" cy="${faceY - r * 0.1}" r="${r * 0.08}" fill="#222"/>
    <circle cx="${faceX + r * 0.3}" cy="${faceY - r * 0.1}" r="${r * 0.08}" fill="#222"/>
  </svg>`;
  const photo = await normalizePhoto(await sharp(Buffer.from(svg)).jpeg().toBuffer(), LIMITS);
  return { ...photo, source: 'test', updatedAt: new Date(0).toISOString() };
}

/** How many of an image's pixels are the face's skin tone. */
async function skinPixels(bytes: Buffer): Promise<number> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  let skin = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    if (Math.abs(data[i]! - 0xe0) < 24 && Math.abs(data[i + 1]! - 0xac) < 24 && Math.abs(data[i + 2]! - 0x8a) < 24) skin++;
  }
  return skin;
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

  describe('every size code is a square', () => {
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
      const side = Math.min(size, 432);
      it(`renders a 648x432 original at ${size} as ${side}x${side} (the largest square it has)`, async () => {
        const rendition = await renderPhoto(landscape, size, QUALITY);
        expect([rendition.width, rendition.height]).to.deep.equal([side, side]);
        const metadata = await sharp(rendition.bytes).metadata();
        expect([metadata.width, metadata.height]).to.deep.equal([side, side]);
      });
    }

    it('renders a portrait original as a square too (432x648 at 96 → 96x96)', async () => {
      const portrait = await original(432, 648);
      const rendition = await renderPhoto(portrait, 96, QUALITY);
      expect([rendition.width, rendition.height]).to.deep.equal([96, 96]);
    });

    it('keeps the picture when resizing a square: the marker stays top-left', async () => {
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

    it('leaves the stored original untouched', async () => {
      const before = Buffer.from(landscape.bytes);
      await renderPhoto(landscape, 96, QUALITY);
      expect(landscape.bytes.equals(before)).to.equal(true);
      expect([landscape.width, landscape.height]).to.deep.equal([648, 432]);
    });
  });

  describe('the square is cut around the face, not the middle', () => {
    for (const [label, width, height, faceX, faceY] of [
      ['a face on the right of a landscape', 600, 300, 480, 150],
      ['a face on the left of a landscape', 600, 300, 110, 160],
      ['a face high in a portrait', 300, 600, 150, 110],
    ] as const) {
      it(`keeps ${label}`, async () => {
        const scene = await portraitScene(width, height, faceX, faceY);
        const rendition = await renderPhoto(scene, 240, QUALITY);
        expect([rendition.width, rendition.height]).to.deep.equal([240, 240]);
        // Scaled to the rendition, the face covers this many pixels; a cut through the middle would keep none or a sliver.
        const wholeFace = (await skinPixels(scene.bytes)) * (240 / Math.min(width, height)) ** 2;
        expect((await skinPixels(rendition.bytes)) / wholeFace).to.be.above(0.9);
      });
    }
  });

  describe('an original smaller than asked', () => {
    for (const size of [240, 360, 648] as const) {
      it(`serves its largest square (150x150 of a 200x150) at ${size}, never upscaled`, async () => {
        const rendition = await renderPhoto(small, size, QUALITY);
        expect([rendition.width, rendition.height]).to.deep.equal([150, 150]);
        expect(rendition.contentType).to.equal('image/jpeg');
      });
    }

    it('returns the original bytes when it is exactly the square asked', async () => {
      const exact = await original(120, 120);
      const rendition = await renderPhoto(exact, 120, QUALITY);
      expect(rendition.bytes.equals(exact.bytes)).to.equal(true);
      expect([rendition.width, rendition.height]).to.deep.equal([120, 120]);
    });

    it('still downsizes it to a size below its own', async () => {
      const rendition = await renderPhoto(small, 96, QUALITY);
      expect([rendition.width, rendition.height]).to.deep.equal([96, 96]);
    });

    it('gives every size at or above its short side the same ETag (same square)', async () => {
      const etags = await Promise.all(([240, 360, 432, 504, 648] as PhotoSize[]).map(async (size) => (await renderPhoto(small, size, QUALITY)).etag));
      expect(new Set(etags).size).to.equal(1);
      expect(etags[0]).to.equal(photoEtag(small, 150, 'square', QUALITY));
    });
  });

  describe('a photo kept in its own shape (the directory thumbnail)', () => {
    it('is fitted inside the size, keeping its aspect ratio', async () => {
      const rendition = await renderPhoto(landscape, 96, QUALITY, 'own-shape');
      expect([rendition.width, rendition.height]).to.deep.equal([96, 64]);
    });

    it('is served as it is when no larger than asked', async () => {
      const rendition = await renderPhoto(small, 648, QUALITY, 'own-shape');
      expect(rendition.bytes.equals(small.bytes)).to.equal(true);
      expect([rendition.width, rendition.height]).to.deep.equal([200, 150]);
      expect(rendition.etag).to.equal(photoEtag(small, 200, 'own-shape', QUALITY));
    });

    it('has another ETag than the square of the same photo', async () => {
      expect((await renderPhoto(small, 96, QUALITY, 'own-shape')).etag).to.not.equal((await renderPhoto(small, 96, QUALITY)).etag);
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

    it('is photoEtag of the original and the square served', async () => {
      expect((await renderPhoto(landscape, 96, QUALITY)).etag).to.equal(photoEtag(landscape, 96, 'square', QUALITY));
      expect((await renderPhoto(small, 648, QUALITY)).etag).to.equal(photoEtag(small, 150, 'square', QUALITY));
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
