import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { box } from '../support/shape-bombs.js';

/** The upright picture: sRGB red, with a blue marker filling its top-left quarter. */
export const PICTURE_RED = { r: 255, g: 0, b: 0 };
export const MARKER_BLUE = { r: 0, g: 0, b: 255 };

/**
 * An iPhone-style HEIC, made here rather than copied from elsewhere: HEVC coded by x265
 * through libheif's own `heif-enc` (Debian's libheif-examples), brand `heic`, colours in
 * Display P3 with that ICC profile, Apple EXIF, a thumbnail, and a portrait stored the way
 * iPhones store one: landscape pixels with an `irot` property that turns them upright
 * for display and an EXIF orientation (6) saying the same, which HEIF readers must not
 * apply a second time. Upright it is `width`×`height`; both must be even.
 */
export async function iphoneStyleHeic(width: number, height: number): Promise<Buffer> {
  const upright = await sharp({ create: { width, height, channels: 3, background: PICTURE_RED } })
    .composite([{ input: { create: { width: width / 2, height: height / 2, channels: 3, background: MARKER_BLUE } }, left: 0, top: 0 }])
    .png()
    .toBuffer();
  // As the sensor saw it: turned a quarter anticlockwise, so a quarter clockwise shows it upright.
  const stored = await sharp(upright)
    .rotate(-90)
    // One withMetadata call: on its own it would reset the profile to sRGB.
    .withMetadata({ orientation: 6, icc: 'p3', exif: { IFD0: { Make: 'Apple', Model: 'iPhone 15 Pro', Software: '17.5.1' } } })
    .jpeg({ quality: 95 })
    .toBuffer();
  const dir = await mkdtemp(join(tmpdir(), 'heic-'));
  try {
    await writeFile(join(dir, 'sensor.jpg'), stored);
    // iPhones add a 320-pixel thumbnail; heif-enc wants it smaller than the picture.
    const thumbnail = Math.min(320, Math.max(width, height) / 2);
    await promisify(execFile)('heif-enc', ['--quality', '90', '--thumb', String(thumbnail), '--output', join(dir, 'IMG_0001.HEIC'), join(dir, 'sensor.jpg')]);
    return withRotation(await readFile(join(dir, 'IMG_0001.HEIC')), 3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Box {
  type: string;
  start: number;
  end: number;
}

/** The boxes in `[start, end)`: 32-bit sizes only, as heif-enc writes them. */
function boxesIn(file: Buffer, start: number, end: number): Box[] {
  const boxes: Box[] = [];
  for (let at = start; at < end;) {
    const size = file.readUInt32BE(at);
    if (size < 8) throw new Error(`unexpected box size ${size} at ${at}`);
    boxes.push({ type: file.toString('latin1', at + 4, at + 8), start: at, end: at + size });
    at += size;
  }
  return boxes;
}

function only(boxes: Box[], type: string): Box {
  const found = boxes.filter((box) => box.type === type);
  if (found.length !== 1) throw new Error(`expected one '${type}' box, found ${found.length}`);
  return found[0]!;
}

/**
 * The HEIF file with an essential `irot` property (quarter turns anticlockwise, HEIF
 * §6.5.10) on its primary item, which heif-enc 1.15 cannot write. The property goes last
 * in ipco and one association joins the primary's ipma entry; meta grows, so every item
 * offset into mdat in iloc moves by as much.
 */
function withRotation(file: Buffer, quarterTurnsAnticlockwise: number): Buffer {
  const top = boxesIn(file, 0, file.length);
  const meta = only(top, 'meta');
  if (meta.end > only(top, 'mdat').start) throw new Error('expected meta before mdat');
  const metaChildren = boxesIn(file, meta.start + 12, meta.end); // meta is a full box
  const primary = file.readUInt16BE(only(metaChildren, 'pitm').start + 12);
  const iprp = only(metaChildren, 'iprp');
  const iprpChildren = boxesIn(file, iprp.start + 8, iprp.end);
  const ipco = only(iprpChildren, 'ipco');
  const propertyIndex = boxesIn(file, ipco.start + 8, ipco.end).length + 1;
  const newIpco = box('ipco', Buffer.concat([file.subarray(ipco.start + 8, ipco.end), box('irot', Buffer.from([quarterTurnsAnticlockwise & 3]))]));
  const newIpma = withAssociation(file, only(iprpChildren, 'ipma'), primary, propertyIndex);
  const newIprp = box(
    'iprp',
    Buffer.concat(iprpChildren.map((child) => (child.type === 'ipco' ? newIpco : child.type === 'ipma' ? newIpma : file.subarray(child.start, child.end)))),
  );
  const growth = newIprp.length - (iprp.end - iprp.start);
  const newMetaBody = Buffer.concat(metaChildren.map((child) => (child.type === 'iprp' ? newIprp : file.subarray(child.start, child.end))));
  const newMeta = box('meta', Buffer.concat([file.subarray(meta.start + 8, meta.start + 12), newMetaBody]));
  const iloc = only(boxesIn(newMeta, 12, newMeta.length), 'iloc');
  shiftItemOffsets(newMeta, iloc, growth);
  return Buffer.concat([file.subarray(0, meta.start), newMeta, file.subarray(meta.end)]);
}

/** ipma (HEIF §9.3.2) with one more essential association for `item`. */
function withAssociation(file: Buffer, ipma: Box, item: number, propertyIndex: number): Buffer {
  const version = file[ipma.start + 8]!;
  const wideIndex = (file.readUInt32BE(ipma.start + 8) & 1) === 1;
  if (version !== 0 || wideIndex) throw new Error('expected ipma version 0 with 7-bit property indexes');
  const parts: Buffer[] = [file.subarray(ipma.start + 8, ipma.start + 16)];
  let at = ipma.start + 16;
  for (let entry = file.readUInt32BE(ipma.start + 12); entry > 0; entry--) {
    const id = file.readUInt16BE(at);
    const count = file[at + 2]!;
    const associations = file.subarray(at + 3, at + 3 + count);
    parts.push(
      id === item
        ? Buffer.concat([file.subarray(at, at + 2), Buffer.from([count + 1]), associations, Buffer.from([0x80 | propertyIndex])])
        : file.subarray(at, at + 3 + count),
    );
    at += 3 + count;
  }
  return box('ipma', Buffer.concat(parts));
}

/**
 * Moves every item stored after meta by `growth` (iloc, HEIF §8.11.3, versions 0 and 1,
 * 4-byte offsets from the file's start): its base offset when iloc has them, else each extent's.
 */
function shiftItemOffsets(meta: Buffer, iloc: Box, growth: number): void {
  const version = meta[iloc.start + 8]!;
  const offsetSize = meta[iloc.start + 12]! >> 4;
  const lengthSize = meta[iloc.start + 12]! & 15;
  const baseOffsetSize = meta[iloc.start + 13]! >> 4;
  const indexSize = version === 1 ? meta[iloc.start + 13]! & 15 : 0;
  if (version > 1 || offsetSize !== 4 || ![0, 4].includes(baseOffsetSize)) throw new Error('expected iloc version 0 or 1 with 4-byte offsets');
  const shift = (at: number) => meta.writeUInt32BE(meta.readUInt32BE(at) + growth, at);
  let at = iloc.start + 16;
  for (let item = meta.readUInt16BE(iloc.start + 14); item > 0; item--) {
    at += 2; // item_ID
    // Construction method 1 keeps an item inside meta (idat), where nothing moves.
    const inFile = version === 0 || (meta.readUInt16BE(at) & 15) === 0;
    at += version === 1 ? 4 : 2; // construction_method, data_reference_index
    if (inFile && baseOffsetSize) shift(at);
    at += baseOffsetSize;
    const extents = meta.readUInt16BE(at);
    at += 2;
    for (let extent = 0; extent < extents; extent++) {
      at += indexSize;
      if (inFile && !baseOffsetSize) shift(at);
      at += offsetSize + lengthSize;
    }
  }
}
