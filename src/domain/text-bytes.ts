import iconv from 'iconv-lite';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Text whose bytes came without a declared charset (Basic credentials; a file to import reads
 * the same way, refused where that guess would garble it: import-file-text.ts),
 * decoded as the tools that wrote it meant: a byte-order mark says UTF-8, UTF-16 or UTF-32 (Excel's
 * "Unicode text", PowerShell 5's files) and is dropped; else UTF-8 when the bytes are valid
 * UTF-8; else Windows-1252, the ANSI code page Windows programs and the .NET Framework use
 * in Western Europe and the Americas (Excel's plain "CSV"). Node's TextDecoder reads
 * 'windows-1252' as Latin-1 and would lose '€' (0x80), so iconv-lite reads it.
 */
export function decodeText(bytes: Buffer): string {
  return textBehindMark(bytes) ?? utf8ElseWindows1252(withoutUtf8Mark(bytes));
}

/**
 * The text after a UTF-32 or UTF-16 byte-order mark (either byte order); undefined without
 * one. FF FE 00 00 is UTF-32LE's mark (XML 1.0 Appendix F), not UTF-16LE's before a NUL,
 * which no text starts with: read as UTF-16, a UTF-32 request was "not well-formed XML".
 */
export function textBehindMark(bytes: Buffer): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe && bytes[2] === 0 && bytes[3] === 0) return iconv.decode(bytes.subarray(4), 'utf32le');
  if (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xfe && bytes[3] === 0xff) return iconv.decode(bytes.subarray(4), 'utf32be');
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return iconv.decode(bytes.subarray(2), 'utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return iconv.decode(bytes.subarray(2), 'utf16be');
  return undefined;
}

export function hasUtf8Mark(bytes: Buffer): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

export function withoutUtf8Mark(bytes: Buffer): Buffer {
  return hasUtf8Mark(bytes) ? bytes.subarray(3) : bytes;
}

/** The text the bytes are as UTF-8 (a byte-order mark dropped); undefined when they are not UTF-8. */
export function strictUtf8(bytes: Buffer): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

function utf8ElseWindows1252(bytes: Buffer): string {
  return strictUtf8(bytes) ?? iconv.decode(bytes, 'win1252');
}

/** Base64 text as RFC 4648 §4 writes it (no blanks, padding only at the end); Node's decoder would skip what is not, and decode a typo into other bytes. */
export const BASE64_TEXT = /^[A-Za-z0-9+/]*={0,2}$/;
