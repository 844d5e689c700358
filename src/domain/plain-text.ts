/**
 * Characters that have no place in a name, title or phone number: C0 and C1 controls
 * (line breaks included, and Unicode's line and paragraph separators: every imported field
 * is one line), DEL, the non-characters
 * U+FFFE/U+FFFF and lone surrogates. Most of them XML 1.0 cannot carry at all, so one in
 * a name would make every answer that names that person unreadable.
 */
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\uFFFE\uFFFF\uD800-\uDFFF]/u;

export function hasControlCharacters(value: string): boolean {
  return CONTROL_CHARACTERS.test(value);
}

/**
 * Characters that show nothing: Unicode's Default_Ignorable_Code_Point (UAX #44: zero-width
 * space and joiners, soft hyphen, word joiner, Mongolian vowel separator, the Hangul fillers,
 * combining grapheme joiner, direction marks, variation selectors), which UTS #39 §3.1 keeps
 * out of identifiers because text with and without them reads the same, and two symbols
 * drawn blank though not in it: U+2800 BRAILLE PATTERN BLANK and U+1D159 MUSICAL SYMBOL NULL NOTEHEAD.
 */
const INVISIBLE = String.raw`[\p{Default_Ignorable_Code_Point}\u2800\u{1D159}]`;
const INVISIBLE_CHARACTER = new RegExp(INVISIBLE, 'u');
const INVISIBLE_CHARACTERS = new RegExp(INVISIBLE, 'gu');

export function hasInvisibleCharacters(value: string): boolean {
  return INVISIBLE_CHARACTER.test(value);
}

export function withoutInvisibleCharacters(value: string): string {
  return value.replace(INVISIBLE_CHARACTERS, '');
}

const ASCII = /^[\x00-\x7f]*$/;

/** Whether text is ASCII alone: nothing in it to compose, fold or spell otherwise. */
export function isAscii(text: string): boolean {
  return ASCII.test(text);
}

/**
 * A person's or contact's text as it is stored and compared: composed (Unicode NFC). A name
 * typed on a Mac, saved by its CSV export or sent by a client may come decomposed ("e" +
 * U+0301 for "é"), which is the same text (Unicode's canonical equivalence, UAX #15) but
 * other code points, so an exact comparison missed it. Every field is stored composed and
 * every text compared with one is composed first, as RFC 6532 §3.1 and the W3C Character
 * Model (https://www.w3.org/TR/charmod-norm/) ask of text that is compared. ASCII is NFC as it is.
 */
export function storedText(text: string): string {
  return isAscii(text) ? text : text.normalize('NFC');
}

/** What of a failure's reason is logged: enough to tell what went wrong (a reason may quote what an upstream sent). */
export const LOGGED_REASON_MAX = 500;

/** `text` cut to `max` characters with an ellipsis: what a client or an upstream sent, echoed or logged, cannot flood an answer or a log. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * ASCII letters lower-cased, the rest kept: as SQLite's NOCASE compares and PostgreSQL's
 * lower() folds under "C", so both stores match addresses alike; and as a query string's
 * names compare (toLowerCase() would make the Kelvin sign a k).
 */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * `text` without the slashes it ends with. A scan from the end: `/\/+$/` tries every run
 * of slashes from each of its starts, quadratic in a run that does not end the text.
 */
export function withoutTrailingSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === '/') end--;
  return text.slice(0, end);
}

/**
 * Text for one line of a text/plain answer, quoting what a client sent: controls (CR and LF
 * among them, which split the line; ESC, which drives a terminal), DEL, the C1 controls, the
 * line and paragraph separators and unpaired surrogates written as `\uXXXX`, visible and inert.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029\uD800-\uDFFF]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A surrogate code unit without its pair: with the `u` flag a paired one is the one character it is, and not matched. */
export const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Whether text holds a surrogate without its pair: no character, so nothing any encoding or strict JSON parser takes. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** Lower-case letters with no Unicode decomposition that people still type without their stroke… */
export const UNDECOMPOSED_LETTERS = /[łøđħıßæœþ]/g;
/** …and how. */
export const AS_TYPED_WITHOUT_STROKE: Readonly<Record<string, string>> = { ł: 'l', ø: 'o', đ: 'd', ħ: 'h', ı: 'i', ß: 'ss', æ: 'ae', œ: 'oe', þ: 'th' };
