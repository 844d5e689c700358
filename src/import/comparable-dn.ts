import { strictUtf8 } from '../domain/text-bytes.js';

/**
 * A DN written so that two names of one entry are written alike, as a key to compare DNs
 * by (a manager's DN with the entries read; an entry skipped with the users to prune). It is
 * read as RFC 4514 (https://www.rfc-editor.org/rfc/rfc4514) has it: RDNs split at unescaped
 * `,`, their attribute-value pairs at unescaped `+` (in any order: an RDN is a set, RFC 4512
 * §2.3.1), a value's `\,` and `\2C` alike the character they stand for, blanks around the
 * separators and `=` dropped and blanks inside a value (or escaped) kept. Types and values
 * compare without regard to case, as directories match cn, ou and dc (caseIgnoreMatch). A
 * string that is no DN by that grammar is its own key, equal only to the same text in any case:
 * read loosely, `cn=A\, B` and `cn=A\,B` had one key, and a manager named the wrong person.
 */
export function comparableDn(dn: string): string {
  return rdnsOf(dn)?.join(',') ?? dn.toLowerCase();
}

/** `descr` or `numericoid` (RFC 4512 §1.4), with the blanks RFC 4514 §3 lets a reader skip around it and its `=`. */
const TYPE = / *([A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+) *= */y;
/** A value written as `#` and the hex of its BER encoding (§2.4); without its schema the bridge cannot read it as text, so it stays hex. */
const HEX_VALUE = /#((?:[0-9A-Fa-f]{2})+) */y;
const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;
/** The characters an escape may stand for as itself (§3: `special`, and the blank). */
const ESCAPABLE = new Set([...'"+,;<>#= \\']);
/** The characters a value may not hold unescaped (§3: outside `stringchar`). */
const MUST_ESCAPE = new Set([...'"+,;<>\\\0']);

/** The DN's RDNs, each its sorted `type=value` pairs joined by `+`, or undefined for a string that is no DN. */
function rdnsOf(dn: string): string[] | undefined {
  if (dn === '') return [];
  const rdns: string[] = [];
  let pairs: string[] = [];
  let at = 0;
  for (;;) {
    TYPE.lastIndex = at;
    const type = TYPE.exec(dn);
    if (!type) return undefined;
    const value = valueAt(dn, TYPE.lastIndex);
    if (!value) return undefined;
    pairs.push(`${type[1]!.toLowerCase()}=${value.text}`);
    at = value.end;
    if (dn[at] === '+') {
      at++;
      continue;
    }
    rdns.push(pairs.sort().join('+'));
    pairs = [];
    if (at === dn.length) return rdns;
    at++;
  }
}

/** The value starting at `start` as comparableDn writes it, and where it ends (at a `,`, a `+` or the end); undefined when it breaks the grammar. */
function valueAt(dn: string, start: number): { text: string; end: number } | undefined {
  if (dn[start] === '#') {
    HEX_VALUE.lastIndex = start;
    const hex = HEX_VALUE.exec(dn);
    const end = HEX_VALUE.lastIndex;
    return hex && (end === dn.length || dn[end] === ',' || dn[end] === '+') ? { text: `#${hex[1]!.toLowerCase()}`, end } : undefined;
  }
  let text = '';
  // Bytes of `\XX` escapes in a row: together they are the UTF-8 of one or more characters (§2.4).
  let bytes: number[] = [];
  // The length of the text up to its last character that is not an unescaped blank: trailing ones are not the value's (§2.4).
  let kept = 0;
  const flush = (): boolean => {
    if (bytes.length === 0) return true;
    const decoded = strictUtf8(Buffer.from(bytes));
    bytes = [];
    if (decoded === undefined) return false;
    text += decoded;
    kept = text.length;
    return true;
  };
  let at = start;
  while (at < dn.length && dn[at] !== ',' && dn[at] !== '+') {
    const char = String.fromCodePoint(dn.codePointAt(at)!);
    if (char === '\\') {
      const pair = dn.slice(at + 1, at + 3);
      if (HEX_PAIR.test(pair)) {
        bytes.push(Number.parseInt(pair, 16));
        at += 3;
        continue;
      }
      const escaped = dn[at + 1];
      if (escaped === undefined || !ESCAPABLE.has(escaped) || !flush()) return undefined;
      text += escaped;
      kept = text.length;
      at += 2;
      continue;
    }
    if (MUST_ESCAPE.has(char) || !flush()) return undefined;
    text += char;
    if (char !== ' ') kept = text.length;
    at += char.length;
  }
  if (!flush()) return undefined;
  return { text: escapedValue(text.slice(0, kept).toLowerCase()), end: at };
}

/** A value written back as RFC 4514 §2.4 escapes it, so that the key reads as one DN only. */
function escapedValue(value: string): string {
  return value.replace(/[\\"+,;<>]|^[ #]| $/g, (char) => `\\${char}`).replace(/\0/g, '\\00');
}
