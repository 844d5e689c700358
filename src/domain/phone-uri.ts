import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * The `tel:` URI that dials a number as people write it, or null when it cannot be read as
 * one. RFC 3966 (The tel URI for Telephone Numbers): a global number is "+" and its digits
 * (§5.1.4), so a national trunk prefix written in brackets — `+44 (0)20 …` — is no digit of
 * it; an extension is the `;ext=` parameter (§5.3), not more digits; and letters standing
 * for digits (`1-800-FLOWERS`) are not carried, "as the mapping from alphabetic characters
 * to digits is not completely uniform internationally" (§5.1.2). libphonenumber reads all
 * three, Arabic-Indic digits too; NFKC first makes fullwidth digits, plus and dashes
 * (`＋８１ ３－１２３４－５６７８`) the ASCII ones it reads. The directory has no default country, so
 * a number without its country code (+CC) gets no link: its digits alone would dial
 * another country. A number of no possible length for its country (letters dropped from
 * `+1-800-FLOWERS` leave `+1800`) gets none either.
 */
export function telUri(written: string | undefined): string | null {
  const parsed = written === undefined ? undefined : parsePhoneNumberFromString(written.normalize('NFKC'));
  return parsed?.isPossible() ? parsed.getURI() : null;
}
