import { expect } from 'chai';
import sharp from 'sharp';
import { exifProblem } from '../../src/photos/exif-loops.js';
import type { ImageLimits } from '../../src/photos/image-limits.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { exifLoop, jpegWithExif, pngWithExif } from '../abuse/hostile-images.js';
import { rejectionOf } from '../support/rejection.js';

const LIMITS: ImageLimits = { maxInputBytes: 10 * 1024 * 1024, maxInputPixels: 40_000_000, jpegQuality: 85 };

/** What a camera writes: IFD0 with orientation, an EXIF IFD and a GPS IFD, each reached once. */
async function cameraJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 80, height: 40, channels: 3, background: '#2080c0' } })
    .withMetadata({ orientation: 6, exif: { IFD0: { Make: 'Contoso', Model: 'Camera' }, IFD2: { ExposureTime: '1/60' }, IFD3: { GPSLatitudeRef: 'N' } } })
    .jpeg()
    .toBuffer();
}

describe('EXIF that loops (libexif loads an IFD once per pointer to it)', () => {
  it('refuses a JPEG whose APP1 points back at its own IFD 5,400 times, before libvips reads it', async () => {
    const error = await rejectionOf(normalizePhoto(await jpegWithExif(exifLoop()), LIMITS));
    expect(error.httpStatus).to.equal(422);
    expect(error.responseCode).to.equal('ErrorInvalidImage');
    expect(error.message).to.match(/EXIF metadata reaches the same IFD twice/);
  });

  it('refuses the same structure in a PNG eXIf chunk', async () => {
    const error = await rejectionOf(normalizePhoto(await pngWithExif(exifLoop()), LIMITS));
    expect(error.responseCode).to.equal('ErrorInvalidImage');
  });

  it('refuses a single pointer back to IFD0, and a little-endian one', () => {
    expect(exifProblem(exifLoop(1))).to.match(/same IFD twice/);
    const little = exifLoop(1);
    little.write('II*\0', 0, 'latin1');
    little.writeUInt32LE(8, 4);
    little.writeUInt16LE(1, 8);
    little.writeUInt16LE(0x8769, 10);
    little.writeUInt32LE(8, 18);
    expect(exifProblem(little)).to.match(/same IFD twice/);
  });

  it('refuses a file made of TIFF headers beyond the walk budget', () => {
    expect(exifProblem(Buffer.from('MM\0*'.repeat(25_000), 'latin1'))).to.match(/more EXIF structures/);
  });

  it("accepts a camera's EXIF and still turns the photo upright by it", async () => {
    const camera = await cameraJpeg();
    expect(exifProblem(camera)).to.equal(undefined);
    const photo = await normalizePhoto(camera, LIMITS);
    expect([photo.width, photo.height]).to.deep.equal([40, 80]);
  });

  it('accepts pixels that happen to hold no TIFF structure, and truncated headers', () => {
    expect(exifProblem(Buffer.alloc(1024, 0x5a))).to.equal(undefined);
    expect(exifProblem(Buffer.from('xxMM\0*\0\0', 'latin1'))).to.equal(undefined);
    expect(exifProblem(Buffer.from('MM\0*\xff\xff\xff\xff', 'latin1'))).to.equal(undefined);
  });
});
