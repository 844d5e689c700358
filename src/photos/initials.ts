/**
 * Up to two initials, as Outlook shows them: the first letters of the first and last
 * words, uppercased and stripped of accents, so "Émile Zola" gives "EZ". Letters
 * outside A–Z are skipped; an email address counts by its local part.
 */
export function initialsOf(name: string): string {
  const words = name
    .split('@')[0]!
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .split(/[^A-Z]+/)
    .filter((word) => word.length > 0);
  if (words.length === 0) return '';
  const first = words[0]![0]!;
  return words.length === 1 ? first : first + words[words.length - 1]![0]!;
}
