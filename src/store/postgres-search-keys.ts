/**
 * PostgreSQL's word-start keys: the first one to WORD_START_LETTERS letters of every word
 * of a user's names, and of the other fields marked apart, as one tsvector the store
 * writes with the row and one GIN index reads (schema steps 11 and 12). "A word starts
 * with 'mar'" is then one key, one list, intersected with the other words' in the index.
 *
 * They are made here rather than by an SQL function in index expressions, as they were:
 * at a million people that function was a third of each index's build, and the two
 * indexes (names, names and other fields) 48 of an import's 71 seconds; one index over
 * a written column builds in 13.
 */

/** How many first letters of a word are keys (one to this many). */
const WORD_START_LETTERS = 4;

/** Begins the keys of the department, title and company, so that one column holds them beside the names' keys. */
const OTHER_FIELDS_MARK = '~';

/**
 * A user's keys as tsvector text, from its search columns (search-text.ts). Folded words
 * hold letters and digits only, so a key needs no quotes; a key two words share is
 * written twice, and PostgreSQL's tsvector input keeps it once.
 */
export function searchKeys(searchNames: string | null, searchOther: string | null): string {
  return wordStarts(searchNames, '') + wordStarts(searchOther, OTHER_FIELDS_MARK);
}

function wordStarts(words: string | null, mark: string): string {
  if (!words) return '';
  const astral = SURROGATE.test(words);
  let keys = '';
  for (const word of words.split(' ')) {
    const length = Math.min(WORD_START_LETTERS, astral ? Array.from(word).length : word.length);
    for (let n = 1; n <= length; n++) keys += ` ${mark}${astral ? firstLetters(word, n) : word.slice(0, n)}`;
  }
  return keys;
}

/** A word's first n letters, as PostgreSQL counts letters: by code point, so one outside the BMP is one. */
function firstLetters(word: string, n: number): string {
  return SURROGATE.test(word) ? Array.from(word).slice(0, n).join('') : word.slice(0, n);
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The keys a word tier looks up: for each query word (each distinct start once), the keys
 * any of which a row must hold — its first letters in the names, or in the names or the
 * other fields.
 */
export function queryKeys(words: readonly string[], where: 'names' | 'namesOrOther'): string[][] {
  const starts = [...new Set(words.map((word) => firstLetters(word, WORD_START_LETTERS)))];
  return starts.map((start) => (where === 'names' ? [start] : [start, OTHER_FIELDS_MARK + start]));
}

/** Query keys as a tsquery: every word (&) by any of its keys (|). */
export function keysQuery(keys: readonly (readonly string[])[]): string {
  return keys.map((any) => (any.length === 1 ? `'${any[0]}'` : `(${any.map((key) => `'${key}'`).join(' | ')})`)).join(' & ');
}
