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
