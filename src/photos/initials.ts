import { AS_TYPED_WITHOUT_STROKE, UNDECOMPOSED_LETTERS } from '../domain/plain-text.js';

/**
 * Up to two initials, as Outlook shows them: the first letters of the first and last
 * words, uppercased and stripped of accents and strokes, so "Émile Zola" gives "EZ" and
 * "Øyvind Straße" "OS"; a letter's compatibility forms count as it ("ℌ" as H, "Ｚ" as Z). Letters outside A–Z are skipped; an email address counts by its
 * local part.
 */
export function initialsOf(name: string): string {
  const words = name
    .split('@')[0]!
    // Compatibility decomposition, as the search folds names: "ǅemal ǈuba" (the digraphs
    // U+01C5, U+01C8) gave "EU" and "ℌ Fraktur" "F", the letters having no canonical one.
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    // Ø, Ł, Đ have no decomposition: "Øyvind Straße" gave "YS", "Łukasz Ćwikła" "UA".
    .replace(UNDECOMPOSED_LETTERS, (c) => AS_TYPED_WITHOUT_STROKE[c]!)
    .toUpperCase()
    .split(/[^A-Z]+/)
    .filter((word) => word.length > 0);
  if (words.length === 0) return '';
  const first = words[0]![0]!;
  return words.length === 1 ? first : first + words[words.length - 1]![0]!;
}
