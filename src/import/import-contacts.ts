import type { Contact, ContactFields } from '../domain/contact.js';
import { BridgeError } from '../domain/errors.js';
import { ImportFileError } from './import-file-error.js';
import type { ImageLimits } from '../photos/image-limits.js';
import { normalizePhoto } from '../photos/normalize.js';
import type { NewContact, ReplacedContact, Store } from '../store/store.js';
import type { ContactFileResult } from './read-contact-file.js';

export interface ContactImport {
  added: number[];
  updated: number[];
}

/**
 * Imports a file's contacts into a mailbox: every photo normalised first, then all
 * contacts in one transaction. A contact the mailbox already has — the same vCard UID,
 * else a shared address — is updated in place (same id), not added again. Any bad contact
 * or photo rejects the whole file.
 */
export async function importContacts(store: Store, mailbox: string, file: ContactFileResult, limits: ImageLimits): Promise<ContactImport> {
  const problems = [...file.problems];
  const existing = await store.listContacts(mailbox);
  const claimedBy = new Map<number, string>();
  const uidAt = new Map<string, string>();
  const replaced: ReplacedContact[] = [];
  const added: NewContact[] = [];
  for (const draft of file.drafts) {
    const uid = draft.fields.refs.vcardUid;
    if (uid !== undefined && uidAt.has(uid)) {
      problems.push(`${draft.where}: UID ${uid} already appears at ${uidAt.get(uid)}`);
      continue;
    }
    if (uid !== undefined) uidAt.set(uid, draft.where);
    const match = sameContact(existing, draft.fields);
    if (match && claimedBy.has(match.id)) problems.push(`${draft.where}: is the same contact as ${claimedBy.get(match.id)} (${match.displayName})`);
    if (match) claimedBy.set(match.id, draft.where);
    try {
      const contact = { ...draft.fields, photo: draft.photo && (await normalizePhoto(draft.photo, limits)) };
      if (match) replaced.push({ id: match.id, contact });
      else added.push(contact);
    } catch (error) {
      if (!(error instanceof BridgeError)) throw error;
      problems.push(`${draft.where}: photo: ${error.message}`);
    }
  }
  if (problems.length > 0) throw new ImportFileError(problems);
  return { added: await store.saveContacts(mailbox, replaced, added), updated: replaced.map(({ id }) => id) };
}

/**
 * The contact a new one is another version of: the one with its vCard UID; else one
 * sharing an address, unless both have UIDs (two UIDs are two cards, per RFC 6350 §6.7.6).
 */
function sameContact(existing: readonly Contact[], fields: ContactFields): Contact | undefined {
  const uid = fields.refs.vcardUid;
  const byUid = uid === undefined ? undefined : existing.find((contact) => contact.refs.vcardUid === uid);
  if (byUid) return byUid;
  const addresses = new Set(fields.emailAddresses.map((address) => address.toLowerCase()));
  return existing.find(
    (contact) => (uid === undefined || contact.refs.vcardUid === undefined) && contact.emailAddresses.some((address) => addresses.has(address.toLowerCase())),
  );
}
