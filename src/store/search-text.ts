import type { ContactFields } from '../domain/contact.js';
import { canonicalAddressPrefix } from '../domain/email.js';
import { AS_TYPED_WITHOUT_STROKE, isAscii, UNDECOMPOSED_LETTERS } from '../domain/plain-text.js';

/**
 * How people are found: every name and query is folded the same way in TypeScript —
 * accents and case dropped, punctuation turned into word breaks — and both stores index
 * the folded words (SQLite FTS5, PostgreSQL tsvector). Folding here rather than in SQL
 * gives both stores the same words (PostgreSQL's unaccent has its own rules, and its
 * CREATE EXTENSION needs rights a bridge's database role may not have).
 *
 * Apostrophes, hyphens and format characters join the letters either side of them, and
 * people type such names joined or in parts ("ONeill", "o neill", "marieclaire",
 * "علیرضا" without its ZWNJ). A word's apostrophes and format characters are no break in
 * it, as Unicode's word boundaries have it (UAX #29, https://www.unicode.org/reports/tr29/:
 * WB4 "Ignore Format and Extend characters", WB6/WB7 "Do not break letters across certain
 * punctuation", an apostrophe being MidNumLet/Single_Quote), and a hyphen is: "O'Neill" is
 * the word "oneill", "Marie-Claire" the words "marie" and "claire". A name with such
 * joiners is also found by each of its parts and by them all joined ("o", "neill";
 * "marieclaire"): those words are indexed beside the others, for such names only.
 */

/** A text's folded words, and the other words it is found by: the parts and joined forms of its words with joiners. */
interface Folded {
  words: readonly string[];
  alsoFoundBy: readonly string[];
}

const NOTHING_ELSE: readonly string[] = [];

/** The words of a text, folded: "Tânia O'Brien-Łukasz" → ["tania", "obrien", "lukasz"]. */
export function foldedWords(text: string | undefined): readonly string[] {
  return folded(text).words;
}

/** The words a text is found by: its folded words, then the parts and joined forms of those with joiners. */
function foundBy(text: string | undefined): readonly string[] {
  const { words, alsoFoundBy } = folded(text);
  return alsoFoundBy.length === 0 ? words : [...words, ...alsoFoundBy];
}

function folded(text: string | undefined): Folded {
  if (!text) return { words: [], alsoFoundBy: NOTHING_ELSE };
  if (isAscii(text)) return foldedAscii(text);
  // A space breaks words before and after folding alike, so each part folds on its own,
  // and parts with accents (given names, surnames) recur across a directory: folding them
  // once is most of an import's folding time.
  const words: string[] = [];
  let alsoFoundBy: string[] | undefined;
  for (const part of text.split(' ')) {
    const each = isAscii(part) ? foldedAscii(part) : foldedPart(part);
    words.push(...each.words);
    if (each.alsoFoundBy.length > 0) (alsoFoundBy ??= []).push(...each.alsoFoundBy);
  }
  return { words, alsoFoundBy: alsoFoundBy ?? NOTHING_ELSE };
}

/** What breaks words once a text is folded: all but letters, digits and the joiners, apostrophes (') and hyphens (-). */
const ASCII_BREAKS = /[^a-z0-9'-]+/;
const BREAKS = /[^\p{L}\p{N}'-]+/u;

/** ASCII has nothing to decompose or spell out, and its letters and digits are [a-z0-9] once lower-cased. */
function foldedAscii(text: string): Folded {
  return wordsBetween(text.toLowerCase(), ASCII_BREAKS);
}

/**
 * The words between a folded text's breaks: a word with joiners is its pieces between
 * hyphens, apostrophes dropped, and is also found by its parts and by them all joined.
 */
function wordsBetween(text: string, breaks: RegExp): Folded {
  if (!JOINER.test(text)) return { words: text.split(breaks).filter((word) => word !== ''), alsoFoundBy: NOTHING_ELSE };
  const words: string[] = [];
  let alsoFoundBy: string[] | undefined;
  for (const token of text.split(breaks)) {
    if (!JOINER.test(token)) {
      if (token !== '') words.push(token);
      continue;
    }
    // Joiners at either end of a word join nothing: "'tis", "-x-".
    const parts = token.split(JOINERS).filter((part) => part !== '');
    if (parts.length === 0) continue;
    for (const piece of token.split(HYPHENS)) {
      const word = piece.replace(APOSTROPHES, '');
      if (word !== '') words.push(word);
    }
    if (parts.length > 1) (alsoFoundBy ??= []).push(...parts, parts.join(''));
  }
  return { words, alsoFoundBy: alsoFoundBy ?? NOTHING_ELSE };
}

const JOINER = /['-]/;
const JOINERS = /['-]+/;
const HYPHENS = /-+/;
const APOSTROPHES = /'/g;

/**
 * The joiners of other scripts and keyboards, written as the two above: the typographic and the
 * modifier-letter apostrophe (a letter, to Unicode), format characters (ZWNJ, ZWJ, soft
 * hyphen; General_Category Cf), and the hyphen NFKD leaves (U+2010; U+2011 decomposes to
 * it, the full-width forms to ASCII).
 */
const OTHER_APOSTROPHES = /[’ʼ\p{Cf}]/gu;
const OTHER_HYPHENS = /\u2010/g;

/**
 * Lower case is not yet case folding: toLowerCase() writes a capital sigma ending a word as
 * final sigma, so "ΚΩΣ" became "κως" while the "σ" of "Κώστας" stays. Unicode's
 * CaseFolding.txt folds it ("03C2; C; 03C3; # GREEK SMALL LETTER FINAL SIGMA").
 */
const FINAL_SIGMA = /ς/g;

/** Folded parts recently seen: a million people's names hold a few thousand distinct ones. */
const recentParts = new Map<string, Folded>();
const RECENT_PARTS_MAX = 50_000;
/** Longer parts are folded each time, so the memo's memory stays small whatever the input. */
const RECENT_PART_LENGTH_MAX = 64;

function foldedPart(part: string): Folded {
  const recent = recentParts.get(part);
  if (recent) return recent;
  const text = part
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(FINAL_SIGMA, 'σ')
    .replace(UNDECOMPOSED_LETTERS, (c) => AS_TYPED_WITHOUT_STROKE[c]!)
    .replace(OTHER_APOSTROPHES, "'")
    .replace(OTHER_HYPHENS, '-');
  const found = wordsBetween(text, BREAKS);
  if (part.length <= RECENT_PART_LENGTH_MAX) {
    if (recentParts.size >= RECENT_PARTS_MAX) recentParts.clear();
    recentParts.set(part, found);
  }
  return found;
}

/** The fields of a user the search reads. */
interface SearchableUser {
  email: string;
  displayName: string;
  givenName?: string | undefined;
  surname?: string | undefined;
  alias?: string | undefined;
  company?: string | undefined;
  department?: string | undefined;
  title?: string | undefined;
  hiddenFromAddressLists?: true | undefined;
}

/**
 * What a users row stores for the search, recomputed on every write of the row. A user
 * hidden from address lists has none: the name index and the word indexes, which every
 * list and search reads, hold only the people the address book shows.
 */
export interface SearchColumns {
  /** The folded display name: the name order, and what "starts with" compares. */
  name_key: string | null;
  /** Folded words of the names, alias and the address before its @. */
  search_names: string | null;
  /** Folded words of department, title and company. */
  search_other: string | null;
}

const UNLISTED: SearchColumns = { name_key: null, search_names: null, search_other: null };

export function searchColumnsOf(user: SearchableUser): SearchColumns {
  if (user.hiddenFromAddressLists) return UNLISTED;
  const name = folded(user.displayName);
  return {
    name_key: name.words.join(' '),
    search_names: distinctWords(name, user.givenName, user.surname, user.alias, user.email.split('@')[0]),
    search_other: distinctWords(undefined, user.department, user.title, user.company),
  };
}

/** A contact's names as a contacts row stores them for searching, folded as a user's are (recomputed on every write). */
export interface ContactSearchColumns {
  /** The folded display name: what "starts with", "contains" and "is" compare, case and accents ignored. */
  name_key: string;
  /** Folded words of the display name, given name and surname: what ResolveNames finds a contact by the start of. */
  search_names: string;
}

export function contactSearchColumnsOf(contact: { displayName: string; givenName?: string | undefined; surname?: string | undefined }): ContactSearchColumns {
  const name = folded(contact.displayName);
  return { name_key: name.words.join(' '), search_names: distinctWords(name, contact.givenName, contact.surname) };
}

/**
 * A contact's other names folded as its display name is (name_key), each '' when not set:
 * what they are sorted by and compared with, case ignored (written on every write).
 */
export interface ContactNameKeys {
  given_name_key: string;
  surname_key: string;
  company_key: string;
  department_key: string;
  job_title_key: string;
}

export const CONTACT_NAME_KEY_COLUMNS: readonly (keyof ContactNameKeys)[] = ['given_name_key', 'surname_key', 'company_key', 'department_key', 'job_title_key'];

export function contactNameKeysOf(contact: ContactOtherNames): ContactNameKeys {
  const key = (text: string | undefined) => folded(text).words.join(' ');
  return {
    given_name_key: key(contact.givenName),
    surname_key: key(contact.surname),
    company_key: key(contact.company),
    department_key: key(contact.department),
    job_title_key: key(contact.jobTitle),
  };
}

type ContactOtherNames = Pick<ContactFields, 'givenName' | 'surname' | 'company' | 'department' | 'jobTitle'>;

/**
 * What a contact search (ResolveNames) compares: the folded text, which a name_key may start
 * with, and the words each of which must start a word of the names, in any order ("wilke
 * nestor" finds Nestor Wilke, as ANR matches a surname before a given name); none past the
 * most a word tier takes.
 */
export function contactQuery(text: string): { folded: string; words: string[] } {
  const query = peopleQuery(text);
  if (!query) return { folded: '', words: [] };
  return { folded: query.key, words: query.words.length <= WORD_TIER_WORDS_MAX ? query.words : [] };
}

/** A text folded as names are, its words joined by single spaces: what a name_key is compared with. */
export function foldedText(text: string): string {
  return foldedWords(text).join(' ');
}

/** The distinct words that find the texts, the display name's (already folded) first. */
function distinctWords(name: Folded | undefined, ...texts: (string | undefined)[]): string {
  const words = new Set(name?.words);
  for (const word of name?.alsoFoundBy ?? NOTHING_ELSE) words.add(word);
  for (const text of texts) for (const word of foundBy(text)) words.add(word);
  return [...words].join(' ');
}

/**
 * The kinds of match, best first. A person appears once, in the first kind they match:
 * the display name starts with the query (an exact name is the first of those), the
 * address starts with it, every word starts a word of the names (any order), or some
 * word only starts a word of the department, title or company.
 */
export const SEARCH_TIERS = ['namePrefix', 'addressPrefix', 'nameWords', 'otherWords'] as const;
export type SearchTier = (typeof SEARCH_TIERS)[number];

/** ResolveNames resolves names and addresses, as Exchange's ambiguous name resolution does; the directory page also searches the rest. */
export const NAME_TIERS: readonly SearchTier[] = ['namePrefix', 'addressPrefix', 'nameWords'];

/**
 * The tier of NAME_TIERS a user searchUsers found for `query` is ranked in, by the tests the
 * stores' prefix tiers make (NAME_PREFIX, ADDRESS_PREFIX): their folded display name
 * (`nameKey`) starts with the query, else their address (ASCII case ignored) does, else
 * every word starts a word of their names. Within a tier the stores list the address tier in
 * address order and the others in name order: with the tier, a total order of the matches.
 */
export function nameTierOf(query: PeopleQuery, nameKey: string, address: string): SearchTier {
  if (nameKey.startsWith(query.key)) return 'namePrefix';
  return address.startsWith(query.address) ? 'addressPrefix' : 'nameWords';
}

/**
 * The most words a query's word tiers take. They test every query word on every row they
 * read, so a query of hundreds of short words ("a a a …", within the 1,024 characters an
 * entry may have) cost ~1 s of the store's time at a million people; no one's name has
 * this many words. A longer query still finds the names and addresses it starts.
 */
export const WORD_TIER_WORDS_MAX = 12;

/** The tiers a query is searched in: the word tiers only when it has no more words than they take. */
export function tiersOf(query: PeopleQuery, tiers: readonly SearchTier[]): readonly SearchTier[] {
  return query.words.length <= WORD_TIER_WORDS_MAX ? tiers : tiers.filter((tier) => tier === 'namePrefix' || tier === 'addressPrefix');
}

/** A query as the stores compare it. `keyEnd`/`addressEnd` close the "starts with" ranges of an index. */
export interface PeopleQuery {
  words: string[];
  key: string;
  keyEnd: string;
  address: string;
  addressEnd: string;
}

/**
 * Orders two keys as the stores do, by code point (SQLite's BINARY, PostgreSQL's "C"): not as
 * JavaScript's `<`, by UTF-16 unit, in which U+E000–U+FFFF sort after U+10000 and up.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** A UTF-16 unit's place in code point order: surrogates (U+10000 and up) after U+E000–U+FFFF. */
function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit;
}

/** Sorts after any character a folded key or an address holds, so [x, prefixEnd(x)) is "starts with x". */
export function prefixEnd(text: string): string {
  return `${text}\u{10FFFF}`;
}

/** undefined: the text holds no letter or digit, so nothing can match it. */
export function peopleQuery(text: string): PeopleQuery | undefined {
  const words = foldedWords(text);
  if (words.length === 0) return undefined;
  const key = words.join(' ');
  const address = canonicalAddressPrefix(text.trim());
  return { words: tierWords(words), key, keyEnd: prefixEnd(key), address, addressEnd: prefixEnd(address) };
}

/**
 * The words a word tier must test: each once, and none that only starts another (a name
 * word starting with "acme" starts with "ac" too). "acme" twelve times was tested twelve
 * times on every row read: 155 ms, where "acme" once took 21.
 */
function tierWords(words: readonly string[]): string[] {
  const distinct = [...new Set(words)];
  return distinct.filter((word) => !distinct.some((other) => other !== word && other.startsWith(word)));
}

/**
 * An FTS5 query: every word as a quoted prefix. The words hold letters and digits only,
 * so nothing a user types (quotes, *, NEAR, -, parentheses, column filters) is syntax.
 */
export function ftsQuery(words: readonly string[], tier: 'nameWords' | 'otherWords'): string {
  const all = `(${words.map((word) => `"${word}"*`).join(' AND ')})`;
  const inNames = `{search_names} : ${all}`;
  return tier === 'nameWords' ? inNames : `${all} NOT ${inNames}`;
}

/**
 * The most matches a word tier reads and sorts. Sorting costs a row read per match, so a
 * word thousands of people share ("becker", "finance") would cost tens of milliseconds;
 * past this many, the tier walks the name index instead and tests each row it passes
 * (`wordStartNeedles`), which stops after about (rows asked) × (people) / (matches) rows.
 * At a million people and a page of 49–101 the two costs cross near this many.
 */
export const SORTED_MATCHES_MAX = 2000;

/**
 * The most matches a word tier sorts once its walk of the name index came short: the
 * matches sort late, past the rows a walk may read ("zsofia contoso": the 3,089 Zsófias at
 * Contoso sort last, and SQLite's walk read 990,000 rows, 245 ms of the event loop).
 * Sorting 10,000 costs about as much as walking 10,000 rows. The page is exact whenever no
 * more people than this match; past it, the walk's matches come first, then the first this
 * many matches found, sorted.
 */
export const MATCHES_SORTED_MAX = 10_000;

/** What " " + the folded words of a text contains where a word of it starts with each query word. */
export function wordStartNeedles(words: readonly string[]): string[] {
  return words.map((word) => ` ${word}`);
}

/** How a store's SQL finds a needle in a text (`instr` in SQLite, `strpos` in PostgreSQL) and marks a named parameter (`@`, `:`). */
interface NeedleDialect {
  position: 'instr' | 'strpos';
  parameter: '@' | ':';
}

/**
 * Whether a row is in a word tier, tested on the row itself: every query word starts a
 * word of the names (the names tier), or of the names and other fields while some word is
 * outside the names (the other-fields tier). The needles, `n0`, `n1`…, are wordStartNeedles.
 */
export function wordTierMatchSql(tier: 'nameWords' | 'otherWords', wordCount: number, dialect: NeedleDialect): string {
  const everyWordStarts = (text: string) =>
    Array.from({ length: wordCount }, (_, i) => `${dialect.position}(' ' || ${text}, ${dialect.parameter}n${i}) > 0`).join(' AND ');
  const inNames = everyWordStarts('u.search_names');
  return tier === 'nameWords' ? inNames : `${everyWordStarts("u.search_names || ' ' || u.search_other")} AND NOT (${inNames})`;
}

/**
 * One page over the tiers in order: each tier is asked for as many of its best rows as
 * the page still needs plus those it must skip, so a page that the first tier fills
 * never runs the others, and no tier is counted in full.
 */
export async function rankedPage<Tier, T>(
  tiers: readonly Tier[],
  offset: number,
  limit: number,
  fetch: (tier: Tier, count: number) => Promise<T[]>,
): Promise<T[]> {
  const page: T[] = [];
  let skip = offset;
  for (const tier of tiers) {
    if (page.length >= limit) break;
    const rows = await fetch(tier, skip + limit - page.length);
    page.push(...rows.slice(skip));
    skip = Math.max(0, skip - rows.length);
  }
  return page;
}
