import { z } from 'zod';
import { phoneForImport } from '../sources/whatsapp-phone.js';
import { optionalImportedText } from './imported-text.js';

/**
 * The `whatsappPhone` column: a number with a country code must be valid for it and is
 * stored as E.164; one without is stored as written and placed at lookup by the WhatsApp
 * source's `defaultCountry` (which an import cannot know), or refused there.
 */
export const importedWhatsappPhone = optionalImportedText.transform((value, context) => {
  if (value === undefined) return undefined;
  const phone = phoneForImport(value);
  if ('stored' in phone) return phone.stored;
  context.addIssue({ code: 'custom', message: phone.refused });
  return z.NEVER;
});
