import { expect } from 'chai';
import sharp from 'sharp';
import { gifFrameProblem, MAX_GIF_FRAMES } from '../../src/photos/gif-frames.js';
import type { ImageLimits } from '../../src/photos/image-limits.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { rejectionOf } from '../support/rejection.js';
import { animatedGif } from '../support/shape-bombs.js';

const LIMITS: ImageLimits = { maxInputBytes: 10 * 1024 * 1024, maxInputPixels: 40_000_000, jpegQuality: 85 };

describe('GIF frames', () => {
  it(`lets a GIF of up to ${MAX_GIF_FRAMES} frames through, and sharp's own, and stores its first frame`, async () => {
    const own = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#369' } })
      .gif()
      .toBuffer();
    expect(gifFrameProblem(own)).to.equal(undefined);
    const animated = animatedGif(MAX_GIF_FRAMES);
    expect((await sharp(animated).metadata()).pages, 'precondition: libvips reads every frame').to.equal(MAX_GIF_FRAMES);
    expect(gifFrameProblem(animated)).to.equal(undefined);
    const photo = await normalizePhoto(animatedGif(3, 40, 30), LIMITS);
    expect([photo.width, photo.height]).to.deep.equal([40, 30]);
  });

  it(`refuses one of more than ${MAX_GIF_FRAMES} frames with 422 before libvips reads them all (600,000: 0.7 s of a decode thread)`, async () => {
    const error = await rejectionOf(normalizePhoto(animatedGif(MAX_GIF_FRAMES + 1), LIMITS));
    expect([error.httpStatus, error.responseCode]).to.deep.equal([422, 'ErrorInvalidImage']);
    expect(error.message).to.equal(`not a usable image: it is a GIF of more than ${MAX_GIF_FRAMES} frames; only its first would be used`);
  });
});
