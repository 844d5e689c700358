import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '../../src/auth/password-hash.js';
import { loadConfig } from '../../src/config.js';
import { imageLimitsOf } from '../../src/photos/image-limits.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { benchEnv, BENCH_USER, photoLikeJpeg, prepareDatabase } from '../fixture.js';
import { CLI } from '../http.js';
import { noiseJpeg, outlookVcardWithPhoto } from '../../test/abuse/hostile-files.js';

const ADMIN = { email: 'abuse.admin@example.com', password: 'abuse admin password' };
export const ADMIN_AUTHORIZATION = `Basic ${Buffer.from(`${ADMIN.email}:${ADMIN.password}`).toString('base64')}`;

/** Contacts of the bench user with full-size photos: together more than the 4 MiB answer cap in base64. */
export const BIG_CONTACTS = { count: 60, namePrefix: 'Abuse Contact' };

/** A login with a large address book (small contacts, no photos): ten folders of the largest page are 2,500 contacts an answer. */
export const ADDRESS_BOOK = { email: 'abuse.addressbook@example.com', password: 'abuse address book password', contacts: 2500 };
export const ADDRESS_BOOK_AUTHORIZATION = `Basic ${Buffer.from(`${ADDRESS_BOOK.email}:${ADDRESS_BOOK.password}`).toString('base64')}`;

/** A login whose mailbox holds as many contacts as a red team's did: every search or sync that reads them all is a few hundred ms of SQLite's work. */
export const LARGE_MAILBOX = { email: 'abuse.largemailbox@example.com', password: 'abuse large mailbox password', contacts: 150_000 };
export const LARGE_MAILBOX_AUTHORIZATION = `Basic ${Buffer.from(`${LARGE_MAILBOX.email}:${LARGE_MAILBOX.password}`).toString('base64')}`;

/** A directory user whose name carries U+0001, written straight into the store as an older version or another tool could. */
export const CONTROL_CHARACTER_USER = { email: 'control.char@example.com', displayName: 'Control\u0001Character', title: 'Head\u0001of\u001FControls' };

/**
 * The bench's database (a user with a photo, a login, a contact with a photo, all
 * through the CLI), plus an administrator (CLI), the big contacts, the control-character
 * user (through the store, since the CLI refuses such names), the address book and the large mailbox.
 */
export async function prepareAbuseDatabase(dir: string): Promise<string> {
  const databasePath = prepareDatabase(CLI, dir, await photoLikeJpeg(648), await photoLikeJpeg(200));
  const added = await runCli(databasePath, ['account', 'add', ADMIN.email, '--role', 'admin', '--password-stdin'], `${ADMIN.password}\n`);
  if (added.status !== 0) throw new Error(`account add failed: ${added.stderr}`);

  const limits = imageLimitsOf(loadConfig({ BRIDGE_DB: databasePath }));
  const contacts = [];
  for (let i = 0; i < BIG_CONTACTS.count; i++) {
    const photo = await normalizePhoto(await photoLikeJpeg(648, 1000 + i), limits);
    contacts.push({ displayName: `${BIG_CONTACTS.namePrefix} ${i}`, emailAddresses: [`abuse.contact.${i}@fabrikam.example`], phones: {}, refs: {}, photo });
  }
  const store = new SqliteStore(databasePath);
  try {
    await store.addContacts(BENCH_USER.email, contacts);
    await store.upsertUsers([{ ...CONTROL_CHARACTER_USER, refs: {} }]);
    await store.putAccount(ADDRESS_BOOK.email, await hashPassword(ADDRESS_BOOK.password), 'user');
    await store.addContacts(
      ADDRESS_BOOK.email,
      Array.from({ length: ADDRESS_BOOK.contacts }, (_, i) => ({
        displayName: `Address Book ${String(i).padStart(4, '0')}`,
        emailAddresses: [`address.book.${i}@fabrikam.example`],
        phones: { business: `+1 425 555 ${String(i).padStart(4, '0')}` },
        refs: {},
      })),
    );
    await store.putAccount(LARGE_MAILBOX.email, await hashPassword(LARGE_MAILBOX.password), 'user');
    await store.addContacts(
      LARGE_MAILBOX.email,
      Array.from({ length: LARGE_MAILBOX.contacts }, (_, i) => ({
        displayName: `Large Mailbox ${i}`,
        givenName: 'Large',
        surname: `Mailbox ${i % 1000}`,
        company: `Company ${i % 997}`,
        emailAddresses: [`large.mailbox.${i}@fabrikam.example`],
        phones: {},
        refs: {},
      })),
    );
  } finally {
    await store.close();
  }
  return databasePath;
}

/**
 * Imports, into the bench user's contacts, one contact as Outlook exports it in vCard 2.1 with a
 * photo of 2.5 MB in some 47,000 folded lines (each was joined to and looked at whole again: minutes).
 */
export async function importLargeVcard21Photo(dir: string, databasePath: string): Promise<CliRun> {
  const file = join(dir, 'large-photo.vcf');
  writeFileSync(file, outlookVcardWithPhoto('Folded Photo', await noiseJpeg()));
  return runCli(databasePath, ['contacts', 'import', BENCH_USER.email, file]);
}

/** Tries to import a users CSV naming someone with U+0001: the CLI must refuse it. */
export function importControlCharacterName(dir: string, databasePath: string): Promise<CliRun> {
  const file = join(dir, 'control-character.csv');
  writeFileSync(file, `email,displayName\nimported.control@example.com,Imported\u0001Control\n`);
  return runCli(databasePath, ['import', file]);
}

interface CliRun {
  status: number | null;
  stderr: string;
}

/** The CLI as its own process, waited for without blocking this one (the /healthz poller runs meanwhile). */
function runCli(databasePath: string, args: string[], input?: string): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, '--db', databasePath, ...args], { env: benchEnv({}), stdio: ['pipe', 'ignore', 'pipe'], timeout: 60_000 });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stderr }));
  });
}
