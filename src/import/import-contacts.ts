import { BridgeError } from '../domain/errors.js';
import { ImportFileError } from './import-file-error.js';
import type { ImageLimits } from '../photos/image-limits.js';
import { normalizePhoto } from '../photos/normalize.js';
import type { NewContact, Store } from '../store/store.js';
import type { ContactFileResult } from './read-contact-file.js';

/**
 * Adds a file's contacts to a mailbox: every photo normalised first, then all contacts
 * in one transaction. Any bad contact or photo rejects the whole file.
 */
export async function importContacts(store: Store, mailbox: string, file: ContactFileResult, limits: ImageLimits): Promise<number[]> {
  const problems = [...file.problems];
  const contacts: NewContact[] = [];
  for (const draft of file.drafts) {
    try {
      contacts.push({ ...draft.fields, photo: draft.photo && (await normalizePhoto(draft.photo, limits)) });
    } catch (error) {
      if (!(error instanceof BridgeError)) throw error;
      problems.push(`${draft.where}: photo: ${error.message}`);
    }
  }
  if (problems.length > 0) throw new ImportFileError(problems);
  return store.addContacts(mailbox, contacts);
}
