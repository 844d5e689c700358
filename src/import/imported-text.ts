import { z } from 'zod';
import { hasControlCharacters } from '../domain/plain-text.js';

/** One field of an imported record: trimmed, one line of printable text, of a sane length. */
export const importedText = z
  .string()
  .trim()
  .max(1024, 'is longer than 1024 characters')
  .refine((value) => !hasControlCharacters(value), 'contains control characters');

/** The same, where an empty value means "not set". */
export const optionalImportedText = importedText.optional().transform((value) => (value === '' ? undefined : value));
