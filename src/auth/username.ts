import { withUnicodeDomain } from '../domain/email.js';
import { BridgeError } from '../domain/errors.js';
import { hiddenCharacterProblem } from '../domain/plain-text.js';

/**
 * The one form of a login name, used when an account is made and at every login, so
 * "Émile", "émile" typed as e + combining accent, and "ÉMILE" are the same account.
 *
 * NFC first, so composed and decomposed input agree. A name that is an address is then
 * folded as the directory compares addresses (canonicalSmtpAddress): Unicode lower case,
 * its domain's A-labels as U-labels (`anna@xn--bcher-kva.example`'s contacts are kept under
 * `anna@bücher.example`, and the login named the other way saw none of them). Not further:
 * `straße@` and `strasse@` are two mailboxes, and a login made as the one, folded to the
 * other, acted as someone else (its self-service photo was theirs). Any other name gets full
 * Unicode case folding as far as JavaScript offers it: lower, upper, lower again maps the
 * expanding folds that `toLowerCase` alone leaves apart ('ß', 'ẞ' and "SS" all become "ss";
 * 'ﬁ' becomes "fi"; a final 'ς' matches 'σ'). A last NFC puts back what case mapping
 * decomposed. It is idempotent, which the tests check over every code point.
 */
export function normalizeUsername(username: string): string {
  const composed = username.normalize('NFC');
  if (composed.includes('@')) return withUnicodeDomain(composed.toLowerCase().normalize('NFC'));
  return composed.toLowerCase().toUpperCase().toLowerCase().normalize('NFC');
}

/**
 * The name the directory page signs out as, so no account may have it. Basic
 * authentication has no logout: the browser keeps the credentials it was given for the
 * realm until it closes. So the page's sign-out asks `/sign-out` with this name
 * (XMLHttpRequest's own user and password): the bridge challenges, the browser answers
 * with them, the bridge accepts them there (only there), and the browser now holds them for
 * the realm instead of the real ones. The next visit to the page sends them, gets a
 * challenge, and the browser asks for a login again (web-page-routes.ts).
 */
export const SIGNED_OUT_USER = 'signed-out';

/**
 * The name an account is stored under: refused when no Basic login could ever carry it
 * (a ':' ends the user name there) or when it is the page's signed-out name, else
 * normalised as at login.
 */
export function accountNameOf(typed: string): string {
  if (typed.trim() === '') throw BridgeError.invalidRequest('the account name must not be empty');
  // As long as an SMTP address may be; control characters would reach logs and answers.
  if (typed.length > 320) throw BridgeError.invalidRequest('the account name is longer than 320 characters');
  if (/\p{Cc}/u.test(typed)) throw BridgeError.invalidRequest('the account name contains control characters');
  // `admin\u200b` would be a second login that reads as the first; one stored before still logs in.
  const hidden = hiddenCharacterProblem(typed);
  if (hidden !== undefined) throw BridgeError.invalidRequest(`the account name ${hidden}`);
  if (typed.includes(':'))
    throw BridgeError.invalidRequest(`the account name '${typed}' contains ':', which a Basic login can never carry (it separates the name from the password)`);
  const name = normalizeUsername(typed);
  if (name === SIGNED_OUT_USER) throw BridgeError.invalidRequest(`the account name '${typed}' is the name the directory page signs out as`);
  return name;
}
