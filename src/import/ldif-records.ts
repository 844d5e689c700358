import { BASE64_TEXT, strictUtf8 } from '../domain/text-bytes.js';

/** One LDIF content record: its DN, its attributes, and where it starts. */
export interface LdifEntry {
  dn: string;
  line: number;
  /**
   * By name as first written, the values of every spelling of it in file order: attribute
   * descriptions are case-insensitive (RFC 4512 §2.5), so `Mail:` adds to `mail:`.
   * Text values as written (`:`); base64 values (`::`) as bytes, since they may be binary (photos).
   */
  attributes: Map<string, (string | Buffer)[]>;
}

interface LdifFile {
  entries: LdifEntry[];
  problems: string[];
}

/**
 * Reads the content records of an LDIF file (RFC 2849, https://www.rfc-editor.org/rfc/rfc2849):
 * an optional `version: 1`, records separated by blank lines, lines folded by a leading
 * space, `#` comments, `attr: text`, `attr:: base64`, attribute options after `;`.
 * Change records (`changetype:`) and `attr:< URL` values are reported, not read: an import
 * takes entries, and the bridge fetches nothing it was not told to. Every problem is named
 * by its line, and a record with one is left out.
 */
export function readLdif(content: string): LdifFile {
  const result: LdifFile = { entries: [], problems: [] };
  for (const record of recordsOf(logicalLines(content))) {
    const entry = entryOf(record, result.problems);
    if (entry) result.entries.push(entry);
  }
  return result;
}

interface LogicalLine {
  text: string;
  line: number;
}

/** Unfolds continuation lines (RFC 2849 note 2) and drops comments, keeping each line's number; `undefined` marks a record separator. */
function logicalLines(content: string): (LogicalLine | undefined)[] {
  const physical = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  const lines: (LogicalLine | undefined)[] = [];
  let current: LogicalLine | undefined;
  const flush = () => {
    if (current && !current.text.startsWith('#')) lines.push(current);
    current = undefined;
  };
  physical.forEach((text, i) => {
    if (text.startsWith(' ') && current) current.text += text.slice(1);
    else if (text === '') {
      flush();
      lines.push(undefined);
    } else {
      flush();
      current = { text, line: i + 1 };
    }
  });
  flush();
  return lines;
}

function recordsOf(lines: (LogicalLine | undefined)[]): LogicalLine[][] {
  const records: LogicalLine[][] = [[]];
  for (const line of lines) {
    if (line) records.at(-1)!.push(line);
    else if (records.at(-1)!.length > 0) records.push([]);
  }
  const [first] = records;
  if (first?.[0] && /^version:\s*/i.test(first[0].text)) first.shift();
  return records.filter((record) => record.length > 0);
}

function entryOf(record: LogicalLine[], problems: string[]): LdifEntry | undefined {
  const [head, ...rest] = record;
  const where = `line ${head!.line}`;
  const dn = lineValue(head!);
  if (typeof dn === 'string') return void problems.push(`${where}: ${dn.slice('problem:'.length)}`);
  if (dn.name.toLowerCase() !== 'dn') return void problems.push(`${where}: a record starts with dn:, not '${dn.name}:'`);
  const dnText = textOf(dn.value);
  if (dnText === undefined) return void problems.push(`${where}: ${NOT_UTF8('dn')}`);
  const entry: LdifEntry = { dn: dnText, line: head!.line, attributes: new Map() };
  const spelled = new Map<string, (string | Buffer)[]>();
  let bad = false;
  for (const line of rest) {
    const parsed = lineValue(line);
    if (typeof parsed === 'string') {
      problems.push(`line ${line.line}: ${parsed.slice('problem:'.length)}`);
      bad = true;
      continue;
    }
    const name = parsed.name.toLowerCase();
    if (name === 'changetype') {
      problems.push(`line ${line.line}: a change record (changetype: ${textOf(parsed.value) ?? '?'}); export entries instead (ldapsearch -LLL, ldifde -f)`);
      return undefined;
    } else if (name === 'dn') {
      // No attribute is named dn: it starts the next record, and RFC 2849 wants blank lines between records. Read as a value, it made the next person an address of this one.
      problems.push(`line ${line.line}: a new dn: needs a blank line before it`);
      bad = true;
    } else {
      // Added to in place: a copy with each value made 25,000 values of one attribute a 30-second import.
      const values = spelled.get(name);
      if (values) values.push(parsed.value);
      else {
        const first = [parsed.value];
        spelled.set(name, first);
        entry.attributes.set(parsed.name, first);
      }
    }
  }
  return bad ? undefined : entry;
}

/** `name: text`, `name:: base64` or a reason prefixed with `problem:`. */
function lineValue({ text }: LogicalLine): { name: string; value: string | Buffer } | `problem:${string}` {
  // The value is the rest of the line: matched as `[ ]*(.*)$`, a line terminator in it (a lone CR) made both give back blanks, quadratic in them.
  const match = /^([A-Za-z0-9][A-Za-z0-9;.-]*):(:|<)? */.exec(text);
  if (!match) return `problem:not an LDIF line ('name: value' expected)`;
  const [prefix, name, kind] = match as unknown as [string, string, string | undefined];
  const value = text.slice(prefix.length);
  if (kind === '<') return `problem:${name} is a URL; the bridge only imports values written in the file`;
  if (kind === undefined) return { name, value };
  const base64 = value.replace(/\s+/g, '');
  if (!BASE64_TEXT.test(base64) || base64.length % 4 !== 0) return `problem:${name} is not base64`;
  return { name, value: Buffer.from(base64, 'base64') };
}

/** A value as text: base64 ones are UTF-8 (RFC 2849 note 7), and undefined when they are not (read with U+FFFD for each bad byte, a name was imported garbled). */
export function textOf(value: string | Buffer): string | undefined {
  return typeof value === 'string' ? value : strictUtf8(value);
}

/** The problem of a text attribute whose base64 value is not UTF-8: an export written in a legacy code page. */
export const NOT_UTF8 = (name: string) => `${name} is base64 of bytes that are not UTF-8; LDIF text is UTF-8 (RFC 2849 note 7)`;
