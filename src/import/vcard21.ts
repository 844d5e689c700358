import ICAL from 'ical.js';
import iconv from 'iconv-lite';
import { decodeText } from '../domain/text-bytes.js';
import { VcardLineError, type ContentLine, type VcardText } from './vcard-cards.js';

/** Properties whose value is a list of components separated by `;` (vCard 2.1 §2.1.3, 3.0 §3). */
const STRUCTURED = new Set(['N', 'ADR', 'ORG']);

/** How ical.js reads each vCard 3.0 property: those of type text it unescapes as 3.0 escapes text. */
const PROPERTIES_30 = ICAL.design.vcard3.property as Record<string, { defaultType?: string } | undefined>;

/**
 * A vCard 2.1 card (Outlook's export, old phones) rewritten as vCard 3.0, which ical.js
 * reads, each content line with the line of the file it starts on: quoted-printable values decoded in their CHARSET (Outlook writes Windows-1252 or
 * UTF-8), text values escaped as 3.0 escapes text, bare parameters (`TEL;CELL;VOICE`) made
 * `TYPE=` lists, `ENCODING=BASE64` made `ENCODING=b`, and `VERSION:2.1` made `3.0`. Read
 * as 3.0 without this, a quoted-printable name was stored as "J=C3=B6rg" and bare types
 * failed the parse.
 */
export function vcard21As30(card: VcardText): ContentLine[] {
  // A blank line ends 2.1's base64 photo; 3.0 has none.
  return logicalLines(card)
    .filter(({ text }) => text.trim() !== '')
    .map(({ line, text }) => ({ line, text: rewriteLine(text, line) }));
}

/**
 * Physical lines joined into properties: a line that starts with a blank continues the one
 * before (folding, and 2.1's base64 photo lines), and a quoted-printable value ending in
 * `=` goes on in the next line (a soft line break).
 */
function logicalLines(card: VcardText): ContentLine[] {
  const lines: LogicalLine[] = [];
  card.lines.forEach((line, i) => {
    const current = lines.at(-1);
    if (current?.endsInSoftBreak()) current.continueAfterSoftBreak(line);
    else if (current && /^[ \t]/.test(line)) current.append(line.trimStart());
    else lines.push(new LogicalLine(card.line + i, line));
  });
  return lines.map((line) => ({ line: line.line, text: String(line) }));
}

/**
 * One property as its physical lines come, kept in pieces and joined once. Joined at every
 * line, and looked at whole again for its colon and its last character, a property read in
 * time quadratic in its lines: Outlook's export of a contact with a 1 MB photo (19,000 lines
 * of base64) took 22 s, one with a photo at the upload limit most of an hour.
 */
class LogicalLine {
  private readonly pieces: string[] = [];
  private quotedPrintable = false;
  private colonSeen = false;

  constructor(
    readonly line: number,
    first: string,
  ) {
    this.append(first);
  }

  append(text: string): void {
    if (text === '') return;
    if (!this.colonSeen) this.readHead(text);
    this.pieces.push(text);
  }

  /** Quoted-printable and ending in `=`: the value goes on in the next line. */
  endsInSoftBreak(): boolean {
    return this.quotedPrintable && this.pieces.at(-1)?.endsWith('=') === true;
  }

  continueAfterSoftBreak(line: string): void {
    this.append(this.pieces.pop()!.slice(0, -1));
    this.append(line);
  }

  toString(): string {
    return this.pieces.join('');
  }

  /** The name and parameters end at the first colon, which only a piece not yet kept can hold. */
  private readHead(text: string): void {
    const colon = text.indexOf(':');
    if (colon < 0) return;
    this.colonSeen = true;
    const head = this.pieces.join('') + text.slice(0, colon);
    this.quotedPrintable = head !== '' && /;ENCODING=QUOTED-PRINTABLE(;|$)|;QUOTED-PRINTABLE(;|$)/i.test(head);
  }
}

function rewriteLine(line: string, lineNumber: number): string {
  const colon = line.indexOf(':');
  if (colon <= 0) return line;
  const [name = '', ...params] = line.slice(0, colon).split(';');
  let value = line.slice(colon + 1);
  const property = name.replace(/^item\d+\./i, '').toUpperCase();
  if (property === 'VERSION' && value.trim() === '2.1') return `${name}:3.0`;
  let charset: string | undefined;
  let quotedPrintable = false;
  const kept: string[] = [];
  const types: string[] = [];
  for (const param of params) {
    const [key = '', paramValue] = param.split('=', 2) as [string, string | undefined];
    const upper = key.toUpperCase();
    if (paramValue === undefined && upper === 'QUOTED-PRINTABLE') quotedPrintable = true;
    else if (paramValue === undefined && upper === 'BASE64') kept.push('ENCODING=b');
    else if (paramValue === undefined) types.push(key);
    else if (upper === 'CHARSET') charset = paramValue;
    else if (upper === 'ENCODING' && paramValue.toUpperCase() === 'QUOTED-PRINTABLE') quotedPrintable = true;
    else if (upper === 'ENCODING' && paramValue.toUpperCase() === 'BASE64') kept.push('ENCODING=b');
    else if (upper === 'TYPE') types.push(...paramValue.split(','));
    else kept.push(param);
  }
  if (types.length > 0) kept.push(`TYPE=${types.join(',')}`);
  if (quotedPrintable) {
    const decoded = quotedPrintableText(value, charset);
    if ('problem' in decoded) throw new VcardLineError(lineNumber, `${property}: ${decoded.problem}`);
    value = decoded.text;
  }
  // A quoted-printable value of another type is escaped too: its line breaks (=0D=0A) would end the line.
  if (quotedPrintable || PROPERTIES_30[property.toLowerCase()]?.defaultType === 'text') value = textAs30(value, STRUCTURED.has(property));
  return [name, ...kept].join(';') + ':' + value;
}

/**
 * A quoted-printable value as text in its CHARSET, or why it cannot be: a charset unknown to
 * TextDecoder (the WHATWG Encoding Standard's labels), or bytes that are not in it. Decoded
 * leniently, such bytes became U+FFFD, and "M=FCller" said to be UTF-8 was stored as
 * "M\uFFFDller" without a word. vCard 2.1 §2.1.6: "The default character set is ASCII"
 * unless the transport says another; a file says none, so a value without CHARSET is read as
 * a file without a byte-order mark is (UTF-8, else Windows-1252: decodeText).
 */
function quotedPrintableText(value: string, charset: string | undefined): { text: string } | { problem: string } {
  const bytes: number[] = [];
  for (let at = 0; at < value.length; at++) {
    const hex = value[at] === '=' ? /^[0-9A-Fa-f]{2}/.exec(value.slice(at + 1, at + 3)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      at += 2;
    } else bytes.push(...Buffer.from(value[at]!, 'utf8'));
  }
  const buffer = Buffer.from(bytes);
  if (charset === undefined) return { text: decodeText(buffer) };
  const decoder = decoderFor(charset);
  if (decoder === undefined) return { problem: `CHARSET=${charset} is no character set the bridge knows; save the file again as UTF-8` };
  const notIn = { problem: `quoted-printable bytes that are not ${charset}, though its CHARSET says so` };
  // Node's TextDecoder reads Windows-1252 (and Latin-1 and ASCII, its labels) as Latin-1, '€' (0x80) a control character; iconv-lite reads it, its five unassigned bytes as U+FFFD.
  if (decoder.encoding === 'windows-1252') {
    const text = iconv.decode(buffer, 'win1252');
    return text.includes('\uFFFD') ? notIn : { text };
  }
  try {
    return { text: decoder.decode(buffer) };
  } catch {
    return notIn;
  }
}

/** A fatal TextDecoder for a charset label; undefined for a label it does not know. */
function decoderFor(label: string) {
  try {
    return new TextDecoder(label, { fatal: true });
  } catch {
    return undefined;
  }
}

/**
 * A 2.1 text value as 3.0 writes it. vCard 2.1 §2.1.3 escapes one character: "A Semi-colon in
 * a component of a compound property value must be escaped with a Backslash"; any other
 * backslash, and every comma, is itself. 3.0 (RFC 2426 §4, escaped-char) escapes backslashes,
 * commas, semicolons and line breaks. Read by 3.0's escapes, "N:Doe, Jr.;John" was the surnames "Doe"
 * and " Jr." and "TITLE:VP, Sales\North" a line break before "orth". A `\;` outside a
 * compound value is a semicolon too, as writers that escape every one mean it.
 */
function textAs30(value: string, structured: boolean): string {
  const components = structured ? value.split(/(?<!\\);/) : [value];
  return components.map((component) => escaped30(component.replaceAll('\\;', ';'))).join(';');
}

function escaped30(text: string): string {
  return text.replace(/[\\,;]/g, '\\$&').replace(/\r?\n/g, '\\n');
}
