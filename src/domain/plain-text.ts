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
const INVISIBLE = String.raw`\p{Default_Ignorable_Code_Point}\u2800\u{1D159}`;
const INVISIBLE_CHARACTERS = new RegExp(`[${INVISIBLE}]`, 'gu');

export function withoutInvisibleCharacters(value: string): string {
  return value.replace(INVISIBLE_CHARACTERS, '');
}

/**
 * A letter of a script whose letters join (ArabicShaping.txt's Joining_Type D and R: Arabic,
 * Syriac, N'Ko, Mongolian, Mandaic, Manichaean, Psalter Pahlavi, Phags-pa, Adlam, Hanifi
 * Rohingya, Sogdian): there a ZWNJ breaks a join and a ZWJ makes one. Chorasmian and Old Uyghur
 * (Unicode 13 and 14) are left out: the linter's Unicode tables do not know them yet.
 */
const JOINING_LETTER = String.raw`(?=\p{L})[\p{scx=Arab}\p{scx=Syrc}\p{scx=Nkoo}\p{scx=Mong}\p{scx=Mand}\p{scx=Mani}\p{scx=Phlp}\p{scx=Phag}\p{scx=Adlm}\p{scx=Rohg}\p{scx=Sogd}]`;
const AFTER_JOINING_LETTER = new RegExp(String.raw`${JOINING_LETTER}\p{M}*$`, 'u');
const BEFORE_JOINING_LETTER = new RegExp(String.raw`^\p{M}*${JOINING_LETTER}`, 'u');
/** The viramas of the Brahmic scripts (Devanagari to Khmer): a ZWNJ or ZWJ after one picks a half form or a visible virama. */
const AFTER_VIRAMA = /[\u094D\u09CD\u0A4D\u0ACD\u0B4D\u0BCD\u0C4D\u0CCD\u0D4D\u0DCA\u0E3A\u0F84\u1039\u103A\u17D2]$/u;

/**
 * Whether the ZWNJ or ZWJ at `index` changes how its word is drawn, so is no invisible extra:
 * IDNA2008's CONTEXTJ rules (RFC 5892 Appendix A.1 and A.2), approximated by a short list of
 * viramas and by the scripts rather than each letter's joining type. After a virama (A.1, A.2),
 * or between two letters of a joining script, marks around it passed over as A.1's
 * transparent ones (Persian writes ZWNJ inside words: "می‌خواهم").
 */
function isShownJoiner(text: string, index: number): boolean {
  const before = text.slice(0, index);
  return AFTER_VIRAMA.test(before) || (AFTER_JOINING_LETTER.test(before) && BEFORE_JOINING_LETTER.test(text.slice(index + 1)));
}

/**
 * Why text that would be new in the directory cannot be (an address, a login name), or
 * undefined: a character that shows nothing, such as made `adele.vance\u200b@contoso.example` a
 * second Adele Vance no one could tell from the first. The character is named by its code
 * point, its place counted in characters from 1, so the operator can find what they cannot see.
 */
export function hiddenCharacterProblem(text: string): string | undefined {
  for (const match of text.matchAll(INVISIBLE_CHARACTERS)) {
    const character = match[0];
    if ((character === '\u200C' || character === '\u200D') && isShownJoiner(text, match.index)) continue;
    const codePoint = character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return `holds a character that shows nothing (U+${codePoint}) at position ${[...text.slice(0, match.index)].length + 1}`;
  }
  return undefined;
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

/** Controls (CR and LF among them, which split a line; ESC, which drives a terminal), DEL, the C1 controls, the line and paragraph separators, unpaired surrogates. */
const LINE_BREAKING = String.raw`\u0000-\u001F\u007F-\u009F\u2028\u2029\uD800-\uDFFF`;
/**
 * The explicit directional embeddings, overrides and isolates (UAX #9 §2.1–2.3): one in a
 * quoted value turns the rest of the line around (`refused: crit "\u202Eeltit"`), the reason
 * after it read backwards.
 */
const REORDERING = String.raw`\u202A-\u202E\u2066-\u2069`;
const ONE_LINE_ESCAPED = new RegExp(`[${LINE_BREAKING}${REORDERING}]`, 'gu');

/** A character as JavaScript writes it escaped: `\u000a`, or `\u{1d159}` beyond the BMP. */
function escaped(character: string): string {
  const code = character.codePointAt(0)!;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Text for one line of a text/plain answer, quoting what a client sent: the LINE_BREAKING
 * and REORDERING characters written as `\uXXXX`, visible and inert.
 */
export function oneLine(text: string): string {
  return text.replace(ONE_LINE_ESCAPED, escaped);
}

const UNSEEN_CHARACTERS = new RegExp(`[${LINE_BREAKING}\\p{Cf}${INVISIBLE}]`, 'gu');

/**
 * A line for a terminal, as the command line writes its messages: oneLine's escapes, and the
 * format characters (Unicode's Cf) and those that show nothing escaped too. A direction
 * override in what a message quotes (`unknown column '\u202Eeltit'`) turned the rest of the
 * line around; a zero-width space made an address read as another. Not for HTTP answers,
 * whose bytes clients read: those keep oneLine's.
 */
export function oneTerminalLine(text: string): string {
  return text.replace(UNSEEN_CHARACTERS, escaped);
}

/**
 * What of oneTerminalLine's characters JSON text may still carry raw: all but the C0 controls,
 * which JSON writes escaped inside strings (and the line's own closing LF is one of them).
 */
const UNSEEN_IN_JSON = new RegExp(`[\\u007F-\\u009F\\u2028\\u2029\\uD800-\\uDFFF\\p{Cf}${INVISIBLE}]`, 'gu');

/**
 * JSON text (a log line) with oneTerminalLine's characters written as JSON escapes (`\u202e`;
 * beyond the BMP, its surrogate pair's): the same JSON value, but a C1 control (U+009B is a
 * terminal's CSI), a line separator or a direction override that a client sent — a Basic user
 * name, a token's header quoted by jose — no longer reaches whoever reads the log raw.
 */
export function jsonWithUnseenEscaped(json: string): string {
  return json.replace(UNSEEN_IN_JSON, jsonEscaped);
}

function jsonEscaped(character: string): string {
  let units = '';
  for (let i = 0; i < character.length; i++) units += `\\u${character.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return units;
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
