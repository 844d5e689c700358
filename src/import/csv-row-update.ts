import { MAX_CONTACT_EMAILS, type ContactFields } from '../domain/contact.js';
import { contactFieldsOf, contactRecordOf, derivedDisplayName, type CheckedContactRecord } from './contact-record.js';

const EMAIL_COLUMNS = ['email1', 'email2', 'email3'] as const;

/**
 * A stored contact as a CSV row updates it: the row's checked values over the stored ones,
 * which are taken as they are stored, not checked again (a name stored before names were
 * checked had an unrelated file refused for it). A display name the file has no column for
 * is kept when it was given, and derived again from the updated fields when it was derived
 * from the stored ones: a contact named by its address kept that name once a file gave it one.
 */
export function updatedByCsvRow(stored: ContactFields, row: CheckedContactRecord): ContactFields | string {
  const addresses = updatedAddresses(stored, row);
  if (typeof addresses === 'string') return addresses;
  const [email1, email2, email3] = addresses;
  const wasGiven = stored.displayName !== derivedDisplayName(stored);
  const displayName = 'displayName' in row || !wasGiven ? row.displayName : stored.displayName;
  return contactFieldsOf({ ...contactRecordOf(stored), ...row, displayName, email1, email2, email3 });
}

/**
 * The row's addresses in its columns' order, then the stored ones it does not name in
 * theirs, but for one in a place whose column the row has empty (that cell clears it); a
 * row with all three columns says all of them. Laid over the stored ones column by column,
 * a row giving the second address as its first dropped the stored first one. More than
 * three are refused, not cut: which to drop is the file's to say.
 */
function updatedAddresses(stored: ContactFields, row: CheckedContactRecord): string[] | string {
  const given = EMAIL_COLUMNS.flatMap((column) => row[column] ?? []);
  // Compared as the import finds a contact by its addresses: ASCII case aside (the rest is in the store's spelling).
  const named = new Set(given.map((address) => address.toLowerCase()));
  const cleared = (place: number) => {
    const column = EMAIL_COLUMNS[place];
    return column !== undefined && column in row && row[column] === undefined;
  };
  const saysAll = EMAIL_COLUMNS.every((column) => column in row);
  const kept = saysAll ? [] : stored.emailAddresses.filter((address, place) => !named.has(address.toLowerCase()) && !cleared(place));
  const addresses = [...given, ...kept];
  if (addresses.length <= MAX_CONTACT_EMAILS) return addresses;
  return `the contact it updates (${stored.displayName}) would have more than ${MAX_CONTACT_EMAILS} addresses: ${addresses.join(', ')}; give email1–email3 to say which`;
}
