import { expect } from 'chai';
import sharp from 'sharp';
import { BridgeError } from '../../src/domain/errors.js';
import { jpegScanProblem, MAX_JPEG_SCANS, withoutHarmlessFaults } from '../../src/photos/jpeg-scans.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { rejectionOf } from '../support/rejection.js';
import { withRepeatedLastScan, withScansBehindStuffedZeros, withStrayByte } from '../support/shape-bombs.js';

const LIMITS = { maxInputBytes: 10 * 1024 * 1024, maxInputPixels: 40_000_000, jpegQuality: 85 };

/** The scans of a JPEG as a decoder sees them: libvips counts none, so they are counted from the SOS markers a walk meets. */
describe('JPEG scans', () => {
  let progressive: Buffer;
  let scans: number;
  before(async () => {
    const noise = Buffer.alloc(96 * 96 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    progressive = await sharp(noise, { raw: { width: 96, height: 96, channels: 3 } })
      .jpeg({ progressive: true })
      .toBuffer();
    scans = progressive.toString('latin1').split('\xff\xda').length - 1;
  });

  it('lets a progressive photo as encoders write it through, and one of exactly the limit', async () => {
    expect(scans, 'precondition: a progressive JPEG of several scans').to.be.within(2, 20);
    expect(jpegScanProblem(progressive)).to.equal(undefined);
    expect((await normalizePhoto(progressive, LIMITS)).width).to.equal(96);
    expect(jpegScanProblem(withRepeatedLastScan(progressive, MAX_JPEG_SCANS - scans))).to.equal(undefined);
  });

  it('refuses one scan more before decoding: 422, naming the limit', async () => {
    const bomb = withRepeatedLastScan(progressive, MAX_JPEG_SCANS - scans + 1);
    expect(jpegScanProblem(bomb)).to.include(String(MAX_JPEG_SCANS));
    const error = await rejectionOf(normalizePhoto(bomb, LIMITS));
    expect(error).to.be.instanceOf(BridgeError);
    expect([error.httpStatus, error.message]).to.deep.equal([
      422,
      `not a usable image: it is a JPEG of more than ${MAX_JPEG_SCANS} scans; a photo has about ten`,
    ]);
  });

  it('counts on past stray bytes between segments, as libjpeg decodes on past them', async () => {
    expect((await normalizePhoto(withStrayByte(progressive), LIMITS)).width, 'libjpeg decodes past it').to.equal(96);
    expect(jpegScanProblem(withStrayByte(withRepeatedLastScan(progressive, MAX_JPEG_SCANS - scans + 1)))).to.include(String(MAX_JPEG_SCANS));
  });

  it('counts on past a stuffed zero (FF 00) where a marker is due, as libjpeg drops it and decodes on', async () => {
    const hidden = withScansBehindStuffedZeros(withRepeatedLastScan(progressive, MAX_JPEG_SCANS - scans + 1));
    // Decoded as the bridge decodes (failOn 'error': libjpeg's warning about the extraneous bytes passes).
    const pixels = (jpeg: Buffer) => sharp(jpeg, { failOn: 'error' }).raw().toBuffer();
    expect((await pixels(withScansBehindStuffedZeros(progressive))).equals(await pixels(progressive)), 'libjpeg decodes every scan behind one').to.equal(true);
    expect(jpegScanProblem(hidden)).to.include(String(MAX_JPEG_SCANS));
  });

  it('mends what libjpeg skips where a marker is due, one run for bytes side by side, and leaves a file of more runs than a camera writes as it is', async () => {
    const stray = Buffer.concat([progressive.subarray(0, 2), Buffer.from([0x41, 0x42]), progressive.subarray(2)]);
    expect(withoutHarmlessFaults(stray).equals(progressive), 'the stray bytes dropped, nothing else').to.equal(true);
    expect(withoutHarmlessFaults(progressive), 'nothing to mend: the same bytes').to.equal(progressive);
    // A million FF 00 pairs where a marker is due are one run, dropped whole.
    const flood = Buffer.concat([progressive.subarray(0, 2), Buffer.alloc(2_000_000, Buffer.from([0xff, 0x00])), progressive.subarray(2)]);
    expect(withoutHarmlessFaults(flood).equals(progressive)).to.equal(true);
    // Seventeen runs, each after a restart marker (which stands alone): not mended, the same bytes.
    const runs = Buffer.concat([progressive.subarray(0, 2), Buffer.alloc(17 * 3, Buffer.from([0xff, 0xd0, 0x41])), progressive.subarray(2)]);
    expect(withoutHarmlessFaults(runs)).to.equal(runs);
    expect((await normalizePhoto(runs, LIMITS)).width, 'decoded past them').to.equal(96);
  });

  it('counts only the main image: SOS bytes inside a metadata segment (an EXIF thumbnail) are not scans', () => {
    const payload = Buffer.concat([Buffer.from('Exif\0\0'), Buffer.alloc(2 * 2 * MAX_JPEG_SCANS, Buffer.from([0xff, 0xda]))]);
    const app1 = Buffer.concat([Buffer.from([0xff, 0xe1]), Buffer.from([(payload.length + 2) >> 8, (payload.length + 2) & 0xff]), payload]);
    expect(jpegScanProblem(Buffer.concat([progressive.subarray(0, 2), app1, progressive.subarray(2)]))).to.equal(undefined);
  });
});
