import { PermanentSourceError } from './photo-source.js';

/** E.164 allows at most 15 digits; below 8 no country code plus subscriber number fits. */
const MIN_DIGITS = 8;
const MAX_DIGITS = 15;
const EXAMPLE = 'write it as DDI+DDD+number, e.g. +55 11 99999-0000';

/**
 * The phone as WhatsApp gateways want it: digits only, country code (DDI) first, then
 * area code (DDD) and number — "+55 (11) 99999-0000" becomes "5511999990000". Spaces,
 * dots, dashes, brackets and one leading + are layout; anything else is refused, since
 * guessing would ask the gateway about somebody else.
 */
export function whatsappDigits(phone: string): string {
  const written = phone.trim();
  if (!/^\+?[\d\s().-]+$/.test(written)) {
    throw new PermanentSourceError(`whatsappPhone "${written}" has characters other than digits, spaces and + ( ) . -; ${EXAMPLE}`);
  }
  const digits = written.replace(/\D/g, '');
  if (digits.startsWith('0')) throw new PermanentSourceError(`whatsappPhone "${written}" starts with 0, not a country code; ${EXAMPLE}`);
  if (digits.length < MIN_DIGITS || digits.length > MAX_DIGITS) {
    throw new PermanentSourceError(`whatsappPhone "${written}" has ${digits.length} digits, not ${MIN_DIGITS} to ${MAX_DIGITS}; ${EXAMPLE}`);
  }
  return digits;
}
