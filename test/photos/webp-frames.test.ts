import { expect } from 'chai';
import sharp from 'sharp';
import type { ImageLimits } from '../../src/photos/image-limits.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { MAX_WEBP_FRAMES, webpFrameProblem } from '../../src/photos/webp-frames.js';
import { rejectionOf } from '../support/rejection.js';
import { animatedWebp } from '../support/shape-bombs.js';

const LIMITS: ImageLimits = { maxInputBytes: 10 * 1024 * 1024, maxInputPixels: 40_000_000, jpegQuality: 85 };

describe('WebP frames', () => {
  it(`lets a WebP of up to ${MAX_WEBP_FRAMES} frames through, and a still one, and stores its first frame`, async () => {
    const still = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#369' } })
      .webp()
      .toBuffer();
    expect(webpFrameProblem(still)).to.equal(undefined);
    const animated = await animatedWebp(MAX_WEBP_FRAMES);
    expect((await sharp(animated).metadata()).pages, 'precondition: libvips reads every frame').to.equal(MAX_WEBP_FRAMES);
    expect(webpFrameProblem(animated)).to.equal(undefined);
    const photo = await normalizePhoto(await animatedWebp(3), LIMITS);
    expect([photo.width, photo.height]).to.deep.equal([16, 16]);
  });

  it('walks a bounded number of chunks: a WebP of a hundred thousand unknown ones is refused (1.3 million took the walk 103–139 ms)', async () => {
    const still = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#369' } })
      .webp({ lossless: true })
      .toBuffer();
    const unknown = Buffer.concat([Buffer.from('XTRA', 'latin1'), Buffer.alloc(4)]);
    const body = Buffer.concat([still.subarray(8), ...Array<Buffer>(100_000).fill(unknown)]);
    const padded = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), body]);
    padded.writeUInt32LE(body.length, 4);
    expect(webpFrameProblem(padded)).to.match(/^it is a WebP of more than \d+ chunks$/);
  });

  it(`refuses one of more than ${MAX_WEBP_FRAMES} frames with 422 before libvips reads it (199,000 frames: 69 s to read its header)`, async () => {
    const error = await rejectionOf(normalizePhoto(await animatedWebp(MAX_WEBP_FRAMES + 1), LIMITS));
    expect([error.httpStatus, error.responseCode]).to.deep.equal([422, 'ErrorInvalidImage']);
    expect(error.message).to.equal(`not a usable image: it is a WebP of more than ${MAX_WEBP_FRAMES} frames; only its first would be used`);
  });
});
