import { isSupportedCountry, parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js/max';
import { z } from 'zod';

/** Where a written phone number lands: E.164 (`+5511999990000`), or why it cannot be placed. */
type PhonePlacement = { placed: true; e164: string } | { placed: false; reason: string };

/** What an import stores for a written number, or why it refuses it. */
type ImportedPhone = { stored: string } | { refused: string };

const EXAMPLE_NUMBER = '+55 11 99999-0000';
const EXAMPLE = `write it with its country code, e.g. ${EXAMPLE_NUMBER}`;
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
    if (parsed.isValid() || isWhatsAppLegacyId(parsed.countryCallingCode, parsed.nationalNumber)) return { placed: true, e164: parsed.number };
    const where = parsed.country ?? `country code +${parsed.countryCallingCode}`;
    const hint = international ? `check its digits, e.g. ${EXAMPLE_NUMBER}` : EXAMPLE;
    return { placed: false, reason: `"${phone}" is not a valid number for ${where}${international ? '' : ' (the defaultCountry)'}; ${hint}` };
  } catch (error) {
    // libphonenumber's codes: INVALID_COUNTRY, NOT_A_NUMBER, TOO_SHORT, TOO_LONG.
    const code = error instanceof Error ? error.message : String(error);
    const why = code === 'INVALID_COUNTRY' ? 'names no country that exists' : code === 'TOO_LONG' ? 'is too long' : 'is too short to be a phone number';
    return { placed: false, reason: `"${phone}" ${why}; ${EXAMPLE}` };
  }
}

/**
 * WhatsApp ids that their country's numbering plan has since changed, so libphonenumber
 * calls them invalid, yet WhatsApp still has them and the gateways take and give them:
 * Brazil's mobiles registered before the ninth digit keep 8 digits after the area code
 * (Z-API's and PlugChat's own example is 551199999999; Z-API's batch check takes a number
 * "podendo conter ou não o nono dígito"), and Mexico's mobiles registered before 2019 keep
 * the 1 after 52. Each is taken only when the number it became is a valid mobile.
 */
function isWhatsAppLegacyId(countryCode: string, national: string): boolean {
  if (countryCode === '55' && /^\d\d[6-9]\d{7}$/.test(national)) return isValidMobile(`+55${national.slice(0, 2)}9${national.slice(2)}`);
  if (countryCode === '52' && /^1\d{10}$/.test(national)) return isValidMobile(`+52${national.slice(1)}`);
  return false;
}

function isValidMobile(e164: string): boolean {
  const parsed = parsePhoneNumberWithError(e164);
  const type = parsed.getType();
  return parsed.isValid() && (type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE');
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
