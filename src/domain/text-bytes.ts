import iconv from 'iconv-lite';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Text whose bytes came without a declared charset (a file to import, Basic credentials),
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
 * decodeText for a file of folded content lines (vCard). RFC 6350 §3.2: "It is possible for
 * very simple implementations to generate improperly folded lines in the middle of a UTF-8
 * multi-octet sequence. For this reason, implementations need to unfold lines in such a way
 * to properly restore the original sequence." Such a fold makes the bytes invalid UTF-8, and
 * the whole file was read as Windows-1252 (every name in it garbled), so a fold inside a
 * character is moved in front of it before the charset is chosen. The parser unfolds it there
 * as any other (a moved fold reads the same once unfolded, whatever the charset), and the file
 * keeps its line count, by which problems are reported.
 */
export function decodeFoldedText(bytes: Buffer): string {
  return textBehindMark(bytes) ?? utf8ElseWindows1252(foldsBeforeCharacters(withoutUtf8Mark(bytes)));
}

/**
 * A fold (CRLF or a bare LF, then a space or tab) between a UTF-8 lead byte (with any
 * continuation bytes after it) and a continuation byte: no valid UTF-8 has a continuation
 * byte after a fold, and no quoted-printable (vCard 2.1) value has bytes above 0x7F.
 */
const FOLD_INSIDE_CHARACTER = /([\xc2-\xf4][\x80-\xbf]{0,2})(\r?\n[ \t])(?=[\x80-\xbf])/g;

function foldsBeforeCharacters(bytes: Buffer): Buffer {
  // Latin-1 maps each byte to one code unit and back, so the bytes can be matched as text.
  return Buffer.from(bytes.toString('latin1').replace(FOLD_INSIDE_CHARACTER, '$2$1'), 'latin1');
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

function withoutUtf8Mark(bytes: Buffer): Buffer {
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
