import iconv from 'iconv-lite';
import { hasUtf8Mark, strictUtf8, textBehindMark, withoutUtf8Mark } from '../domain/text-bytes.js';
import { ImportFileError } from './import-file-error.js';

/**
 * A fold (CRLF or a bare LF, then a space or tab) between a UTF-8 lead byte (with any
 * continuation bytes after it) and a continuation byte: no valid UTF-8 has a continuation
 * byte after a fold, and no quoted-printable (vCard 2.1) value has bytes above 0x7F.
 */
const FOLD_INSIDE_CHARACTER = /([\xc2-\xf4][\x80-\xbf]{0,2})(\r?\n[ \t])(?=[\x80-\xbf])/g;

const LINE_BREAK = /\r\n|\r|\n/;

/** A byte outside ASCII, in bytes read as Latin-1. */
const NOT_ASCII = /[\x80-\xff]/;

/**
 * A file to import as text, read as decodeText reads bytes without a declared charset: a
 * byte-order mark's, else UTF-8, else Windows-1252 (Excel's plain "CSV"). Where that last
 * guess would garble the file it is refused, with the line to mend: bytes that are not UTF-8
 * after UTF-8's byte-order mark, or beside lines that are (a Latin-1 row pasted into a UTF-8
 * file, a cut multi-byte character). Read as Windows-1252, every name of such a file
 * was imported as mojibake ("RenÃ©e"), and nothing said so. So is UTF-16 or UTF-32 that is
 * not (a lone surrogate became U+FFFD, a cut last byte was dropped).
 *
 * `folded` is for a file of folded content lines (vCard). RFC 6350 §3.2: "It is possible for
 * very simple implementations to generate improperly folded lines in the middle of a UTF-8
 * multi-octet sequence. For this reason, implementations need to unfold lines in such a way
 * to properly restore the original sequence." Such a fold makes the bytes invalid UTF-8, so a
 * fold inside a character is moved in front of it before the charset is chosen. The parser
 * unfolds it there as any other (a moved fold reads the same once unfolded, whatever the
 * charset), and the file keeps its line count, by which problems are reported.
 */
export function importFileText(bytes: Buffer, { folded = false } = {}): string {
  if (bytes.length === 0) throw new ImportFileError(['the file is empty (0 bytes)']);
  const marked = textBehindMark(bytes);
  if (marked?.illFormedAt !== undefined) {
    const line = marked.text.slice(0, marked.illFormedAt).split(LINE_BREAK).length;
    throw new ImportFileError([
      `line ${line}: bytes that are not ${marked.encoding}, though its byte-order mark starts the file; save the file again in one encoding, UTF-8`,
    ]);
  }
  if (marked !== undefined) return marked.text;
  const body = folded ? foldsBeforeCharacters(withoutUtf8Mark(bytes)) : withoutUtf8Mark(bytes);
  const utf8 = strictUtf8(body);
  if (utf8 !== undefined) return utf8;
  // Line by line: a Windows-1252 line holds byte pairs that look like UTF-8 (ß then an en dash,
  // DF 96), but seldom only such pairs, while a UTF-8 line holds nothing else.
  const lines = body.toString('latin1').split(LINE_BREAK);
  const isUtf8 = (line: string) => strictUtf8(Buffer.from(line, 'latin1')) !== undefined;
  const mixed = hasUtf8Mark(bytes)
    ? "UTF-8's byte-order mark starts the file"
    : lines.some((line) => NOT_ASCII.test(line) && isUtf8(line))
      ? 'other lines of the file are UTF-8'
      : undefined;
  if (mixed === undefined) return iconv.decode(body, 'win1252');
  const line = lines.findIndex((text) => !isUtf8(text)) + 1;
  throw new ImportFileError([`line ${line}: bytes that are not UTF-8, though ${mixed}; save the file again in one encoding, UTF-8`]);
}

function foldsBeforeCharacters(bytes: Buffer): Buffer {
  // Latin-1 maps each byte to one code unit and back, so the bytes can be matched as text.
  return Buffer.from(bytes.toString('latin1').replace(FOLD_INSIDE_CHARACTER, '$2$1'), 'latin1');
}
