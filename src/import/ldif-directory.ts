import type { Entry } from 'ldapts';
import { BridgeError } from '../domain/errors.js';
import { hiddenCharacterProblem } from '../domain/plain-text.js';
import type { NormalizedPhoto } from '../domain/photo.js';
import type { ImageLimits } from '../photos/image-limits.js';
import { normalizePhoto } from '../photos/normalize.js';
import type { RenamedMailbox } from '../store/renamed-mailboxes.js';
import type { Store } from '../store/store.js';
import { ADDRESS_ATTRIBUTES, primaryAddressOf, recordOf, setManagers, TEXT_ATTRIBUTES, type EntryUser } from './ldap-directory.js';
import { NOT_UTF8, readLdif, textOf, type LdifEntry } from './ldif-records.js';
import { CheckedUsers } from './read-directory-file.js';
import { storedHiddenAddresses } from './stored-hidden-addresses.js';
import { ImportFileError, nobodyIn } from './import-file-error.js';

/** The photo attributes, in the order they are preferred (AD's small thumbnail first, as the ldap source reads them). */
const PHOTO_ATTRIBUTES = ['thumbnailphoto', 'jpegphoto'];

const TEXT_NAMES = new Set(TEXT_ATTRIBUTES.map((name) => name.toLowerCase()));

interface LdifImport {
  users: number;
  photos: number;
  /** Entries with no address (no mail, no primary SMTP proxy address): the organisational units, groups and service accounts an export also holds. */
  passedOver: number;
  renamed: RenamedMailbox[];
}

/**
 * Imports the people of an LDIF export (ldapsearch -LLL, ldifde) as the LDAP importer
 * maps an entry — the same attributes, the DN as the `ldapDn` reference, the manager by
 * DN among the file's entries — with their `thumbnailPhoto`/`jpegPhoto`. Every problem (a bad line, address or photo) is named by
 * its line and rejects the file; users land in one transaction, then their photos.
 */
export async function importLdifDirectory(store: Store, content: string, limits: ImageLimits): Promise<LdifImport> {
  const { entries, problems: lineProblems } = readLdif(content);
  // The directory is read only for a file naming such an address (at a million people, reading every one for each import was seconds and a gigabyte).
  const checked = new CheckedUsers(namesHiddenAddress(entries) ? await storedHiddenAddresses(store) : undefined);
  checked.problems.push(...lineProblems);
  const photos: { email: string; photo: NormalizedPhoto }[] = [];
  const read: EntryUser[] = [];
  let passedOver = 0;
  for (const entry of entries) {
    const where = `entry at line ${entry.line}`;
    const { ldapEntry, notUtf8 } = asLdapEntry(entry);
    // An entry passed over for want of an address is one without any: a garbled mail is a mailbox lost, said so.
    if (primaryAddressOf(ldapEntry) === undefined && !notUtf8.some((name) => ADDRESS_ATTRIBUTES.has(name.toLowerCase()))) {
      passedOver++;
      continue;
    }
    // cn only names someone without a displayName: a garbled one beside it costs nothing.
    const garbled = notUtf8.filter((name) => name.toLowerCase() !== 'cn' || ldapEntry.displayname === undefined);
    if (garbled.length > 0) {
      checked.problems.push(...garbled.map((name) => `${where}: ${NOT_UTF8(name)}`));
      continue;
    }
    const user = checked.add(where, recordOf(ldapEntry));
    if (user) read.push({ entry: ldapEntry, user });
    const bytes = PHOTO_ATTRIBUTES.map((name) => ldapEntry[name]).find((values) => Array.isArray(values) && values.length > 0)?.[0];
    if (!user || !Buffer.isBuffer(bytes)) continue;
    try {
      photos.push({ email: user.email, photo: await normalizePhoto(bytes, limits) });
    } catch (error) {
      if (!(error instanceof BridgeError)) throw error;
      checked.problems.push(`${where}: photo: ${error.message}`);
    }
  }
  const users = checked.all();
  setManagers(read);
  // Entries all without mail: an export that did not ask for the address attributes, as likely as an empty one.
  if (users.length === 0) {
    throw new ImportFileError([nobodyIn('users', passedOver > 0 ? ` (${passedOver} entr(y/ies), none with mail or a primary SMTP proxyAddress)` : '')]);
  }
  const { renamed } = await store.upsertUsers(users, { source: 'ldif', photos });
  return { users: users.length, photos: photos.length, passedOver, renamed };
}

/** Whether an entry's address attribute holds a character that shows nothing (storedHiddenAddresses), in its text or its base64. */
function namesHiddenAddress(entries: readonly LdifEntry[]): boolean {
  return entries.some((entry) =>
    [...entry.attributes].some(
      ([name, values]) => ADDRESS_ATTRIBUTES.has(name.toLowerCase()) && values.some((value) => hiddenCharacterProblem(textOf(value) ?? '') !== undefined),
    ),
  );
}

/**
 * The entry in the shape ldapts gives a search for the attributes the import reads: photos
 * as bytes, the rest as text. Others (objectGUID, objectSid: bytes) are left out, as are
 * values with attribute options (`cn;lang-ja`), as a server search without options would
 * leave them; `;binary` is only a transfer hint and is dropped, its values joining those
 * written without it. A text attribute whose base64 is not UTF-8 is left out too, and named
 * in `notUtf8`: a problem only for an entry imported.
 */
function asLdapEntry(entry: LdifEntry): { ldapEntry: Entry; notUtf8: string[] } {
  const ldapEntry: Entry = { dn: entry.dn };
  const notUtf8: string[] = [];
  for (const [written, values] of entry.attributes) {
    const key = written.replace(/;binary$/i, '').toLowerCase();
    const had = ldapEntry[key];
    if (PHOTO_ATTRIBUTES.includes(key)) {
      const photos = values.map((value) => (typeof value === 'string' ? Buffer.from(value) : value));
      ldapEntry[key] = Array.isArray(had) ? [...(had as Buffer[]), ...photos] : photos;
    } else if (TEXT_NAMES.has(key)) {
      const texts = values.map(textOf);
      if (texts.includes(undefined)) notUtf8.push(written);
      else ldapEntry[key] = Array.isArray(had) ? [...(had as string[]), ...(texts as string[])] : (texts as string[]);
    }
  }
  return { ldapEntry, notUtf8 };
}
