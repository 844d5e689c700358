/** What the readers of a HEIF's sizes share: the size they find, their refusal, and readers of numbers from bytes and bits. */

export interface Size {
  width: number;
  height: number;
}

/** What a decoder makes of a coded item: its largest picture, and how many pictures it decodes. */
export interface Coded {
  size: Size;
  pictures: number;
}

/** Of two sizes a decoder may be given, the one of more pixels. */
export const larger = (a: Size | undefined, b: Size | undefined): Size | undefined => (!a || (b && b.width * b.height > a.width * a.height) ? b : a);

/** Bytes from `start` to `end`. */
export interface Extent {
  start: number;
  end: number;
}

/** A file whose structure this reading does not follow plainly, while a decoder might: refused, since its sizes cannot be checked. */
export class UnreadableHeif extends Error {}

/** A reader of big-endian numbers that throws past `end`. */
export function reader(bytes: Buffer, at: number, end: number) {
  const take = (size: number) => {
    if (at + size > end) throw new RangeError('past the box');
    const value = size === 0 ? 0 : size === 8 ? Number(bytes.readBigUInt64BE(at)) : bytes.readUIntBE(at, size);
    at += size;
    return value;
  };
  const skip = (size: number) => {
    if (at + size > end) throw new RangeError('past the box');
    at += size;
  };
  return {
    take,
    skip,
    get at() {
      return at;
    },
  };
}

const MAX_UVLC_ZEROS = 64;

/** A reader of the bits from `start` to `end`, most significant first, that throws past `end`. */
export function bits(bytes: Buffer, start: number, end: number) {
  let bit = start * 8;
  const f = (count: number) => {
    let value = 0;
    for (let i = 0; i < count; i++, bit++) {
      if (bit >= end * 8) throw new RangeError('past the end');
      value = value * 2 + ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1);
    }
    return value;
  };
  // AV1's uvlc() and HEVC's ue(v) are the same code. The spec reads any run of leading zeros; encoders write fewer than 32.
  const uvlc = () => {
    let zeros = 0;
    while (f(1) === 0) if (++zeros > MAX_UVLC_ZEROS) throw new RangeError('no encoder writes this');
    return zeros >= 32 ? 2 ** 32 - 1 : f(zeros) + 2 ** zeros - 1;
  };
  return { f, uvlc };
}
