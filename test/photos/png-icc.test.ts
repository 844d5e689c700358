import { expect } from 'chai';
import sharp from 'sharp';
import { withIccChunk } from '../../src/photos/png-icc.js';

/** The data of the PNG's iCCP chunk: keyword, NUL, compression method, zlib stream. */
function iccpData(png: Buffer): Buffer {
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'iCCP') return png.subarray(at + 8, at + 8 + length);
    at += 12 + length;
  }
  throw new Error('no iCCP chunk');
}

describe('withIccChunk: the profile a HEIF decoder handed back, on the PNG sharp reads next', () => {
  it('carries the profile byte for byte, which sharp reads back', async () => {
    const profile = (
      await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } })
        .withIccProfile('p3')
        .jpeg()
        .toBuffer()
        .then((jpeg) => sharp(jpeg).metadata())
    ).icc!;
    const plain = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const tagged = await withIccChunk(plain, profile);
    expect(Buffer.compare((await sharp(tagged).metadata()).icc!, profile)).to.equal(0);
  });

  it('stores the profile uncompressed (zlib level 0): a large one that compresses slowly held the event loop ~2 s at the default level', async () => {
    // 2 MB of four letters at random: what deflate's default level is slowest at.
    const letters = Buffer.from(Array.from({ length: 2_000_000 }, (_, i) => 97 + ((i * 2_654_435_761) >>> 30)));
    const plain = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#000000' } })
      .png()
      .toBuffer();
    const data = iccpData(await withIccChunk(plain, letters));
    // Past 'ICC', its NUL and the method byte, the zlib stream: the profile as it is, in stored blocks (a few bytes of framing each); compressed, it took a quarter.
    const stream = data.length - 5;
    expect([stream > letters.length, stream < letters.length * 1.001]).to.deep.equal([true, true]);
  });
});
