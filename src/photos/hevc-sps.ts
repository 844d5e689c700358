import { bits, larger, reader, UnreadableHeif, type Extent, type Size } from './bitstream.js';

/**
 * What an HEVC item decodes to, whatever its `ispe` says: the picture size its sequence
 * parameter sets (SPS, ITU-T H.265 §7.3.2.2) code. libheif hands its decoder the NAL
 * units of the item's `hvcC` (ISO/IEC 14496-15 §8.3.3), then the item's data, and the
 * decoder goes by the last SPS it meets: one in the data overrides the hvcC's. So every
 * SPS in either is read, and the largest counts.
 */

const NAL_SPS = 33;
/** NAL units read of one hvcC, and of one item's data: a phone's hvcC holds three (VPS, SPS, PPS), each tile's data one slice. */
const MAX_NAL_UNITS = 64;
/**
 * SPSs read in one file: a phone's HEIC has a few (its tiles share one hvcC). 256 of the
 * costliest took 0.8 ms to read here; 2,048 items of 64 each would be 512 times as many.
 */
export const MAX_SEQUENCE_PARAMETER_SETS = 256;
/** Bytes of an SPS read: its fields up to its size take at most 132 once unescaped, 198 before. */
const SPS_BYTES = 256;

/**
 * A reader of one file's HEVC items: the largest picture any SPS an item's decoder is
 * given codes, or undefined when it has none. Each hvcC is read once (a grid's tiles
 * share one), and no more than MAX_SEQUENCE_PARAMETER_SETS SPSs in all.
 */
export function hevcCodedSizes(bytes: Buffer): (hvcC: Extent, data: Extent) => Size | undefined {
  const configurations = new Map<number, Size | undefined>();
  let read = 0;
  const largest = (units: Extent[], found?: Size) => {
    for (const unit of units) {
      if (++read > MAX_SEQUENCE_PARAMETER_SETS) throw new UnreadableHeif(`it has more than ${MAX_SEQUENCE_PARAMETER_SETS} HEVC sequence parameter sets`);
      found = larger(found, spsSize(bytes, unit));
    }
    return found;
  };
  return (hvcC, data) => {
    if (!configurations.has(hvcC.start)) configurations.set(hvcC.start, largest(configurationSps(bytes, hvcC)));
    return largest(dataSps(bytes, data), configurations.get(hvcC.start));
  };
}

/** Whether the NAL unit from `start` to `end` is an SPS, by its own header. */
const isSps = (bytes: Buffer, start: number, end: number) => end - start >= 2 && ((bytes[start]! >> 1) & 0x3f) === NAL_SPS;

/** The SPSs among the NAL units in an hvcC's arrays, whatever type an array says it holds: libheif passes each unit on. */
function configurationSps(bytes: Buffer, hvcC: Extent): Extent[] {
  // HEVCDecoderConfigurationRecord: 21 bytes of profile and format, then a byte ending in lengthSizeMinusOne, then the arrays.
  const r = reader(bytes, hvcC.start + 21, hvcC.end);
  const lengthSize = (r.take(1) & 3) + 1;
  // libheif reads 4-byte lengths in the item's data whatever this says, so data written with shorter ones is read two ways.
  if (lengthSize !== 4) throw new UnreadableHeif(`its HEVC data's NAL units have ${lengthSize}-byte lengths, not 4`);
  const sps: Extent[] = [];
  let units = 0;
  for (let arrays = r.take(1); arrays > 0; arrays--) {
    r.take(1); // array_completeness and NAL_unit_type: each unit's own header says its type
    for (let count = r.take(2); count > 0; count--) {
      if (++units > MAX_NAL_UNITS) throw new UnreadableHeif(`its HEVC configuration has more than ${MAX_NAL_UNITS} parts (NAL units)`);
      const length = r.take(2);
      if (isSps(bytes, r.at, r.at + length)) sps.push({ start: r.at, end: r.at + length });
      r.skip(length);
    }
  }
  return sps;
}

/** The SPSs among the NAL units of an item's data, each after a 4-byte length, up to one whose length runs past the data (libheif decodes nothing then). */
function dataSps(bytes: Buffer, data: Extent): Extent[] {
  const sps: Extent[] = [];
  let units = 0;
  for (let at = data.start; at + 4 <= data.end;) {
    if (++units > MAX_NAL_UNITS) throw new UnreadableHeif(`its HEVC data has more than ${MAX_NAL_UNITS} parts (NAL units)`);
    const length = bytes.readUInt32BE(at);
    at += 4;
    if (length > data.end - at) break;
    if (isSps(bytes, at, at + length)) sps.push({ start: at, end: at + length });
    at += length;
  }
  return sps;
}

/** seq_parameter_set_rbsp() up to pic_height_in_luma_samples (§7.3.2.2), from the SPS NAL unit's header on. */
function spsSize(bytes: Buffer, unit: Extent): Size {
  const layer = ((bytes[unit.start]! & 1) << 5) | (bytes[unit.start + 1]! >> 3);
  const payload = rbsp(bytes, unit.start + 2, Math.min(unit.end, unit.start + 2 + SPS_BYTES));
  const { f, uvlc } = bits(payload, 0, payload.length);
  f(4); // sps_video_parameter_set_id
  const subLayers = f(3); // sps_max_sub_layers_minus1
  // Above the base layer, 7 there means the size is the VPS's (F.7.3.2.2.1), which is not read here.
  if (layer > 0 && subLayers === 7) throw new UnreadableHeif('its HEVC data has a layer sized by its VPS');
  f(1); // sps_temporal_id_nesting_flag
  profileTierLevel(f, subLayers);
  uvlc(); // sps_seq_parameter_set_id
  if (uvlc() === 3) f(1); // chroma_format_idc; 4:4:4 adds separate_colour_plane_flag
  return { width: uvlc(), height: uvlc() };
}

/** profile_tier_level(1, maxNumSubLayersMinus1) (§7.3.3): the general profile, tier and level, then each sub-layer's that is present. */
function profileTierLevel(f: (count: number) => number, maxNumSubLayersMinus1: number): void {
  f(96); // general_profile_space … general_level_idc: 12 bytes
  const present = Array.from({ length: maxNumSubLayersMinus1 }, (): [number, number] => [f(1), f(1)]);
  if (maxNumSubLayersMinus1 > 0) f(2 * (8 - maxNumSubLayersMinus1)); // reserved_zero_2bits up to eight sub-layers
  // A sub-layer's profile takes 88 bits (as the general one, less its level), its level 8.
  for (const [profile, level] of present) f(profile * 88 + level * 8);
}

/** The bytes with each emulation_prevention_three_byte (0x03 after two zero bytes, §7.3.1.1) removed. */
function rbsp(bytes: Buffer, start: number, end: number): Buffer {
  const out = Buffer.alloc(end - start);
  let length = 0;
  let zeros = 0;
  for (let at = start; at < end; at++) {
    const byte = bytes[at]!;
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[length++] = byte;
  }
  return out.subarray(0, length);
}
