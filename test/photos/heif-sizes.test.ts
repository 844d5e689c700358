import { expect } from 'chai';
import sharp from 'sharp';
import { heifSizes, MAX_HEIF_ITEMS, type Size } from '../../src/photos/heif-sizes.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { rejectionOf } from '../support/rejection.js';
import { avifDeclaring, avifGrid, avifWithAlpha, box, fullBox, u16, u32 } from '../support/shape-bombs.js';

const sizes = (bytes: Buffer) => heifSizes(bytes) as Size[];
const infe = (id: number, type: string) => fullBox('infe', 2, 0, u16(id), u16(0), Buffer.from(`${type}\0`, 'latin1'));

/** ImageGrid data (HEIF §6.6.2.3): 31×31 tiles and the size they make; 32-bit sizes when `wide`. */
function gridData(width: number, height: number, wide = false): Buffer {
  const size = wide ? Buffer.concat([u32(width), u32(height)]) : Buffer.concat([u16(width), u16(height)]);
  return Buffer.concat([Buffer.from([0, wide ? 1 : 0, 30, 30]), size]);
}

/**
 * A HEIF whose primary item (1) is of `primaryType`, its data `data` kept in `idat`
 * (construction method 1) or, with `inMdat`, in an mdat after meta at a file offset
 * (method 0). No tiles: only the boxes that say what the primary item decodes to.
 * `infes` replaces the item list, `extents` the primary's one extent (offset, length).
 */
function heif(primaryType: string, data: Buffer, inMdat = false, { infes, extents }: { infes?: Buffer[]; extents?: [number, number][] } = {}): Buffer {
  const ftyp = box('ftyp', Buffer.from('heic', 'latin1'), u32(0), Buffer.from('mif1heic', 'latin1'));
  const pieces = (offset: number) => extents ?? [[offset, data.length]];
  const iloc = (offset: number) =>
    fullBox(
      'iloc',
      1,
      0,
      u16((4 << 12) | (4 << 8)),
      u16(1),
      u16(1),
      u16(inMdat ? 0 : 1),
      u16(0),
      u16(pieces(offset).length),
      ...pieces(offset).flatMap(([at, length]) => [u32(at), u32(length)]),
    );
  const items = infes ?? [infe(1, primaryType), infe(2, 'hvc1')];
  const metaWith = (offset: number) =>
    fullBox(
      'meta',
      0,
      0,
      fullBox('pitm', 0, 0, u16(1)),
      fullBox('iinf', 0, 0, u16(items.length), ...items),
      iloc(offset),
      ...(inMdat ? [] : [box('idat', data)]),
      box('iprp', box('ipco', fullBox('ispe', 0, 0, u32(100), u32(100)))),
    );
  if (!inMdat) return Buffer.concat([ftyp, metaWith(0)]);
  const offset = ftyp.length + metaWith(0).length + 8;
  return Buffer.concat([ftyp, metaWith(offset), box('mdat', data)]);
}

describe('HEIF tiled images: the size they decode to', () => {
  const ISPE = { width: 100, height: 100 };

  it('reads a grid’s own size, whatever its ispe says: kept in idat or at a file offset, 16- or 32-bit', () => {
    expect(sizes(heif('grid', gridData(16368, 16368)))).to.deep.equal([ISPE, { width: 16368, height: 16368 }]);
    expect(sizes(heif('grid', gridData(70000, 500, true), true))).to.deep.equal([ISPE, { width: 70000, height: 500 }]);
    const overlay = Buffer.concat([Buffer.from([0, 0]), Buffer.alloc(8), u16(9000), u16(8000)]);
    expect(sizes(heif('iovl', overlay))).to.deep.equal([ISPE, { width: 9000, height: 8000 }]);
  });

  it('reads every grid, the primary or not (an alpha plane may be one)', () => {
    const second = heif('hvc1', gridData(16368, 16368), false, { infes: [infe(2, 'hvc1'), infe(1, 'grid')] });
    expect(sizes(second)).to.deep.equal([ISPE, { width: 16368, height: 16368 }]);
  });

  it('tells no grid size of an image that is not tiled, and nothing of a cut file or of what is no HEIF', async () => {
    expect(sizes(heif('hvc1', gridData(16368, 16368)))).to.deep.equal([ISPE]);
    const grid = heif('grid', gridData(16368, 16368));
    expect(sizes(grid.subarray(0, grid.length - 6))).to.deep.equal([]);
    const avif = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#369' } })
      .avif()
      .toBuffer();
    expect(sizes(avif)).to.deep.equal([
      { width: 300, height: 200 },
      { width: 300, height: 200 },
    ]);
    expect(sizes(await sharp(avif).jpeg().toBuffer())).to.deep.equal([]);
  });

  it('refuses what a decoder reads otherwise than this reading would: an item listed or located twice, data in pieces (each let 8000×8000 past)', () => {
    const data = gridData(16368, 16368);
    expect(heifSizes(heif('grid', data, false, { infes: [infe(1, 'hvc1'), infe(1, 'grid')] }))).to.deep.equal({ problem: 'an item is listed twice' });
    expect(
      heifSizes(
        heif('grid', data, false, {
          extents: [
            [0, 4],
            [4, data.length - 4],
          ],
        }),
      ),
    ).to.deep.equal({ problem: "an item's data is in pieces" });
  });
});

/** An AV1 sequence header OBU with a reduced still-picture header (AV1 §5.5.1) that allows frames of width × height. */
function sequenceHeaderObu(width: number, height: number): Buffer {
  const fields: [number, number][] = [
    [0, 3], // seq_profile
    [1, 1], // still_picture
    [1, 1], // reduced_still_picture_header
    [0, 5], // seq_level_idx[0]
    [15, 4], // frame_width_bits_minus_1: 16 bits
    [15, 4], // frame_height_bits_minus_1
    [width - 1, 16],
    [height - 1, 16],
  ];
  const bits = fields.flatMap(([value, count]) => Array.from({ length: count }, (_, i) => (value >> (count - 1 - i)) & 1));
  const payload = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => (payload[i >> 3]! |= bit << (7 - (i & 7))));
  // obu_header: type 1 (sequence header), has_size; then the size in one LEB128 byte.
  return Buffer.concat([Buffer.from([(1 << 3) | (1 << 1), payload.length]), payload]);
}

describe('AV1 items: every sequence header read', () => {
  it('counts the largest of several sequence headers: a decoder goes by the last, and the first said 64×64', () => {
    const temporalDelimiter = Buffer.from([(2 << 3) | (1 << 1), 0]);
    const obus = Buffer.concat([temporalDelimiter, sequenceHeaderObu(64, 64), sequenceHeaderObu(8000, 8000)]);
    expect(sizes(heif('av01', obus))).to.deep.equal([
      { width: 100, height: 100 },
      { width: 8000, height: 8000 },
    ]);
    expect(heifSizes(heif('av01', Buffer.concat(Array<Buffer>(65).fill(temporalDelimiter))))).to.deep.equal({
      problem: 'its AV1 data has more than 64 parts (OBUs)',
    });
  });
});

describe('HEIF tiled images at upload', () => {
  const LIMITS = { maxInputBytes: 10 * 1024 * 1024, maxInputPixels: 10_000, jpegQuality: 85 };

  it('decodes a grid that tells its size truly, and refuses one whose ispe hides a larger one: 413 from the grid’s size', async () => {
    const truthful = await normalizePhoto(await avifGrid(1, 2, { width: 128, height: 64 }), LIMITS);
    expect([truthful.width, truthful.height]).to.deep.equal([128, 64]);
    const hidden = await avifGrid(2, 2, { width: 100, height: 100 });
    expect((await sharp(hidden).metadata()).width, 'precondition: libvips reports the ispe').to.equal(100);
    const error = await rejectionOf(normalizePhoto(hidden, LIMITS));
    expect([error.httpStatus, error.message]).to.deep.equal([413, 'image is 128×128 pixels; the limit is 10000 pixels']);
  });
});

describe('HEIF items beside the primary, and AV1 coded sizes', () => {
  const LIMITS = { maxInputBytes: 10 * 1024 * 1024, maxInputPixels: 10_000, jpegQuality: 85 };

  it('reads every ispe and each AV1 item’s coded size (its sequence header), as sharp writes them', async () => {
    expect(sizes(await avifWithAlpha({ width: 96, height: 80 }))).to.deep.equal([
      { width: 64, height: 64 },
      { width: 96, height: 80 },
      { width: 64, height: 64 },
      { width: 96, height: 80 },
    ]);
    expect(sizes(await avifDeclaring({ width: 64, height: 64 }, { width: 120, height: 90 }))).to.deep.equal([
      { width: 64, height: 64 },
      { width: 120, height: 90 },
    ]);
    expect(
      sizes(
        await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
          .png()
          .toBuffer(),
      ),
    ).to.deep.equal([]);
  });

  it('stores a photo with a small alpha plane, and refuses one whose alpha plane is over the limit: 413 (8000×8000 in 1,176 bytes took 1.2 GB and was stored)', async () => {
    const fitting = await normalizePhoto(await avifWithAlpha({ width: 64, height: 64 }), LIMITS);
    expect([fitting.width, fitting.height]).to.deep.equal([64, 64]);
    const error = await rejectionOf(normalizePhoto(await avifWithAlpha({ width: 120, height: 120 }), LIMITS));
    expect([error.httpStatus, error.message]).to.deep.equal([413, 'image is 120×120 pixels; the limit is 10000 pixels']);
  });

  it('refuses an AV1 image coded larger than its ispe says, from the sequence header: 413 (64×64 said, 8000×8000 coded: 1.2 GB before a 422)', async () => {
    const lying = await avifDeclaring({ width: 64, height: 64 }, { width: 120, height: 120 });
    expect((await sharp(lying).metadata()).width, 'precondition: libvips reports the ispe').to.equal(64);
    const error = await rejectionOf(normalizePhoto(lying, LIMITS));
    expect([error.httpStatus, error.message]).to.deep.equal([413, 'image is 120×120 pixels; the limit is 10000 pixels']);
  });

  it(`reads no file listing more than ${MAX_HEIF_ITEMS} items (10,000 tiles took 30–56 ms of the event loop to read)`, async () => {
    const side = Math.ceil(Math.sqrt(MAX_HEIF_ITEMS));
    expect(sizes(await avifGrid(side - 1, side - 1, { width: 16, height: 16 }, 16))).to.deep.include({ width: (side - 1) * 16, height: (side - 1) * 16 });
    expect(heifSizes(await avifGrid(side, side, { width: 16, height: 16 }, 16))).to.deep.equal({ problem: `it lists more than ${MAX_HEIF_ITEMS} items` });
  });

  it('refuses an AV1 item whose data does not begin with a sequence header it can read: 422', async () => {
    const avif = await avifDeclaring({ width: 64, height: 64 }, { width: 64, height: 64 });
    const data = avif.lastIndexOf(Buffer.from('mdat', 'latin1')) + 4;
    const sequenceHeader = data + 2;
    const type = (at: number) => (avif[at]! >> 3) & 0xf;
    expect([type(data), type(sequenceHeader)], 'precondition: a temporal delimiter (2 bytes), then the sequence header').to.deep.equal([2, 1]);
    // Its type (bits 1–4 of the header byte) made padding: what follows is no sequence header.
    const headerless = Buffer.from(avif);
    headerless[sequenceHeader] = (headerless[sequenceHeader]! & 0x87) | (15 << 3);
    expect(heifSizes(headerless)).to.deep.equal({ problem: 'its AV1 data does not begin with a sequence header' });
    const error = await rejectionOf(normalizePhoto(headerless, LIMITS));
    expect([error.httpStatus, error.message]).to.deep.equal([422, 'not a usable image: its AV1 data does not begin with a sequence header']);
  });
});
