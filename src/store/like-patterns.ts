import { canonicalAddressPrefix, canonicalSmtpAddress } from '../domain/email.js';
import { storedText } from '../domain/plain-text.js';
import { foldedText } from './search-text.js';
import { sortKeyOf } from './contact-order.js';
import type { ContactEmailSlot, ContactMatch, ContactPhoneField, ContactTextField, NameBound, NameMatch, TimeBound } from './store.js';

/**
 * What one contact match may hold: terms in all (tests and And/Or/Not), and tests when it
 * has the store compare every contact of the mailbox (comparesEveryContact). exchangelib's
 * `display_name__in=[…]` is an Or of one IsEqualTo per name, which the store finds in its name
 * index (128 of them: under a millisecond in 20,000 contacts); a test of another property
 * is made of every contact, and so is every other test beside it (16 of them: 31 ms in 20,000
 * on SQLite, on the event loop; an Or of 127 comparisons of the company took 700 ms, and
 * 1.8 s in 150,000).
 */
export const MATCH_LIMITS = { terms: 128, testsOfEveryContact: 16 } as const;

/** Whether a match is past MATCH_LIMITS.testsOfEveryContact: more tests than that, made of every contact. */
export function testsEveryContactTooOften(match: ContactMatch): boolean {
  return comparesEveryContact(match) && testsIn(match) > MATCH_LIMITS.testsOfEveryContact;
}

/**
 * Whether the store reads every contact of the mailbox to answer a match: unless each of its
 * tests is one the name index finds (a display name's whole or its bounds), with no Not.
 */
function comparesEveryContact(match: ContactMatch): boolean {
  if ('and' in match) return match.and.some(comparesEveryContact);
  if ('or' in match) return match.or.some(comparesEveryContact);
  if ('not' in match || 'exists' in match || 'hasPhoto' in match || 'address' in match || 'time' in match) return true;
  const onName = (match.field ?? 'displayName') === 'displayName';
  return !onName || ('mode' in match && match.mode !== 'whole');
}

/** The column comparisons a match makes of each contact it reads (contactMatchSql): a test of any address is one of each. */
function testsIn(match: ContactMatch): number {
  if ('and' in match) return match.and.reduce((sum, part) => sum + testsIn(part), 0);
  if ('or' in match) return match.or.reduce((sum, part) => sum + testsIn(part), 0);
  if ('not' in match) return testsIn(match.not);
  return 'address' in match && !match.slot ? EMAIL_SLOTS.length : 1;
}

/** One test of a contact match: what the stores' CONTACT_TESTS compare one contact with. */
type ContactTest = Exclude<ContactMatch, { and: unknown } | { or: unknown } | { not: unknown } | { exists: unknown } | { hasPhoto: unknown }>;

/**
 * A contact test as a query parameter: which kind of comparison, with what text or LIKE
 * pattern, on what column. `folded` compares the pattern with a folded name (` ` + its key:
 * name_key, surname_key…); `like`, with the column itself, ASCII case ignored; a bound
 * (`lt`…), the text folded as the key contacts are sorted by (contact-order.ts).
 */
export interface ContactTestParameters {
  kind: 'folded' | 'foldedWhole' | 'like' | 'address' | NameMatch['mode'] | NameBound['bound'];
  value: string;
  /** The column (or, for a bound, the sort expression) the kind compares. */
  column: string;
}

/** The columns a match compares, an unset one as empty, so that a Not around a test of it holds. */
const MATCH_COLUMNS: Readonly<Record<ContactTextField | ContactPhoneField | ContactEmailSlot, string>> = {
  displayName: 'c.display_name',
  givenName: "coalesce(c.given_name, '')",
  surname: "coalesce(c.surname, '')",
  companyName: "coalesce(c.company, '')",
  department: "coalesce(c.department, '')",
  jobTitle: "coalesce(c.job_title, '')",
  businessPhone: "coalesce(c.business_phone, '')",
  mobilePhone: "coalesce(c.mobile_phone, '')",
  homePhone: "coalesce(c.home_phone, '')",
  email1: "coalesce(c.email1, '')",
  email2: "coalesce(c.email2, '')",
  email3: "coalesce(c.email3, '')",
};

/** The columns of a contact's times: ISO 8601 text in UTC, which compares as the instants do. */
const STAMP_COLUMNS: Readonly<Record<TimeBound['stamp'], string>> = { createdAt: 'c.created_at', updatedAt: 'c.updated_at' };

export const EMAIL_SLOTS: readonly ContactEmailSlot[] = ['email1', 'email2', 'email3'];

/** The tests that read the same in both stores' SQL: a whole folded name, and the bounds, by code point as contacts are sorted. */
export const COMPARISON_TESTS: Readonly<Record<NameBound['bound'] | 'foldedWhole', (p: string, column: string) => string>> = {
  foldedWhole: (p, column) => `${column} = ${p}`,
  lt: (p, column) => `${column} < ${p}`,
  le: (p, column) => `${column} <= ${p}`,
  gt: (p, column) => `${column} > ${p}`,
  ge: (p, column) => `${column} >= ${p}`,
};

/**
 * A contact match as a SQL condition: And, Or and Not around the condition `test` writes for
 * each of its tests, in order (binding the test's value to a parameter); every contact for none.
 */
export function contactMatchSql(match: ContactMatch | undefined, test: (parameters: ContactTestParameters) => string): string {
  if (match === undefined) return 'TRUE';
  if ('and' in match) return match.and.length === 0 ? 'TRUE' : `(${match.and.map((part) => contactMatchSql(part, test)).join(' AND ')})`;
  if ('or' in match) return `(${match.or.map((part) => contactMatchSql(part, test)).join(' OR ')})`;
  if ('not' in match) return `NOT ${contactMatchSql(match.not, test)}`;
  if ('exists' in match) return `(${MATCH_COLUMNS[match.exists]} <> '')`;
  // The same in both stores: a contact's photo is its row in contact_photos.
  if ('hasPhoto' in match) return `(${match.hasPhoto ? '' : 'NOT '}EXISTS (SELECT 1 FROM contact_photos p WHERE p.contact_id = c.id))`;
  // Any of the addresses: a test of each slot, so that each compares its column as one slot's test does.
  if ('address' in match && !match.slot) return `(${EMAIL_SLOTS.map((slot) => contactMatchSql({ ...match, slot }, test)).join(' OR ')})`;
  return `(${test(contactTestParameters(match))})`;
}

/**
 * Case-insensitive name matches compare folded names (case and accents ignored, as people
 * are found): the text is folded the same way and becomes a LIKE pattern on the folded
 * name with a space before it, so a word's start is a space before it. A text that folds
 * to nothing (punctuation alone), and a phone number, is compared as it is, ASCII case
 * ignored. Exact-case ones compare the text itself, composed as it is stored. An address is compared whole, ASCII
 * case ignored, as the stores compare addresses everywhere: its value is the address itself, in the canonical
 * spelling a contact's addresses are kept in (contactAddressColumns), so that it is found
 * by another (`jürgen@xn--mller-kva.example`, or decomposed); a start of one, or a part from
 * within one, is written in that spelling too (lower case, composed, a whole A-label as its
 * U-label): LIKE ignores only ASCII case, and `MÜLLER` missed müller.
 */
function contactTestParameters(match: ContactTest): ContactTestParameters {
  if ('address' in match) {
    const column = MATCH_COLUMNS[match.slot!];
    if (match.part === 'prefix') return { kind: 'like', value: addressPrefixPattern(match.address), column };
    if (match.part === 'substring') return { kind: 'like', value: likePattern(escapeLike(canonicalAddressPrefix(match.address)), 'substring'), column };
    return { kind: 'address', value: canonicalSmtpAddress(match.address), column };
  }
  if ('time' in match) return { kind: match.bound, value: match.time, column: STAMP_COLUMNS[match.stamp] };
  if ('bound' in match) return { kind: match.bound, value: foldedText(match.text), column: sortKeyOf(match.field ?? 'displayName') };
  const field = match.field ?? 'displayName';
  const column = MATCH_COLUMNS[field];
  // Composed, as every field is stored: a decomposed "Rene\u0301e" is the "Renée" stored.
  const text = storedText(match.text);
  if (!match.ignoreCase) return { kind: match.mode, value: text, column };
  const folded = foldedText(text);
  if (isPhoneField(field) || folded === '') return { kind: 'like', value: likePattern(escapeLike(text), match.mode), column };
  const key = sortKeyOf(field);
  // A whole folded name is the key itself: compared as it is, not as a pattern (an Or of a hundred IsEqualTo, exchangelib's `__in`, cost 4 ms a thousand contacts as patterns).
  if (match.mode === 'whole') return { kind: 'foldedWhole', value: folded, column: key };
  return { kind: 'folded', value: likePattern(` ${escapeLike(folded)}`, match.mode), column: key };
}

const PHONE_FIELDS: ReadonlySet<string> = new Set<ContactPhoneField>(['businessPhone', 'mobilePhone', 'homePhone']);

/** Phone numbers are compared as they are written, ASCII case ignored: they have no folded key. */
function isPhoneField(field: ContactTextField | ContactPhoneField): field is ContactPhoneField {
  return PHONE_FIELDS.has(field);
}

/** The LIKE pattern of a mode around an escaped text; a word's start is the text after a space (for `folded`, the text holds that space). */
function likePattern(escaped: string, mode: NameMatch['mode']): string {
  if (mode === 'prefix') return `${escaped}%`;
  if (mode === 'wordPrefix') return `%${escaped}%`;
  if (mode === 'substring') return `%${escaped.trimStart()}%`;
  return escaped;
}

/** The `LIKE` pattern for a contact address that starts with `prefix`, written in the spelling contacts' addresses are kept in, whichever it was typed in (canonicalAddressPrefix). */
export function addressPrefixPattern(prefix: string): string {
  return prefixPattern(canonicalAddressPrefix(prefix));
}

/** `LIKE` patterns for "starts with": the user's % and _ are matched literally. */
export function prefixPattern(prefix: string): string {
  return `${escapeLike(prefix)}%`;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
