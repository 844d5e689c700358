import iconv from 'iconv-lite';
import { LONE_SURROGATE } from './plain-text.js';

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
  return textBehindMark(bytes)?.text ?? utf8ElseWindows1252(withoutUtf8Mark(bytes));
}

/** Text read behind a byte-order mark. */
export interface MarkedText {
  /** As iconv-lite decodes it: a lone surrogate kept, a code point past U+10FFFF or a cut last one as U+FFFD, a cut last UTF-16 byte dropped. */
  text: string;
  encoding: 'UTF-16' | 'UTF-32';
  /**
   * Where in `text` the bytes first stop being text in that encoding (Unicode 15.0 §3.9, D89:
   * a well-formed code unit sequence): a surrogate without its pair, a code point past U+10FFFF,
   * a last code unit cut short. Undefined for text that is all there.
   */
  illFormedAt?: number;
}

/**
 * The text after a UTF-32 or UTF-16 byte-order mark (either byte order); undefined without
 * one. FF FE 00 00 is UTF-32LE's mark (XML 1.0 Appendix F), not UTF-16LE's before a NUL,
 * which no text starts with: read as UTF-16, a UTF-32 request was "not well-formed XML".
 */
export function textBehindMark(bytes: Buffer): MarkedText | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe && bytes[2] === 0 && bytes[3] === 0) return utf32(bytes.subarray(4), 'le');
  if (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xfe && bytes[3] === 0xff) return utf32(bytes.subarray(4), 'be');
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return utf16(bytes.subarray(2), 'le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return utf16(bytes.subarray(2), 'be');
  return undefined;
}

function utf16(body: Buffer, order: 'le' | 'be'): MarkedText {
  const text = iconv.decode(body, `utf16${order}`);
  const lone = text.search(LONE_SURROGATE);
  const illFormedAt = lone >= 0 ? lone : body.length % 2 === 0 ? undefined : text.length;
  return { text, encoding: 'UTF-16', ...(illFormedAt === undefined ? {} : { illFormedAt }) };
}

function utf32(body: Buffer, order: 'le' | 'be'): MarkedText {
  const text = iconv.decode(body, `utf32${order}`);
  let at = 0;
  for (let offset = 0; offset + 4 <= body.length; offset += 4) {
    const point = order === 'le' ? body.readUInt32LE(offset) : body.readUInt32BE(offset);
    if (point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff)) return { text, encoding: 'UTF-32', illFormedAt: at };
    at += point > 0xffff ? 2 : 1;
  }
  return { text, encoding: 'UTF-32', ...(body.length % 4 === 0 ? {} : { illFormedAt: at }) };
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
