import { expect } from 'chai';
import { photoEtag, servedLongSide, type PhotoFingerprint } from '../../src/domain/photo.js';
import { PHOTO_SIZES } from '../../src/domain/size-code.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = `${'0123456789abcdef'.repeat(4)}`;

function fingerprint(width: number, height: number, sha256 = SHA_A): PhotoFingerprint {
  return { sha256, width, height };
}

describe('servedLongSide', () => {
  it('serves the requested size when the original is larger (landscape)', () => {
    expect(servedLongSide(fingerprint(648, 432), 96)).to.equal(96);
  });

  it('serves the requested size when the original is larger (portrait)', () => {
    expect(servedLongSide(fingerprint(300, 600), 240)).to.equal(240);
  });

  it('never upscales: a request above the original gets the original long side', () => {
    expect(servedLongSide(fingerprint(200, 150), 240)).to.equal(200);
    expect(servedLongSide(fingerprint(150, 200), 648)).to.equal(200);
  });

  it('serves the original long side when it equals the request', () => {
    expect(servedLongSide(fingerprint(648, 648), 648)).to.equal(648);
    expect(servedLongSide(fingerprint(96, 40), 96)).to.equal(96);
  });

  it('uses the long side, not the width, of a portrait original', () => {
    // 100 wide, 500 high: the long side is 500, so 360 is served, not 100.
    expect(servedLongSide(fingerprint(100, 500), 360)).to.equal(360);
  });

  it('is min(requested, long side) for every size code', () => {
    for (const size of PHOTO_SIZES) {
      expect(servedLongSide(fingerprint(400, 300), size)).to.equal(Math.min(size, 400));
    }
  });
});

describe('photoEtag', () => {
  it('is a strong, quoted ETag', () => {
    const etag = photoEtag(fingerprint(648, 648), 96);
    expect(etag).to.match(/^"[^"]+"$/);
    expect(etag.startsWith('W/')).to.equal(false);
  });

  it('is built from the hash and the long side served', () => {
    expect(photoEtag(fingerprint(648, 648, SHA_B), 96)).to.equal(`"${SHA_B.slice(0, 32)}-96"`);
  });

  it('is the same for the same photo and size', () => {
    expect(photoEtag(fingerprint(648, 648), 120)).to.equal(photoEtag(fingerprint(648, 648), 120));
  });

  it('differs between sizes of the same photo', () => {
    const etags = new Set(PHOTO_SIZES.map((size) => photoEtag(fingerprint(648, 648), size)));
    expect(etags.size).to.equal(PHOTO_SIZES.length);
  });

  it('differs between photos at the same size', () => {
    expect(photoEtag(fingerprint(648, 648, SHA_A), 96)).to.not.equal(photoEtag(fingerprint(648, 648, SHA_B), 96));
  });

  it('contains only characters allowed in an entity tag', () => {
    // etagc = %x21 / %x23-7E / obs-text: no spaces, no inner quotes.
    const etag = photoEtag(fingerprint(648, 648, SHA_B), 648);
    expect(etag.slice(1, -1)).to.match(/^[\x21\x23-\x7e]+$/);
  });
});
