import { expect } from 'chai';
import sharp from 'sharp';
import { BridgeError } from '../../src/domain/errors.js';
import { DecodeSlots, MAX_ASPECT_RATIO, MAX_INPUT_SIDE, type ImageLimits } from '../../src/photos/image-limits.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { gate } from '../support/gate.js';
import { rejectionOf } from '../support/rejection.js';
import { pngBomb, samplePhoto } from '../support/sample-images.js';
import { oneColourGif, tallPngStrip } from '../support/shape-bombs.js';

const LIMITS: ImageLimits = { maxInputBytes: 10 * 1024 * 1024, maxInputPixels: 40_000_000, jpegQuality: 85 };

function expectTooLarge(error: BridgeError): void {
  expect(error).to.be.instanceOf(BridgeError);
  expect(error.httpStatus).to.equal(413);
  expect(error.responseCode).to.equal('ErrorMessageSizeExceeded');
}

describe('normalizePhoto: the shape of an image, and how many are decoded at once', () => {
  describe('refuses from the header an image no photo has the shape of', () => {
    it('a 65535×610 GIF (27 KB, just under 40 Mpx) → 413 ErrorMessageSizeExceeded naming the side limit', async () => {
      const bomb = oneColourGif(65535, 610);
      const header = await sharp(bomb).metadata();
      expect([header.format, header.width, header.height], 'precondition: a GIF header of 65535×610').to.deep.equal(['gif', 65535, 610]);
      expect(65535 * 610, 'precondition: under the pixel limit').to.be.below(LIMITS.maxInputPixels);

      const error = await rejectionOf(normalizePhoto(bomb, LIMITS));
      expectTooLarge(error);
      expect(error.message).to.include(String(MAX_INPUT_SIDE));
    });

    it('a 1×39,999,999 PNG (77 KB) → 413 ErrorMessageSizeExceeded', async () => {
      const bomb = tallPngStrip();
      expect(bomb.length, 'precondition: small on disk').to.be.below(100_000);
      const error = await rejectionOf(normalizePhoto(bomb, LIMITS));
      expectTooLarge(error);
    });

    it('a side over MAX_INPUT_SIDE with a photo’s pixel count and shape (16400×2400, 6.8:1) → 413', async () => {
      const error = await rejectionOf(normalizePhoto(pngBomb(16400, 2400), LIMITS));
      expectTooLarge(error);
      expect(error.message).to.include(String(MAX_INPUT_SIDE));
    });

    it('a shape beyond MAX_ASPECT_RATIO however small (801×100, 100×801) → 413; exactly the ratio (800×100) is a photo', async () => {
      for (const [width, height] of [
        [MAX_ASPECT_RATIO * 100 + 1, 100],
        [100, MAX_ASPECT_RATIO * 100 + 1],
      ] as const) {
        const error = await rejectionOf(normalizePhoto(await samplePhoto(width, height, 'png'), LIMITS));
        expectTooLarge(error);
        expect(error.message).to.include(`${MAX_ASPECT_RATIO} times`);
      }
      const photo = await normalizePhoto(await samplePhoto(MAX_ASPECT_RATIO * 100, 100, 'png'), LIMITS);
      expect([photo.width, photo.height]).to.deep.equal([648, 81]);
    });
  });

  describe('still takes what cameras make', () => {
    it('a 6000×4000 JPEG (24 Mpx) → a 648×432 photo', async () => {
      const photo = await normalizePhoto(await samplePhoto(6000, 4000), LIMITS);
      expect([photo.width, photo.height]).to.deep.equal([648, 432]);
    });

    it('a one-colour GIF made the way the bomb is, at photo size (640×480) → a red photo', async () => {
      const photo = await normalizePhoto(oneColourGif(640, 480), LIMITS);
      expect([photo.width, photo.height]).to.deep.equal([640, 480]);
      const { data } = await sharp(photo.bytes).raw().toBuffer({ resolveWithObject: true });
      expect(data[0]).to.be.above(200);
      expect(data[1]).to.be.below(60);
    });

    it('an animated GIF → its first frame only', async () => {
      const frame = (colour: string) =>
        sharp({ create: { width: 64, height: 64, channels: 3, background: colour } })
          .raw()
          .toBuffer();
      const frames = Buffer.concat([await frame('#ff0000'), await frame('#0000ff')]);
      const twoPages = await sharp(frames, { raw: { width: 64, height: 128, channels: 3, pageHeight: 64 } })
        .gif({ delay: [100, 100], loop: 0 })
        .toBuffer();
      const header = await sharp(twoPages).metadata();
      expect(header.pages, 'precondition: two frames').to.equal(2);

      const photo = await normalizePhoto(twoPages, LIMITS);
      expect([photo.width, photo.height]).to.deep.equal([64, 64]);
      const { data } = await sharp(photo.bytes).raw().toBuffer({ resolveWithObject: true });
      expect([data[0]! > 200, data[2]! < 60], 'the first frame is red').to.deep.equal([true, true]);
    });
  });

  describe('decodes at most as many images at once as its slots allow', () => {
    it('with the one slot taken and no queue, the next upload is refused at once: 503 ErrorServerBusy with a retry time', async () => {
      const decodes = new DecodeSlots(1, 0);
      const held = gate();
      const holder = decodes.run(() => held.opened);
      const limits = { ...LIMITS, decodes };

      const error = await rejectionOf(normalizePhoto(await samplePhoto(64, 64), limits));
      expect(error).to.be.instanceOf(BridgeError);
      expect(error.httpStatus).to.equal(503);
      expect(error.responseCode).to.equal('ErrorServerBusy');
      expect(error.retryAfterSeconds).to.be.a('number').and.above(0);

      held.open();
      await holder;
      const photo = await normalizePhoto(await samplePhoto(64, 64), limits);
      expect(photo.width, 'the slot is free again').to.equal(64);
    });

    it('one more waits in a queue of one and is decoded when the slot frees; the one after is refused', async () => {
      const decodes = new DecodeSlots(1, 1);
      const held = gate();
      const holder = decodes.run(() => held.opened);
      const limits = { ...LIMITS, decodes };

      let queuedDone = false;
      const queued = normalizePhoto(await samplePhoto(64, 64), limits).finally(() => (queuedDone = true));
      const refused = await rejectionOf(normalizePhoto(await samplePhoto(64, 64), limits));
      expect([refused.httpStatus, refused.responseCode]).to.deep.equal([503, 'ErrorServerBusy']);
      expect(queuedDone, 'the queued one waits for the slot').to.equal(false);

      held.open();
      await holder;
      expect((await queued).width).to.equal(64);
    });

    it('reads the header in a slot too (a WebP’s frames, a TIFF’s pages cost libvips seconds to read), and gives the slot back when the header refuses it', async () => {
      const decodes = new DecodeSlots(1, 0);
      const held = gate();
      const holder = decodes.run(() => held.opened);
      const busy = await rejectionOf(normalizePhoto(oneColourGif(65535, 610), { ...LIMITS, decodes }));
      expect([busy.httpStatus, busy.responseCode]).to.deep.equal([503, 'ErrorServerBusy']);
      held.open();
      await holder;
      expectTooLarge(await rejectionOf(normalizePhoto(oneColourGif(65535, 610), { ...LIMITS, decodes })));
      expect((await normalizePhoto(await samplePhoto(64, 64), { ...LIMITS, decodes })).width).to.equal(64);
    });

    it('a decode that fails gives its slot back', async () => {
      const decodes = new DecodeSlots(1, 0);
      const jpeg = await samplePhoto(64, 64);
      const broken = await rejectionOf(normalizePhoto(jpeg.subarray(0, jpeg.length / 2), { ...LIMITS, decodes }));
      expect(broken.httpStatus).to.equal(422);
      expect((await normalizePhoto(jpeg, { ...LIMITS, decodes })).width).to.equal(64);
    });
  });
});
