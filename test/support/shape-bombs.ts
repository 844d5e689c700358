import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { boxesIn } from '../../src/photos/heif-sizes.js';
import { pngBomb } from './sample-images.js';

/**
 * A valid one-colour GIF of width×height pixels, written without sharp: the LZW codes of
 * one long run of colour 0 (red), so a run of n pixels takes about √(2n) codes. 65535×610
 * comes to 27,581 bytes — the size of the bomb an adversarial sweep uploaded — in milliseconds,
 * where encoding it with sharp takes seconds. Every decoder must still build the whole frame.
 */
export function oneColourGif(width: number, height: number): Buffer {
  const bytes: number[] = [];
  let bits = 0;
  let bitCount = 0;
  const write = (code: number, size: number) => {
    bits |= code << bitCount;
    bitCount += size;
    for (; bitCount >= 8; bitCount -= 8, bits >>>= 8) bytes.push(bits & 0xff);
  };
  const CLEAR = 4; // minimum code size 2: codes 0–3 are colours, 4 clears, 5 ends
  const END = 5;
  let size = 3;
  let next = 6;
  write(CLEAR, size);
  for (let remaining = width * height; remaining > 0;) {
    // The newest table entry is the longest run known: code c stands for c − 4 pixels.
    const run = Math.min(remaining, next - 5);
    write(run === 1 ? 0 : run + 4, size);
    remaining -= run;
    if (next === 4095) {
      write(CLEAR, size);
      size = 3;
      next = 6;
    } else if (++next > 1 << size && size < 12) {
      size++;
    }
  }
  write(END, size);
  if (bitCount > 0) bytes.push(bits & 0xff);
  const blocks: number[] = [];
  for (let at = 0; at < bytes.length; at += 255) {
    const block = bytes.slice(at, at + 255);
    blocks.push(block.length, ...block);
  }
  const u16 = (n: number) => [n & 0xff, n >> 8];
  return Buffer.from([
    ...Buffer.from('GIF89a', 'ascii'),
    ...u16(width),
    ...u16(height),
    0x81, // a global colour table of 4 entries
    0,
    0,
    ...[255, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0],
    0x2c, // one image, the whole screen
    0,
    0,
    0,
    0,
    ...u16(width),
    ...u16(height),
    0,
    2, // LZW minimum code size
    ...blocks,
    0,
    0x3b,
  ]);
}

/** A GIF of `frames` frames, each oneColourGif's one image, each after a graphic control extension (a tenth of a second) as animations have. */
export function animatedGif(frames: number, width = 16, height = 16): Buffer {
  const still = oneColourGif(width, height);
  const imageAt = still.indexOf(0x2c, 13 + 12);
  const delay = Buffer.from([0x21, 0xf9, 4, 0, 10, 0, 0, 0]);
  const frame = Buffer.concat([delay, still.subarray(imageAt, still.length - 1)]);
  return Buffer.concat([still.subarray(0, imageAt), ...Array<Buffer>(frames).fill(frame), Buffer.from([0x3b])]);
}

/** The sweep's other bomb: a 1×39,999,999 greyscale PNG, 1 pixel under the pixel limit, about 77 KB. */
export function tallPngStrip(): Buffer {
  return pngBomb(1, 39_999_999);
}

/** A JPEG with the last scan of `jpeg` written `extra` times more before its end: each a pass of the decoder over the whole image. */
export function withRepeatedLastScan(jpeg: Buffer, extra: number): Buffer {
  const lastScan = jpeg.lastIndexOf(Buffer.from([0xff, 0xda]));
  const end = jpeg.length - 2; // EOI
  const scan = jpeg.subarray(lastScan, end);
  return Buffer.concat([jpeg.subarray(0, end), ...new Array<Buffer>(extra).fill(scan), jpeg.subarray(end)]);
}

export const u16 = (value: number) => Buffer.from([value >> 8, value & 0xff]);
export const u32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};
/** An ISO BMFF box (HEIF, AVIF), and a full box: a version and flags before its content. */
export const box = (type: string, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([u32(8 + body.length), Buffer.from(type, 'latin1'), body]);
};
export const fullBox = (type: string, version: number, flags: number, ...content: Buffer[]) =>
  box(type, Buffer.from([version, flags >> 16, (flags >> 8) & 0xff, flags & 0xff]), ...content);

/** A one-image HEIF's boxes as a coder wrote them: the top ones, the meta box's, and its item properties. */
function heifBoxes(bytes: Buffer) {
  const top = boxesIn(bytes, 0, bytes.length);
  const find = (boxes: typeof top, type: string) => boxes.find((found) => found.type === type)!;
  const metaBox = find(top, 'meta');
  const meta = boxesIn(bytes, metaBox.start + 4, metaBox.end);
  const iprp = find(meta, 'iprp');
  const ipco = find(boxesIn(bytes, iprp.start, iprp.end), 'ipco');
  return { top, meta, properties: boxesIn(bytes, ipco.start, ipco.end), find };
}

/** One image coded by sharp as AVIF, taken apart: its `ftyp`, its properties but `ispe`, and its coded AV1 data. */
async function sharpAvif(width: number, height: number): Promise<{ ftyp: Buffer; properties: Buffer[]; coded: Buffer }> {
  const avif = await sharp({ create: { width, height, channels: 3, background: '#369' } })
    .avif({ effort: 0 })
    .toBuffer();
  const { top, meta, properties: all, find } = heifBoxes(avif);
  const properties = all.filter((property) => property.type !== 'ispe').map((property) => avif.subarray(property.start - 8, property.end));
  // The one extent of sharp's one item (iloc version 0: item count, id, data reference, base offset, extent count, offset, length).
  const ilocStart = find(meta, 'iloc').start;
  const sizes = avif.readUInt16BE(ilocStart + 4);
  const field = (at: number, size: number) => (size === 0 ? 0 : avif.readUIntBE(at, size));
  const [offsetSize, lengthSize, baseSize] = [sizes >> 12, (sizes >> 8) & 0xf, (sizes >> 4) & 0xf];
  const item = ilocStart + 4 + 2 + 2 + 2 + 2;
  const base = field(item, baseSize);
  const extent = item + baseSize + 2;
  const codedStart = base + field(extent, offsetSize);
  return { ftyp: avif.subarray(0, top[0]!.end), properties, coded: avif.subarray(codedStart, codedStart + field(extent + offsetSize, lengthSize)) };
}

const ispe = (width: number, height: number) => fullBox('ispe', 0, 0, u32(width), u32(height));

interface HeifItem {
  type: string;
  /** Not shown on its own (a tile, an alpha plane). */
  hidden?: boolean;
  properties: Buffer[];
  data: Buffer;
}

/** A HEIF (AVIF, HEIC) of these items, the first primary, each item's data one extent in `mdat` (items of the same data share it). */
export function heifFile(ftyp: Buffer, items: HeifItem[], references: Buffer[] = []): Buffer {
  const properties: Buffer[] = [];
  const associations = items.map((item, i) => {
    const indices = item.properties.map((property) => {
      const known = properties.indexOf(property);
      return known >= 0 ? known + 1 : properties.push(property);
    });
    return Buffer.concat([u16(i + 1), Buffer.from([indices.length, ...indices.map((index) => 0x80 | index)])]);
  });
  const datas = [...new Set(items.map((item) => item.data))];
  const metaWith = (mdat: number) => {
    const offsets = datas.map((_, i) => mdat + datas.slice(0, i).reduce((sum, data) => sum + data.length, 0));
    const extent = (item: HeifItem, i: number) => Buffer.concat([u16(i + 1), u16(0), u16(1), u32(offsets[datas.indexOf(item.data)]!), u32(item.data.length)]);
    const infe = (item: HeifItem, i: number) => fullBox('infe', 2, item.hidden ? 1 : 0, u16(i + 1), u16(0), Buffer.from(`${item.type}\0`, 'latin1'));
    return fullBox(
      'meta',
      0,
      0,
      fullBox('hdlr', 0, 0, Buffer.alloc(4), Buffer.from('pict', 'latin1'), Buffer.alloc(13)),
      fullBox('pitm', 0, 0, u16(1)),
      fullBox('iloc', 0, 0, Buffer.from([0x44, 0x00]), u16(items.length), ...items.map(extent)),
      fullBox('iinf', 0, 0, u16(items.length), ...items.map(infe)),
      ...(references.length > 0 ? [fullBox('iref', 0, 0, ...references)] : []),
      box('iprp', box('ipco', ...properties), fullBox('ipma', 0, 0, u32(items.length), ...associations)),
    );
  };
  const mdat = ftyp.length + metaWith(0).length + 8;
  return Buffer.concat([ftyp, metaWith(mdat), box('mdat', ...datas)]);
}

/**
 * A real AVIF of rows × columns copies of one coded tile (sharp's), its grid item saying
 * `ispe` as its size: what the sweep sent, small. Every tile item points at the same bytes.
 * The grid's own size (its canvas) is what the tiles make unless `canvas` says less.
 */
export async function avifGrid(
  rows: number,
  columns: number,
  size: { width: number; height: number },
  side = 64,
  canvas = { width: columns * side, height: rows * side },
): Promise<Buffer> {
  const tile = await sharpAvif(side, side);
  const tileProperties = [...tile.properties, ispe(side, side)];
  const tiles = Array.from({ length: rows * columns }, (_, i) => i + 2);
  const grid = Buffer.concat([Buffer.from([0, 0, rows - 1, columns - 1]), u16(canvas.width), u16(canvas.height)]);
  return heifFile(
    tile.ftyp,
    [
      { type: 'grid', properties: [ispe(size.width, size.height)], data: grid },
      ...tiles.map(() => ({ type: 'av01', hidden: true, properties: tileProperties, data: tile.coded })),
    ],
    [box('dimg', u16(1), u16(tiles.length), ...tiles.map(u16))],
  );
}

/** A real AVIF coded at `coded` whose `ispe` says `declared`: the sweep's 973 bytes said 64×64 and coded 8000×8000. */
export async function avifDeclaring(declared: { width: number; height: number }, coded: { width: number; height: number }): Promise<Buffer> {
  const image = await sharpAvif(coded.width, coded.height);
  return heifFile(image.ftyp, [{ type: 'av01', properties: [ispe(declared.width, declared.height), ...image.properties], data: image.coded }]);
}

/** A real AVIF of one side × side item whose data holds its frame `frames` times: aom decodes each. */
export async function avifOfFrames(side: number, frames: number): Promise<Buffer> {
  const image = await sharpAvif(side, side);
  // sharp's data: a temporal delimiter (2 bytes), the sequence header, then the frame, to the end.
  const frameAt = 2 + 2 + image.coded[3]!;
  const frame = image.coded.subarray(frameAt);
  const data = Buffer.concat([image.coded.subarray(0, frameAt), ...Array<Buffer>(frames).fill(frame)]);
  return heifFile(image.ftyp, [{ type: 'av01', properties: [ispe(side, side), ...image.properties], data }]);
}

/**
 * A real AVIF of one image coded at `declared`, its `ispe` true, whose `av1C` carries after
 * its four bytes of fields the OBUs (sequence header and frame) of an image coded at
 * `configured`: libheif hands a decoder those configuration OBUs ahead of the item's data.
 */
export async function avifConfiguredWith(declared: { width: number; height: number }, configured: { width: number; height: number }): Promise<Buffer> {
  const [image, other] = await Promise.all([sharpAvif(declared.width, declared.height), sharpAvif(configured.width, configured.height)]);
  const av1C = image.properties.find((property) => property.toString('latin1', 4, 8) === 'av1C')!;
  // sharp's av1C has no OBUs of its own; the other's data begins with a temporal delimiter (2 bytes), which has no place there.
  const configuring = box('av1C', av1C.subarray(8, 12), other.coded.subarray(2));
  const properties = image.properties.map((property) => (property === av1C ? configuring : property));
  return heifFile(image.ftyp, [{ type: 'av01', properties: [ispe(declared.width, declared.height), ...properties], data: image.coded }]);
}

/** A real 64×64 AVIF with an alpha plane (an auxiliary image, `auxl`) of `alpha` pixels, its `ispe` true: the sweep's 1,176 bytes, 8000×8000, were stored. */
export async function avifWithAlpha(alpha: { width: number; height: number }): Promise<Buffer> {
  const [image, plane] = await Promise.all([sharpAvif(64, 64), sharpAvif(alpha.width, alpha.height)]);
  const auxC = fullBox('auxC', 0, 0, Buffer.from('urn:mpeg:mpegB:cicp:systems:auxiliary:alpha\0', 'latin1'));
  return heifFile(
    image.ftyp,
    [
      { type: 'av01', properties: [ispe(64, 64), ...image.properties], data: image.coded },
      { type: 'av01', hidden: true, properties: [ispe(alpha.width, alpha.height), ...plane.properties, auxC], data: plane.coded },
    ],
    [box('auxl', u16(2), u16(1), u16(1))],
  );
}

/** An HEVC picture as a HEIC holds it: the 22 bytes that begin its `hvcC`, the NAL units in the hvcC's arrays, and its coded data. */
export interface HevcImage {
  ftyp: Buffer;
  configuration: Buffer;
  units: Buffer[];
  coded: Buffer;
}

/**
 * One picture of width × height coded by x265 through libheif's `heif-enc` (as
 * iphone-heic.ts codes its photos), taken apart: heif-enc 1.15 writes one `hvc1` item
 * of a PNG, its data all of `mdat`, its VPS, SPS and PPS in the hvcC.
 */
export async function x265Image(width: number, height: number, background = '#369'): Promise<HevcImage> {
  const dir = await mkdtemp(join(tmpdir(), 'hevc-'));
  try {
    await sharp({ create: { width, height, channels: 3, background } }).toFile(join(dir, 'in.png'));
    await promisify(execFile)('heif-enc', ['--quality', '50', '--output', join(dir, 'out.heic'), join(dir, 'in.png')]);
    const heic = await readFile(join(dir, 'out.heic'));
    const { top, meta, properties, find } = heifBoxes(heic);
    const hvcC = find(properties, 'hvcC');
    if (heic.readUInt16BE(find(meta, 'iinf').start + 4) !== 1) throw new Error('expected heif-enc to write one item');
    // After the 22 bytes, the number of arrays; each array a type byte and a count of units, each unit after its 16-bit length.
    let at = hvcC.start + 22;
    const next = (size: number) => {
      at += size;
      return heic.readUIntBE(at - size, size);
    };
    const units: Buffer[] = [];
    for (let arrays = next(1); arrays > 0; arrays--) {
      next(1);
      for (let count = next(2); count > 0; count--) {
        const length = next(2);
        units.push(heic.subarray(at, at + length));
        at += length;
      }
    }
    const mdat = find(top, 'mdat');
    return {
      ftyp: heic.subarray(0, top[0]!.end),
      configuration: heic.subarray(hvcC.start, hvcC.start + 22),
      units,
      coded: heic.subarray(mdat.start, mdat.end),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An `hvcC` property of `configuration` (22 bytes) and these NAL units, each in an array of its own type. */
export function hvcCBox(configuration: Buffer, units: Buffer[]): Buffer {
  const arrays = units.map((unit) => Buffer.concat([Buffer.from([0x80 | (unit[0]! >> 1)]), u16(1), u16(unit.length), unit]));
  return box('hvcC', configuration, Buffer.from([units.length]), ...arrays);
}

/** NAL units as an HEVC item's data holds them: each after its length in 4 bytes. */
export const nalUnitData = (...units: Buffer[]) => Buffer.concat(units.flatMap((unit) => [u32(unit.length), unit]));

/** A HEIC of one `hvc1` item whose `ispe` says `declared`, with this `hvcC` and data: what heif-enc writes when they are its own. */
export function heicDeclaring(ftyp: Buffer, declared: { width: number; height: number }, hvcC: Buffer, data: Buffer): Buffer {
  return heifFile(ftyp, [{ type: 'hvc1', properties: [hvcC, ispe(declared.width, declared.height)], data }]);
}

/**
 * A `mini` box (HEIF's low-overhead form, ISO/IEC 23008-12 Annex O) of one HEVC image
 * declaring width × height, with this hvcC's content and coded data: libheif-js (1.23)
 * reads it in place of any meta box; libvips's libheif (1.20) does not know it. A file
 * holding one must have `heic` as its ftyp's minor version.
 */
export function miniBox(width: number, height: number, hvcC: Buffer, data: Buffer): Buffer {
  const fields: [number, number][] = [
    [0, 2], // version
    [0b001_000_000, 9], // explicit codec types, float, full range (set), alpha, explicit CICP, HDR, ICC, Exif, XMP
    [1, 2], // chroma 4:2:0
    [0, 3], // orientation 1
    [1, 1], // large dimensions: 15 bits each
    [width - 1, 15],
    [height - 1, 15],
    [0, 2], // chroma centred horizontally, vertically
    [0, 1], // high bit depth
    [1, 1], // large codec configuration: its size in 12 bits
    [1, 1], // large item data: its size − 1 in 28 bits
    [hvcC.length, 12],
    [data.length - 1, 28],
  ];
  const bits = fields.flatMap(([value, count]) => Array.from({ length: count }, (_, i) => Math.floor(value / 2 ** (count - 1 - i)) % 2));
  const head = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => (head[i >> 3]! |= bit << (7 - (i & 7))));
  return box('mini', head, hvcC, data);
}

/**
 * `jpeg` with a comment segment after SOI and one byte that is no marker after it:
 * libjpeg warns and decodes on, so a walk that stopped there missed every scan after it.
 */
export function withStrayByte(jpeg: Buffer): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xfe, 0x00, 0x04, 0x68, 0x69, 0x00]), jpeg.subarray(2)]);
}

/**
 * `jpeg` with every scan after its first behind `FF 00` and a length: libjpeg drops a
 * stuffed zero where a marker is due and looks on for the next 0xFF, so it decodes every
 * scan; a walk that read those two bytes as a marker with a length jumped over them.
 */
export function withScansBehindStuffedZeros(jpeg: Buffer): Buffer {
  const sos = Buffer.from([0xff, 0xda]);
  const first = jpeg.indexOf(sos);
  const end = jpeg.length - 2; // EOI
  const starts: number[] = [];
  for (let at = jpeg.indexOf(sos, first + 2); at >= 0 && at < end; at = jpeg.indexOf(sos, at + 2)) starts.push(at);
  const pieces: Buffer[] = [];
  // Each piece as many whole scans as a 16-bit length covers.
  for (let i = 0; i < starts.length;) {
    let j = i + 1;
    while (j < starts.length && starts[j]! - starts[i]! <= 0xfff0) j++;
    const piece = jpeg.subarray(starts[i], j < starts.length ? starts[j] : end);
    pieces.push(Buffer.from([0xff, 0x00]), u16(piece.length + 2), piece);
    i = j;
  }
  return Buffer.concat([jpeg.subarray(0, starts[0]), ...pieces, jpeg.subarray(end)]);
}

/** A small SVG of `depth` levels of `fan` nested `<use>` each and no size: librsvg expands them all to size it (6 × 10: 1.8 KB, 3.5 s). */
export function nestedUseSvg(depth = 6, fan = 10): Buffer {
  const levels = [`<g id="l0"><rect width="1" height="1"/></g>`];
  for (let level = 1; level <= depth; level++) {
    levels.push(`<g id="l${level}">${Array.from({ length: fan }, () => `<use href="#l${level - 1}"/>`).join('')}</g>`);
  }
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg"><defs>${levels.join('')}</defs><use href="#l${depth}"/></svg>`);
}

/** An animated WebP (RIFF container: VP8X with the animation flag, ANIM, then `frames` ANMF chunks) of one 16×16 lossless frame repeated. */
export async function animatedWebp(frames: number, side = 16): Promise<Buffer> {
  const le = (value: number, bytes: number) => Buffer.from(Array.from({ length: bytes }, (_, i) => (value / 256 ** i) & 0xff));
  const chunk = (type: string, data: Buffer) => Buffer.concat([Buffer.from(type, 'latin1'), le(data.length, 4), data, Buffer.alloc(data.length % 2)]);
  const still = await sharp({ create: { width: side, height: side, channels: 4, background: '#3366997f' } })
    .webp({ lossless: true })
    .toBuffer();
  // The still's own chunk (VP8L) as the frame's image: x, y, width − 1, height − 1, duration (24 bits each), flags.
  const frame = chunk('ANMF', Buffer.concat([le(0, 3), le(0, 3), le(side - 1, 3), le(side - 1, 3), le(100, 3), Buffer.from([0]), still.subarray(12)]));
  const vp8x = chunk('VP8X', Buffer.concat([Buffer.from([0x12, 0, 0, 0]), le(side - 1, 3), le(side - 1, 3)]));
  const body = Buffer.concat([Buffer.from('WEBP'), vp8x, chunk('ANIM', Buffer.concat([le(0, 4), le(0, 2)])), ...Array<Buffer>(frames).fill(frame)]);
  return Buffer.concat([Buffer.from('RIFF'), le(body.length, 4), body]);
}
