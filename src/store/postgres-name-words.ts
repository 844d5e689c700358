import { asciiLower } from '../domain/plain-text.js';

/**
 * PostgreSQL's name words in name order: the user_name_words table (schema step 14), a
 * row per word of a user's names — but the display name's first word, which the name
 * index already holds in name order, and numbers — with the user's name key, address and
 * names. Its index lists the people who share a word in name order, so that a word tier
 * reads the first of them in order rather than walking the name index past everyone who
 * lacks it. Triggers on users keep it; an import into an empty directory loads it
 * beside the users (nameWordRows, the rows SQL's user_name_word_rows() makes).
 */

export const NAME_WORD_COLUMNS = ['word', 'name_key', 'address', 'names'] as const;

/**
 * The most words one query word may start for the lists to be read: each is read in
 * name order, and the pages merged. A start that many words share ("m") is shared by so
 * many people that walking the name index finds a page soon. A surname starts the joined
 * word of each double surname it is in ("martinsyilmaz"): 105 at the bench's million
 * people, where 16 sent "an mar" to the walk and two sorts of its 2,734 matches (40 ms
 * against 3 for its 210 lists, index probes of ~4 µs and a few rows each).
 */
export const LISTED_WORDS_MAX = 256;

/** `name(word, n)`: the words of the lists from `start` to before `end`, in order, at most `max` + 1, one index probe each. */
function listedWordsCte(name: string, start: string, end: string, max: string): string {
  return `${name}(word, n) AS (
    (SELECT word, 1 FROM user_name_words WHERE word >= ${start} AND word < ${end} ORDER BY word LIMIT 1)
    UNION ALL
    SELECT (SELECT s.word FROM user_name_words s WHERE s.word > l.word AND s.word < ${end} ORDER BY s.word LIMIT 1), l.n + 1
    FROM ${name} l WHERE l.word IS NOT NULL AND l.n <= ${max}
  )`;
}

/** The words of the lists that start with $1 (ending before $2), in order: at most $3 + 1. */
export const LISTED_WORDS_SQL = `WITH RECURSIVE ${listedWordsCte('listed', '$1', '$2', '$3')} SELECT word FROM listed WHERE word IS NOT NULL`;

/**
 * As LISTED_WORDS_SQL, for two words in one round trip (side 1 and 2): the first's
 * ($1, ending before $2) at most LISTED_WORDS_MAX + 1, the second's ($3, before $4) as many,
 * or only $5 + 1 when the first starts more than $5.
 */
export const LISTED_WORD_PAIRS_SQL = `WITH RECURSIVE ${listedWordsCte('first', '$1', '$2', String(LISTED_WORDS_MAX))},
  ${listedWordsCte('second', '$3', '$4', `CASE WHEN (SELECT count(word) FROM first) <= $5 THEN ${LISTED_WORDS_MAX} ELSE $5 END`)}
  SELECT 1 AS side, word FROM first WHERE word IS NOT NULL UNION ALL SELECT 2, word FROM second WHERE word IS NOT NULL`;

const DIGITS = /^[0-9]+$/;

/**
 * A user's rows of user_name_words, as user_name_word_rows() makes them in SQL: lower() in
 * PostgreSQL's "C" collation folds ASCII letters only, and string_to_array gives no
 * words for an empty text.
 */
export function nameWordRows(nameKey: string | null, searchNames: string | null, email: string): string[][] {
  if (nameKey === null || !searchNames) return [];
  const first = nameKey.split(' ', 1)[0];
  const address = asciiLower(email);
  const names = ` ${searchNames}`;
  const rows: string[][] = [];
  for (const word of searchNames.split(' ')) if (word !== first && !DIGITS.test(word)) rows.push([word, nameKey, address, names]);
  return rows;
}

/**
 * The query word whose lists a word tier reads: of those that are not numbers, the one
 * the fewest people are expected to have (`people`), the longest of equals; none when all
 * are numbers.
 */
export function listedWord(words: readonly string[], people: (word: string) => number): string | undefined {
  let best: { word: string; people: number } | undefined;
  for (const word of words) {
    if (DIGITS.test(word)) continue;
    const count = people(word);
    if (!best || count < best.people || (count === best.people && word.length > best.word.length)) best = { word, people: count };
  }
  return best?.word;
}
