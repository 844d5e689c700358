/**
 * The size a HEIF or AVIF image really decodes to. libvips (and the limits checked from
 * its header) read the primary item's `ispe` property, but an image made of tiles — a
 * `grid`, or an `iovl` overlay — decodes to the size written in its own item data: 961
 * tiles sharing one coded tile (42 KB) said 100×100 and decoded to 16368×16368, ~1 GB of
 * memory per upload. So that size is read here, from the boxes (ISO/IEC 14496-12,
 * 23008-12), and checked as the header's is. Anything these few boxes do not describe
 * plainly is left to the decoder.
 */

export interface Box {
  type: string;
  /** Where its content starts (after the header), and where the box ends. */
  start: number;
  end: number;
}

/** The boxes laid one after another in `bytes` from `start` to `end`. */
export function boxesIn(bytes: Buffer, start: number, end: number): Box[] {
  const boxes: Box[] = [];
  for (let at = start; at + 8 <= end;) {
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

/** The width and height the primary item decodes to, when it is a grid or an overlay; undefined otherwise or when the boxes do not say. */
export function heifTiledSize(bytes: Buffer): { width: number; height: number } | undefined {
  if (bytes.length < 12 || bytes.toString('latin1', 4, 8) !== 'ftyp') return undefined;
  try {
    const meta = boxesIn(bytes, 0, bytes.length).find((box) => box.type === 'meta');
    if (!meta) return undefined;
    // meta is a full box: a version and flags before its children.
    const children = boxesIn(bytes, meta.start + 4, meta.end);
    const child = (type: string) => children.find((box) => box.type === type);
    const primary = primaryItem(bytes, child('pitm'));
    const type = primary === undefined ? undefined : itemType(bytes, child('iinf'), primary);
    if (type !== 'grid' && type !== 'iovl') return undefined;
    const data = itemData(bytes, child('iloc'), child('idat'), primary!);
    if (!data) return undefined;
    // ImageGrid: version, flags, rows − 1, columns − 1, then the size; ImageOverlay: version, flags, four fill values, then the size. Flag 1: 32-bit sizes.
    const r = reader(bytes, data.start, data.end);
    r.take(1);
    const wide = (r.take(1) & 1) === 1;
    r.take(type === 'grid' ? 2 : 8);
    const width = r.take(wide ? 4 : 2);
    const height = r.take(wide ? 4 : 2);
    return { width, height };
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

function primaryItem(bytes: Buffer, pitm: Box | undefined): number | undefined {
  if (!pitm) return undefined;
  const r = reader(bytes, pitm.start, pitm.end);
  const version = r.take(1);
  r.take(3);
  return r.take(version === 0 ? 2 : 4);
}

/** The 4CC type of item `id`, from its `infe` entry (versions 2 and 3 carry one). */
function itemType(bytes: Buffer, iinf: Box | undefined, id: number): string | undefined {
  if (!iinf) return undefined;
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
    if (itemId === id) return bytes.toString('latin1', e.at, e.at + 4);
  }
  return undefined;
}

/** Where item `id`'s data lies: its first extent, in the file or in `idat`. */
function itemData(bytes: Buffer, iloc: Box | undefined, idat: Box | undefined, id: number): { start: number; end: number } | undefined {
  if (!iloc) return undefined;
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
    const extents = r.take(2);
    let first: { offset: number; length: number } | undefined;
    for (let e = 0; e < extents; e++) {
      r.take(indexSize);
      const offset = r.take(offsetSize);
      const length = r.take(lengthSize);
      first ??= { offset, length };
    }
    if (itemId !== id || !first) continue;
    const origin = method === 0 ? 0 : method === 1 && idat ? idat.start : undefined;
    if (origin === undefined) return undefined;
    const start = origin + base + first.offset;
    const end = first.length === 0 ? (method === 1 ? idat!.end : bytes.length) : start + first.length;
    return end <= bytes.length ? { start, end } : undefined;
  }
  return undefined;
}
