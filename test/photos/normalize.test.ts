import { expect } from 'chai';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { BridgeError } from '../../src/domain/errors.js';
import type { NormalizedPhoto } from '../../src/domain/photo.js';
import type { ImageLimits } from '../../src/photos/image-limits.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { pngBomb, samplePhoto } from '../support/sample-images.js';
import { rejectionOf } from '../support/rejection.js';

const LIMITS: ImageLimits = { maxInputBytes: 10 * 1024 * 1024, maxInputPixels: 40_000_000, jpegQuality: 85 };
const BACKGROUND = { r: 40, g: 120, b: 200 }; // samplePhoto's colour; its top-left quarter is red

/** The RGB colour of one pixel of an image. */
async function pixelAt(image: Buffer, x: number, y: number): Promise<{ r: number; g: number; b: number }> {
  const { data, info } = await sharp(image).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return { r: data[at]!, g: data[at + 1]!, b: data[at + 2]! };
}

/**
 * Counts pixel decodes: every path that produces pixels ends in Sharp#toBuffer (or
 * toFile), while a header read uses Sharp#metadata only. Restored after `work`.
 */
async function countDecodes(work: () => Promise<unknown>): Promise<number> {
  const proto = (sharp as unknown as { prototype: Record<'toBuffer' | 'toFile', (...args: unknown[]) => unknown> }).prototype;
  const { toBuffer, toFile } = proto;
  let decodes = 0;
  proto.toBuffer = function (this: unknown, ...args: unknown[]) {
    decodes++;
    return toBuffer.apply(this, args);
  };
  proto.toFile = function (this: unknown, ...args: unknown[]) {
    decodes++;
    return toFile.apply(this, args);
  };
  try {
    await work().catch(() => undefined);
  } finally {
    proto.toBuffer = toBuffer;
    proto.toFile = toFile;
  }
  return decodes;
}

function isRed(c: { r: number; g: number; b: number }): boolean {
  return c.r > 200 && c.g < 60 && c.b < 60;
}

function isBackground(c: { r: number; g: number; b: number }): boolean {
  return Math.abs(c.r - BACKGROUND.r) < 30 && Math.abs(c.g - BACKGROUND.g) < 30 && Math.abs(c.b - BACKGROUND.b) < 30;
}

/** Everything every normalised photo must be: a plain sRGB 8-bit 3-channel JPEG without metadata. */
async function expectNormalized(photo: NormalizedPhoto): Promise<sharp.Metadata> {
  expect(photo.contentType).to.equal('image/jpeg');
  expect([...photo.bytes.subarray(0, 3)]).to.deep.equal([0xff, 0xd8, 0xff]);
  expect([...photo.bytes.subarray(-2)]).to.deep.equal([0xff, 0xd9]);
  const metadata = await sharp(photo.bytes).metadata();
  expect(metadata.format).to.equal('jpeg');
  expect(metadata.space).to.equal('srgb');
  expect(metadata.channels).to.equal(3);
  expect(metadata.depth).to.equal('uchar');
  expect(metadata.hasAlpha).to.equal(false);
  expect(metadata.exif).to.equal(undefined);
  expect(metadata.icc).to.equal(undefined);
  expect(metadata.xmp).to.equal(undefined);
  expect(metadata.orientation).to.equal(undefined);
  expect(metadata.width).to.equal(photo.width);
  expect(metadata.height).to.equal(photo.height);
  expect(photo.sha256).to.equal(createHash('sha256').update(photo.bytes).digest('hex'));
  return metadata;
}

describe('normalizePhoto', () => {
  describe('output', () => {
    it('turns a JPEG into a plain sRGB 8-bit 3-channel JPEG of the same size', async () => {
      const photo = await normalizePhoto(await samplePhoto(320, 240), LIMITS);
      await expectNormalized(photo);
      expect([photo.width, photo.height]).to.deep.equal([320, 240]);
    });

    it('keeps the picture: the red marker stays top-left on the blue background', async () => {
      const photo = await normalizePhoto(await samplePhoto(320, 240), LIMITS);
      expect(isRed(await pixelAt(photo.bytes, 5, 5))).to.equal(true);
      expect(isBackground(await pixelAt(photo.bytes, 315, 235))).to.equal(true);
    });

    it('gives a sha256 field that is the hex SHA-256 of the output bytes', async () => {
      const photo = await normalizePhoto(await samplePhoto(100, 80), LIMITS);
      expect(photo.sha256).to.match(/^[0-9a-f]{64}$/);
      expect(photo.sha256).to.equal(createHash('sha256').update(photo.bytes).digest('hex'));
    });

    it('is deterministic: the same input gives the same bytes and hash', async () => {
      const input = await samplePhoto(200, 200);
      const first = await normalizePhoto(input, LIMITS);
      const second = await normalizePhoto(input, LIMITS);
      expect(second.sha256).to.equal(first.sha256);
      expect(second.bytes.equals(first.bytes)).to.equal(true);
    });

    it('gives different images different hashes', async () => {
      const a = await normalizePhoto(await samplePhoto(200, 200), LIMITS);
      const b = await normalizePhoto(await samplePhoto(200, 100), LIMITS);
      expect(a.sha256).to.not.equal(b.sha256);
    });

    it('uses the configured JPEG quality', async () => {
      const noisy = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#000000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
        .png()
        .toBuffer();
      const low = await normalizePhoto(noisy, { ...LIMITS, jpegQuality: 20 });
      const high = await normalizePhoto(noisy, { ...LIMITS, jpegQuality: 95 });
      expect(low.bytes.length).to.be.below(high.bytes.length);
    });
  });

  describe('metadata and orientation', () => {
    it('strips EXIF, ICC and XMP from the input', async () => {
      const input = await sharp(await samplePhoto(120, 90))
        .withExif({ IFD0: { Copyright: 'Secret Corp', Artist: 'Someone' } })
        .withIccProfile('p3')
        .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>')
        .jpeg()
        .toBuffer();
      const before = await sharp(input).metadata();
      expect(before.exif, 'precondition: the input has EXIF').to.not.equal(undefined);
      expect(before.icc, 'precondition: the input has an ICC profile').to.not.equal(undefined);

      const photo = await normalizePhoto(input, LIMITS);
      await expectNormalized(photo);
      expect(photo.bytes.includes(Buffer.from('Secret Corp'))).to.equal(false);
    });

    it('applies EXIF orientation 6: a 200x100 JPEG becomes 100x200, marker top-right', async () => {
      const input = await sharp(await samplePhoto(200, 100))
        .withMetadata({ orientation: 6 })
        .jpeg()
        .toBuffer();
      const before = await sharp(input).metadata();
      expect([before.width, before.height, before.orientation], 'precondition').to.deep.equal([200, 100, 6]);

      const photo = await normalizePhoto(input, LIMITS);
      await expectNormalized(photo);
      expect([photo.width, photo.height]).to.deep.equal([100, 200]);
      // Orientation 6 means "rotate 90° clockwise to display": the stored top-left
      // marker (50x25) ends up in the top-right corner (25 wide, 50 high).
      expect(isRed(await pixelAt(photo.bytes, 95, 5)), 'top-right is red').to.equal(true);
      expect(isBackground(await pixelAt(photo.bytes, 5, 5)), 'top-left is background').to.equal(true);
      expect(isBackground(await pixelAt(photo.bytes, 95, 195)), 'bottom-right is background').to.equal(true);
      expect(isBackground(await pixelAt(photo.bytes, 5, 195)), 'bottom-left is background').to.equal(true);
    });

    it('applies EXIF orientation 3: upside down, marker bottom-right', async () => {
      const input = await sharp(await samplePhoto(200, 100))
        .withMetadata({ orientation: 3 })
        .jpeg()
        .toBuffer();
      const photo = await normalizePhoto(input, LIMITS);
      expect([photo.width, photo.height]).to.deep.equal([200, 100]);
      expect(isRed(await pixelAt(photo.bytes, 195, 95))).to.equal(true);
      expect(isBackground(await pixelAt(photo.bytes, 5, 5))).to.equal(true);
    });

    it('applies orientation before limiting the size: a rotated 1296x864 becomes 432x648', async () => {
      const input = await sharp(await samplePhoto(1296, 864))
        .withMetadata({ orientation: 8 })
        .jpeg()
        .toBuffer();
      const photo = await normalizePhoto(input, LIMITS);
      expect([photo.width, photo.height]).to.deep.equal([432, 648]);
    });
  });

  describe('colour and depth', () => {
    it('converts a CMYK JPEG to sRGB', async () => {
      const input = await sharp(await samplePhoto(160, 120))
        .toColourspace('cmyk')
        .jpeg()
        .toBuffer();
      const before = await sharp(input).metadata();
      expect(before.space, 'precondition: the input is CMYK').to.equal('cmyk');
      expect(before.channels).to.equal(4);

      const photo = await normalizePhoto(input, LIMITS);
      await expectNormalized(photo);
      // Still recognisably the same picture: blue-ish background, red marker.
      const background = await pixelAt(photo.bytes, 150, 110);
      expect(background.b).to.be.above(background.r + 60);
      expect(isRed(await pixelAt(photo.bytes, 5, 5))).to.equal(true);
    });

    it('turns a 16-bit PNG into 8-bit', async () => {
      const input = await sharp(await samplePhoto(160, 120))
        .toColourspace('rgb16')
        .png()
        .toBuffer();
      const before = await sharp(input).metadata();
      expect(before.depth, 'precondition: the input is 16-bit').to.equal('ushort');

      const photo = await normalizePhoto(input, LIMITS);
      await expectNormalized(photo);
      expect(isBackground(await pixelAt(photo.bytes, 150, 110))).to.equal(true);
    });

    it('turns a greyscale image into 3-channel sRGB', async () => {
      const input = await sharp(await samplePhoto(100, 100))
        .toColourspace('b-w')
        .jpeg()
        .toBuffer();
      expect((await sharp(input).metadata()).channels, 'precondition: one channel').to.equal(1);
      const photo = await normalizePhoto(input, LIMITS);
      await expectNormalized(photo);
    });

    it('flattens a PNG with alpha onto white', async () => {
      // 40x40, fully transparent except an opaque red 10x10 square in the middle.
      const input = await sharp({ create: { width: 40, height: 40, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
        .composite([{ input: { create: { width: 10, height: 10, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } } }, left: 15, top: 15 }])
        .png()
        .toBuffer();
      const before = await sharp(input).metadata();
      expect(before.hasAlpha, 'precondition: the input has alpha').to.equal(true);

      const photo = await normalizePhoto(input, LIMITS);
      await expectNormalized(photo);
      const corner = await pixelAt(photo.bytes, 2, 2);
      expect(corner.r, 'transparent became white (r)').to.be.at.least(245);
      expect(corner.g, 'transparent became white (g)').to.be.at.least(245);
      expect(corner.b, 'transparent became white (b)').to.be.at.least(245);
      expect(isRed(await pixelAt(photo.bytes, 20, 20)), 'opaque pixel kept').to.equal(true);
    });
  });

  describe('input formats', () => {
    const formats: ReadonlyArray<[string, (image: sharp.Sharp) => sharp.Sharp]> = [
      ['PNG', (image) => image.png()],
      ['GIF', (image) => image.gif()],
      ['WebP', (image) => image.webp()],
      ['TIFF', (image) => image.tiff()],
    ];
    for (const [name, encode] of formats) {
      it(`accepts ${name} and returns a JPEG of the same size`, async () => {
        const input = await encode(sharp(await samplePhoto(180, 120))).toBuffer();
        const photo = await normalizePhoto(input, LIMITS);
        await expectNormalized(photo);
        expect([photo.width, photo.height]).to.deep.equal([180, 120]);
        expect(isRed(await pixelAt(photo.bytes, 5, 5))).to.equal(true);
      });
    }
  });

  describe('size', () => {
    it('scales a landscape image larger than 648 so its long side is 648', async () => {
      const photo = await normalizePhoto(await samplePhoto(1296, 864), LIMITS);
      expect([photo.width, photo.height]).to.deep.equal([648, 432]);
      await expectNormalized(photo);
    });

    it('scales a portrait image larger than 648 so its long side is 648', async () => {
      const photo = await normalizePhoto(await samplePhoto(500, 1000), LIMITS);
      expect([photo.width, photo.height]).to.deep.equal([324, 648]);
    });

    it('scales a square image just over 648', async () => {
      const photo = await normalizePhoto(await samplePhoto(649, 649), LIMITS);
      expect([photo.width, photo.height]).to.deep.equal([648, 648]);
    });

    it('keeps an image of exactly 648', async () => {
      const photo = await normalizePhoto(await samplePhoto(648, 600), LIMITS);
      expect([photo.width, photo.height]).to.deep.equal([648, 600]);
    });

    it('never upscales a smaller image', async () => {
      const photo = await normalizePhoto(await samplePhoto(300, 200), LIMITS);
      expect([photo.width, photo.height]).to.deep.equal([300, 200]);
    });

    it('keeps a 1x1 image', async () => {
      const photo = await normalizePhoto(
        await sharp({ create: { width: 1, height: 1, channels: 3, background: '#00ff00' } })
          .png()
          .toBuffer(),
        LIMITS,
      );
      expect([photo.width, photo.height]).to.deep.equal([1, 1]);
    });
  });

  describe('rejections', () => {
    it('rejects an empty buffer with 422 ErrorInvalidImage', async () => {
      const error = await rejectionOf(normalizePhoto(Buffer.alloc(0), LIMITS));
      expect(error.httpStatus).to.equal(422);
      expect(error.responseCode).to.equal('ErrorInvalidImage');
    });

    it('rejects a text file with 422 ErrorInvalidImage', async () => {
      const error = await rejectionOf(normalizePhoto(Buffer.from('Name,Email\nBob,bob@example.com\n'), LIMITS));
      expect(error.httpStatus).to.equal(422);
      expect(error.responseCode).to.equal('ErrorInvalidImage');
    });

    it('rejects a truncated JPEG (its first half) with 422 ErrorInvalidImage', async () => {
      const jpeg = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#000000', noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
        .jpeg()
        .toBuffer();
      const error = await rejectionOf(normalizePhoto(jpeg.subarray(0, Math.floor(jpeg.length / 2)), LIMITS));
      expect(error.httpStatus).to.equal(422);
      expect(error.responseCode).to.equal('ErrorInvalidImage');
    });

    it('rejects a JPEG cut short but closed with an end marker, which libjpeg only warns of and fills with grey', async () => {
      const noise = sharp({ create: { width: 400, height: 400, channels: 3, background: '#000000', noise: { type: 'gaussian', mean: 128, sigma: 30 } } });
      for (const progressive of [false, true]) {
        const jpeg = await noise.clone().jpeg({ progressive }).toBuffer();
        const cut = Buffer.concat([jpeg.subarray(0, jpeg.length >> 2), Buffer.from([0xff, 0xd9])]);
        const error = await rejectionOf(normalizePhoto(cut, LIMITS));
        expect([error.httpStatus, error.responseCode, error.message], `progressive: ${progressive}`).to.deep.equal([
          422,
          'ErrorInvalidImage',
          'not a usable image: it could not be decoded (the file is damaged or cut short)',
        ]);
      }
    });

    it('rejects a cut JPEG behind a harmless fault libjpeg warns of first (stray bytes, a JFIF version it does not know): libvips says only the first', async () => {
      const jpeg = await sharp({ create: { width: 400, height: 400, channels: 3, background: '#000000', noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
        .jpeg()
        .toBuffer();
      const afterFirstSegment = 4 + jpeg.readUInt16BE(4);
      const stray = Buffer.concat([jpeg.subarray(0, afterFirstSegment), Buffer.from([0x12, 0x34]), jpeg.subarray(afterFirstSegment)]);
      const jfif = Buffer.concat([jpeg.subarray(0, 2), Buffer.from('ffe000104a46494600020100000100010000', 'hex'), jpeg.subarray(2)]);
      for (const [fault, faulty] of [
        ['stray bytes', stray],
        ['JFIF 2.01', jfif],
      ] as const) {
        const warned = await sharp(faulty, { failOn: 'warning' })
          .toBuffer()
          .then(
            () => '',
            (error: Error) => error.message,
          );
        expect(warned, `precondition: libjpeg warns of ${fault}`).to.not.equal('');
        expect((await normalizePhoto(faulty, LIMITS)).width, fault).to.equal(400);
        const cut = Buffer.concat([faulty.subarray(0, Math.floor(faulty.length * 0.3)), Buffer.from([0xff, 0xd9])]);
        expect((await rejectionOf(normalizePhoto(cut, LIMITS))).httpStatus, `${fault}, then cut`).to.equal(422);
      }
    });

    it("takes a JPEG whose only fault is one libjpeg warns of and loses nothing to (extraneous bytes before a marker, as cameras' files have)", async () => {
      const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#884422' } })
        .jpeg()
        .toBuffer();
      const firstSegmentEnd = 4 + jpeg.readUInt16BE(4);
      const extraneous = Buffer.concat([jpeg.subarray(0, firstSegmentEnd), Buffer.from([1, 2, 3]), jpeg.subarray(firstSegmentEnd)]);
      const warned = await sharp(extraneous, { failOn: 'warning' })
        .toBuffer()
        .then(
          () => '',
          (error: Error) => error.message,
        );
      expect(warned, 'precondition: libjpeg warns of it').to.include('extraneous bytes before marker');
      const photo = await normalizePhoto(extraneous, LIMITS);
      expect([photo.width, photo.height]).to.deep.equal([64, 48]);
    });

    it('rejects an SVG by its first bytes, before libvips parses it (sizing nested <use> took librsvg 3.5 s)', async () => {
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>');
      expect((await sharp(svg).metadata()).format, 'precondition: libvips reads it as svg').to.equal('svg');
      const error = await rejectionOf(normalizePhoto(svg, LIMITS));
      expect(error.httpStatus).to.equal(422);
      expect(error.responseCode).to.equal('ErrorInvalidImage');
      expect(error.message).to.equal('not a usable image: it is not JPEG, PNG, GIF, WebP, TIFF, HEIF');
    });

    it('rejects an SVG that begins as a HEIF would (<!--ftyp-->) by its first bytes too (librsvg sized nested <use> behind it for 14 s)', async () => {
      const svg = Buffer.from('<!--ftyp--><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>');
      expect((await sharp(svg).metadata()).format, 'precondition: libvips reads it as svg').to.equal('svg');
      const error = await rejectionOf(normalizePhoto(svg, LIMITS));
      expect(error.httpStatus).to.equal(422);
      expect(error.responseCode).to.equal('ErrorInvalidImage');
      expect(error.message).to.equal('not a usable image: it is not JPEG, PNG, GIF, WebP, TIFF, HEIF');
    });

    it('rejects more bytes than maxInputBytes with 413, and accepts exactly the limit', async () => {
      const input = await samplePhoto(100, 100);
      const error = await rejectionOf(normalizePhoto(input, { ...LIMITS, maxInputBytes: input.length - 1 }));
      expect(error.httpStatus).to.equal(413);
      expect(error.responseCode).to.equal('ErrorMessageSizeExceeded');
      expect(error.message).to.include(String(input.length));

      const photo = await normalizePhoto(input, { ...LIMITS, maxInputBytes: input.length });
      expect(photo.width).to.equal(100);
    });

    it('rejects more pixels than maxInputPixels with 413, and accepts exactly the limit', async () => {
      const input = await samplePhoto(100, 50);
      const error = await rejectionOf(normalizePhoto(input, { ...LIMITS, maxInputPixels: 4999 }));
      expect(error.httpStatus).to.equal(413);
      expect(error.responseCode).to.equal('ErrorMessageSizeExceeded');

      const photo = await normalizePhoto(input, { ...LIMITS, maxInputPixels: 5000 });
      expect([photo.width, photo.height]).to.deep.equal([100, 50]);
    });

    it('rejects a 20000x20000 PNG bomb with 413 naming its size, without decoding it', async () => {
      const bomb = pngBomb(20000, 20000);
      expect(bomb.length, 'precondition: the bomb is small on disk').to.be.below(LIMITS.maxInputBytes);
      const header = await sharp(bomb, { limitInputPixels: false }).metadata();
      expect([header.width, header.height], 'precondition: it claims 400 Mpx').to.deep.equal([20000, 20000]);

      const rssBefore = process.memoryUsage().rss;
      const error = await rejectionOf(normalizePhoto(bomb, LIMITS));
      const rssGrowth = process.memoryUsage().rss - rssBefore;

      expect(error.httpStatus).to.equal(413);
      expect(error.responseCode).to.equal('ErrorMessageSizeExceeded');
      expect(error.message).to.match(/20000\s*[×x]\s*20000/);
      expect(error.message).to.include('pixels');
      expect(error.message).to.include(String(LIMITS.maxInputPixels));
      expect(rssGrowth, `rss grew by ${Math.round(rssGrowth / 1e6)} MB`).to.be.below(200 * 1024 * 1024);
    });

    // libvips streams a PNG decode and shrinks as it goes, so even a full decode of the
    // bomb stays well under the rss bound above. What proves "no decode" is that no
    // pixel output was ever asked of sharp.
    it('refuses the bomb from its header alone: no pixel output is produced', async () => {
      const bomb = pngBomb(20000, 20000);
      let error: unknown;
      const decodes = await countDecodes(() => normalizePhoto(bomb, LIMITS).catch((e: unknown) => (error = e)));
      expect(error).to.be.instanceOf(BridgeError);
      expect((error as BridgeError).httpStatus).to.equal(413);
      expect(decodes).to.equal(0);
    });

    it('(control) the decode counter does see the decode of an acceptable image', async () => {
      const input = await samplePhoto(64, 64);
      const decodes = await countDecodes(() => normalizePhoto(input, LIMITS));
      expect(decodes).to.be.at.least(1);
    });
  });
});
