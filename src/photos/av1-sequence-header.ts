import { bits, larger, UnreadableHeif, type Coded, type Extent, type Size } from './bitstream.js';

/** OBUs an AV1 item's data may hold: a still image has three or four (a temporal delimiter, the sequence header, its frame). */
const MAX_OBUS = 64;
const OBU_SEQUENCE_HEADER = 1;
/** A frame's header alone (its tiles in OBUs of their own), or a frame whole: each is a frame decoded. */
const OBU_FRAME_HEADER = 3;
const OBU_FRAME = 6;

/**
 * Sequence headers read in one file: a still image has one an item. 2,048 items of 64
 * each took 42 ms of the event loop to read.
 */
export const MAX_SEQUENCE_HEADERS = 256;

/**
 * A reader of one file's AV1 items: the largest frame any sequence header an item's
 * decoder is given allows (max_frame_width × max_frame_height), and how many frames it is
 * given (aom decodes each: 60 of 4000×4000 in one item took 4.8 s, one 0.46 s); undefined
 * when it has no sequence header. libheif hands the decoder the configuration OBUs of the
 * item's `av1C` (after its four bytes of fields), then the item's data, and a decoder goes
 * by the last sequence header while any before it may have had frames decoded: every OBU
 * of both is read (an av1C that hid an 8000×8000 frame behind 64×64 data took 1 GB). Each
 * av1C is read once, and no more than MAX_SEQUENCE_HEADERS in all.
 */
export function av1CodedSizes(bytes: Buffer): (av1C: Extent | undefined, data: Extent) => Coded | undefined {
  let read = 0;
  const counted = () => {
    if (++read > MAX_SEQUENCE_HEADERS) throw new UnreadableHeif(`it has more than ${MAX_SEQUENCE_HEADERS} AV1 sequence headers`);
  };
  const configurations = new Map<number, Obus>();
  return (av1C, data) => {
    if (av1C && !configurations.has(av1C.start)) configurations.set(av1C.start, obusOf(bytes, av1C.start + 4, av1C.end, counted, true));
    const configured = av1C && configurations.get(av1C.start);
    const coded = obusOf(bytes, data.start, data.end, counted);
    const size = larger(configured?.largest, coded.largest);
    return size && { size, pictures: Math.max(1, (configured?.frames ?? 0) + coded.frames) };
  };
}

/** What a run of OBUs holds: the largest frame its sequence headers allow, and its frames. */
interface Obus {
  largest?: Size;
  frames: number;
}

/**
 * The OBUs from `start` to `end`. The decoder reads configuration OBUs and data as one
 * run, so those of a configuration must each say their size and end where it does, or the
 * data would be read from elsewhere.
 */
function obusOf(bytes: Buffer, start: number, end: number, counted: () => void, configuration = false): Obus {
  const unaligned = () => new UnreadableHeif("its AV1 configuration's OBUs do not end where it does");
  const found: Obus = { frames: 0 };
  let obus = 0;
  let at = start;
  while (at < end) {
    if (++obus > MAX_OBUS) throw new UnreadableHeif(`its AV1 data has more than ${MAX_OBUS} parts (OBUs)`);
    // obu_header: forbidden bit, type (4), extension flag, has-size flag, reserved bit; then a LEB128 size.
    const header = bytes[at]!;
    const type = (header >> 3) & 0xf;
    at += 1 + ((header >> 2) & 1);
    let size = end - at;
    if ((header >> 1) & 1) {
      size = 0;
      for (let i = 0, byte = 0x80; byte & 0x80; i++) {
        if (i === 8 || at >= end) {
          if (configuration) throw unaligned();
          return found;
        }
        byte = bytes[at++]!;
        size += (byte & 0x7f) * 2 ** (7 * i);
      }
    } else if (configuration) throw unaligned();
    if (type === OBU_SEQUENCE_HEADER) {
      counted();
      found.largest = larger(found.largest, sequenceHeaderSize(bits(bytes, at, Math.min(end, at + size))));
    }
    if (type === OBU_FRAME_HEADER || type === OBU_FRAME) found.frames++;
    at += size;
  }
  if (configuration && at !== end) throw unaligned();
  return found;
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
