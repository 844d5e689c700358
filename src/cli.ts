#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { extname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { passwordBytesMax } from './auth/basic-credentials.js';
import { hashPassword } from './auth/password-hash.js';
import { BackupError, backupSqliteStore, restoreSqliteStore, type BackupSummary } from './backup/sqlite-backup.js';
import { accountNameOf, normalizeUsername } from './auth/username.js';
import { ConfigError, loadConfig, SETTINGS, unknownEnvironmentSettings, type Config } from './config.js';
import { ROLES, type Role } from './domain/account.js';
import { normalizeSmtpAddress } from './domain/email.js';
import { BridgeError } from './domain/errors.js';
import { importContacts } from './import/import-contacts.js';
import { importLdifDirectory } from './import/ldif-directory.js';
import { CONTACT_FORMATS, readContactFile, type ContactFormat } from './import/read-contact-file.js';
import { DIRECTORY_FORMATS, readDirectoryFile, type DirectoryFormat } from './import/read-directory-file.js';
import { storedHiddenAddresses } from './import/stored-hidden-addresses.js';
import { ImportFileError } from './import/import-file-error.js';
import { ldapSettingsOf, pruneTooLarge, readLdapDirectory, usersGoneFromLdap } from './import/ldap-directory.js';
import { writeDirectoryFile } from './import/write-directory-file.js';
import { importFileText } from './import/import-file-text.js';
import { createLogger } from './logger.js';
import { imageLimitsOf } from './photos/image-limits.js';
import { auditPhotoChange, type PhotoChangeAction, type PhotoChangeActor } from './photos/photo-change-audit.js';
import { referenceOf } from './photos/photo-reference.js';
import { PhotoService } from './photos/photo-service.js';
import { DirectoryClosedError, DirectoryTimeoutError } from './sources/ldap-connection.js';
import { PermanentSourceError } from './sources/photo-source.js';
import { checkSources, formatChecks } from './sources/check-sources.js';
import { readProblemOf } from './file-problem.js';
import { replaceFile } from './replace-file.js';
import { guardStandardOutput, print, printLine } from './standard-output.js';
import { untrustedCertificate } from './network-errors.js';
import { openStore, storeLocation } from './store/open-store.js';
import { withoutPassword } from './store/database-url.js';
import type { SchemaUpgrade } from './store/migrations.js';
import { StoreOpenError } from './store/migrations.js';
import { copySqliteToPostgres, StoreCopyError } from './store/postgres-copy.js';
import type { Store } from './store/store.js';
import type { RenamedMailbox } from './store/renamed-mailboxes.js';
import { asciiLower, hiddenCharacterProblem, oneTerminalLine } from './domain/plain-text.js';
import { userOwner } from './domain/photo-owner.js';

const NAME = 'ews-photo-bridge';
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * Writes to standard error, each line with its controls, format characters and characters
 * that show nothing made visible and inert (oneTerminalLine): messages quote files,
 * directories and upstreams, an ESC in a CSV header cell drove the operator's terminal, and a
 * direction override turned a line around.
 */
function sayOnStderr(text: string, done?: () => void): void {
  process.stderr.write(`${text.split('\n').map(oneTerminalLine).join('\n')}\n`, done);
}

/**
 * One row of a listing, its fields tab-separated, each as sayOnStderr writes a line: a name a
 * store from before names were checked holds (an ESC, a direction override) is shown escaped,
 * never run by the terminal.
 */
function printRow(fields: readonly string[]): void {
  printLine(fields.map(oneTerminalLine).join('\t'));
}

/** Commander's own complaints (unknown command or option, missing argument) as one line, like every other failure. */
function writeUsageError(text: string, write: (text: string) => void): void {
  const message = text
    .replace(/^error: /, '')
    .replace('(Did you mean', '(did you mean')
    // A run of blanks is tried from its first only: from each, the match scanned the run to its end.
    .replace(/(?<!\s)\s*\n\s*/g, ' ')
    .trim()
    // Commander ends some messages with a full stop ("Allowed choices are csv, json."), which the hint would follow.
    .replace(/\.$/, '');
  write(`${NAME}: ${oneTerminalLine(message)}; see ${NAME} --help\n`);
}

const program = new Command(NAME)
  .description('Answers legacy Exchange photo requests from its own store and upstream sources.')
  .version(version, '-V, --version', 'print the version')
  .option('--db <path>', 'SQLite database file, even where BRIDGE_DATABASE_URL is set (default: $BRIDGE_DB or data/bridge.db)')
  .configureOutput({ outputError: writeUsageError });

// A misspelt variable (BRIDGE_DATABSE_URL) left a command on the default store, saying nothing: an
// import went into a new SQLite file. `serve` says so in its log.
program.hook('preAction', (_program, command) => {
  if (command.name() === 'serve') return;
  for (const name of unknownEnvironmentSettings()) sayOnStderr(`${NAME}: ${name} is not a setting of the bridge: ignored (see the README's settings)`);
});

function config(overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  const { db } = program.opts<{ db?: string }>();
  // A flag wins over the environment: --db names the store even where BRIDGE_DATABASE_URL is exported.
  return loadConfig(process.env, { ...(db === undefined ? {} : { databasePath: db, databaseUrl: '' }), ...overrides });
}

/**
 * Says that a command upgraded an existing store's schema: servers of the version before
 * can no longer open it, which an operator trying the new CLI beside them must know.
 */
function sayUpgraded(upgrade: SchemaUpgrade | undefined, location: string): void {
  if (upgrade && upgrade.from > 0)
    process.stderr.write(
      `ews-photo-bridge: upgraded the database schema of ${location} from version ${upgrade.from} to ${upgrade.to}; bridges older than this one can no longer open it\n`,
    );
}

/**
 * Runs `work` on the store, and always closes it, so no command leaves a lock behind. `reading`: the command only reads, so an embedded store that is
 * not there is a mistyped BRIDGE_DB or --db, said as such, never an empty store made for it.
 */
async function withStore<T>(work: (store: Store, settings: Config) => Promise<T>, reading = false): Promise<T> {
  const settings = config();
  if (reading && settings.databaseUrl === '' && !existsSync(settings.databasePath)) {
    throw new StoreOpenError(`there is no store at ${settings.databasePath} (check --db or BRIDGE_DB)`);
  }
  const store = await openStore(settings, 'command');
  sayUpgraded(store.schemaUpgrade, storeLocation(settings));
  try {
    return await work(store, settings);
  } finally {
    await store.close();
  }
}

/** Each person an import found under a new primary address, on stderr as the other per-person lines. */
function reportRenamed(renamed: readonly RenamedMailbox[]): void {
  for (const { from, to } of renamed) sayOnStderr(`renamed ${from} to ${to}: the same person, with their photo`);
}

/**
 * A file named on the command line; one that cannot be read is a plain failure, not a
 * crash. With `maxBytes`, a larger file is refused before it is read (a 1.5 GB photo took
 * the process to 1.6 GB first).
 */
function readInputFile(path: string, maxBytes = Infinity): Buffer {
  const size = readable(path, () => statSync(path).size);
  if (size > maxBytes) throw new InvalidArgumentError(`'${path}' is ${size} bytes; the limit is ${maxBytes} (BRIDGE_MAX_UPLOAD_BYTES)`);
  return readable(path, () => readFileSync(path));
}

function readable<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new InvalidArgumentError(`cannot read '${path}': ${readProblemOf(error)}`);
  }
}

/** What `import` reads: a directory file, or an LDIF export (ldif-directory.ts). */
const IMPORTED_DIRECTORY_FORMATS = [...DIRECTORY_FORMATS, 'ldif'] as const;
type ImportedDirectoryFormat = (typeof IMPORTED_DIRECTORY_FORMATS)[number];

function formatOf<F extends string>(path: string, given: F | undefined, formats: readonly F[]): F {
  if (given) return given;
  const extension = extname(path).slice(1).toLowerCase();
  const format = formats.find((candidate) => candidate === extension);
  if (format) return format;
  throw new InvalidArgumentError(`cannot tell the format of '${path}'; pass --format ${formats.join('|')}`);
}

/**
 * An option checked against its setting's own schema as it is parsed, so its mistake names the
 * flag ("option: must be…" named none) in commander's words for a bad argument.
 */
function settingOption(flags: string, description: string, setting: 'host' | 'port'): Option {
  return new Option(flags, description).argParser((value: string) => {
    const parsed = SETTINGS[setting].schema.safeParse(value);
    const problem = parsed.success ? undefined : (parsed.error.issues[0]?.message ?? 'invalid');
    // Capitalised as commander's own reasons after "is invalid." are ("Allowed choices are …").
    if (problem !== undefined) throw new InvalidArgumentError(problem.charAt(0).toUpperCase() + problem.slice(1));
    return value;
  });
}

program
  .command('serve')
  .description('start the bridge (seeds a demo directory into an empty database unless --no-demo)')
  .addOption(settingOption('--host <address>', 'address to listen on (default: $BRIDGE_HOST or 127.0.0.1)', 'host'))
  .addOption(settingOption('--port <port>', 'TCP port (default: $BRIDGE_PORT or 8080)', 'port'))
  .option('--no-demo', 'do not seed the demo directory')
  .action(async (options: { host?: string; port?: string; demo: boolean }) => {
    // The server (express, soap, sharp, the photo paths) is loaded here only: it doubled the start of every other command, `--help` included.
    const { serve } = await import('./serve.js');
    await serve(config({ host: options.host, port: options.port, seedDemo: options.demo ? undefined : false }));
  });

program
  .command('healthcheck')
  .description("exit 0 when the bridge these settings start is ready (GET /readyz on its port, HTTPS with built-in TLS): a container's HEALTHCHECK")
  .action(async () => {
    const { readinessProblem } = await import('./healthcheck.js');
    const problem = await readinessProblem(config());
    if (problem !== undefined) throw new InvalidArgumentError(`not ready: ${problem}`);
    printLine('ready');
  });

program
  .command('import')
  .description(
    'import or update directory users from CSV, JSON or LDIF; all rows land or none does; users not in the file stay, and so do fields a CSV or JSON file has no column or key for',
  )
  .argument('<file>', 'CSV with a header row (email, displayName, givenName, …), a JSON array, or an LDIF export (ldapsearch -LLL, ldifde)')
  .addOption(new Option('--format <format>', 'file format').choices(IMPORTED_DIRECTORY_FORMATS))
  .action(async (file: string, options: { format?: ImportedDirectoryFormat }) => {
    const format = formatOf(file, options.format, IMPORTED_DIRECTORY_FORMATS);
    const content = importFileText(readInputFile(file));
    if (format === 'ldif') {
      const imported = await withStore((store, settings) => importLdifDirectory(store, content, imageLimitsOf(settings)));
      const passedOver = imported.passedOver > 0 ? `; passed over ${imported.passedOver} entr(y/ies) without mail` : '';
      reportRenamed(imported.renamed);
      printLine(`imported ${imported.users} user(s) and ${imported.photos} photo(s) from ${file}${passedOver}`);
      return;
    }
    const { users, renamed } = await withStore(async (store) => {
      // The directory is read only for a file with such a character in it: not for a joiner that shows, which Persian names hold in every other word.
      const stored = hiddenCharacterProblem(content) !== undefined ? await storedHiddenAddresses(store) : undefined;
      const users = readDirectoryFile(content, format, stored);
      return { users, ...(await store.upsertUsers(users)) };
    });
    reportRenamed(renamed);
    printLine(`imported ${users.length} user(s) from ${file}`);
  });

program
  .command('import-ldap')
  .description('import (or re-sync) directory users from the ldap source of the config file; all land or none does')
  .option('--source <name>', 'which ldap source, when the config file has several')
  .option('--prune', 'also remove users an earlier LDAP import brought in that LDAP no longer has (at most half of them)')
  .option('--prune-over-half', 'let --prune remove more than half of the users LDAP brought in')
  .action(async (options: { source?: string; prune?: boolean; pruneOverHalf?: boolean }) => {
    const { users, skipped, removed, renamed } = await withStore(async (store, settings) => {
      const directory = await readLdapDirectory(ldapSettingsOf(settings.sources, options.source));
      const existing = options.prune ? await store.listUsers() : [];
      const gone = options.prune ? usersGoneFromLdap(existing, directory) : [];
      const fromLdap = options.pruneOverHalf ? undefined : pruneTooLarge(existing, directory, gone);
      if (fromLdap !== undefined) {
        throw new InvalidArgumentError(
          `LDAP selected ${directory.users.length} user(s), so --prune would remove ${gone.length} of the ${fromLdap} it brought in; nothing was imported or removed. Check userFilter and baseDn, or add --prune-over-half`,
        );
      }
      const { renamed } = await store.upsertUsers(directory.users);
      // A renamed person is no longer under the address they were gone from.
      const renamedFrom = new Set(renamed.map((rename) => rename.from));
      const removed = gone.filter((email) => !renamedFrom.has(asciiLower(email)));
      for (const email of removed) await store.removeUser(email);
      return { ...directory, removed, renamed };
    });
    reportRenamed(renamed);
    for (const line of skipped) sayOnStderr(`skipped ${line}`);
    for (const email of removed) sayOnStderr(`removed ${email}: no longer in LDAP`);
    const extras = [skipped.length > 0 ? `skipped ${skipped.length}` : '', removed.length > 0 ? `removed ${removed.length}` : ''].filter(Boolean);
    printLine(`imported ${users.length} user(s) from LDAP${extras.map((extra) => `, ${extra}`).join('')}`);
  });

program
  .command('export')
  .description('export the directory as CSV or JSON (re-importable as is)')
  .addOption(new Option('--format <format>', 'file format').choices(DIRECTORY_FORMATS).default('csv'))
  .option('-o, --output <file>', 'write to a file instead of standard output')
  .action(async (options: { format: DirectoryFormat; output?: string }) => {
    if (options.output && isSqliteDatabase(options.output)) {
      throw new InvalidArgumentError(`${options.output} is a database (the store itself?); export writes CSV or JSON, so name another file`);
    }
    const text = writeDirectoryFile(await withStore((store) => store.listUsers(), true), options.format);
    if (!options.output) return print(text);
    // Readable by its owner only, as the store and its backups are: it holds the whole directory, hidden mailboxes too.
    try {
      replaceFile(options.output, text);
    } catch (error) {
      throw new InvalidArgumentError(`cannot write ${options.output}: ${fileProblemOf(error)}`);
    }
  });

/** Whether a file is there and starts as every SQLite database does. */
function isSqliteDatabase(path: string): boolean {
  try {
    const head = Buffer.alloc(16);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, head, 0, 16, 0);
    } finally {
      closeSync(fd);
    }
    return head.toString('latin1') === 'SQLite format 3\0';
  } catch {
    return false;
  }
}

/** The operating-system user running the command: the one who made a change through it. */
function operatorName(): string {
  try {
    return userInfo().username;
  } catch {
    // A container may run under a uid without a passwd entry, where userInfo() throws; the uid still says who.
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

/** The upload pipeline (limits, normalising) for one command; no later request reads its cache, so that is kept at the least. */
const photoService = (store: Store, settings: Config) => new PhotoService(store, imageLimitsOf(settings), { maxEntries: 1, maxBytes: 1024, noPhotoTtlMs: 0 });

/** The operating-system user running the command, as the audit line names them. */
const operator = (): PhotoChangeActor => ({ username: operatorName(), role: 'operator' });

/** The audit log of the operator's changes, at the server's log level; on stderr, since stdout is the command's answer. */
const auditLog = (settings: Config) => createLogger(settings.logLevel, process.stderr);

/** A photo change by the operator, logged as the server logs one made over HTTP. */
function auditCliPhotoChange(settings: Config, target: string, action: PhotoChangeAction, sha256?: string): void {
  auditPhotoChange(auditLog(settings), { actor: operator(), target, action, door: 'cli', sha256 });
}

/**
 * The admin API's photo changes, for the operator: the same rule for whom an address names (any
 * of their addresses) and when a change is logged (a lock as it already was is not). Loaded here only, as the server is.
 */
async function operatorPhotoChanges(store: Store, settings: Config) {
  const { PhotoChanges } = await import('./rest/self-service-photos.js');
  return new PhotoChanges({ store, photos: photoService(store, settings), log: auditLog(settings), selfService: false });
}

/**
 * The primary address of the directory person any of their addresses names, as the admin API
 * finds them (store.getUser), so a change by an alias is printed and audited as that person's.
 */
async function primaryAddressOf(store: Store, email: string): Promise<string> {
  const address = normalizeSmtpAddress(email);
  const person = await store.getUser(address);
  if (!person) throw BridgeError.userNotFound(address);
  return person.email;
}

const photo = program.command('photo').description("set, remove or lock a directory user's photo");
photo
  .command('set')
  .description('store a photo (JPEG, PNG, GIF, WebP, TIFF or HEIF) for a user')
  .argument('<email>', 'an SMTP address of the user (the primary or another)')
  .argument('<file>', 'image file')
  .action(async (email: string, file: string) => {
    const { stored, person } = await withStore(async (store, settings) => {
      const image = readInputFile(file, settings.maxUploadBytes);
      const person = await primaryAddressOf(store, email);
      const fingerprint = await photoService(store, settings).setPhoto(userOwner(person), image, 'cli');
      auditCliPhotoChange(settings, person, 'set photo', fingerprint.sha256);
      return { stored: fingerprint, person };
    });
    printLine(`stored a ${stored.width}×${stored.height} photo for ${person}`);
  });
photo
  .command('remove')
  .description("remove a user's photo")
  .argument('<email>', 'an SMTP address of the user (the primary or another)')
  .action(async (email: string) => {
    const person = await withStore(async (store, settings) => {
      const person = await primaryAddressOf(store, email);
      if (!(await store.removePhoto(userOwner(person)))) throw BridgeError.photoNotFound(person);
      auditCliPhotoChange(settings, person, 'remove photo');
      return person;
    });
    printLine(`removed the photo of ${person}`);
  });

for (const [name, locked, description] of [
  ['lock', true, 'stop the user changing their own photo (BRIDGE_SELF_SERVICE_PHOTOS); administrators still can'],
  ['unlock', false, 'let the user change their own photo again, when BRIDGE_SELF_SERVICE_PHOTOS is on'],
] as const) {
  photo
    .command(name)
    .description(description)
    .argument('<email>', 'an SMTP address of the user (the primary or another)')
    .action(async (email: string) => {
      const address = normalizeSmtpAddress(email);
      const person = await withStore(async (store, settings) => (await operatorPhotoChanges(store, settings)).lock(operator(), address, locked, 'cli'));
      if (person === undefined) throw BridgeError.userNotFound(address);
      printLine(`${name}ed the photo of ${person}`);
    });
}

const user = program.command('user').description('manage directory users one by one (import adds and updates them in bulk)');
user
  .command('remove')
  .description('remove a directory user, with their photo (an LDAP import brings back whom LDAP still has)')
  .argument('<email>', 'an SMTP address of the user (the primary or another)')
  .action(async (email: string) => {
    const address = normalizeSmtpAddress(email);
    const person = await withStore(async (store, settings) => (await operatorPhotoChanges(store, settings)).removeUser(operator(), address, 'cli'));
    if (person === undefined) throw BridgeError.userNotFound(address);
    printLine(`removed ${person} from the directory`);
  });

/** Past this many contacts in one mailbox, an import says what searching and syncing that mailbox costs. */
const LARGE_MAILBOX_CONTACTS = 20_000;

const contacts = program.command('contacts').description("manage the contacts in a mailbox's Contacts folder");
contacts
  .command('import')
  .description('add contacts from vCard 2.1/3/4 (embedded PHOTO included) or CSV; all land or none does')
  .argument('<mailbox>', 'SMTP address of the mailbox (the login that will see them)')
  .argument('<file>', '.vcf, or CSV with a header row (displayName, givenName, surname, company, jobTitle, email1..3, …)')
  .addOption(new Option('--format <format>', 'file format').choices(CONTACT_FORMATS))
  .option('--create', 'import even though no login of that name exists yet (add it later with account add, or it signs in with a bearer token)')
  .action(async (mailbox: string, file: string, options: { format?: ContactFormat; create?: boolean }) => {
    const owner = normalizeSmtpAddress(mailbox);
    const format = formatOf(file.replace(/\.vcf$/i, '.vcard'), options.format, CONTACT_FORMATS);
    const bytes = readInputFile(file);
    const parsed = readContactFile(importFileText(bytes, { folded: format === 'vcard' }), format);
    const { added, updated, unchanged, held } = await withStore(async (store, settings) => {
      // Contacts are seen by the login of the mailbox's name only: without one, a typo in the address would hide them for good.
      if (!options.create && !(await store.getAccount(normalizeUsername(owner))))
        throw new InvalidArgumentError(`no login ${owner}, so nobody would see these contacts; check the address, or pass --create to import them anyway`);
      const imported = await importContacts(store, owner, parsed, imageLimitsOf(settings));
      return { ...imported, held: (await store.pageContacts(owner, undefined, 0, 0)).total };
    });
    const same = unchanged.length > 0 ? `, ${unchanged.length} unchanged` : '';
    printLine(`imported ${added.length + updated.length + unchanged.length} contact(s) into ${owner}: ${added.length} added, ${updated.length} updated${same}`);
    if (parsed.notKept.size > 0) {
      const said = [...parsed.notKept].map(([what, cards]) => `${what} (${cards} card${cards === 1 ? '' : 's'})`).join(', ');
      sayOnStderr(`${NAME}: not kept, as a contact has no field for it: ${said}`);
    }
    if (held > LARGE_MAILBOX_CONTACTS) {
      sayOnStderr(
        `${NAME}: ${owner} now holds ${held} contacts: a search or sync that reads all of a mailbox's contacts takes 2–8 ms a thousand of them, charged to its owner's share of the store's time (see the README's limits)`,
      );
    }
  });
contacts
  .command('list')
  .description("list a mailbox's contacts: id, name, addresses, whether it has a photo")
  .argument('<mailbox>', 'SMTP address of the mailbox')
  .action(async (mailbox: string) => {
    for (const contact of await withStore((store) => store.listContacts(normalizeSmtpAddress(mailbox)), true)) {
      printRow([String(contact.id), contact.displayName, contact.emailAddresses.join(' '), contact.photo ? 'photo' : '']);
    }
  });
contacts
  .command('remove')
  .description('remove a contact (its id as `contacts list` shows it)')
  .argument('<mailbox>', 'SMTP address of the mailbox')
  .argument('<id>', 'contact id')
  .action(async (mailbox: string, id: string) => {
    const owner = normalizeSmtpAddress(mailbox);
    if (!/^[1-9]\d{0,14}$/.test(id)) throw new InvalidArgumentError(`'${id}' is not a contact id (a whole number, as contacts list shows it)`);
    if (!(await withStore((store) => store.removeContact(owner, Number(id))))) throw new InvalidArgumentError(`no contact ${id} in ${owner}`);
    printLine(`contact ${id} removed from ${owner}`);
  });

const sources = program.command('sources').description('the upstream photo sources of the config file');
sources
  .command('check')
  .description('try each configured source: reachable, authenticated, and a sample lookup')
  .option('--user <email>', 'a directory user to look up as the sample')
  .action(async (options: { user?: string }) => {
    const checks = await withStore(async (store, settings) => {
      const sample = options.user ? await referenceOf(store, userOwner(normalizeSmtpAddress(options.user))) : undefined;
      if (options.user && !sample) throw BridgeError.userNotFound(options.user);
      return checkSources(settings.sources, sample, createLogger('silent'), settings.sourceTimeoutMs);
    });
    print(formatChecks(checks));
    if (checks.some((check) => check.steps.some((step) => !step.ok))) process.exitCode = 1;
  });

program
  .command('migrate-store')
  .description('copy an embedded SQLite store into an empty PostgreSQL database in one transaction, checking row counts and photo hashes')
  .requiredOption('--from <sqlite:file>', 'the SQLite store, e.g. sqlite:data/bridge.db')
  // A URL on the command line shows its password to every local user (ps, /proc/*/cmdline); the setting keeps it out.
  .option('--to <postgres-url>', 'the PostgreSQL database, e.g. postgres://bridge:secret@db:5432/bridge (default: BRIDGE_DATABASE_URL)')
  .action(async (options: { from: string; to?: string }) => {
    if (!options.from.startsWith('sqlite:')) throw new InvalidArgumentError(`--from must be sqlite:<file>, not '${withoutPassword(options.from)}'`);
    const to = options.to ?? config().databaseUrl;
    if (to === '')
      throw new InvalidArgumentError('give the PostgreSQL database as BRIDGE_DATABASE_URL (or --to, which shows its password to other local users)');
    if (!/^postgres(ql)?:\/\//.test(to)) throw new InvalidArgumentError(`--to must be a postgres:// URL, not '${withoutPassword(to)}'`);
    const sqlitePath = options.from.slice('sqlite:'.length);
    const counts = await copySqliteToPostgres(sqlitePath, to);
    const photos = counts.user_photos + counts.contact_photos;
    printLine(
      `copied ${counts.users} user(s), ${counts.contacts} contact(s), ${photos} photo(s), ${counts.accounts} account(s) and ${counts.secrets} key(s) to ${withoutPassword(to)}; row counts and photo hashes match`,
    );
  });

/** Backups of the embedded store only: PostgreSQL has its own tools, which know its transactions and roles. */
function sqliteStorePath(command: string): string {
  const settings = config();
  if (settings.databaseUrl !== '')
    throw new BackupError(`${command} copies the embedded SQLite store; for PostgreSQL use pg_dump and pg_restore (see the README, "Backups")`);
  return settings.databasePath;
}

const formatBackup = (summary: BackupSummary) =>
  `${summary.users} user(s), ${summary.contacts} contact(s), ${summary.accounts} account(s), ${summary.photosVerified} photo(s) checked against their hashes, schema ${summary.schemaVersion}, ${summary.bytes} bytes`;

program
  .command('backup')
  .description('copy the embedded store into a new file while servers keep running (SQLite backup API: consistent, unlike copying the file)')
  .argument('<file>', 'the backup file to write; it must not exist')
  .action(async (file: string) => {
    const summary = await backupSqliteStore(sqliteStorePath('backup'), file);
    printLine(`backed up to ${file}: ${formatBackup(summary)}`);
  });

program
  .command('restore')
  .description('put a backup back as the embedded store; refused while a server or command has the store open')
  .argument('<file>', 'a file written by backup')
  .action(async (file: string) => {
    const databasePath = sqliteStorePath('restore');
    const summary = await restoreSqliteStore(file, databasePath);
    printLine(`restored ${databasePath} from ${file}: ${formatBackup(summary)}`);
  });

/** NIST SP 800-63B §3.1.1.2: a password its owner chose has at least 8 characters (an admin's with four was taken). */
const MIN_PASSWORD_CHARACTERS = 8;

const account = program.command('account').description('manage the logins of the bridge');
account
  .command('add')
  .description('add a login, or change its password (and its role, with --role); prints a generated password unless --password-stdin')
  .argument('<username>', 'login name, usually the mailbox SMTP address')
  .addOption(new Option('--role <role>', 'role (a new login: user; an existing one keeps its own)').choices(ROLES))
  .option('--password-stdin', 'read the password from standard input (keeps it out of the process list)')
  .action(async (username: string, options: { role?: Role; passwordStdin?: boolean }) => {
    const password = options.passwordStdin ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : randomBytes(12).toString('base64url');
    if ([...password].length < MIN_PASSWORD_CHARACTERS) throw new InvalidArgumentError(`the password must have at least ${MIN_PASSWORD_CHARACTERS} characters`);
    // A second line was kept as part of it: a password no login prompt can type.
    if (/[\u0000-\u001f\u007f]/.test(password))
      throw new InvalidArgumentError('the password holds a line break or another control character: give it on one line');
    const name = accountNameOf(username);
    const bytesMax = passwordBytesMax(name);
    if (Buffer.byteLength(password) > bytesMax)
      throw new InvalidArgumentError(`the password is ${Buffer.byteLength(password)} bytes in UTF-8; a login as ${name} can send at most ${bytesMax}`);
    const hash = await hashPassword(password);
    const role = await withStore(async (store) => {
      // A password reset leaves an admin an admin: the role changes only when asked.
      const chosen = options.role ?? (await store.getAccount(name))?.role ?? 'user';
      await store.putAccount(name, hash, chosen);
      return chosen;
    });
    printLine(`account ${name} (${role}) saved`);
    if (!options.passwordStdin) printLine(`password: ${password}`);
  });
account
  .command('remove')
  .description("remove a login, and its mailbox's contacts")
  .argument('<username>', 'login name')
  .action(async (username: string) => {
    // The name as typed as well, for an account stored before names were normalised.
    const removed = await withStore(async (store) => (await store.removeAccount(normalizeUsername(username))) || (await store.removeAccount(username)));
    if (!removed) throw new InvalidArgumentError(`no account '${username}'`);
    printLine(`account ${username} removed`);
  });
account
  .command('list')
  .description('list logins and their roles')
  .action(async () => {
    for (const { username, role } of await withStore((store) => store.listAccounts(), true)) printRow([username, role]);
  });

const FILE_PROBLEMS: Partial<Record<string, string>> = {
  ENOENT: 'a folder on the way does not exist',
  EACCES: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  ENOSPC: 'no space left on the device',
};

/** Why a file could not be written, in plain words where the code is a known one. */
function fileProblemOf(error: unknown): string {
  const { code } = error as NodeJS.ErrnoException;
  return (code === undefined ? undefined : FILE_PROBLEMS[code]) ?? (error as Error).message;
}

/** What an operator can act on, in plain words; undefined for a real surprise. */
function expectedFailure(error: unknown): string | undefined {
  if (error instanceof ConfigError && error.problems.length === 1) return `invalid configuration: ${error.problems[0]}`;
  if (
    error instanceof BridgeError ||
    error instanceof ImportFileError ||
    error instanceof ConfigError ||
    error instanceof InvalidArgumentError ||
    error instanceof StoreCopyError ||
    error instanceof BackupError ||
    error instanceof StoreOpenError ||
    // A directory that refused the bind, a base DN it has not, too slow for timeoutMs, or a TLS port given as ldap://: what import-ldap's settings say.
    error instanceof PermanentSourceError ||
    error instanceof DirectoryTimeoutError ||
    error instanceof DirectoryClosedError
  )
    return error.message;
  const { code, syscall, address, port, path, hostname } = error as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  if (syscall === 'listen' && code === 'EADDRINUSE')
    return `${address}:${port} is already in use (another bridge?); pick another port with --port or BRIDGE_PORT (BRIDGE_METRICS_LISTEN for /metrics)`;
  const fileProblem = code === undefined ? undefined : FILE_PROBLEMS[code];
  if ((syscall === 'mkdir' || syscall === 'open') && path !== undefined && fileProblem) return `cannot create ${path}: ${fileProblem}`;
  if (syscall === 'getaddrinfo') return `the host name '${hostname}' does not resolve (BRIDGE_HOST, or a host in the config file)`;
  // A server (a directory, an upstream) whose certificate this process does not trust: a CA file or a host name to mend.
  if (untrustedCertificate(error))
    return `TLS: ${(error as Error).message}; give the CA that signed the server's certificate (caFile), and reach the server by a name its certificate has`;
  if (code === 'ECONNRESET' && /before secure TLS connection/.test((error as Error).message))
    return `${(error as Error).message}: does that port speak TLS (ldaps://) at all?`;
  if ((code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT') && address !== undefined) return `nothing answers at ${address}:${port}`;
  if (syscall === 'listen' && code === 'EACCES')
    return `not allowed to listen on ${address}:${port}; ports below 1024 need privileges, pick another with --port`;
  if (syscall === 'listen' && code === 'EADDRNOTAVAIL') return `${address} is not an address of this machine; pick another with --host`;
  return undefined;
}

guardStandardOutput((error, done) => sayOnStderr(`${NAME}: cannot write to standard output: ${fileProblemOf(error)}`, done));

program.parseAsync().catch((error: unknown) => {
  const message = expectedFailure(error) ?? `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
  // Exits once the message is out: to a pipe, stderr is written asynchronously, and exiting at once cut a long one at 64 KiB.
  sayOnStderr(`${NAME}: ${message}`, () => process.exit(1));
});
