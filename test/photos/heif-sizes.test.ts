import { expect } from 'chai';
import sharp from 'sharp';
import { boxesIn, heifSizes, MAX_CODED_PIXELS_FACTOR, MAX_HEIF_ITEMS, MAX_PROPERTY_ASSOCIATIONS, type HeifSizes } from '../../src/photos/heif-sizes.js';
import { decodeHevcHeif } from '../../src/photos/hevc-decoder.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { MAX_SEQUENCE_PARAMETER_SETS } from '../../src/photos/hevc-sps.js';
import { MAX_SEQUENCE_HEADERS } from '../../src/photos/av1-sequence-header.js';
import { rejectionOf } from '../support/rejection.js';
import {
  avifConfiguredWith,
  avifDeclaring,
  avifGrid,
  avifOfFrames,
  avifWithAlpha,
  box,
  fullBox,
  heicDeclaring,
  heifFile,
  hvcCBox,
  miniBox,
  nalUnitData,
  u16,
  u32,
  x265Image,
  type HevcImage,
} from '../support/shape-bombs.js';
import { iphoneStyleHeic } from './iphone-heic.js';

const sizes = (bytes: Buffer) => (heifSizes(bytes) as HeifSizes).sizes;
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
  const items = infes ?? [infe(1, primaryType), infe(2, 'Exif')];
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
    const second = heif('grid', gridData(16368, 16368), false, { infes: [infe(2, 'Exif'), infe(1, 'grid')] });
    expect(sizes(second)).to.deep.equal([ISPE, { width: 16368, height: 16368 }]);
  });

  it('tells no grid size of an image that is not tiled, and nothing of a cut file or of what is no HEIF', async () => {
    expect(sizes(heif('jpeg', gridData(16368, 16368)))).to.deep.equal([ISPE]);
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

  it(`reads no more than ${MAX_SEQUENCE_HEADERS} sequence headers in a file: five items of 60 each are refused`, () => {
    const ftyp = box('ftyp', Buffer.from('avif\0\0\0\0avifmif1', 'latin1'));
    const items = (count: number) =>
      Array.from({ length: count }, () => ({ type: 'av01', properties: [], data: Buffer.concat(Array<Buffer>(60).fill(sequenceHeaderObu(64, 64))) }));
    expect(sizes(heifFile(ftyp, items(4)))).to.have.length(4);
    expect(heifSizes(heifFile(ftyp, items(5)))).to.deep.equal({ problem: `it has more than ${MAX_SEQUENCE_HEADERS} AV1 sequence headers` });
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

describe('HEIF coded items in all', () => {
  const LIMITS = { maxInputBytes: 10 * 1024 * 1024, maxInputPixels: 10_000, jpegQuality: 85 };

  it(`refuses images whose coded items come to more than ${MAX_CODED_PIXELS_FACTOR} times the limit: each tile is decoded whole, however little of it the canvas shows (25 tiles of 4000×4000 on a 4000×4000 canvas took 1.2 GB, 3.2 s of both cores)`, async () => {
    const square = { width: 100, height: 100 };
    const overlapping = await avifGrid(2, 2, square, 100, square);
    expect((await sharp(overlapping).metadata()).width, 'precondition: libvips reads the grid').to.equal(100);
    expect(
      sizes(overlapping).every(({ width, height }) => width * height <= LIMITS.maxInputPixels),
      'precondition: each size within the limit',
    ).to.equal(true);
    const error = await rejectionOf(normalizePhoto(overlapping, LIMITS));
    expect([error.httpStatus, error.message]).to.deep.equal([413, 'its coded images come to 40000 pixels in all; the limit is 30000 pixels (3 times 10000)']);
    // Each frame of an AV1 item is decoded too: 60 of 4000×4000 in one item (12 KB) took 4.8 s of a thread, one 0.46 s.
    const framed = await avifOfFrames(100, 4);
    expect((await sharp(framed).metadata()).width, 'precondition: libvips reads it').to.equal(100);
    const framedError = await rejectionOf(normalizePhoto(framed, LIMITS));
    expect([framedError.httpStatus, framedError.message]).to.deep.equal([
      413,
      'its coded images come to 40000 pixels in all; the limit is 30000 pixels (3 times 10000)',
    ]);
    expect((await normalizePhoto(await avifOfFrames(100, 1), LIMITS)).width).to.equal(100);
    // Tiles that make their canvas, with a few rows and columns to spare, pass.
    const fitting = await normalizePhoto(await avifGrid(3, 3, { width: 90, height: 90 }, 32, { width: 90, height: 90 }), LIMITS);
    expect([fitting.width, fitting.height]).to.deep.equal([90, 90]);
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

  it('reads the sequence headers in an item’s av1C too: libheif hands them to the decoder ahead of the data (1,078 bytes hid an 8000×8000 frame there: 1 GB)', async () => {
    const configured = await avifConfiguredWith({ width: 64, height: 64 }, { width: 120, height: 120 });
    expect((await sharp(configured).metadata()).width, 'precondition: libvips reports the ispe').to.equal(64);
    expect(sizes(configured)).to.deep.include({ width: 120, height: 120 });
    const error = await rejectionOf(normalizePhoto(configured, LIMITS));
    expect([error.httpStatus, error.message]).to.deep.equal([413, 'image is 120×120 pixels; the limit is 10000 pixels']);
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

/**
 * An SPS NAL unit (H.265 §7.3.2.2) up to its size, coding width × height: the general
 * profile x265 writes, then `subLayers` sub-layers beyond the first, each with its level and
 * every other one with its profile; its bytes escaped as a NAL unit's are (§7.3.1.1).
 */
function spsNal(width: number, height: number, { subLayers = 0, layer = 0 } = {}): Buffer {
  const bits: number[] = [];
  const u = (value: number, count: number) => {
    for (let i = count - 1; i >= 0; i--) bits.push(Math.floor(value / 2 ** i) % 2);
  };
  const ue = (value: number) => {
    const length = Math.floor(Math.log2(value + 1));
    u(0, length);
    u(value + 1, length + 1);
  };
  // Main Still Picture (3), compatible with Main and Main 10, progressive and frame-only, level 30.
  const general = Buffer.from('037000000090000000000' + '01e', 'hex');
  u(0, 4); // sps_video_parameter_set_id
  u(subLayers, 3);
  u(1, 1); // sps_temporal_id_nesting_flag
  general.forEach((byte) => u(byte, 8));
  const present = Array.from({ length: subLayers }, (_, i) => i % 2 === 0);
  present.forEach((profile) => u(profile ? 0b11 : 0b01, 2));
  if (subLayers > 0) u(0, 2 * (8 - subLayers));
  for (const profile of present) {
    if (profile) general.subarray(0, 11).forEach((byte) => u(byte, 8));
    u(30, 8);
  }
  ue(0); // sps_seq_parameter_set_id
  ue(1); // chroma_format_idc: 4:2:0
  ue(width);
  ue(height);
  u(1, 1); // a stop bit, then zeros to the byte: the rest of an SPS is not read
  while (bits.length % 8) bits.push(0);
  const escaped: number[] = [(33 << 1) | (layer >> 5), ((layer & 31) << 3) | 1];
  for (let i = 0; i < bits.length; i += 8) {
    const byte = bits.slice(i, i + 8).reduce((value, bit) => value * 2 + bit, 0);
    if (escaped.length >= 4 && escaped.at(-1) === 0 && escaped.at(-2) === 0 && byte <= 3) escaped.push(3);
    escaped.push(byte);
  }
  return Buffer.from(escaped);
}

/**
 * `heic` (ftyp, meta, mdat as heifFile writes them) with the meta box of `other` after its
 * own: both locate their item's data in the one mdat, which moves past both.
 */
function withSecondMeta(heic: Buffer, other: Buffer): Buffer {
  const [ftyp, meta, mdat] = boxesIn(heic, 0, heic.length).map((found) => heic.subarray(found.start - 8, found.end));
  const second = boxesIn(other, 0, other.length)[1]!;
  const metas = [meta!, other.subarray(second.start - 8, second.end)].map((found) => Buffer.from(found));
  // iloc version 0, one item of one extent: its offset is 14 bytes into the box's content.
  metas.forEach((copy, i) => {
    const at = copy.indexOf('iloc') + 4 + 14;
    copy.writeUInt32BE(copy.readUInt32BE(at) + metas[1 - i]!.length, at);
  });
  return Buffer.concat([ftyp!, ...metas, mdat!]);
}

const isSps = (unit: Buffer) => unit[0]! >> 1 === 33;
const ESCAPE = Buffer.from([0, 0, 3]);

describe('HEVC items: every SPS read', () => {
  let small: HevcImage; // 64×64, coded by x265
  let large: HevcImage; // 120×120
  const SQUARE_64 = { width: 64, height: 64 };
  const heic = (hvcC: Buffer, data: Buffer, declared = SQUARE_64) => heicDeclaring(small.ftyp, declared, hvcC, data);

  before(async () => {
    [small, large] = await Promise.all([x265Image(64, 64), x265Image(120, 120)]);
  });

  it('reads the size x265 codes in its SPS, escaped bytes and all, whatever the ispe says; and an iPhone-style HEIC’s', async () => {
    expect(large.units.find(isSps)!.includes(ESCAPE), 'precondition: x265’s SPS holds emulation prevention bytes').to.equal(true);
    expect(sizes(heic(hvcCBox(small.configuration, small.units), small.coded))).to.deep.equal([SQUARE_64, SQUARE_64]);
    expect(sizes(heic(hvcCBox(large.configuration, large.units), large.coded))).to.deep.equal([SQUARE_64, { width: 120, height: 120 }]);
    // Stored turned a quarter (irot), in a grid of one tile, with a thumbnail: every item's sizes fit what the photo is.
    const iphone = sizes(await iphoneStyleHeic(320, 240));
    expect(new Set(iphone.map(({ width, height }) => `${width}×${height}`))).to.deep.equal(new Set(['240×320', '120×160']));
  });

  it('counts an SPS in the item’s data over the hvcC’s: the decoder goes by the last it meets', () => {
    const data = Buffer.concat([nalUnitData(...large.units), large.coded]);
    expect(sizes(heic(hvcCBox(small.configuration, small.units), data))).to.deep.equal([SQUARE_64, { width: 120, height: 120 }]);
    // Every SPS is read, in hvcC and data alike; the largest counts.
    const several = hvcCBox(small.configuration, [spsNal(8000, 8000), spsNal(64, 64)]);
    expect(sizes(heic(several, nalUnitData(spsNal(100, 100))))).to.deep.equal([SQUARE_64, { width: 8000, height: 8000 }]);
  });

  it('reads an SPS of several sub-layers (their profiles and levels come before the size), and escaped bytes within its size', () => {
    for (const subLayers of [1, 2, 5, 6]) {
      const hvcC = hvcCBox(small.configuration, [spsNal(8000, 6000, { subLayers })]);
      expect(sizes(heic(hvcC, Buffer.alloc(0))), `${subLayers} sub-layers`).to.deep.equal([SQUARE_64, { width: 8000, height: 6000 }]);
    }
    // 2^24 − 1 is coded as 24 zero bits, a one and 24 zero bits: escaped in the SPS, read as zeros.
    const escaped = spsNal(2 ** 24 - 1, 2);
    const escapes = (nal: Buffer) => {
      let count = 0;
      for (let at = nal.indexOf(ESCAPE); at >= 0; at = nal.indexOf(ESCAPE, at + 3)) count++;
      return count;
    };
    expect(escapes(escaped), 'precondition: more emulation prevention bytes than the profile’s').to.be.above(escapes(spsNal(64, 64)));
    expect(sizes(heic(hvcCBox(small.configuration, [escaped]), Buffer.alloc(0)))).to.deep.equal([SQUARE_64, { width: 2 ** 24 - 1, height: 2 }]);
  });

  it('refuses an HEVC item it cannot size: no SPS in its hvcC or data, no hvcC, or an SPS cut short', () => {
    const problem = { problem: 'its HEVC data has no sequence parameter set that can be read' };
    const withoutSps = hvcCBox(
      small.configuration,
      small.units.filter((unit) => !isSps(unit)),
    );
    expect(heifSizes(heic(withoutSps, small.coded))).to.deep.equal(problem);
    expect(heifSizes(heifFile(small.ftyp, [{ type: 'hvc1', properties: [], data: small.coded }]))).to.deep.equal(problem);
    const cut = spsNal(8000, 8000).subarray(0, 16);
    expect(heifSizes(heic(withoutSps, Buffer.concat([nalUnitData(cut), small.coded])))).to.deep.equal(problem);
  });

  it('refuses what libheif reads otherwise, and more than it reads from a photo: NAL unit lengths not of 4 bytes, a layer sized by its VPS, too many NAL units or SPSs', () => {
    const configuration = Buffer.from(small.configuration);
    configuration[21] = configuration[21]! & 0xfc; // lengthSizeMinusOne 0: 1-byte lengths, which libheif-js reads as 4-byte ones
    expect(heifSizes(heic(hvcCBox(configuration, small.units), small.coded))).to.deep.equal({
      problem: "its HEVC data's NAL units have 1-byte lengths, not 4",
    });
    const layered = hvcCBox(small.configuration, [...small.units, spsNal(64, 64, { layer: 1, subLayers: 7 })]);
    expect(heifSizes(heic(layered, small.coded))).to.deep.equal({ problem: 'its HEVC data has a layer sized by its VPS' });
    const hvcC = hvcCBox(small.configuration, small.units);
    expect(heifSizes(heic(hvcC, nalUnitData(...Array<Buffer>(65).fill(small.coded.subarray(4)))))).to.deep.equal({
      problem: 'its HEVC data has more than 64 parts (NAL units)',
    });
    // Five items of 60 SPSs each: within an item's bound, over the file's.
    const items = Array.from({ length: 5 }, () => ({
      type: 'hvc1',
      properties: [hvcCBox(small.configuration, Array<Buffer>(60).fill(spsNal(64, 64)))],
      data: small.coded,
    }));
    expect(heifSizes(heifFile(small.ftyp, items))).to.deep.equal({ problem: `it has more than ${MAX_SEQUENCE_PARAMETER_SETS} HEVC sequence parameter sets` });
  });

  it('refuses a file of two meta boxes: libheif (libvips’s and libheif-js’s) reads the last, this reading read the first', async () => {
    const truthful = heic(hvcCBox(small.configuration, small.units), small.coded);
    const hiding = heic(hvcCBox(large.configuration, large.units), small.coded, { width: 60, height: 60 });
    const both = withSecondMeta(truthful, hiding);
    expect((await sharp(both).metadata()).width, 'precondition: libvips reads the second meta’s ispe').to.equal(60);
    expect(heifSizes(both)).to.deep.equal({ problem: 'it has more than one meta box' });
    // A second meta could lie past the boxes read, so a file of more is refused too.
    const crowded = Buffer.concat([truthful, ...Array<Buffer>(MAX_HEIF_ITEMS).fill(box('free'))]);
    expect(heifSizes(crowded)).to.deep.equal({ problem: `it has more than ${MAX_HEIF_ITEMS} boxes` });
  });

  it('refuses a box shorter than its own header: libheif steps over it by the size it says and reads the meta after it, which this reading did not see', async () => {
    // After ftyp, a box header saying 4 bytes: libheif's next box starts 4 bytes on, at the meta box.
    const data = Buffer.concat([nalUnitData(...large.units), large.coded]);
    const hiding = heicDeclaring(Buffer.concat([small.ftyp, u32(4)]), SQUARE_64, hvcCBox(small.configuration, small.units), data);
    expect((await sharp(hiding).metadata()).width, 'precondition: libvips reads the meta past it').to.equal(64);
    expect(heifSizes(hiding)).to.deep.equal({ problem: 'it has a box shorter than its own header' });
  });

  it('refuses a file with a mini box: libheif-js reads its image in place of the meta box’s, which libvips and this reading size', async () => {
    const ftyp = box('ftyp', Buffer.from('heicheic', 'latin1'), Buffer.from('mif1heic', 'latin1'));
    const heif = heicDeclaring(ftyp, SQUARE_64, hvcCBox(small.configuration, small.units), small.coded);
    const withMini = Buffer.concat([heif, miniBox(120, 120, hvcCBox(large.configuration, large.units).subarray(8), large.coded)]);
    expect((await sharp(withMini).metadata()).width, 'precondition: libvips reads the meta box').to.equal(64);
    const seen = await rejectionOf(decodeHevcHeif(withMini, 10_000));
    expect(seen.message, 'precondition: libheif-js reads the mini box').to.equal('image is 120×120 pixels; the limit is 10000 pixels');
    expect(heifSizes(withMini)).to.deep.equal({ problem: 'it has a mini box, which libheif-js reads instead of its meta box' });
  });

  it('refuses item locations with fields of a size libheif does not read: it reads 4 and 8 bytes, so it took the data from elsewhere', async () => {
    const red = await x265Image(64, 64, '#f00');
    // 3-byte offsets: libheif reads none (0), and the offset's 3 bytes and the length's first as its length. So it reads the
    // data from the base offset on, 256 times the offset long: the red picture, then the one this reading finds, then filler.
    const hidden = Buffer.concat([nalUnitData(...red.units), red.coded]);
    const filler = 256 * hidden.length - hidden.length - small.coded.length - 4;
    const data = Buffer.concat([hidden, small.coded, u32(filler), Buffer.from([38 << 1, 1]), Buffer.alloc(filler - 2)]);
    const iloc = (base: number) =>
      fullBox('iloc', 0, 0, u16(0x3440), u16(1), u16(1), u16(0), u32(base), u16(1), u32(hidden.length).subarray(1), u32(small.coded.length));
    const metaWith = (base: number) =>
      fullBox(
        'meta',
        0,
        0,
        fullBox('hdlr', 0, 0, Buffer.alloc(4), Buffer.from('pict', 'latin1'), Buffer.alloc(13)),
        fullBox('pitm', 0, 0, u16(1)),
        iloc(base),
        fullBox('iinf', 0, 0, u16(1), infe(1, 'hvc1')),
        box(
          'iprp',
          box('ipco', hvcCBox(small.configuration, small.units), fullBox('ispe', 0, 0, u32(64), u32(64))),
          fullBox('ipma', 0, 0, u32(1), u16(1), Buffer.from([2, 0x81, 0x82])),
        ),
      );
    const file = Buffer.concat([small.ftyp, metaWith(small.ftyp.length + metaWith(0).length + 8), box('mdat', data)]);
    const { rgba } = await decodeHevcHeif(file, 10_000);
    expect(
      [...rgba.subarray(0, 3)].map((value) => Math.round(value / 64)),
      'precondition: libheif-js decodes the red picture',
    ).to.deep.equal([4, 0, 0]);
    expect(heifSizes(file)).to.deep.equal({ problem: 'its item locations have fields of 3 bytes, where libheif reads 4 or 8' });
  });

  it('refuses an item given properties twice: libheif takes the first entry’s hvcC, a reading could take the other', async () => {
    const twoItems = await avifWithAlpha({ width: 64, height: 64 });
    const ipma = twoItems.indexOf('ipma') + 4;
    const second = ipma + 8 + 3 + twoItems[ipma + 8 + 2]!; // after version, flags, count and the first entry (id, count, indices)
    expect(twoItems.readUInt16BE(second), 'precondition: the second entry is item 2’s').to.equal(2);
    twoItems.writeUInt16BE(1, second);
    expect(heifSizes(twoItems)).to.deep.equal({ problem: "an item's properties are listed twice" });
  });

  it(`reads no more than ${MAX_PROPERTY_ASSOCIATIONS} property associations in a file (2,048 items of 255 each took 10 ms)`, () => {
    const ftyp = box('ftyp', Buffer.from('heic\0\0\0\0heicmif1', 'latin1'));
    const shared = Array.from({ length: 127 }, (_, i) => box('free', u32(i)));
    const items = (count: number) => Array.from({ length: count }, () => ({ type: 'Exif', properties: shared, data: Buffer.alloc(1) }));
    expect(heifSizes(heifFile(ftyp, items(129))), '16,383 associations').to.deep.equal({ sizes: [], codedPixels: 0 });
    expect(heifSizes(heifFile(ftyp, items(130)))).to.deep.equal({ problem: `it gives its items more than ${MAX_PROPERTY_ASSOCIATIONS} properties in all` });
  });
});

describe('HEVC items at upload', () => {
  const LIMITS = { maxInputBytes: 10 * 1024 * 1024, maxInputPixels: 10_000, jpegQuality: 85 };
  let small: HevcImage;
  let large: HevcImage;

  before(async () => {
    [small, large] = await Promise.all([x265Image(64, 64), x265Image(120, 120)]);
  });

  it('decodes a HEIC whose SPS codes what its ispe says', async () => {
    const photo = await normalizePhoto(heicDeclaring(small.ftyp, { width: 64, height: 64 }, hvcCBox(small.configuration, small.units), small.coded), LIMITS);
    expect([photo.width, photo.height]).to.deep.equal([64, 64]);
  });

  it('refuses one coded larger than its ispe says, in its hvcC or in its data: 413 (an 8000×8000 SPS in the data grew libheif-js by 180 MB)', async () => {
    const inConfiguration = heicDeclaring(large.ftyp, { width: 64, height: 64 }, hvcCBox(large.configuration, large.units), large.coded);
    const inData = heicDeclaring(
      small.ftyp,
      { width: 64, height: 64 },
      hvcCBox(small.configuration, small.units),
      Buffer.concat([nalUnitData(...large.units), large.coded]),
    );
    for (const lying of [inConfiguration, inData]) {
      expect((await sharp(lying).metadata()).width, 'precondition: libvips reports the ispe').to.equal(64);
      const error = await rejectionOf(normalizePhoto(lying, LIMITS));
      expect([error.httpStatus, error.message]).to.deep.equal([413, 'image is 120×120 pixels; the limit is 10000 pixels']);
    }
  });

  it('refuses one whose HEVC data has no SPS: 422', async () => {
    const withoutSps = heicDeclaring(
      small.ftyp,
      { width: 64, height: 64 },
      hvcCBox(
        small.configuration,
        small.units.filter((unit) => !isSps(unit)),
      ),
      small.coded,
    );
    const error = await rejectionOf(normalizePhoto(withoutSps, LIMITS));
    expect([error.httpStatus, error.message]).to.deep.equal([422, 'not a usable image: its HEVC data has no sequence parameter set that can be read']);
  });
});
