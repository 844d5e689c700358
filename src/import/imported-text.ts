import { z } from 'zod';
import { hasControlCharacters, storedText, withoutInvisibleCharacters } from '../domain/plain-text.js';

/**
 * Explicit direction marks, embeddings, overrides and isolates: in a name they reorder what
 * follows them ("Eve \u202Eevil\u202C" shows as "Eve live" in Autodiscover's display name, a
 * ResolveNames answer, an address book), so one person can be made to read as another. A
 * name in a right-to-left script needs none of them; they are dropped.
 */
const DIRECTION_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

const oneLine = z
  .string()
  .trim()
  .max(1024, 'is longer than 1024 characters')
  .refine((value) => !hasControlCharacters(value), 'contains control characters');

// Composed as it will be stored (storedText) before anything else looks at it: an import compares
// names with those stored (a renamed mailbox shares a name with the person it was) before it writes.
const asImported = (field: z.ZodString) =>
  z
    .string()
    .transform((value) => storedText(value.replace(DIRECTION_CONTROLS, '')))
    .pipe(field);

/** One field of an imported record: composed, trimmed, one line of printable text, of a sane length, without direction controls. */
export const importedText = asImported(oneLine);

/** A letter, digit, punctuation mark or symbol: what makes a name show as something. */
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;

/** Whether text shows anything once laid out: a name of zero-width spaces alone left a card, a dialog and an address book entry without a name to read or announce. */
const shows = (text: string) => VISIBLE.test(withoutInvisibleCharacters(text));

/** The same, where a value is required: one that shows. */
export const requiredImportedText = asImported(
  oneLine.min(1, 'is required').refine((value) => value === '' || shows(value), 'shows nothing: only blanks or invisible characters'),
);

/** The same, where a value that shows nothing (empty, or invisible characters alone) means "not set". */
export const optionalImportedText = importedText.optional().transform((value) => (value === undefined || shows(value) ? value : undefined));
