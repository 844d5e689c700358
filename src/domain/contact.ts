import type { ExternalRefs } from './directory.js';
import type { PhotoFingerprint } from './photo.js';

export const MAX_CONTACT_EMAILS = 3;

export interface ContactPhones {
  business?: string;
  mobile?: string;
  home?: string;
}

/** A contact's references to other systems, and the UID of the vCard it came from (a re-import of that card updates it). */
interface ContactRefs extends ExternalRefs {
  vcardUid?: string;
}

/** What a person writes into a contact; the store adds identity and times. */
export interface ContactFields {
  displayName: string;
  givenName?: string;
  surname?: string;
  company?: string;
  department?: string;
  jobTitle?: string;
  /** At most three, as Outlook's EmailAddress1..3. */
  emailAddresses: string[];
  phones: ContactPhones;
  refs: ContactRefs;
}

interface ContactPhoto extends PhotoFingerprint {
  bytesLength: number;
  updatedAt: string;
}

/** An item in one mailbox's Contacts folder; only that mailbox may see it. */
export interface Contact extends ContactFields {
  id: number;
  mailbox: string;
  createdAt: string;
  updatedAt: string;
  photo?: ContactPhoto;
}

/**
 * Whether two contacts hold the same fields: what a person wrote, in the order written (an
 * address's place is its EmailAddress1..3), references whatever their order. A contact
 * imported again as it is must not be changed: every sync client would fetch it again.
 */
export function sameContactFields(a: ContactFields, b: ContactFields): boolean {
  return comparableFields(a) === comparableFields(b);
}

function comparableFields(fields: ContactFields): string {
  const { displayName, givenName, surname, company, department, jobTitle, emailAddresses, phones, refs } = fields;
  const given = (value: string | undefined) => value ?? null;
  const refEntries = Object.entries(refs)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([
    displayName,
    [givenName, surname, company, department, jobTitle].map(given),
    emailAddresses,
    [phones.business, phones.mobile, phones.home].map(given),
    refEntries,
  ]);
}
