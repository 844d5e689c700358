import { BridgeError } from '../domain/errors.js';
import { MAX_ENTRY_LENGTH } from '../people/find-people.js';
import type { ContactMatch } from '../store/store.js';

/**
 * The most words one QueryString holds. Each is looked for in seven places of every contact
 * in the folder (the names, the company, the three addresses): four took 32 ms in 20,000
 * contacts on SQLite, on the event loop, as a Restriction's most (16 Contains) takes 31.
 */
const MAX_QUERY_WORDS = 4;

/** A phrase in double quotes, or a run of anything but blanks. */
const TOKEN = /"([^"]*)"|(\S+)/g;

/**
 * A FindItem QueryString — an Advanced Query Syntax search, exchangelib's `.filter('zoe')`,
 * ews-javascript-api's `FindItems(folder, 'zoe', view)` — as the store matches contacts:
 * every word (or phrase in double quotes) must start a word of the display name, the given
 * name, the surname or the company, or start one of the email addresses, case and accents
 * ignored as people are found; a trailing `*` asks for that start already, and `AND`
 * between words is what they mean anyway. That is what Exchange's search of a Contacts
 * folder answers for plain words (https://learn.microsoft.com/en-us/exchange/client-developer/exchange-web-services/how-to-perform-an-aqs-search-by-using-ews-in-exchange).
 * The rest of AQS — a property (`name:zoe`), OR, NOT, a leading `-`, parentheses — is
 * refused rather than read as words.
 */
export function readQueryString(text: string): ContactMatch {
  if (text.length > MAX_ENTRY_LENGTH) throw unsupported(`the QueryString is longer than ${MAX_ENTRY_LENGTH} characters`);
  const words: string[] = [];
  for (const [, phrase, word] of text.matchAll(TOKEN)) {
    if (phrase !== undefined) {
      if (phrase.trim() !== '') words.push(phrase.trim());
      continue;
    }
    if (word === 'AND') continue;
    if (word === 'OR' || word === 'NOT' || /^-|[:()]/.test(word!)) {
      throw unsupported(
        `'${word!.slice(0, 40)}': a QueryString is searched as words (AND between them); AQS properties, OR, NOT and parentheses are not supported`,
      );
    }
    const start = withoutTrailingStars(word!);
    if (start !== '') words.push(start);
  }
  if (words.length > MAX_QUERY_WORDS) throw new BridgeError('ErrorRestrictionTooComplex', 400, `a QueryString holds at most ${MAX_QUERY_WORDS} words`);
  return { and: words.map(wordMatch) };
}

function withoutTrailingStars(word: string): string {
  let end = word.length;
  while (end > 0 && word[end - 1] === '*') end--;
  return word.slice(0, end);
}

/** Where one word may start: a word of the names or the company, or an address. */
function wordMatch(word: string): ContactMatch {
  return {
    or: [
      { text: word, mode: 'wordPrefix', ignoreCase: true },
      { text: word, mode: 'prefix', ignoreCase: true, field: 'givenName' },
      { text: word, mode: 'prefix', ignoreCase: true, field: 'surname' },
      { text: word, mode: 'wordPrefix', ignoreCase: true, field: 'companyName' },
      { address: word, part: 'prefix' },
    ],
  };
}

function unsupported(reason: string): BridgeError {
  return new BridgeError('ErrorUnsupportedQueryFilter', 400, reason);
}
