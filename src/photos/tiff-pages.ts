/**
 * The pages of a TIFF, told from its chain of IFDs. libvips counts every page of a TIFF
 * as it reads the header, before any limit applies: 90,000 pages of one pixel (9 MB)
 * took 519 ms of a thread to read and 1.1 s to decode, though only the first page is
 * ever decoded. A photo has one page, a scan a few.
 */
export const MAX_TIFF_PAGES = 64;

/**
 * The tiles or strips of the page that is decoded. Each is a codec call of its own: a
 * 6.3 MB TIFF of 131,072 JPEG tiles of 16×16 took 2.5 s of a thread to decode. A 40-Mpx
 * photo cut in 64×64 tiles, or one row a strip, has under 10,000.
 */
export const MAX_TIFF_PIECES = 16_384;
const TILE_OFFSETS = 324;
const STRIP_OFFSETS = 273;

/** Why a TIFF (classic or BigTIFF) must not reach libvips, or undefined when it may (or the bytes are no TIFF). */
export function tiffPageProblem(bytes: Buffer): string | undefined {
  if (bytes.length < 16) return undefined;
  const order = bytes.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const littleEndian = order === 'II';
  const u16 = (at: number) => (littleEndian ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at));
  const u64 = (at: number) => Number(littleEndian ? bytes.readBigUInt64LE(at) : bytes.readBigUInt64BE(at));
  const u32 = (at: number) => (littleEndian ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const version = u16(2);
  if (version !== 42 && version !== 43) return undefined;
  const big = version === 43;
  // Classic: a 2-byte entry count, 12-byte entries (4-byte value counts), a 4-byte next offset; BigTIFF: 8, 20 (8), 8.
  const count = big ? u64 : u16;
  const offset = big ? u64 : u32;
  const values = big ? u64 : u32;
  const [countBytes, entryBytes, offsetBytes] = big ? [8, 20, 8] : [2, 12, 4];
  const visited = new Set<number>();
  for (let ifd = offset(big ? 8 : 4); ifd !== 0;) {
    if (ifd + countBytes > bytes.length) return undefined;
    if (visited.has(ifd)) return 'its pages loop back on themselves';
    if (visited.size === MAX_TIFF_PAGES) return `it has more than ${MAX_TIFF_PAGES} pages`;
    visited.add(ifd);
    const next = ifd + countBytes + count(ifd) * entryBytes;
    if (next + offsetBytes > bytes.length) return undefined;
    if (visited.size === 1) {
      // An entry is its tag (2 bytes), its type (2), its count of values, then the values.
      for (let entry = ifd + countBytes; entry < next; entry += entryBytes) {
        const tag = u16(entry);
        if ((tag === TILE_OFFSETS || tag === STRIP_OFFSETS) && values(entry + 4) > MAX_TIFF_PIECES) {
          return `its image is cut in more than ${MAX_TIFF_PIECES} ${tag === TILE_OFFSETS ? 'tiles' : 'strips'}`;
        }
      }
    }
    ifd = offset(next);
  }
  return undefined;
}
