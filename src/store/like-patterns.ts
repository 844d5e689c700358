import { canonicalAddressPrefix, canonicalSmtpAddress } from '../domain/email.js';
import { foldedText } from './search-text.js';
import type { ContactMatch, NameMatch } from './store.js';

/**
 * A contact match as query parameters: which kind of comparison, on what text or LIKE
 * pattern. `folded` compares the pattern with the folded display name (` ` + name_key);
 * `like`, with the display name itself, ASCII case ignored.
 */
export interface ContactMatchParameters {
  kind: 'all' | 'folded' | 'like' | 'address' | 'addressPrefix' | NameMatch['mode'];
  text: string;
  pattern: string;
}

/**
 * Case-insensitive name matches compare folded names (case and accents ignored, as people
 * are found): the text is folded the same way and becomes a LIKE pattern on the folded
 * name with a space before it, so a word's start is a space before it. A text that folds
 * to nothing (punctuation alone) is compared as it is, ASCII case ignored. Exact-case ones
 * compare the text itself. An address is compared whole, ASCII case ignored, as the stores
 * compare addresses everywhere: its `pattern` is the address itself, in the canonical
 * spelling a contact's addresses are kept in (contactAddressColumns), so that it is found
 * by another (`jürgen@xn--mller-kva.example`, or decomposed).
 */
export function contactMatchParameters(match: ContactMatch | undefined): ContactMatchParameters {
  if (!match) return { kind: 'all', text: '', pattern: '' };
  if ('address' in match) {
    if (match.prefix) return { kind: 'addressPrefix', text: match.address, pattern: addressPrefixPattern(match.address) };
    const address = canonicalSmtpAddress(match.address);
    return { kind: 'address', text: address, pattern: address };
  }
  if (!match.ignoreCase) return { kind: match.mode, text: match.text, pattern: '' };
  const folded = foldedText(match.text);
  if (folded === '') return { kind: 'like', text: match.text, pattern: likePattern(escapeLike(match.text), match.mode) };
  return { kind: 'folded', text: folded, pattern: likePattern(` ${escapeLike(folded)}`, match.mode) };
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
