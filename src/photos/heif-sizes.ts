/**
 * The sizes a HEIF or AVIF really decodes to. libvips (and the limits checked from its
 * header) read the primary item's `ispe` property, but:
 * - an image made of tiles — a `grid`, or an `iovl` overlay — decodes to the size written
 *   in its own item data: 961 tiles sharing one coded tile (42 KB) said 100×100 and
 *   decoded to 16368×16368, ~1 GB of memory per upload;
 * - the other items are decoded too (an alpha plane is): a 64×64 photo whose alpha image
 *   was 8000×8000, 1,176 bytes, took 1.2 GB and was stored;
 * - an AV1 item decodes to the size its sequence header codes, whatever its `ispe` says:
 *   one that said 64×64 and coded 8000×8000 took 1.2 GB before it was refused.
 * So those sizes are read here, from the boxes (ISO/IEC 14496-12, 23008-12) and the AV1
 * sequence header (AV1 bitstream specification §5.3, §5.5), and checked as the header's
 * is. What these structures do not describe plainly (an item listed twice, data in
 * pieces, AV1 data without a sequence header) is refused rather than left to a decoder
 * that might read it otherwise.
 */

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

/** The boxes laid one after another in `bytes` from `start` to `end`: the first `max`. */
export function boxesIn(bytes: Buffer, start: number, end: number, max = MAX_HEIF_ITEMS): Box[] {
  const boxes: Box[] = [];
  for (let at = start; at + 8 <= end && boxes.length < max;) {
    let size = bytes.readUInt32BE(at);
    let header = 8;
    if (size === 1 && at + 16 <= end) {
      size = Number(bytes.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = end - at;
    if (size < header || at + size > end) break;
    boxes.push({ type: bytes.toString('latin1', at + 4, at + 8), start: at + header, end: at + size });
    at += size;
  }
  return boxes;
}

/** A reader of big-endian numbers that throws past `end`. */
function reader(bytes: Buffer, at: number, end: number) {
  const take = (size: number) => {
    if (at + size > end) throw new RangeError('past the box');
    const value = size === 0 ? 0 : size === 8 ? Number(bytes.readBigUInt64BE(at)) : bytes.readUIntBE(at, size);
    at += size;
    return value;
  };
  return {
    take,
    get at() {
      return at;
    },
  };
}

export interface Size {
  width: number;
  height: number;
}

/** The boxes of the file's `meta`, or undefined when it is no HEIF. */
function metaBoxes(bytes: Buffer): ((type: string) => Box | undefined) | undefined {
  if (bytes.length < 12 || bytes.toString('latin1', 4, 8) !== 'ftyp') return undefined;
  const meta = boxesIn(bytes, 0, bytes.length).find((box) => box.type === 'meta');
  if (!meta) return undefined;
  // meta is a full box: a version and flags before its children.
  const children = boxesIn(bytes, meta.start + 4, meta.end);
  return (type: string) => children.find((box) => box.type === type);
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

/** A file whose structure this reading does not follow plainly, while a decoder might: refused, since its sizes cannot be checked. */
class UnreadableHeif extends Error {}

/**
 * Every size a decoder may make of a HEIF — each `ispe` property, each grid's and
 * overlay's (primary or not), each AV1 item's coded size — or the problem that keeps them
 * from being known. Nothing, when the bytes are no HEIF. Refused: more items than
 * MAX_HEIF_ITEMS, an item listed or located twice or kept in pieces, AV1 data without a
 * sequence header. A review found each of those letting an 8000×8000 image past the
 * sizes read here (0.9–1.2 GB a decode): a decoder keeps the first of two entries, this
 * reading kept the last; a second extent or a second sequence header went unread.
 */
export function heifSizes(bytes: Buffer): Size[] | { problem: string } {
  const child = metaBoxes(bytes);
  if (!child) return [];
  try {
    const listed = whole(() => Math.max(itemCount(bytes, child('iinf'), 'iinf'), itemCount(bytes, child('iloc'), 'iloc'))) ?? 0;
    if (listed > MAX_HEIF_ITEMS) return { problem: `it lists more than ${MAX_HEIF_ITEMS} items` };
    const types = whole(() => itemTypes(bytes, child('iinf'))) ?? new Map<number, string>();
    const locations = whole(() => itemLocations(bytes, child('iloc'), child('idat'))) ?? new Map<number, Extent>();
    const sizes = ispeSizes(bytes, child('iprp'));
    // A grid's tiles mostly share one coded tile: each extent is read once.
    const read = new Set<string>();
    for (const [id, type] of types) {
      if (type !== 'av01' && type !== 'grid' && type !== 'iovl') continue;
      const data = locations.get(id);
      if (!data) return { problem: `the data of a ${type} item is not where the file says` };
      const extent = `${data.start}:${data.end}`;
      if (read.has(extent)) continue;
      read.add(extent);
      const size = whole(() => (type === 'av01' ? av1CodedSize(bytes, data.start, data.end) : tiledSize(bytes, type, data)));
      if (!size) return { problem: type === 'av01' ? 'its AV1 data does not begin with a sequence header' : `a ${type} item's size cannot be read` };
      sizes.push(size);
    }
    return sizes;
  } catch (error) {
    if (error instanceof UnreadableHeif) return { problem: error.message };
    throw error;
  }
}

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

/** The sizes every `ispe` property in `iprp/ipco` states. */
function ispeSizes(bytes: Buffer, iprp: Box | undefined): Size[] {
  const ipco = iprp && boxesIn(bytes, iprp.start, iprp.end).find((box) => box.type === 'ipco');
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

interface Extent {
  start: number;
  end: number;
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

/** OBUs an AV1 item's data may hold: a still image has three or four (a temporal delimiter, the sequence header, its frame). */
const MAX_OBUS = 64;
const OBU_SEQUENCE_HEADER = 1;
const MAX_UVLC_ZEROS = 64;

/**
 * The largest frame any of an AV1 item's sequence headers allows (max_frame_width ×
 * max_frame_height), or undefined when it has none. Every OBU is read: a decoder goes by
 * the last sequence header, and a first one can say 64×64.
 */
function av1CodedSize(bytes: Buffer, start: number, end: number): Size | undefined {
  let largest: Size | undefined;
  let obus = 0;
  for (let at = start; at < end;) {
    if (++obus > MAX_OBUS) throw new UnreadableHeif(`its AV1 data has more than ${MAX_OBUS} parts (OBUs)`);
    // obu_header: forbidden bit, type (4), extension flag, has-size flag, reserved bit; then a LEB128 size.
    const header = bytes[at]!;
    at += 1 + ((header >> 2) & 1);
    let size = end - at;
    if ((header >> 1) & 1) {
      size = 0;
      for (let i = 0, byte = 0x80; byte & 0x80; i++) {
        if (i === 8 || at >= end) return largest;
        byte = bytes[at++]!;
        size += (byte & 0x7f) * 2 ** (7 * i);
      }
    }
    if (((header >> 3) & 0xf) === OBU_SEQUENCE_HEADER) {
      const coded = sequenceHeaderSize(bits(bytes, at, Math.min(end, at + size)));
      if (!largest || coded.width * coded.height > largest.width * largest.height) largest = coded;
    }
    at += size;
  }
  return largest;
}

/** A reader of the bits from `start` to `end`, most significant first, that throws past `end`. */
function bits(bytes: Buffer, start: number, end: number) {
  let bit = start * 8;
  const f = (count: number) => {
    let value = 0;
    for (let i = 0; i < count; i++, bit++) {
      if (bit >= end * 8) throw new RangeError('past the OBU');
      value = value * 2 + ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1);
    }
    return value;
  };
  // The spec reads any run of leading zeros; encoders write fewer than 32.
  const uvlc = () => {
    let zeros = 0;
    while (f(1) === 0) if (++zeros > MAX_UVLC_ZEROS) throw new RangeError('no encoder writes this');
    return zeros >= 32 ? 2 ** 32 - 1 : f(zeros) + 2 ** zeros - 1;
  };
  return { f, uvlc };
}

/** sequence_header_obu() up to max_frame_height_minus_1 (AV1 §5.5.1). */
function sequenceHeaderSize({ f, uvlc }: ReturnType<typeof bits>): Size {
  f(3); // seq_profile
  f(1); // still_picture
  if (f(1) === 1) {
    f(5); // reduced_still_picture_header: seq_level_idx[0] alone
  } else {
    let decoderModelInfo = false;
    let bufferDelayLength = 0;
    if (f(1) === 1) {
      // timing_info(): two 32-bit numbers, equal_picture_interval and its ticks
      f(32);
      f(32);
      if (f(1) === 1) uvlc();
      decoderModelInfo = f(1) === 1;
      if (decoderModelInfo) {
        bufferDelayLength = f(5) + 1;
        f(32);
        f(5);
        f(5);
      }
    }
    const initialDisplayDelay = f(1) === 1;
    const operatingPoints = f(5) + 1;
    for (let i = 0; i < operatingPoints; i++) {
      f(12); // operating_point_idc
      if (f(5) > 7) f(1); // seq_level_idx, seq_tier
      if (decoderModelInfo && f(1) === 1) {
        f(bufferDelayLength);
        f(bufferDelayLength);
        f(1);
      }
      if (initialDisplayDelay && f(1) === 1) f(4);
    }
  }
  const widthBits = f(4) + 1;
  const heightBits = f(4) + 1;
  return { width: f(widthBits) + 1, height: f(heightBits) + 1 };
}
