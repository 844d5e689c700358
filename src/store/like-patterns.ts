import { canonicalAddressPrefix, canonicalSmtpAddress } from '../domain/email.js';
import { foldedText } from './search-text.js';
import type { ContactMatch, NameBound, NameMatch } from './store.js';

/** One test of a contact match: what the stores' CONTACT_TESTS compare one contact with. */
type ContactTest = Exclude<ContactMatch, { and: unknown } | { or: unknown } | { not: unknown }>;

/**
 * A contact test as a query parameter: which kind of comparison, with what text or LIKE
 * pattern. `folded` compares the pattern with the folded display name (` ` + name_key);
 * `like`, with the display name itself, ASCII case ignored; a bound (`lt`…), the text folded
 * with the name_key (NAME_KEY_TESTS).
 */
export interface ContactTestParameters {
  kind: 'folded' | 'foldedWhole' | 'like' | 'address' | 'addressPrefix' | NameMatch['mode'] | NameBound['bound'];
  value: string;
}

/**
 * The tests on the folded display name, the same SQL in both stores: the whole of it, and the
 * bounds, compared by code point as names are listed (contact-order.ts).
 */
export const NAME_KEY_TESTS: Readonly<Record<NameBound['bound'] | 'foldedWhole', (p: string) => string>> = {
  foldedWhole: (p) => `c.name_key = ${p}`,
  lt: (p) => `c.name_key < ${p}`,
  le: (p) => `c.name_key <= ${p}`,
  gt: (p) => `c.name_key > ${p}`,
  ge: (p) => `c.name_key >= ${p}`,
};

/**
 * A contact match as a SQL condition: And, Or and Not around the condition `test` writes for
 * each of its tests, in order (binding the test's value to a parameter); every contact for none.
 */
export function contactMatchSql(match: ContactMatch | undefined, test: (parameters: ContactTestParameters) => string): string {
  if (match === undefined) return 'TRUE';
  if ('and' in match) return match.and.length === 0 ? 'TRUE' : `(${match.and.map((part) => contactMatchSql(part, test)).join(' AND ')})`;
  if ('or' in match) return `(${match.or.map((part) => contactMatchSql(part, test)).join(' OR ')})`;
  if ('not' in match) return `NOT ${contactMatchSql(match.not, test)}`;
  return `(${test(contactTestParameters(match))})`;
}

/**
 * Case-insensitive name matches compare folded names (case and accents ignored, as people
 * are found): the text is folded the same way and becomes a LIKE pattern on the folded
 * name with a space before it, so a word's start is a space before it. A text that folds
 * to nothing (punctuation alone) is compared as it is, ASCII case ignored. Exact-case ones
 * compare the text itself. An address is compared whole, ASCII case ignored, as the stores
 * compare addresses everywhere: its value is the address itself, in the canonical
 * spelling a contact's addresses are kept in (contactAddressColumns), so that it is found
 * by another (`jürgen@xn--mller-kva.example`, or decomposed).
 */
function contactTestParameters(match: ContactTest): ContactTestParameters {
  if ('address' in match) {
    if (match.prefix) return { kind: 'addressPrefix', value: addressPrefixPattern(match.address) };
    return { kind: 'address', value: canonicalSmtpAddress(match.address) };
  }
  if ('bound' in match) return { kind: match.bound, value: foldedText(match.text) };
  if (!match.ignoreCase) return { kind: match.mode, value: match.text };
  const folded = foldedText(match.text);
  if (folded === '') return { kind: 'like', value: likePattern(escapeLike(match.text), match.mode) };
  // A whole folded name is the name_key itself: compared as it is, not as a pattern (an Or of a hundred IsEqualTo, exchangelib's `__in`, cost 4 ms a thousand contacts as patterns).
  if (match.mode === 'whole') return { kind: 'foldedWhole', value: folded };
  return { kind: 'folded', value: likePattern(` ${escapeLike(folded)}`, match.mode) };
}

/** The LIKE pattern of a mode around an escaped text; a word's start is the text after a space (for `folded`, the text holds that space). */
function likePattern(escaped: string, mode: NameMatch['mode']): string {
  if (mode === 'prefix') return `${escaped}%`;
  if (mode === 'wordPrefix') return `%${escaped}%`;
  if (mode === 'substring') return `%${escaped.trimStart()}%`;
  return escaped;
}

/** The `LIKE` pattern for a contact address that starts with `prefix`, written in the spelling contacts' addresses are kept in, whichever it was typed in (canonicalAddressPrefix). */
export function addressPrefixPattern(prefix: string): string {
  return prefixPattern(canonicalAddressPrefix(prefix));
}

/** `LIKE` patterns for "starts with": the user's % and _ are matched literally. */
export function prefixPattern(prefix: string): string {
  return `${escapeLike(prefix)}%`;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
