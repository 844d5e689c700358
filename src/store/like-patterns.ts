import type { ContactMatch, NameMatch } from './store.js';

/** A contact match as query parameters: which kind of comparison, on what text or LIKE pattern. */
export interface ContactMatchParameters {
  kind: 'all' | 'like' | 'address' | NameMatch['mode'];
  text: string;
  pattern: string;
}

/**
 * Case-insensitive name matches become LIKE patterns (both stores fold ASCII only);
 * exact-case ones compare the text itself. An address is compared whole, ASCII case
 * ignored, as the stores compare addresses everywhere: its `pattern` is the address itself.
 */
export function contactMatchParameters(match: ContactMatch | undefined): ContactMatchParameters {
  if (!match) return { kind: 'all', text: '', pattern: '' };
  if ('address' in match) return { kind: 'address', text: match.address, pattern: match.address };
  if (!match.ignoreCase) return { kind: match.mode, text: match.text, pattern: '' };
  const escaped = escapeLike(match.text);
  const pattern = match.mode === 'prefix' ? `${escaped}%` : match.mode === 'substring' ? `%${escaped}%` : escaped;
  return { kind: 'like', text: match.text, pattern };
}

/** `LIKE` patterns for "starts with": the user's % and _ are matched literally. */
export function prefixPattern(prefix: string): string {
  return `${escapeLike(prefix)}%`;
}

/** `LIKE` patterns for "contains": the user's % and _ are matched literally. */
export function substringPattern(text: string): string {
  return `%${escapeLike(text)}%`;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
