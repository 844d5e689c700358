/**
 * The one form of a login name, used when an account is made and at every login, so
 * "Émile", "émile" typed as e + combining accent, and "ÉMILE" are the same account.
 *
 * NFC first, so composed and decomposed input agree; then full Unicode case folding as
 * far as JavaScript offers it: lower, upper, lower again maps the expanding folds that
 * `toLowerCase` alone leaves apart ('ß', 'ẞ' and "SS" all become "ss"; 'ﬁ' becomes "fi";
 * a final 'ς' matches 'σ'), and a last NFC puts back what case mapping decomposed. It is
 * idempotent, which the tests check over every code point.
 */
export function normalizeUsername(username: string): string {
  return username.normalize('NFC').toLowerCase().toUpperCase().toLowerCase().normalize('NFC');
}

/** Why a name can never be a login, or undefined when it can. */
export function unusableUsernameReason(username: string): string | undefined {
  if (username.trim() === '') return 'the account name must not be empty';
  // Basic authentication splits `user:password` at the first colon.
  if (username.includes(':')) return `the account name '${username}' contains ':', which a Basic login can never carry`;
  return undefined;
}
