import { expect } from 'chai';
import { photoEtag, servedSide, type PhotoFingerprint } from '../../src/domain/photo.js';
import { PHOTO_SIZES } from '../../src/domain/size-code.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = `${'0123456789abcdef'.repeat(4)}`;

function fingerprint(width: number, height: number, sha256 = SHA_A): PhotoFingerprint {
  return { sha256, width, height };
}

describe('servedSide', () => {
  describe('square (every size code)', () => {
    it('serves the requested side when the original is larger, landscape or portrait', () => {
      expect(servedSide(fingerprint(648, 432), 96, 'square')).to.equal(96);
      expect(servedSide(fingerprint(300, 600), 240, 'square')).to.equal(240);
    });

    it('never upscales: a request above the short side gets the largest square available', () => {
      expect(servedSide(fingerprint(200, 150), 240, 'square')).to.equal(150);
      expect(servedSide(fingerprint(500, 300), 648, 'square')).to.equal(300);
      expect(servedSide(fingerprint(100, 500), 360, 'square')).to.equal(100);
    });

    it('is min(requested, width, height) for every size code', () => {
      for (const size of PHOTO_SIZES) expect(servedSide(fingerprint(400, 300), size, 'square')).to.equal(Math.min(size, 300));
    });
  });

  describe('own shape (the directory thumbnail)', () => {
    it('serves the long side, never upscaled', () => {
      expect(servedSide(fingerprint(648, 432), 96, 'own-shape')).to.equal(96);
      expect(servedSide(fingerprint(150, 200), 648, 'own-shape')).to.equal(200);
      expect(servedSide(fingerprint(96, 40), 96, 'own-shape')).to.equal(96);
    });
  });
});

describe('photoEtag', () => {
  it('is a strong, quoted ETag', () => {
    const etag = photoEtag(fingerprint(648, 648), 96, 'square', 85);
    expect(etag).to.match(/^"[^"]+"$/);
    expect(etag.startsWith('W/')).to.equal(false);
  });

  it("is built from the hash and what was served: a square, or a long side in the photo's own shape", () => {
    expect(photoEtag(fingerprint(648, 648, SHA_B), 96, 'square', 85)).to.equal(`"${SHA_B.slice(0, 32)}-96x96"`);
    expect(photoEtag(fingerprint(648, 648, SHA_B), 96, 'own-shape', 85)).to.equal(`"${SHA_B.slice(0, 32)}-96"`);
  });

  it('differs between sizes of the same photo', () => {
    const etags = new Set(PHOTO_SIZES.map((size) => photoEtag(fingerprint(648, 648), size, 'square', 85)));
    expect(etags.size).to.equal(PHOTO_SIZES.length);
  });

  it('differs between photos at the same size', () => {
    expect(photoEtag(fingerprint(648, 648, SHA_A), 96, 'square', 85)).to.not.equal(photoEtag(fingerprint(648, 648, SHA_B), 96, 'square', 85));
  });

  it('contains only characters allowed in an entity tag', () => {
    // etagc = %x21 / %x23-7E / obs-text: no spaces, no inner quotes.
    const etag = photoEtag(fingerprint(648, 648, SHA_B), 648, 'square', 85);
    expect(etag.slice(1, -1)).to.match(/^[\x21\x23-\x7e]+$/);
  });
});
