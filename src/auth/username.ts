import { BridgeError } from '../domain/errors.js';

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

/**
 * The name an account is stored under: refused when no Basic login could ever carry it
 * (a ':' ends the user name there), else normalised as at login.
 */
export function accountNameOf(typed: string): string {
  if (typed.trim() === '') throw BridgeError.invalidRequest('the account name must not be empty');
  if (typed.includes(':'))
    throw BridgeError.invalidRequest(`the account name '${typed}' contains ':', which a Basic login can never carry (it separates the name from the password)`);
  return normalizeUsername(typed);
}
