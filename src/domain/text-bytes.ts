import iconv from 'iconv-lite';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Text whose bytes came without a declared charset (a file to import, Basic credentials),
 * decoded as the tools that wrote it meant: a byte-order mark says UTF-8 or UTF-16 (Excel's
 * "Unicode text", PowerShell 5's files) and is dropped; else UTF-8 when the bytes are valid
 * UTF-8; else Windows-1252, the ANSI code page Windows programs and the .NET Framework use
 * in Western Europe and the Americas (Excel's plain "CSV"). Node's TextDecoder reads
 * 'windows-1252' as Latin-1 and would lose '€' (0x80), so iconv-lite reads it.
 */
export function decodeText(bytes: Buffer): string {
  const utf16 = utf16BehindMark(bytes);
  if (utf16 !== undefined) return utf16;
  const text = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  try {
    return UTF8.decode(text);
  } catch {
    return iconv.decode(text, 'win1252');
  }
}

/**
 * An XML request's text: UTF-16 when it starts with that byte-order mark (XML 1.0 §4.3.3
 * requires one there; WCF clients set to UTF-16 send it), else UTF-8, as EWS clients write.
 */
export function xmlRequestText(bytes: Buffer): string {
  return utf16BehindMark(bytes) ?? bytes.toString('utf8');
}

/** The text after a UTF-16 byte-order mark (either byte order); undefined without one. */
function utf16BehindMark(bytes: Buffer): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return iconv.decode(bytes.subarray(2), 'utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return iconv.decode(bytes.subarray(2), 'utf16be');
  return undefined;
}
