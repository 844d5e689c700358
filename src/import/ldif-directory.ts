import type { Entry } from 'ldapts';
import { BridgeError } from '../domain/errors.js';
import type { NormalizedPhoto } from '../domain/photo.js';
import type { ImageLimits } from '../photos/image-limits.js';
import { normalizePhoto } from '../photos/normalize.js';
import type { RenamedMailbox } from '../store/renamed-mailboxes.js';
import type { Store } from '../store/store.js';
import { primaryAddressOf, recordOf } from './ldap-directory.js';
import { readLdif, textOf, type LdifEntry } from './ldif-records.js';
import { CheckedUsers } from './read-directory-file.js';

/** The photo attributes, in the order they are preferred (AD's small thumbnail first, as the ldap source reads them). */
const PHOTO_ATTRIBUTES = ['thumbnailphoto', 'jpegphoto'];

interface LdifImport {
  users: number;
  photos: number;
  /** Entries with no address (no mail, no primary SMTP proxy address): the organisational units, groups and service accounts an export also holds. */
  passedOver: number;
  renamed: RenamedMailbox[];
}

/**
 * Imports the people of an LDIF export (ldapsearch -LLL, ldifde) as the LDAP importer
 * maps an entry — the same attributes, the DN as the `ldapDn` reference — with their
 * `thumbnailPhoto`/`jpegPhoto`. Every problem (a bad line, address or photo) is named by
 * its line and rejects the file; users land in one transaction, then their photos.
 */
export async function importLdifDirectory(store: Store, content: string, limits: ImageLimits): Promise<LdifImport> {
  const { entries, problems: lineProblems } = readLdif(content);
  const checked = new CheckedUsers();
  checked.problems.push(...lineProblems);
  const photos: { email: string; photo: NormalizedPhoto }[] = [];
  let passedOver = 0;
  for (const entry of entries) {
    const where = `entry at line ${entry.line}`;
    const ldapEntry = asLdapEntry(entry);
    if (primaryAddressOf(ldapEntry) === undefined) {
      passedOver++;
      continue;
    }
    const user = checked.add(where, recordOf(ldapEntry));
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
  const { renamed } = await store.upsertUsers(users, { source: 'ldif', photos });
  return { users: users.length, photos: photos.length, passedOver, renamed };
}

/**
 * The entry in the shape ldapts gives: photos as bytes, every other value as text. Values
 * with attribute options (`cn;lang-ja`) are left out, as a server search without options
 * would leave them; `;binary` is only a transfer hint and is dropped.
 */
function asLdapEntry(entry: LdifEntry): Entry {
  const result: Entry = { dn: entry.dn };
  for (const [written, values] of entry.attributes) {
    const name = written.replace(/;binary$/i, '');
    if (name.includes(';')) continue;
    const key = name.toLowerCase();
    result[key] = PHOTO_ATTRIBUTES.includes(key) ? values.map((value) => (typeof value === 'string' ? Buffer.from(value) : value)) : values.map(textOf);
  }
  return result;
}
