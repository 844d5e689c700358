import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import { decodeHevcHeif, HevcDecoderThread, MAX_PENDING_HEVC_DECODES } from '../../src/photos/hevc-decoder.js';
import { DecodeSlots, type ImageLimits } from '../../src/photos/image-limits.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { gate } from '../support/gate.js';
import { rejectionOf } from '../support/rejection.js';
import { samplePhoto } from '../support/sample-images.js';
import { iphoneStyleHeic, MARKER_BLUE, PICTURE_RED } from './iphone-heic.js';

const LIMITS: ImageLimits = { maxInputBytes: 10 * 1024 * 1024, maxInputPixels: 40_000_000, jpegQuality: 85 };

type Rgb = { r: number; g: number; b: number };

async function pixelAt(image: Buffer, x: number, y: number): Promise<Rgb> {
  const { data, info } = await sharp(image).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return { r: data[at]!, g: data[at + 1]!, b: data[at + 2]! };
}

/** Within what a lossy HEVC and JPEG round trip leave of a flat colour. */
function expectNear(actual: Rgb, expected: Rgb, what: string): void {
  for (const channel of ['r', 'g', 'b'] as const) {
    expect(Math.abs(actual[channel] - expected[channel]), `${what}: ${JSON.stringify(actual)} should be near ${JSON.stringify(expected)}`).to.be.at.most(12);
  }
}

/** The X of an ICC profile's red colorant (its rXYZ tag, ICC.1 §9.2.44), adapted to D50. */
function redPrimaryX(icc: Buffer): number {
  for (let tag = 0; tag < icc.readUInt32BE(128); tag++) {
    const entry = 132 + tag * 12;
    if (icc.toString('latin1', entry, entry + 4) === 'rXYZ') return icc.readInt32BE(icc.readUInt32BE(entry + 4) + 8) / 65536;
  }
  throw new Error('no rXYZ tag');
}

describe('HEIC photos from phones (HEVC)', function () {
  let portrait: Buffer; // 1512×2016 upright, a quarter of an iPhone's 12 MP portrait

  before(async () => {
    portrait = await iphoneStyleHeic(1512, 2016);
  });

  describe('the fixture is what an iPhone writes', () => {
    it('is an HEVC-coded HEIF with the heic brand, a P3 profile and a thumbnail, 2016 wide as stored, upright 1512×2016', async () => {
      expect(portrait.toString('latin1', 4, 12)).to.equal('ftypheic');
      expect(portrait.includes(Buffer.from('hvcC'))).to.equal(true);
      expect(portrait.includes(Buffer.from('thmb'))).to.equal(true);
      expect(portrait.includes(Buffer.from('irot'))).to.equal(true);
      expect(portrait.includes(Buffer.from('iPhone 15 Pro'))).to.equal(true);
      const header = await sharp(portrait).metadata();
      expect([header.format, header.compression, header.hasProfile]).to.deep.equal(['heif', 'hevc', true]);
      expect(redPrimaryX(header.icc!), "the profile's red primary is Display P3's, not sRGB's (0.436)").to.be.closeTo(0.515, 0.005);
      expect([header.width, header.height], 'libvips reads the turned size from the header').to.deep.equal([1512, 2016]);
    });

    it("cannot be decoded by sharp's prebuilt libvips (its libheif has the AV1 decoder only) — the reason the bridge decodes HEVC itself", async () => {
      expect(sharp.format.heif.input.buffer).to.equal(true);
      const failure = await sharp(portrait)
        .jpeg()
        .toBuffer()
        .then(
          () => undefined,
          (error: unknown) => error as Error,
        );
      expect(failure?.message).to.match(/compression format|not been built in|bad seek/i);
    });
  });

  describe('normalizePhoto', () => {
    it('decodes it upright to a 486×648 sRGB JPEG without metadata, the marker top-left', async () => {
      const photo = await normalizePhoto(portrait, LIMITS);
      expect([photo.width, photo.height]).to.deep.equal([486, 648]);
      const metadata = await sharp(photo.bytes).metadata();
      expect([metadata.format, metadata.space, metadata.channels]).to.deep.equal(['jpeg', 'srgb', 3]);
      expect([metadata.exif, metadata.icc, metadata.orientation]).to.deep.equal([undefined, undefined, undefined]);
      // irot applied once, the EXIF orientation not again: the marker stays top-left.
      expectNear(await pixelAt(photo.bytes, 60, 80), MARKER_BLUE, 'top-left');
      expectNear(await pixelAt(photo.bytes, 425, 80), PICTURE_RED, 'top-right');
      expectNear(await pixelAt(photo.bytes, 60, 570), PICTURE_RED, 'bottom-left');
    });

    it('converts its Display P3 colours to sRGB: the red is sRGB red, not P3 numbers read as sRGB', async () => {
      const photo = await normalizePhoto(portrait, LIMITS);
      expectNear(await pixelAt(photo.bytes, 364, 486), PICTURE_RED, 'middle of the bottom-right quarter');
      // The same red in Display P3 numbers is about (234, 51, 35): read as sRGB it would fail the check above.
      const p3Numbers = await sharp({ create: { width: 1, height: 1, channels: 3, background: PICTURE_RED } })
        .withIccProfile('p3')
        .raw()
        .toBuffer();
      expect(p3Numbers[1]! - PICTURE_RED.g, 'precondition: P3 numbers differ from sRGB ones by more than the tolerance').to.be.above(30);
    });

    it('decodes a small landscape HEIC to its own size', async () => {
      const photo = await normalizePhoto(await iphoneStyleHeic(320, 240), LIMITS);
      expect([photo.width, photo.height]).to.deep.equal([320, 240]);
      expectNear(await pixelAt(photo.bytes, 40, 30), MARKER_BLUE, 'top-left');
      expectNear(await pixelAt(photo.bytes, 240, 180), PICTURE_RED, 'bottom-right');
    });

    it('refuses more pixels than maxInputPixels with 413 from the header, before decoding', async () => {
      const error = await rejectionOf(normalizePhoto(portrait, { ...LIMITS, maxInputPixels: 1512 * 2016 - 1 }));
      expect(error.httpStatus).to.equal(413);
      expect(error.responseCode).to.equal('ErrorMessageSizeExceeded');
      expect(error.message).to.include('1512×2016');
    });

    it('refuses more bytes than maxInputBytes with 413', async () => {
      const error = await rejectionOf(normalizePhoto(portrait, { ...LIMITS, maxInputBytes: portrait.length - 1 }));
      expect(error.httpStatus).to.equal(413);
      expect(error.message).to.include(String(portrait.length));
    });

    it('answers a HEIC whose HEVC data is damaged with 422 ErrorInvalidImage', async () => {
      const damaged = Buffer.from(portrait);
      const mdat = damaged.indexOf('mdat');
      damaged.fill(0x5a, mdat + 4, damaged.length);
      const error = await rejectionOf(normalizePhoto(damaged, LIMITS));
      expect(error.httpStatus).to.equal(422);
      expect(error.responseCode).to.equal('ErrorInvalidImage');
    });
  });

  describe('decodeHevcHeif', () => {
    it('checks the pixel count again from its own reading of the header, before decoding', async () => {
      const error = await rejectionOf(decodeHevcHeif(portrait, 1000));
      expect(error.httpStatus).to.equal(413);
      expect(error.message).to.include('1512×2016');
    });

    it(`decodes one at a time with at most ${MAX_PENDING_HEVC_DECODES} pending; more are told 503 ErrorServerBusy with Retry-After`, async () => {
      const small = await iphoneStyleHeic(64, 48);
      const outcomes = await Promise.allSettled(Array.from({ length: MAX_PENDING_HEVC_DECODES + 2 }, () => decodeHevcHeif(small, LIMITS.maxInputPixels)));
      const decoded = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const refused = outcomes.flatMap((outcome) =>
        outcome.status === 'rejected' ? [outcome.reason as { httpStatus: number; responseCode: string; retryAfterSeconds?: number }] : [],
      );
      expect(decoded).to.have.length(MAX_PENDING_HEVC_DECODES);
      expect(decoded.map((outcome) => [outcome.value.width, outcome.value.height, outcome.value.rgba.length])[0]).to.deep.equal([64, 48, 64 * 48 * 4]);
      expect(refused.map((error) => [error.httpStatus, error.responseCode])).to.deep.equal([
        [503, 'ErrorServerBusy'],
        [503, 'ErrorServerBusy'],
      ]);
      expect(refused[0]!.retryAfterSeconds).to.be.above(0);
      // Once the queue drained, a new decode is accepted again.
      expect((await decodeHevcHeif(small, LIMITS.maxInputPixels)).width).to.equal(64);
    });
  });

  it('waits for the HEVC thread without holding a decode slot: another upload is decoded meanwhile', async () => {
    const small = await iphoneStyleHeic(64, 48);
    const threadHeld = gate();
    const holder = decodeHevcHeif(small, LIMITS.maxInputPixels, async (image) => {
      await threadHeld.opened;
      return image;
    });
    const limits = { ...LIMITS, decodes: new DecodeSlots(1, 1) };
    const finished: string[] = [];
    const heic = normalizePhoto(portrait, limits).finally(() => finished.push('heic'));
    const jpeg = normalizePhoto(await samplePhoto(64, 64), limits).finally(() => finished.push('jpeg'));
    // Before, the HEIC kept the one slot while it waited for the thread, so the JPEG waited for the HEIC.
    expect((await jpeg).width).to.equal(64);
    threadHeld.open();
    expect((await holder).width).to.equal(64);
    expect([(await heic).width, (await heic).height]).to.deep.equal([486, 648]);
    expect(finished).to.deep.equal(['jpeg', 'heic']);
  });

  describe('the decoder thread, kept between photos', () => {
    let small: Buffer;
    const sizeOf = async (decoding: Promise<{ width: number; height: number; rgba: Buffer }>) => {
      const { width, height, rgba } = await decoding;
      return [width, height, rgba.length];
    };
    const busy = { httpStatus: 503, responseCode: 'ErrorServerBusy' };

    before(async () => {
      small = await iphoneStyleHeic(64, 48);
    });

    it('decodes photos one after another, and a full queue still answers 503 once it is warm', async () => {
      const thread = new HevcDecoderThread();
      expect(await sizeOf(thread.decode(small, LIMITS.maxInputPixels))).to.deep.equal([64, 48, 64 * 48 * 4]);
      expect(await sizeOf(thread.decode(portrait, LIMITS.maxInputPixels))).to.deep.equal([1512, 2016, 1512 * 2016 * 4]);
      const outcomes = await Promise.allSettled(Array.from({ length: MAX_PENDING_HEVC_DECODES + 1 }, () => thread.decode(small, LIMITS.maxInputPixels)));
      expect(outcomes.map((outcome) => outcome.status)).to.deep.equal([...Array<string>(MAX_PENDING_HEVC_DECODES).fill('fulfilled'), 'rejected']);
      expect((outcomes.at(-1) as PromiseRejectedResult).reason).to.include(busy);
      expect(await sizeOf(thread.decode(small, LIMITS.maxInputPixels))).to.deep.equal([64, 48, 64 * 48 * 4]);
    });

    it('is not spoilt by a damaged file or one with too many pixels: the next photo decodes', async () => {
      const thread = new HevcDecoderThread();
      const damaged = Buffer.from(small);
      damaged.fill(0x5a, damaged.indexOf('mdat') + 4);
      expect(await rejectionOf(thread.decode(damaged, LIMITS.maxInputPixels))).to.include({ httpStatus: 422, responseCode: 'ErrorInvalidImage' });
      expect(await rejectionOf(thread.decode(small, 100))).to.include({ httpStatus: 413 });
      expect(await rejectionOf(thread.decode(Buffer.from('not a HEIF file'), LIMITS.maxInputPixels))).to.include({ httpStatus: 422 });
      expect(await sizeOf(thread.decode(small, LIMITS.maxInputPixels))).to.deep.equal([64, 48, 64 * 48 * 4]);
    });

    it('starts a new thread when the last one was ended (here: after every photo, as after one that grew its memory too far)', async () => {
      const thread = new HevcDecoderThread(0);
      for (let photo = 0; photo < 3; photo++) expect(await sizeOf(thread.decode(small, LIMITS.maxInputPixels))).to.deep.equal([64, 48, 64 * 48 * 4]);
    });

    it('keeps a process alive while it decodes (the second photo too), and lets it end by itself once idle', function () {
      // A node start of its own; on a loaded machine it can take seconds.
      this.timeout(90_000);
      const dir = mkdtempSync(join(tmpdir(), 'epb-hevc-thread-'));
      try {
        writeFileSync(join(dir, 'small.heic'), small);
        const decoder = new URL('../../src/photos/hevc-decoder.ts', import.meta.url).href;
        writeFileSync(
          join(dir, 'decode.mts'),
          `import { readFileSync } from 'node:fs';
import { decodeHevcHeif } from '${decoder}';
const file = readFileSync(${JSON.stringify(join(dir, 'small.heic'))});
for (let photo = 0; photo < 2; photo++) {
  const { width, height } = await decodeHevcHeif(file, 1e6);
  console.log(\`\${width}×\${height}\`);
}
`,
        );
        // Would be cut off with no output if the thread were not held during the decode, and killed by the timeout if it were held after.
        const run = spawnSync(process.execPath, ['--import', 'tsx', join(dir, 'decode.mts')], { encoding: 'utf8', timeout: 60_000 });
        expect([run.status, run.stdout, run.stderr]).to.deep.equal([0, '64×48\n64×48\n', '']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe('AVIF photos tagged by colour codes alone (an nclx colour property, no ICC profile)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'epb-nclx-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A flat 64×64 AVIF of these RGB numbers, coded by libheif's heif-enc with AV1, its nclx property then made to say `primaries` and `transfer`. */
  async function avifTagged(numbers: Buffer, primaries: number, transfer: number): Promise<Buffer> {
    const [png, avif] = [join(dir, 'in.png'), join(dir, 'out.avif')];
    await sharp(numbers, { raw: { width: 1, height: 1, channels: 3 } })
      .resize(64, 64)
      .png()
      .toFile(png);
    const encoded = spawnSync('heif-enc', ['-A', '--quality', '90', '--output', avif, png]);
    expect(encoded.status, String(encoded.stderr)).to.equal(0);
    const bytes = readFileSync(avif);
    const nclx = bytes.indexOf('colrnclx');
    expect(nclx, 'precondition: heif-enc writes an nclx colour property').to.be.above(0);
    bytes.writeUInt16BE(primaries, nclx + 8);
    bytes.writeUInt16BE(transfer, nclx + 10);
    expect((await sharp(bytes).metadata()).icc, 'precondition: no ICC profile').to.equal(undefined);
    return bytes;
  }

  it('converts Display P3 (primaries 12, the sRGB transfer 13) to sRGB, as a P3 ICC profile is; BT.709 codes are sRGB numbers already', async () => {
    const p3Numbers = await sharp({ create: { width: 1, height: 1, channels: 3, background: PICTURE_RED } })
      .withIccProfile('p3')
      .raw()
      .toBuffer();
    const p3Photo = await normalizePhoto(await avifTagged(p3Numbers, 12, 13), LIMITS);
    expectNear(await pixelAt(p3Photo.bytes, 32, 32), PICTURE_RED, 'Display P3 by its codes');
    const asNumbers = { r: p3Numbers[0]!, g: p3Numbers[1]!, b: p3Numbers[2]! };
    const bt709Photo = await normalizePhoto(await avifTagged(p3Numbers, 1, 1), LIMITS);
    expectNear(await pixelAt(bt709Photo.bytes, 32, 32), asNumbers, 'BT.709 codes: the numbers as they are');
  });
});
