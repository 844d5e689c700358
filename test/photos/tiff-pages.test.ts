import { expect } from 'chai';
import sharp from 'sharp';
import { BridgeError } from '../../src/domain/errors.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { MAX_TIFF_PAGES, MAX_TIFF_PIECES, tiffPageProblem } from '../../src/photos/tiff-pages.js';
import type { ImageLimits } from '../../src/photos/image-limits.js';
import { rejectionOf } from '../support/rejection.js';

const LIMITS: ImageLimits = { maxInputBytes: 10 * 1024 * 1024, maxInputPixels: 40_000_000, jpegQuality: 85 };

/** A little-endian TIFF of `pages` empty IFDs, each pointing at the next (the last at `lastNext`). */
function chainedTiff(pages: number, { big = false, lastNext = 0 } = {}): Buffer {
  const [countBytes, offsetBytes, first] = big ? [8, 8, 16] : [2, 4, 8];
  const ifdBytes = countBytes + offsetBytes;
  const bytes = Buffer.alloc(first + pages * ifdBytes);
  bytes.write('II', 0, 'latin1');
  bytes.writeUInt16LE(big ? 43 : 42, 2);
  const writeOffset = (at: number, value: number) => (big ? bytes.writeBigUInt64LE(BigInt(value), at) : bytes.writeUInt32LE(value, at));
  if (big) bytes.writeUInt16LE(8, 4);
  writeOffset(big ? 8 : 4, first);
  for (let page = 0; page < pages; page++) {
    const ifd = first + page * ifdBytes;
    writeOffset(ifd + countBytes, page === pages - 1 ? lastNext : ifd + ifdBytes);
  }
  return bytes;
}

describe('TIFF pages', () => {
  it(`lets a TIFF of up to ${MAX_TIFF_PAGES} pages through, classic or BigTIFF, and anything that is no TIFF`, async () => {
    expect(
      tiffPageProblem(
        await sharp({ create: { width: 64, height: 48, channels: 3, background: '#369' } })
          .tiff()
          .toBuffer(),
      ),
    ).to.equal(undefined);
    expect(tiffPageProblem(chainedTiff(MAX_TIFF_PAGES))).to.equal(undefined);
    expect(tiffPageProblem(chainedTiff(MAX_TIFF_PAGES, { big: true }))).to.equal(undefined);
    expect(
      tiffPageProblem(
        await sharp({ create: { width: 64, height: 48, channels: 3, background: '#369' } })
          .png()
          .toBuffer(),
      ),
    ).to.equal(undefined);
  });

  it('refuses more pages than that, and pages that loop back', () => {
    expect(tiffPageProblem(chainedTiff(MAX_TIFF_PAGES + 1))).to.equal(`it has more than ${MAX_TIFF_PAGES} pages`);
    expect(tiffPageProblem(chainedTiff(90_000))).to.equal(`it has more than ${MAX_TIFF_PAGES} pages`);
    expect(tiffPageProblem(chainedTiff(MAX_TIFF_PAGES + 1, { big: true }))).to.equal(`it has more than ${MAX_TIFF_PAGES} pages`);
    expect(tiffPageProblem(chainedTiff(3, { lastNext: 8 }))).to.equal('its pages loop back on themselves');
  });

  it(`refuses a page cut in more than ${MAX_TIFF_PIECES} tiles, classic or BigTIFF; up to that many pass`, async () => {
    /** A square TIFF of JPEG tiles of 16×16: (side / 16)² tiles. */
    const tiled = (side: number, bigtiff = false) =>
      sharp({ create: { width: side, height: side, channels: 3, background: '#369' } })
        .tiff({ tile: true, tileWidth: 16, tileHeight: 16, compression: 'jpeg', bigtiff })
        .toBuffer();
    expect(tiffPageProblem(await tiled(2048)), '16,384 tiles').to.equal(undefined);
    expect(tiffPageProblem(await tiled(2048, true))).to.equal(undefined);
    expect(tiffPageProblem(await tiled(2064)), '16,641 tiles').to.equal(`its image is cut in more than ${MAX_TIFF_PIECES} tiles`);
    expect(tiffPageProblem(await tiled(2064, true))).to.equal(`its image is cut in more than ${MAX_TIFF_PIECES} tiles`);
  });

  it('refuses such an upload as an invalid image (422) before libvips reads it', async () => {
    const refused = await rejectionOf(normalizePhoto(chainedTiff(90_000), LIMITS));
    expect(refused).to.be.instanceOf(BridgeError);
    expect(refused.httpStatus).to.equal(422);
    expect(refused.message).to.include(`more than ${MAX_TIFF_PAGES} pages`);
  });
});
