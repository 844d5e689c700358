import { isSupportedCountry, parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js/max';
import { z } from 'zod';

/** Where a written phone number lands: E.164 (`+5511999990000`), or why it cannot be placed. */
export type PhonePlacement = { placed: true; e164: string } | { placed: false; reason: string };

/** What an import stores for a written number, or why it refuses it. */
export type ImportedPhone = { stored: string } | { refused: string };

const EXAMPLE = 'write it with its country code, e.g. +55 11 99999-0000';
/** E.164 allows at most 15 digits, whatever the country. */
const MAX_DIGITS = 15;

/**
 * A source's `defaultCountry`: the ISO 3166 code (e.g. "BR") of the country whose numbers
 * are written without a country code. Case does not matter; an unknown code is refused.
 */
export const countrySetting = z
  .string()
  .transform((code) => code.trim().toUpperCase())
  .refine(isSupportedCountry, 'an ISO 3166 country code such as "BR" or "US"');

/**
 * Places a number as a WhatsApp gateway needs it: the country it names (a leading +),
 * else `defaultCountry`, and only when the number is valid there (libphonenumber's full
 * metadata). Nothing is guessed: `(11) 99999-0000` is São Paulo with defaultCountry BR
 * and refused without one — read as digits it would be country code 1.
 */
export function placePhone(written: string, defaultCountry?: CountryCode): PhonePlacement {
  const phone = written.trim();
  const layout = layoutProblem(phone);
  if (layout) return { placed: false, reason: `"${phone}" ${layout}; ${EXAMPLE}` };
  const international = phone.startsWith('+');
  if (!international && !defaultCountry)
    return { placed: false, reason: `"${phone}" has no country code (+CC) and the source has no defaultCountry; ${EXAMPLE} or set defaultCountry` };
  const country = international ? undefined : defaultCountry;
  try {
    const parsed = parsePhoneNumberWithError(phone, country ? { defaultCountry: country } : undefined);
    if (parsed.isValid()) return { placed: true, e164: parsed.number };
    const where = parsed.country ?? `country code +${parsed.countryCallingCode}`;
    return { placed: false, reason: `"${phone}" is not a valid number for ${where}${international ? '' : ' (the defaultCountry)'}; ${EXAMPLE}` };
  } catch (error) {
    // libphonenumber's codes: INVALID_COUNTRY, NOT_A_NUMBER, TOO_SHORT, TOO_LONG.
    const code = error instanceof Error ? error.message : String(error);
    const why = code === 'INVALID_COUNTRY' ? 'names no country that exists' : code === 'TOO_LONG' ? 'is too long' : 'is too short to be a phone number';
    return { placed: false, reason: `"${phone}" ${why}; ${EXAMPLE}` };
  }
}

/**
 * A number as an import stores it, before any source's defaultCountry is known: one with
 * a country code must be valid for that country and is stored as E.164; one without is
 * kept as written, to be placed (or refused) at lookup by the source's defaultCountry.
 */
export function phoneForImport(written: string): ImportedPhone {
  const phone = written.trim();
  if (phone.startsWith('+')) {
    const placement = placePhone(phone);
    return placement.placed ? { stored: placement.e164 } : { refused: placement.reason };
  }
  const layout = layoutProblem(phone);
  return layout ? { refused: `"${phone}" ${layout}; ${EXAMPLE}` } : { stored: phone };
}

/** The gateways' documented phone format: "DDI DDD NUMERO", digits only (E.164 without its +). */
export function gatewayDigits(e164: string): string {
  return e164.replace(/^\+/, '');
}

/** Layout is digits, spaces, ( ) . - / and one leading +; anything else (letters, `tel:`, an extension) is not a plain number. */
function layoutProblem(phone: string): string | undefined {
  if (!/^\+?[\d\s().\-/]+$/.test(phone)) return 'has characters other than digits, spaces and + ( ) . - /';
  if (phone.replace(/\D/g, '').length > MAX_DIGITS) return `has more than ${MAX_DIGITS} digits`;
  return undefined;
}
