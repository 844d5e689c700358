/**
 * The sizes a HEIF or AVIF really decodes to. libvips (and the limits checked from its
 * header) read the primary item's `ispe` property, but:
 * - an image made of tiles — a `grid`, or an `iovl` overlay — decodes to the size written
 *   in its own item data: 961 tiles sharing one coded tile (42 KB) said 100×100 and
 *   decoded to 16368×16368, ~1 GB of memory per upload;
 * - the other items are decoded too (an alpha plane is): a 64×64 photo whose alpha image
 *   was 8000×8000, 1,176 bytes, took 1.2 GB and was stored;
 * - an AV1 or HEVC item decodes to the size its bitstream codes, whatever its `ispe`
 *   says: an AV1 one that said 64×64 and coded 8000×8000 took 1.2 GB before it was refused.
 * So those sizes are read here, from the boxes (ISO/IEC 14496-12, 23008-12), the AV1
 * sequence header (av1-sequence-header.ts) and the HEVC SPS (hevc-sps.ts), and checked as
 * the header's is. What these structures do not describe plainly (an item listed twice,
 * data in pieces, coded data without a size) is refused rather than left to a decoder
 * that might read it otherwise.
 */

import { av1CodedSizes } from './av1-sequence-header.js';
import { reader, UnreadableHeif, type Coded, type Extent, type Size } from './bitstream.js';
import { hevcCodedSizes } from './hevc-sps.js';

export interface Box {
  type: string;
  /** Where its content starts (after the header), and where the box ends. */
  start: number;
  end: number;
}

/**
 * Items a file may list (in `iinf`, and locate in `iloc`), and so boxes read in any one
 * list. Reading a grid of 10,000 tiles (430 KB) took 30–56 ms of the event loop, and a
 * 10 MB file could list twenty times as many. A phone's HEIC has about 60 items; the
 * sweep's grid bomb had 962.
 */
export const MAX_HEIF_ITEMS = 2048;

/**
 * The boxes laid one after another in `bytes` from `start` to `end`: the first `max`. A box
 * said to be shorter than its own header is refused: libheif steps over a top-level one by
 * the size it says, so 4 bytes on it read a meta box that a reading stopping there missed.
 */
export function boxesIn(bytes: Buffer, start: number, end: number, max = MAX_HEIF_ITEMS): Box[] {
  const boxes: Box[] = [];
  for (let at = start; at + 8 <= end && boxes.length < max;) {
    let size = bytes.readUInt32BE(at);
    let header = 8;
    if (size === 1 && at + 16 <= end) {
      size = Number(bytes.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = end - at;
    if (size < header) throw new UnreadableHeif('it has a box shorter than its own header');
    if (at + size > end) break;
    boxes.push({ type: bytes.toString('latin1', at + 4, at + 8), start: at + header, end: at + size });
    at += size;
  }
  return boxes;
}

/** The boxes of the file's `meta`, or undefined when it is no HEIF. */
function metaBoxes(bytes: Buffer): ((type: string) => Box | undefined) | undefined {
  if (bytes.length < 12 || bytes.toString('latin1', 4, 8) !== 'ftyp') return undefined;
  const top = boxesIn(bytes, 0, bytes.length, MAX_HEIF_ITEMS + 1);
  if (top.length > MAX_HEIF_ITEMS) throw new UnreadableHeif(`it has more than ${MAX_HEIF_ITEMS} boxes`);
  // libheif-js (1.23) decodes a mini box's image in place of the meta box's; libvips's libheif (1.20) knows none and reads the meta.
  if (top.some((box) => box.type === 'mini')) throw new UnreadableHeif('it has a mini box, which libheif-js reads instead of its meta box');
  // libheif (libvips's and libheif-js's) reads the last meta box: with two, it decodes one and this reading would size the other.
  const [meta, ...more] = top.filter((box) => box.type === 'meta');
  if (more.length > 0) throw new UnreadableHeif('it has more than one meta box');
  if (!meta) return undefined;
  // meta is a full box: a version and flags before its children.
  const children = boxesIn(bytes, meta.start + 4, meta.end);
  return (type: string) => children.find((box) => box.type === type);
}

/** The item properties of a HEIF (its `ipco` box's children); none when it is no HEIF or has none. */
export function heifProperties(bytes: Buffer): { bytes: Buffer; boxes: Box[] } {
  const child = metaBoxes(bytes);
  const iprp = child?.('iprp');
  const ipco = iprp && boxesIn(bytes, iprp.start, iprp.end).find((box) => box.type === 'ipco');
  return { bytes, boxes: ipco ? boxesIn(bytes, ipco.start, ipco.end) : [] };
}

/** Runs a read of the boxes, undefined when they end before they say they do. */
function whole<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/**
 * The pixels of all the coded items of a HEIF together, as a multiple of the pixel limit,
 * at most. A grid's tiles are each decoded whole, however little of them its canvas shows
 * (libheif asks only that they cover it), an overlay's images too, and every frame of an
 * AV1 item (aom decodes them all; HEVC gives one picture an item): 25 tiles of
 * 4000×4000 on a 4000×4000 canvas, each within the limit, took libvips 1.2 GB and 3.2 s of
 * both cores. A phone's photo holds its tiles (a little more than the photo), a thumbnail
 * and, in portrait mode, a depth map, mattes and a gain map, each at half the photo's side
 * or less: three times leaves room for several of those.
 */
export const MAX_CODED_PIXELS_FACTOR = 3;

export interface HeifSizes {
  /** Every size a decoder may make. */
  sizes: Size[];
  /** The pixels of every coded (AV1, HEVC) item's pictures together: each is decoded on its own, whatever data it shares with others. */
  codedPixels: number;
}

/**
 * Every size a decoder may make of a HEIF — each `ispe` property, each grid's and
 * overlay's (primary or not), each AV1 and HEVC item's coded size — or the problem that
 * keeps them from being known. Nothing, when the bytes are no HEIF. Refused: more items
 * (or boxes at the top) than MAX_HEIF_ITEMS; a second meta box, or a mini box; an item
 * listed, located or given properties twice, or kept in pieces; AV1 data without a
 * sequence header, HEVC data without an SPS. A review found such files letting an
 * 8000×8000 image past the sizes read here (0.9–1.2 GB a decode): a decoder keeps the
 * first of two entries, this reading kept the last; a second extent or a second sequence
 * header went unread.
 */
export function heifSizes(bytes: Buffer): HeifSizes | { problem: string } {
  try {
    const child = metaBoxes(bytes);
    if (!child) return { sizes: [], codedPixels: 0 };
    const listed = whole(() => Math.max(itemCount(bytes, child('iinf'), 'iinf'), itemCount(bytes, child('iloc'), 'iloc'))) ?? 0;
    if (listed > MAX_HEIF_ITEMS) return { problem: `it lists more than ${MAX_HEIF_ITEMS} items` };
    const types = whole(() => itemTypes(bytes, child('iinf'))) ?? new Map<number, string>();
    const locations = whole(() => itemLocations(bytes, child('iloc'), child('idat'))) ?? new Map<number, Extent>();
    const iprp = child('iprp');
    const ipco = iprp && boxesIn(bytes, iprp.start, iprp.end).find((box) => box.type === 'ipco');
    const sizes = ispeSizes(bytes, ipco);
    const configurations = whole(() => itemConfigurations(bytes, iprp, ipco)) ?? new Map<string, Box>();
    const av1CodedSize = av1CodedSizes(bytes);
    const hevcCodedSize = hevcCodedSizes(bytes);
    // A grid or an overlay is a canvas, no picture decoded; libheif-js takes an HEVC item's first picture (60 took as long as one).
    const codedOf = (type: 'av01' | 'hvc1' | 'grid' | 'iovl', configuration: Box | undefined, data: Extent): Coded | undefined => {
      if (type === 'av01') return av1CodedSize(configuration, data);
      if (type !== 'hvc1') return { size: tiledSize(bytes, type, data), pictures: 0 };
      const size = configuration && hevcCodedSize(configuration, data);
      return size && { size, pictures: 1 };
    };
    // A grid's tiles mostly share one coded tile: each extent (with its decoder configuration) is read once.
    const read = new Map<string, Coded>();
    let codedPixels = 0;
    for (const [id, type] of types) {
      if (type !== 'av01' && type !== 'hvc1' && type !== 'grid' && type !== 'iovl') continue;
      const data = locations.get(id);
      if (!data) return { problem: `the data of a ${type} item is not where the file says` };
      const configuration = configurations.get(`${id}:${CONFIGURATION_OF[type]}`);
      const extent = `${data.start}:${data.end}:${configuration?.start}`;
      let coded = read.get(extent);
      if (!coded) {
        coded = whole(() => codedOf(type, configuration, data));
        if (!coded) return { problem: CODED_SIZE_UNREAD[type] ?? `a ${type} item's size cannot be read` };
        read.set(extent, coded);
        sizes.push(coded.size);
      }
      codedPixels += coded.size.width * coded.size.height * coded.pictures;
    }
    return { sizes, codedPixels };
  } catch (error) {
    if (error instanceof UnreadableHeif) return { problem: error.message };
    throw error;
  }
}

const CODED_SIZE_UNREAD: Record<string, string> = {
  av01: 'its AV1 data does not begin with a sequence header',
  hvc1: 'its HEVC data has no sequence parameter set that can be read',
};

/** What a grid or an overlay says it makes, from its item data. */
function tiledSize(bytes: Buffer, type: 'grid' | 'iovl', data: Extent): Size {
  // ImageGrid: version, flags, rows − 1, columns − 1, then the size; ImageOverlay: version, flags, four fill values, then the size. Flag 1: 32-bit sizes.
  const r = reader(bytes, data.start, data.end);
  r.take(1);
  const wide = (r.take(1) & 1) === 1;
  r.take(type === 'grid' ? 2 : 8);
  const width = r.take(wide ? 4 : 2);
  const height = r.take(wide ? 4 : 2);
  return { width, height };
}

/** The sizes every `ispe` property in `ipco` states. */
function ispeSizes(bytes: Buffer, ipco: Box | undefined): Size[] {
  if (!ipco) return [];
  const sizes: Size[] = [];
  for (const property of boxesIn(bytes, ipco.start, ipco.end)) {
    if (property.type !== 'ispe') continue;
    const size = whole(() => {
      const r = reader(bytes, property.start + 4, property.end);
      return { width: r.take(4), height: r.take(4) };
    });
    if (size) sizes.push(size);
  }
  return sizes;
}

/**
 * Property associations read in one file. A phone's HEIC gives its few dozen items a few
 * each (some 300 in all); 2,048 items of 255 each took 10 ms of the event loop to read
 * (20–30 ms cold).
 */
export const MAX_PROPERTY_ASSOCIATIONS = 16_384;

/** The decoder configuration property of each coded item type: libheif hands its decoder what it holds ahead of the item's data. */
const CONFIGURATION_OF: Record<string, string> = { av01: 'av1C', hvc1: 'hvcC' };

/**
 * Each item's first `av1C` and first `hvcC` (those libheif hands its decoder), by
 * `id:type`, from every `ipma` (libheif merges them; HEIF §9.3.2). An item given
 * properties twice is refused, as one listed twice is.
 */
function itemConfigurations(bytes: Buffer, iprp: Box | undefined, ipco: Box | undefined): Map<string, Box> {
  const configurations = new Map<string, Box>();
  if (!iprp || !ipco) return configurations;
  const properties = boxesIn(bytes, ipco.start, ipco.end);
  const items = new Set<number>();
  let read = 0;
  for (const ipma of boxesIn(bytes, iprp.start, iprp.end)) {
    if (ipma.type !== 'ipma') continue;
    const r = reader(bytes, ipma.start, ipma.end);
    const version = r.take(1);
    const size = (r.take(3) & 1) + 1; // flag 1: associations of 16 bits, else 8
    for (let count = r.take(4); count > 0; count--) {
      if (items.size === MAX_HEIF_ITEMS) throw new UnreadableHeif(`it lists more than ${MAX_HEIF_ITEMS} items`);
      const itemId = r.take(version < 1 ? 2 : 4);
      if (items.has(itemId)) throw new UnreadableHeif("an item's properties are listed twice");
      items.add(itemId);
      const associations = r.take(1);
      read += associations;
      if (read > MAX_PROPERTY_ASSOCIATIONS) throw new UnreadableHeif(`it gives its items more than ${MAX_PROPERTY_ASSOCIATIONS} properties in all`);
      const start = r.at;
      r.skip(associations * size);
      const end = r.at;
      // Each an `essential` bit, then the property's index from 1 (0: none).
      for (let at = start; at < end; at += size) {
        const property = properties[(size === 2 ? bytes.readUInt16BE(at) & 0x7fff : bytes[at]! & 0x7f) - 1];
        if (property?.type !== 'av1C' && property?.type !== 'hvcC') continue;
        const key = `${itemId}:${property.type}`;
        if (!configurations.has(key)) configurations.set(key, property);
      }
    }
  }
  return configurations;
}

/** How many items `iinf` lists or `iloc` locates: 16 bits in their first versions (iinf 0, iloc 0–1), else 32. */
function itemCount(bytes: Buffer, box: Box | undefined, type: 'iinf' | 'iloc'): number {
  if (!box) return 0;
  const r = reader(bytes, box.start, box.end);
  const version = r.take(1);
  r.take(3);
  if (type === 'iloc') r.take(2); // the sizes of its offset, length and base fields
  return r.take(version < (type === 'iloc' ? 2 : 1) ? 2 : 4);
}

/** Each item's 4CC type, by id, from its `infe` entry (versions 2 and 3 carry one). */
function itemTypes(bytes: Buffer, iinf: Box | undefined): Map<number, string> {
  const types = new Map<number, string>();
  if (!iinf) return types;
  const r = reader(bytes, iinf.start, iinf.end);
  const version = r.take(1);
  r.take(3);
  r.take(version === 0 ? 2 : 4);
  for (const infe of boxesIn(bytes, r.at, iinf.end)) {
    if (infe.type !== 'infe') continue;
    const e = reader(bytes, infe.start, infe.end);
    const infeVersion = e.take(1);
    e.take(3);
    if (infeVersion < 2) continue;
    const itemId = e.take(infeVersion === 2 ? 2 : 4);
    e.take(2);
    if (types.has(itemId)) throw new UnreadableHeif('an item is listed twice');
    types.set(itemId, bytes.toString('latin1', e.at, e.at + 4));
  }
  return types;
}

/** Where each item's data lies, by id, in the file or in `idat`: one extent each. */
function itemLocations(bytes: Buffer, iloc: Box | undefined, idat: Box | undefined): Map<number, Extent> {
  const locations = new Map<number, Extent>();
  if (!iloc) return locations;
  const r = reader(bytes, iloc.start, iloc.end);
  const version = r.take(1);
  r.take(3);
  const sizes = r.take(2);
  const [offsetSize, lengthSize, baseOffsetSize] = [sizes >> 12, (sizes >> 8) & 0xf, (sizes >> 4) & 0xf];
  const indexSize = version === 1 || version === 2 ? sizes & 0xf : 0;
  // libheif reads 4- and 8-byte fields only (the sizes ISO/IEC 14496-12 allows): one of another size it reads as none, and every field after it from other bytes.
  const odd = [offsetSize, lengthSize, baseOffsetSize, indexSize].find((size) => size !== 0 && size !== 4 && size !== 8);
  if (odd !== undefined) throw new UnreadableHeif(`its item locations have fields of ${odd} bytes, where libheif reads 4 or 8`);
  const count = r.take(version < 2 ? 2 : 4);
  for (let i = 0; i < count; i++) {
    const itemId = r.take(version < 2 ? 2 : 4);
    const method = version === 1 || version === 2 ? r.take(2) & 0xf : 0;
    r.take(2);
    const base = r.take(baseOffsetSize);
    if (r.take(2) !== 1) throw new UnreadableHeif("an item's data is in pieces");
    r.take(indexSize);
    const offset = r.take(offsetSize);
    const length = r.take(lengthSize);
    if (locations.has(itemId)) throw new UnreadableHeif('an item is located twice');
    const origin = method === 0 ? 0 : method === 1 && idat ? idat.start : undefined;
    if (origin === undefined) continue;
    const start = origin + base + offset;
    const end = length === 0 ? (method === 1 ? idat!.end : bytes.length) : start + length;
    if (end <= bytes.length) locations.set(itemId, { start, end });
  }
  return locations;
}
