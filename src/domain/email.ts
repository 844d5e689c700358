import { BridgeError } from './errors.js';

// Deliberately plain: one @, no spaces, control characters or angle brackets, a dot in the
// domain. Exchange accepts any SMTP address it can route; the bridge only has to refuse
// what cannot be one (a NUL in `email=` was looked up, and answered "no photo").
const SMTP_ADDRESS = /^[^\s\p{Cc}@<>()[\]\\,;:"]+@[^\s\p{Cc}@<>()[\]\\,;:"]+\.[^\s\p{Cc}@<>()[\]\\,;:".]+$/u;
const MAX_SMTP_LENGTH = 320;

export function isSmtpAddress(value: string): boolean {
  return value.length <= MAX_SMTP_LENGTH && SMTP_ADDRESS.test(value);
}

/** Returns the address in the form the directory keys on (lower case), or throws. */
export function normalizeSmtpAddress(value: string): string {
  const trimmed = value.trim();
  if (!isSmtpAddress(trimmed)) throw BridgeError.invalidEmail(trimmed);
  return trimmed.toLowerCase();
}
