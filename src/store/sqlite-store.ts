import { randomBytes } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import { canonicalAddressPrefix } from '../domain/email.js';
import { DELTA_TOKENS_PER_MAILBOX, newDeltaToken, type DeltaTokenKind, type KeptDeltaState } from './delta-tokens.js';
import { SETTINGS } from '../config.js';
import type { Account, Role } from '../domain/account.js';
import type { Contact } from '../domain/contact.js';
import type { DirectoryUser, DirectoryUserUpdate } from '../domain/directory.js';
import type { NormalizedPhoto, StoredPhoto, StoredPhotoInfo } from '../domain/photo.js';
import { contactOwner, userOwner, type PhotoOwner } from '../domain/photo-owner.js';
import { BridgeError, ShuttingDownError } from '../domain/errors.js';
import { isBusy, isBusyCode, retryWhileBusy } from './busy-retry.js';
import { BY_DISPLAY_NAME, contactOrderSql, NAME_ORDER_SQL } from './contact-order.js';
import { addressPrefixPattern, contactMatchSql, COMPARISON_TESTS, prefixPattern, type ContactTestParameters } from './like-patterns.js';
import { MIGRATIONS, schemaNotThisBridges, type SchemaUpgrade, type UpgradeStarting } from './migrations.js';
import {
  ftsQuery,
  NAME_TIERS,
  peopleQuery,
  rankedPage,
  SEARCH_TIERS,
  contactNameKeysOf,
  contactSearchColumnsOf,
  contactQuery,
  MATCHES_SORTED_MAX,
  SORTED_MATCHES_MAX,
  wordStartNeedles,
  wordTierMatchSql,
  type PeopleQuery,
  tiersOf,
  type SearchTier,
  prefixEnd,
} from './search-text.js';
import {
  MAX_DIRECT_REPORTS,
  type ContactPage,
  type ContactVersion,
  type DirectoryEntry,
  type ContactMatch,
  type NewContact,
  type ReplacedContact,
  type Store,
  type ImportedPhotos,
  type MailboxScope,
  type RoutingType,
  type UserOrder,
  type UserPage,
  type UserPosition,
  type FetchedPhoto,
  type PhotoPrecondition,
  type PhotoVersion,
  fetchedPhotoStep,
  type StoreSeed,
} from './store.js';
import {
  contactAddressColumns,
  contactTextColumns,
  directoryEntries,
  fromContactRow,
  readContactVersions,
  fromUserRow,
  STORED_USERS_PER_READ,
  storedUsersKeeping,
  withKeptFields,
  USER_FIELD_COLUMNS,
  WRITTEN_USER_COLUMNS,
  writtenUserValues,
  type ContactRow,
  type VersionRow,
  type DirectoryRow,
  type RelatedRow,
  type UserRow,
} from './store-rows.js';
import { mergedUserPage, userPageBounds, userPageOf, type UserPageBounds } from './user-pages.js';
import {
  renameCandidates,
  RENAME_CANDIDATES_PER_STATEMENT,
  sharesAName,
  type DirectoryImport,
  type RenameCandidate,
  type RenamedMailbox,
} from './renamed-mailboxes.js';
import { ReadThreadError, SqliteReadThread, type ReadResult, type ReadStatement } from './sqlite-read-thread.js';
import { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.js';
import type { EmbeddedStoreEvents, FileChange } from './change-watcher.js';
import { fromSqliteError } from './sqlite-errors.js';
import { inTurnWithRoom } from '../loop-turns.js';
import { createPrivateFile, identityOf, refuseAnotherProgramsDatabase, walFilesOf, type FileIdentity } from './sqlite-file.js';
import { migrateSqlite } from './sqlite-schema.js';

interface PhotoRow {
  bytes: Buffer;
  content_type: 'image/jpeg';
  width: number;
  height: number;
  sha256: string;
  source: string;
  updated_at: string;
}

/** The user an address (SQL) names: the one whose primary address it is, else the earliest to claim it as another of theirs. */
const userIdByAddress = (address: string) =>
  `(coalesce((SELECT id FROM users WHERE email = ${address}), (SELECT min(user_id) FROM user_addresses WHERE address = ${address})))`;
const USER_ID_BY_ADDRESS = userIdByAddress('@address');

/**
 * The addresses that name each user `owners` selects (SQL giving id, email and other_addresses),
 * as (owner, address): their primary one, and each other one of theirs that names them
 * (userIdByAddress) — no one's primary, and they its earliest claimant. A report's manager
 * column keeps the address the source gave, perhaps a secondary proxy address; read through
 * these, the report follows whoever that address names now.
 */
const namingAddresses = (owners: string) => `WITH owners AS (${owners}), naming (owner, address) AS (
    SELECT email, email FROM owners
    UNION
    SELECT o.email, a.value FROM owners o, json_each(o.other_addresses) a
    WHERE NOT EXISTS (SELECT 1 FROM users WHERE email = a.value) AND (SELECT min(user_id) FROM user_addresses WHERE address = a.value) = o.id
  )`;

/** Where each kind of owner keeps its photo, and the owner's row id for a key (@address or @id). */
const PHOTO_TABLES = {
  user: { table: 'user_photos', column: 'user_id', ownerId: USER_ID_BY_ADDRESS },
  contact: { table: 'contact_photos', column: 'contact_id', ownerId: '(SELECT id FROM contacts WHERE id = @id)' },
} as const;

const CONTACT_SELECT = `SELECT c.*, p.sha256 AS photo_sha256, p.width AS photo_width, p.height AS photo_height,
  length(p.bytes) AS photo_length, p.updated_at AS photo_updated_at
  FROM contacts c LEFT JOIN contact_photos p ON p.contact_id = c.id`;

/** A mailbox's contacts whose names or addresses start with what was typed. The words are letters and digits only (folded), so none is a LIKE wildcard. */
const SEARCH_CONTACTS_SQL = `${CONTACT_SELECT} WHERE c.mailbox = @mailbox AND (
  (@folded <> '' AND c.name_key LIKE @folded || '%')
  OR (json_array_length(@words) > 0 AND NOT EXISTS (
    SELECT 1 FROM json_each(@words) w WHERE ' ' || c.search_names NOT LIKE '% ' || w.value || '%'))
  OR c.display_name LIKE @pattern ESCAPE '\\'
  OR c.email1 LIKE @addressPattern ESCAPE '\\' OR c.email2 LIKE @addressPattern ESCAPE '\\' OR c.email3 LIKE @addressPattern ESCAPE '\\')
  ORDER BY ${NAME_ORDER_SQL} LIMIT @limit`;

/** A chunk of a mailbox's contact versions, by id after the last one read (readContactVersions). */
const CONTACT_VERSIONS_AFTER_SQL =
  'SELECT c.id, c.updated_at, p.sha256 FROM contacts c LEFT JOIN contact_photos p ON p.contact_id = c.id WHERE c.mailbox = @mailbox AND c.id > @after ORDER BY c.id LIMIT @limit';

/**
 * Each kind of contact test (like-patterns.ts) as SQL on its value, the parameter `p`, and its
 * column: `folded` on the folded name (case and accents ignored), `like` ASCII case ignored
 * (as SQLite's LIKE is), the exact-case kinds on the text as written, an address NOCASE, as
 * the address columns are.
 */
const CONTACT_TESTS: Readonly<Record<ContactTestParameters['kind'], (p: string, column: string) => string>> = {
  ...COMPARISON_TESTS,
  folded: (p, column) => `' ' || ${column} LIKE ${p} ESCAPE '\\'`,
  like: (p, column) => `${column} LIKE ${p} ESCAPE '\\'`,
  prefix: (p, column) => `substr(${column}, 1, length(${p})) = ${p}`,
  wordPrefix: (p, column) => `instr(' ' || ${column}, ' ' || ${p}) > 0`,
  substring: (p, column) => `instr(${column}, ${p}) > 0`,
  whole: (p, column) => `${column} = ${p}`,
  address: (p, column) => `${column} = ${p} COLLATE NOCASE`,
};

/**
 * A mailbox of at most this many contacts has its pages and searches read on the event loop,
 * a few ms at most (a QueryString reads 2,000 contacts in 6); a larger one's, on the read
 * thread. The thread's round trip costs more than such a small read: through it, a login's
 * share of the store's time answered a third fewer ResolveNames.
 */
const CONTACTS_READ_HERE = 2_000;

/** The read thread's key for the directory's reads, which take their turns there as a mailbox's do; no mailbox is named without an `@`. */
const DIRECTORY_READS = 'directory';

/** The wait before a read thread that stopped is started again, doubled for each that stopped within READ_THREAD_STEADY_MS of its start. */
const READ_THREAD_RESTART_MS = 1000;
const READ_THREAD_RESTART_MAX_MS = 5 * 60_000;
const READ_THREAD_STEADY_MS = 60_000;

/** A folder page's parameters: the mailbox, the page's bounds and each test's value (`test0`…). */
type ContactPageParameters = Record<string, string | number>;

const USER_COLUMNS = [...USER_FIELD_COLUMNS, 'refs', 'other_addresses', 'hidden'].join(', ');

const UPSERT_COLUMNS = `${WRITTEN_USER_COLUMNS.join(', ')}, updated_at`;
const ON_EMAIL_CONFLICT = `ON CONFLICT (email) DO UPDATE SET ${UPSERT_COLUMNS.split(', ')
  .filter((column) => column !== 'email')
  .map((column) => `${column} = excluded.${column}`)
  .join(', ')}`;
/** Rows per upsert statement: a whole import file in one would be one JSON text of hundreds of megabytes. */
const UPSERT_CHUNK = 10_000;
/**
 * An import's rows land at random places in every index, so a batch dirties far more pages
 * than the default page cache holds and SQLite spills them to the WAL mid-transaction, some
 * many times. For a batch of at least IMPORT_CACHE_ROWS the cache may grow to this (KiB,
 * negative as PRAGMA cache_size takes it) and shrinks back after: at 400,000 people 91–110 µs
 * of CPU a row instead of 126 (busy machine). Searches keep the default cache, so a server's
 * memory does not grow with use.
 */
const IMPORT_CACHE_SIZE = -262_144;
const IMPORT_CACHE_ROWS = 1_000;
/** The fewest rows an import needs to rebuild the users indexes rather than update them (and no fewer than the directory holds). */
const REBUILD_MIN_ROWS = UPSERT_CHUNK;

const DIRECTORY_SELECT = `SELECT ${USER_COLUMNS.replace(/(\w+)/g, 'u.$1')}, p.sha256 AS photo_sha256`;

/** "Starts with" over an index: the folded display name; the address, NOCASE as its column. */
const NAME_PREFIX = 'u.name_key >= @key AND u.name_key < @keyEnd';
const ADDRESS_PREFIX = 'u.email >= @address AND u.email < @addressEnd';
const NOT_EARLIER = `NOT (${NAME_PREFIX}) AND NOT (${ADDRESS_PREFIX})`;
/** A word tier's matches, found in FTS5 once (matchedIds) and passed back as a JSON array of ids. */
const WORDS = `json_each(@ids) m JOIN users u ON u.id = m.value WHERE ${NOT_EARLIER}`;
const NAME_ORDER = 'name_key, email';

/** Each tier of the people search (search-text.ts): its rows, those of earlier tiers left out, and their order. */
const TIER_SQL: Record<SearchTier, { from: string; order: string }> = {
  namePrefix: { from: `users u WHERE ${NAME_PREFIX}`, order: NAME_ORDER },
  addressPrefix: { from: `users u WHERE ${ADDRESS_PREFIX} AND NOT (${NAME_PREFIX}) AND NOT u.hidden`, order: 'email' },
  nameWords: { from: WORDS, order: NAME_ORDER },
  otherWords: { from: WORDS, order: NAME_ORDER },
};

/** A tier's first rows, with their photos: joined to the rows the tier picked, not to every match. */
function tierSql(from: string, order: string): string {
  const ordered = order.replace(/(\w+)/g, 'u.$1');
  return `${DIRECTORY_SELECT} FROM (SELECT u.* FROM ${from} ORDER BY ${ordered} LIMIT @limit) u
    LEFT JOIN user_photos p ON p.user_id = u.id ORDER BY ${ordered}`;
}

/**
 * The most rows of the name index a word tier walks (0.6 µs each at a million people): a
 * page of 101 where one person in 200 matches.
 */
const WALK_ROWS_MAX = 20_000;

/**
 * A word tier as a walk of the name index up to @endKey that tests each row, for words
 * too many people share to sort. Bounded by a key rather than by LIMIT in a subquery,
 * which read every row walked from the table (the index covers the tests): surname
 * searches took twice as long; and by the name alone, as (name, address) took 2.5 times.
 * Its @n0, @n1…: the wordStartNeedles of the query's words.
 */
function walkedWordTierSql(tier: 'nameWords' | 'otherWords', wordCount: number): string {
  const matches = wordTierMatchSql(tier, wordCount, { position: 'instr', parameter: '@' });
  return tierSql(`users u INDEXED BY users_by_name_key WHERE u.name_key <= @endKey AND ${matches} AND ${NOT_EARLIER}`, NAME_ORDER);
}

/** A tier's parameters: the query's keys (its words are matched through @ids), the ids a word tier matched, a limit. */
type TierQuery = Omit<PeopleQuery, 'words'> & { ids: string; limit: number };
/** A lookup by the start of an address; `all` (1) takes the hidden too. */
type AddressPrefixQuery = { prefix: string; end: string; limit: number; all: number };
/** The name key a walk of the name index stops at. */
type WalkEnd = { endKey: string };

/**
 * While the store opens nothing is served yet, so waiting for another process's lock
 * (to migrate) blocks no request; afterwards the connection never waits on its own.
 */
const OPEN_BUSY_TIMEOUT_MS = 10_000;

export interface SqliteStoreOptions {
  /** How long one call may wait, asynchronously, for another connection's lock before it fails with ErrorServerBusy. */
  busyTimeoutMs?: number;
  /** Checkpoint the WAL from a worker thread rather than inside this connection's commits (a server, not a one-shot CLI command). */
  checkpointInBackground?: boolean;
  /** Read a large mailbox's pages, searches and sync versions, which may read every contact, on a thread of their own (a server). */
  readInBackground?: boolean;
  upgradeStarting?: UpgradeStarting;
  /** The wall clock rows are stamped with (ms since the epoch): Date.now, or a test's. */
  now?: () => number;
}

/** The embedded store: one SQLite file in WAL mode, so readers never wait for the writer. */
export class SqliteStore implements Store, EmbeddedStoreEvents {
  private readonly db: Database.Database;
  private readonly statements;
  /**
   * The statements read aside (readAside), by their SQL: a folder's page and count, one per sort
   * and shape of restriction asked lately (a FindItem's SortOrder and Restriction, a Graph
   * $orderby and $filter), a contact search and a chunk of sync versions.
   */
  private readonly preparedAside = new LRUCache<string, Database.Statement<ContactPageParameters>>({ max: 64 });
  /** Where those reads run when the store has a thread for them (sqlite-read-thread.ts); undefined, here. */
  private readThread: SqliteReadThread | undefined;
  private readonly busyTimeoutMs: number;
  private readonly now: () => number;
  private readonly waits = { count: 0 };
  /** Writes made here: with SQLite's data_version (others' commits), when a read may find the directory changed. */
  private writes = 0;
  private walkEnd: { version: string; key: string } | undefined;
  /** Runs its argument as one write transaction; BEGIN IMMEDIATE takes the lock before anything is written. */
  private readonly transaction: <T>(work: () => T) => T;
  private readonly checkpointer: WalCheckpointer | undefined;
  /** The file this connection opened; undefined in memory. */
  private readonly opened: FileIdentity | undefined;
  /** The -wal and -shm files SQLite opened beside it (those it found or made): undefined in memory. */
  private readonly openedBeside: FileIdentity[] | undefined;
  /** Set once the change poll finds another file, or none, at the path: every write and ping is refused with it. */
  private fileReplaced: BridgeError | undefined;
  /**
   * Set once the file is found at an older schema version than this connection migrated it to
   * (restored in place under it): every read, write and ping is refused with it, as the
   * statements here name columns and tables the file lacks.
   */
  private schemaChanged: BridgeError | undefined;
  /** The newer schema version last told to the listener (lookForChangedSchema). */
  private toldNewerVersion: number | undefined;
  private fileReplacedListener: ((path: string, how: FileChange) => void) | undefined;
  private readThreadFailureListener: ((error: Error, restartInMs: number) => void) | undefined;
  private readThreadFailures = 0;
  private readThreadRestart: NodeJS.Timeout | undefined;
  readonly schemaUpgrade: SchemaUpgrade | undefined;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.busyTimeoutMs = options.busyTimeoutMs ?? SETTINGS.storeBusyTimeoutMs.default;
    this.now = options.now ?? Date.now;
    if (path !== ':memory:') createPrivateFile(path);
    this.db = new Database(path, { timeout: OPEN_BUSY_TIMEOUT_MS });
    this.opened = path === ':memory:' ? undefined : identityOf(path);
    refuseAnotherProgramsDatabase(this.db, path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.schemaUpgrade = migrateSqlite(this.db, MIGRATIONS.length, options.upgradeStarting);
    // The migrations read the file, so SQLite has opened its WAL and shared memory by now.
    this.openedBeside = this.opened && walFilesOf(path);
    this.db.pragma('busy_timeout = 0');
    if (options.checkpointInBackground && path !== ':memory:') {
      this.db.pragma('wal_autocheckpoint = 0');
      this.checkpointer = startWalCheckpointer(path, () => {
        if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
      });
    }
    this.statements = this.prepare();
    if (options.readInBackground && path !== ':memory:') this.startReadThread(path, 0);
    const inTransaction = this.db.transaction((work: () => unknown) => work());
    // better-sqlite3's typings drop the type parameter of a generic transaction function.
    this.transaction = <T>(work: () => T): T => inTransaction.immediate(work) as T;
  }

  /**
   * Every read goes through here: a lock in the way makes only this caller wait. It begins in
   * a turn of the event loop with room (loop-turns.ts): a request's reads chained one after
   * another (a search's tiers, eight filters' searches) otherwise all ran in the turn the first
   * began in.
   */
  private read<T>(work: () => T): Promise<T> {
    if (this.schemaChanged) return Promise.reject(this.schemaChanged);
    return inTurnWithRoom(() => retryWhileBusy(() => this.readOnce(work), this.busyTimeoutMs, this.waits));
  }

  /** One attempt of a read: its failure told as the schema changed under it, when that is why (no promise more a read, as a `.catch` made). */
  private readOnce<T>(work: () => T): T {
    try {
      return this.whileOpen(work);
    } catch (error) {
      throw this.schemaProblemBehind(error);
    }
  }

  /** One attempt of a read or write; one still waiting for another process's lock when the store closed is abandoned, as PostgreSQL's are. */
  private whileOpen<T>(work: () => T): T {
    if (!this.db.open) throw new ShuttingDownError();
    return work();
  }

  /** How often a request here has waited for another process's lock. */
  busyWaits(): number {
    return this.waits.count;
  }

  /** The time a row is stamped with, as its text columns hold it. */
  private timestamp(): string {
    return new Date(this.now()).toISOString();
  }

  /** Every write goes through here: all of it lands or, busy or failing, none of it. */
  private write<T>(work: () => T): Promise<T> {
    const refused = this.fileReplaced ?? this.schemaChanged;
    if (refused) return Promise.reject(refused);
    // Counted once it is over: a read while it waits for the lock must not take the old directory for the new.
    return retryWhileBusy(() => this.whileOpen(() => this.transaction(work)), this.busyTimeoutMs, this.waits)
      .catch((error: unknown) => {
        throw this.schemaProblemBehind(fromSqliteError(error, this.busyTimeoutMs));
      })
      .finally(() => this.writes++);
  }

  private prepare() {
    const db = this.db;
    return {
      // Every row of a chunk in one statement: FTS5 writes its pending words out at each statement's
      // savepoint, so a statement per row (its trigger) left a segment per row to merge, most of an import's time.
      upsertUsers: db.prepare<{ rows: string; updatedAt: string }>(
        `INSERT INTO users (${UPSERT_COLUMNS})
         SELECT ${WRITTEN_USER_COLUMNS.map((_, i) => `value ->> ${i}`).join(', ')}, @updatedAt FROM json_each(@rows) WHERE true ${ON_EMAIL_CONFLICT}`,
      ),
      // What an import that rebuilds the users indexes drops first and creates again after its rows.
      derivedFromUsers: db.prepare<[], { type: 'index' | 'trigger'; name: string; sql: string }>(
        "SELECT type, name, sql FROM sqlite_schema WHERE tbl_name = 'users' AND type IN ('index', 'trigger') AND sql IS NOT NULL",
      ),
      getUser: db.prepare<{ address: string }, UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ${USER_ID_BY_ADDRESS}`),
      // By the primary address alone, as the upsert matches a row (NOCASE, the column's).
      usersByPrimaryAddress: db.prepare<{ addresses: string }, UserRow>(
        `SELECT ${USER_COLUMNS} FROM users WHERE email IN (SELECT value FROM json_each(@addresses))`,
      ),
      listUsers: db.prepare<[], UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY display_name, email`),
      removeUser: db.prepare<[string]>('DELETE FROM users WHERE email = ?'),
      anyUser: db.prepare<[], number>('SELECT EXISTS (SELECT 1 FROM users)').pluck(),
      storedAddresses: db
        .prepare<{ addresses: string }, string>('SELECT value FROM json_each(@addresses) WHERE EXISTS (SELECT 1 FROM users WHERE email = value)')
        .pluck(),
      renameUser: db.prepare<RenameCandidate>(
        `UPDATE users SET email = @to
         WHERE email = @from AND (${sharesAName(['@givenName', '@surname', '@alias', '@displayName'])}) AND NOT EXISTS (SELECT 1 FROM users WHERE email = @to)`,
      ),
      followManager: db.prepare<RenamedMailbox>('UPDATE users SET manager = @to WHERE manager = @from'),
      countUsers: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users'),
      // A page of users in each order, either way (user-pages.ts).
      userPages: {
        name: {
          ascending: db.prepare<UserPageBounds & { limit: number }, UserRow & { name_key: string }>(
            `SELECT ${USER_COLUMNS}, name_key FROM users INDEXED BY users_by_name_key
             WHERE (name_key, email) > (@fromKey, @fromEmail) AND name_key < @end ORDER BY name_key, email LIMIT @limit`,
          ),
          descending: db.prepare<UserPageBounds & { limit: number }, UserRow & { name_key: string }>(
            `SELECT ${USER_COLUMNS}, name_key FROM users INDEXED BY users_by_name_key
             WHERE (name_key, email) < (@fromKey, @fromEmail) AND name_key >= @start ORDER BY name_key DESC, email DESC LIMIT @limit`,
          ),
        },
        address: {
          ascending: db.prepare<UserPageBounds & { limit: number }, UserRow & { name_key: string }>(
            // One lower bound, as in name order: the range's start or the address just after the position (it followed by U+0000), whichever is later.
            `SELECT ${USER_COLUMNS}, name_key FROM users WHERE email >= max(@start, @fromEmail || char(0)) AND email < @end AND NOT hidden ORDER BY email LIMIT @limit`,
          ),
          descending: db.prepare<UserPageBounds & { limit: number }, UserRow & { name_key: string }>(
            // One upper bound: the position, or the range's end (userPageBounds).
            `SELECT ${USER_COLUMNS}, name_key FROM users WHERE email >= @start AND email < @fromEmail AND NOT hidden ORDER BY email DESC LIMIT @limit`,
          ),
        },
      },
      addressesNaming: db
        .prepare<{ address: string }, string>(
          `${namingAddresses(`SELECT id, email, other_addresses FROM users WHERE id = ${USER_ID_BY_ADDRESS}`)} SELECT address FROM naming`,
        )
        .pluck(),
      directReportsInNameOrder: db.prepare<UserPageBounds & { manager: string; limit: number }, UserRow & { name_key: string }>(
        `SELECT ${USER_COLUMNS}, name_key FROM users INDEXED BY users_by_manager
         WHERE manager = @manager AND (name_key, email) > (@fromKey, @fromEmail) ORDER BY name_key, email LIMIT @limit`,
      ),
      countListed: db.prepare<[], { n: number }>('SELECT (SELECT count(*) FROM users) - (SELECT count(*) FROM users WHERE hidden) AS n'),
      countInNameOrder: db.prepare<UserPageBounds, { n: number }>('SELECT count(*) AS n FROM users WHERE name_key >= @start AND name_key < @end'),
      countInAddressOrder: db.prepare<UserPageBounds, { n: number }>('SELECT count(*) AS n FROM users WHERE email >= @start AND email < @end AND NOT hidden'),
      usersBySmtpPrefix: db.prepare<AddressPrefixQuery, UserRow>(
        `SELECT ${USER_COLUMNS} FROM users WHERE email >= @prefix AND email < @end AND (@all OR NOT hidden) ORDER BY email LIMIT @limit`,
      ),
      usersBySipPrefix: db.prepare<AddressPrefixQuery, UserRow>(
        `SELECT ${USER_COLUMNS} FROM users WHERE lower(sip_address) >= @prefix AND lower(sip_address) < @end AND (@all OR NOT hidden) ORDER BY lower(sip_address) LIMIT @limit`,
      ),
      // Each half by its own index (users_by_alias, users_without_alias).
      usersByDnName: db.prepare<{ name: string; start: string; end: string; limit: number }, UserRow>(
        `SELECT * FROM (SELECT ${USER_COLUMNS} FROM users WHERE lower(alias) = lower(@name) ORDER BY email LIMIT @limit)
         UNION ALL SELECT * FROM (SELECT ${USER_COLUMNS} FROM users WHERE alias IS NULL AND email >= @start AND email < @end ORDER BY email LIMIT @limit)
         ORDER BY email LIMIT @limit`,
      ),
      isPhotoLocked: db.prepare<{ address: string }, { photo_locked: number }>(`SELECT photo_locked FROM users WHERE id = ${USER_ID_BY_ADDRESS}`),
      setPhotoLocked: db.prepare<{ locked: number; address: string }>(`UPDATE users SET photo_locked = @locked WHERE id = ${USER_ID_BY_ADDRESS}`),
      // An import that rebuilt the users triggers brings the address table up to date itself.
      rebuildAddresses: db.prepare(
        `INSERT OR IGNORE INTO user_addresses (address, user_id)
         SELECT a.value, u.id FROM users u, json_each(u.other_addresses) a WHERE u.other_addresses IS NOT NULL`,
      ),
      photos: {
        user: this.preparePhotoStatements('user'),
        contact: this.preparePhotoStatements('contact'),
      },
      // Everyone listed in the (name_key, email) index's order: a page costs its own rows plus the skipped ones.
      listDirectory: db.prepare<{ offset: number; limit: number }, DirectoryRow>(
        `${DIRECTORY_SELECT} FROM users u INDEXED BY users_by_name_key LEFT JOIN user_photos p ON p.user_id = u.id
         WHERE u.name_key IS NOT NULL ORDER BY u.name_key, u.email LIMIT @limit OFFSET @offset`,
      ),
      tiers: Object.fromEntries(
        SEARCH_TIERS.map((tier) => [tier, db.prepare<TierQuery, DirectoryRow>(tierSql(TIER_SQL[tier].from, TIER_SQL[tier].order))]),
      ) as Record<SearchTier, Database.Statement<TierQuery, DirectoryRow>>,
      // The last of the first @walk rows of the name index (read from the index alone).
      walkEnd: db.prepare<{ walk: number }, WalkEnd>(
        `SELECT max(name_key) AS endKey FROM (SELECT name_key FROM users INDEXED BY users_by_name_key WHERE name_key IS NOT NULL ORDER BY ${NAME_ORDER} LIMIT @walk)`,
      ),
      // The FTS index's matches, only as many as the choice between sorting and walking needs.
      matchedIds: db.prepare<{ match: string; cap: number }, number>('SELECT rowid FROM users_search WHERE users_search MATCH @match LIMIT @cap').pluck(),
      // A hidden manager is left out as a hidden report is: a list names no one the address book hides.
      // Each manager column read as getUser reads an address.
      managers: db.prepare<[string], RelatedRow>(
        `SELECT a.value AS manager, u.email, u.display_name FROM json_each(?) a JOIN users u ON u.id = ${userIdByAddress('a.value')} WHERE NOT u.hidden`,
      ),
      directReports: db.prepare<{ emails: string; limit: number }, RelatedRow>(
        `${namingAddresses('SELECT id, email, other_addresses FROM users WHERE email IN (SELECT value FROM json_each(@emails))')}
         SELECT manager, email, display_name, reports FROM (
           SELECT a.owner AS manager, u.email, u.display_name, u.name_key, row_number() OVER (PARTITION BY a.owner ORDER BY u.name_key, u.email) AS n,
             count(*) OVER (PARTITION BY a.owner) AS reports
           FROM naming a JOIN users u ON u.manager = a.address WHERE NOT u.hidden
         ) WHERE n <= @limit ORDER BY manager, name_key, email`,
      ),
      insertContact: db.prepare(
        `INSERT INTO contacts (id, mailbox, display_name, given_name, surname, company, department, job_title,
           email1, email2, email3, business_phone, mobile_phone, home_phone, refs, name_key, search_names,
           given_name_key, surname_key, company_key, department_key, job_title_key, created_at, updated_at)
         VALUES ((SELECT max(coalesce((SELECT max(id) FROM contacts), 0), largest) + 1 FROM contact_ids_deleted), @mailbox, @display_name, @given_name, @surname, @company, @department, @job_title,
           @email1, @email2, @email3, @business_phone, @mobile_phone, @home_phone, @refs, @name_key, @search_names,
           @given_name_key, @surname_key, @company_key, @department_key, @job_title_key, @now, @now)`,
      ),
      updateContact: db.prepare(
        `UPDATE contacts SET display_name = @display_name, given_name = @given_name, surname = @surname, company = @company,
           department = @department, job_title = @job_title, email1 = @email1, email2 = @email2, email3 = @email3,
           business_phone = @business_phone, mobile_phone = @mobile_phone, home_phone = @home_phone, refs = @refs,
           name_key = @name_key, search_names = @search_names, given_name_key = @given_name_key, surname_key = @surname_key,
           company_key = @company_key, department_key = @department_key, job_title_key = @job_title_key, updated_at = @now
         WHERE id = @id AND mailbox = @mailbox`,
      ),
      getContact: db.prepare<[number, string], ContactRow>(`${CONTACT_SELECT} WHERE c.id = ? AND c.mailbox = ?`),
      getContacts: db.prepare<[string, string], ContactRow>(`${CONTACT_SELECT} WHERE c.id IN (SELECT value FROM json_each(?)) AND c.mailbox = ? ORDER BY c.id`),
      getContactById: db.prepare<[number], ContactRow>(`${CONTACT_SELECT} WHERE c.id = ?`),
      // Counts up to a bound only: an index walk of at most that many entries, whatever the mailbox holds.
      contactsUpTo: db.prepare<[string, number], number>('SELECT count(*) FROM (SELECT 1 FROM contacts WHERE mailbox = ? LIMIT ?)').pluck(),
      listContacts: db.prepare<[string], ContactRow>(`${CONTACT_SELECT} WHERE c.mailbox = ? ORDER BY ${NAME_ORDER_SQL}`),
      removeContact: db.prepare<[number, string]>('DELETE FROM contacts WHERE id = ? AND mailbox = ?'),
      touchContact: db.prepare<[string, number]>('UPDATE contacts SET updated_at = ? WHERE id = ?'),
      getSecret: db.prepare<[string], { value: Buffer }>('SELECT value FROM secrets WHERE name = ?'),
      addSecret: db.prepare<[string, Buffer]>('INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)'),
      addDeltaState: db.prepare<[string, string, string, DeltaTokenKind]>('INSERT INTO delta_tokens (token, mailbox, state, kind) VALUES (?, ?, ?, ?)'),
      pruneDeltaStates: db.prepare<{ mailbox: string; kind: DeltaTokenKind; kept: number }>(
        `DELETE FROM delta_tokens WHERE mailbox = @mailbox AND kind = @kind AND id <= (
          SELECT id FROM delta_tokens WHERE mailbox = @mailbox AND kind = @kind ORDER BY id DESC LIMIT 1 OFFSET @kept)`,
      ),
      renewDeltaToken: db.prepare<[string, string]>('UPDATE delta_tokens SET id = (SELECT max(id) + 1 FROM delta_tokens) WHERE token = ? AND mailbox = ?'),
      getDeltaState: db.prepare<[string, string], KeptDeltaState>('SELECT state, kind FROM delta_tokens WHERE token = ? AND mailbox = ?'),
      removeMailboxDeltaStates: db.prepare<[string]>('DELETE FROM delta_tokens WHERE mailbox = ?'),
      putAccount: db.prepare(
        `INSERT INTO accounts (username, password_hash, role, created_at) VALUES (@username, @passwordHash, @role, @now)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role`,
      ),
      claimEmptyStore: db.prepare(
        `INSERT INTO accounts (username, password_hash, role, created_at)
         SELECT @username, @passwordHash, @role, @now WHERE NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM accounts)`,
      ),
      getAccount: db.prepare<[string], { username: string; password_hash: string; role: Role }>(
        'SELECT username, password_hash, role FROM accounts WHERE username = ?',
      ),
      listAccounts: db.prepare<[], { username: string; role: Role }>('SELECT username, role FROM accounts ORDER BY username'),
      removeAccount: db.prepare<[string]>('DELETE FROM accounts WHERE username = ?'),
      removeMailboxContacts: db.prepare<[string]>('DELETE FROM contacts WHERE mailbox = ?'),
      // A write that changes no row: refused as any write is where this connection may not write, else done at once.
      writeNothing: db.prepare('UPDATE secrets SET name = name WHERE false'),
    };
  }

  private preparePhotoStatements(kind: PhotoOwner['kind']) {
    const { table, column, ownerId } = PHOTO_TABLES[kind];
    return {
      get: this.db.prepare<OwnerParameters, PhotoRow>(
        `SELECT bytes, content_type, width, height, sha256, source, updated_at FROM ${table} WHERE ${column} = ${ownerId}`,
      ),
      info: this.db.prepare<OwnerParameters, StoredPhotoInfo>(
        `SELECT sha256, width, height, source, updated_at AS updatedAt FROM ${table} WHERE ${column} = ${ownerId}`,
      ),
      set: this.db.prepare(
        `INSERT INTO ${table} (${column}, bytes, content_type, width, height, sha256, source, updated_at)
         SELECT id, @bytes, @contentType, @width, @height, @sha256, @source, @updatedAt FROM (SELECT ${ownerId} AS id) WHERE id IS NOT NULL
         ON CONFLICT (${column}) DO UPDATE SET
           bytes = excluded.bytes, content_type = excluded.content_type, width = excluded.width,
           height = excluded.height, sha256 = excluded.sha256, source = excluded.source, updated_at = excluded.updated_at`,
      ),
      remove: this.db.prepare<OwnerParameters>(`DELETE FROM ${table} WHERE ${column} = ${ownerId}`),
      renew: this.db.prepare<OwnerParameters & { updatedAt: string }>(`UPDATE ${table} SET updated_at = @updatedAt WHERE ${column} = ${ownerId}`),
    };
  }

  async upsertUsers(users: readonly DirectoryUserUpdate[], photos?: ImportedPhotos): Promise<DirectoryImport> {
    const updatedAt = this.timestamp();
    const cacheSize = this.db.pragma('cache_size', { simple: true }) as number;
    if (users.length >= IMPORT_CACHE_ROWS) this.db.pragma(`cache_size = ${IMPORT_CACHE_SIZE}`);
    try {
      return await this.write(() => ({ renamed: this.writeUsers(users, photos, updatedAt) }));
    } finally {
      this.db.pragma(`cache_size = ${cacheSize}`);
    }
  }

  /** An import's users and photos, in the caller's transaction: a large one, as large as the directory or more, with its indexes rebuilt. */
  private writeUsers(updates: readonly DirectoryUserUpdate[], photos: ImportedPhotos | undefined, updatedAt: string): RenamedMailbox[] {
    const renamed = this.renameMailboxes(updates);
    // After the renames, as a renamed person keeps their fields too; an empty directory has no fields to keep.
    const users = withKeptFields(updates, this.statements.anyUser.get() ? this.storedUsers(storedUsersKeeping(updates)) : []);
    if (users.length >= REBUILD_MIN_ROWS && users.length >= this.statements.countUsers.get()!.n) {
      this.upsertRebuildingIndexes(users, updatedAt);
    } else {
      for (let first = 0; first < users.length; first += UPSERT_CHUNK) {
        const rows = JSON.stringify(users.slice(first, first + UPSERT_CHUNK).map(writtenUserValues));
        this.statements.upsertUsers.run({ rows, updatedAt });
      }
    }
    if (photos) for (const { email, photo } of photos.photos) this.writePhoto(userOwner(email), photo, photos.source, updatedAt);
    return renamed;
  }

  /** The users stored under these primary addresses, read STORED_USERS_PER_READ at a time. */
  private storedUsers(addresses: readonly string[]): UserRow[] {
    const rows: UserRow[] = [];
    for (let first = 0; first < addresses.length; first += STORED_USERS_PER_READ) {
      rows.push(...this.statements.usersByPrimaryAddress.all({ addresses: JSON.stringify(addresses.slice(first, first + STORED_USERS_PER_READ)) }));
    }
    return rows;
  }

  /** An import's renames (renamed-mailboxes.ts) of people stored under the old address and no one under the new, and their reports'. */
  private renameMailboxes(users: readonly DirectoryUser[]): RenamedMailbox[] {
    const renamed: RenamedMailbox[] = [];
    // An empty directory has no one to rename.
    const candidates = this.statements.anyUser.get() ? renameCandidates(users) : [];
    for (let first = 0; first < candidates.length; first += RENAME_CANDIDATES_PER_STATEMENT) {
      const batch = candidates.slice(first, first + RENAME_CANDIDATES_PER_STATEMENT);
      const stored = new Set(this.statements.storedAddresses.all({ addresses: JSON.stringify(batch.map((candidate) => candidate.from)) }));
      for (const candidate of batch) {
        if (!stored.has(candidate.from) || this.statements.renameUser.run(candidate).changes === 0) continue;
        this.statements.followManager.run(candidate);
        renamed.push({ from: candidate.from, to: candidate.to });
      }
    }
    return renamed;
  }

  /**
   * A large import into a smaller directory builds the users indexes and the search index
   * once, after its rows, rather than updating them row by row: a million random B-tree
   * inserts cost several times one sort. The rows are staged as they come, then land in
   * address order (a file's later row for an address still wins), which is near name order
   * for most addresses: FTS5 then meets the same words row after row and writes a fraction
   * of the segments, and each index is built from nearly sorted keys. It all happens in the
   * import's transaction, so readers see the old directory, with its indexes, until it commits.
   */
  private upsertRebuildingIndexes(users: readonly DirectoryUser[], updatedAt: string): void {
    const derived = this.statements.derivedFromUsers.all();
    for (const { type, name } of derived) this.db.exec(`DROP ${type} ${name}`);
    this.db.exec(`CREATE TEMP TABLE import_rows (${WRITTEN_USER_COLUMNS.map((field) => (field === 'email' ? 'email COLLATE NOCASE' : field)).join(', ')})`);
    const stage = this.db.prepare<[(string | null)[]]>(`INSERT INTO temp.import_rows VALUES (${WRITTEN_USER_COLUMNS.map(() => '?').join(', ')})`);
    for (const user of users) stage.run(writtenUserValues(user));
    this.db
      .prepare<[string]>(`INSERT INTO users (${UPSERT_COLUMNS}) SELECT *, ? FROM temp.import_rows WHERE true ORDER BY email, rowid ${ON_EMAIL_CONFLICT}`)
      .run(updatedAt);
    this.db.exec('DROP TABLE temp.import_rows');
    for (const { sql } of derived) this.db.exec(sql);
    this.db.exec("INSERT INTO users_search (users_search) VALUES ('rebuild')");
    this.db.exec('DELETE FROM user_addresses');
    this.statements.rebuildAddresses.run();
  }

  async getUser(email: string): Promise<DirectoryUser | undefined> {
    const row = await this.read(() => this.statements.getUser.get({ address: email }));
    return row && fromUserRow(row);
  }

  async usersByAddressPrefix(routing: RoutingType, prefix: string, limit: number, among: MailboxScope = 'addressBook'): Promise<DirectoryUser[]> {
    const statement = routing === 'smtp' ? this.statements.usersBySmtpPrefix : this.statements.usersBySipPrefix;
    const start = canonicalAddressPrefix(prefix);
    const all = among === 'allMailboxes' ? 1 : 0;
    return (await this.read(() => statement.all({ prefix: start, end: prefixEnd(start), limit, all }))).map(fromUserRow);
  }

  async pageUsers(order: UserOrder, prefix: string, from: UserPosition | undefined, limit: number, descending = false): Promise<UserPage> {
    const bounds = userPageBounds(order, prefix, from, descending);
    if (!bounds) return { users: [] };
    const statement = this.statements.userPages[order][descending ? 'descending' : 'ascending'];
    return userPageOf(await this.read(() => statement.all({ ...bounds, limit: limit + 1 })), limit);
  }

  async countUsersByPrefix(order: UserOrder, prefix: string): Promise<number> {
    if (prefix === '') return this.read(() => this.statements.countListed.get()!.n);
    const bounds = userPageBounds(order, prefix, undefined);
    if (!bounds) return 0;
    // Counted by walking the prefix's range of the index: a million people under 'u' held the event loop 250–320 ms.
    const statement = order === 'name' ? this.statements.countInNameOrder : this.statements.countInAddressOrder;
    const [count] = await this.readDirectoryAside([{ sql: statement.source, parameters: { ...bounds }, first: true }]);
    return (count as { n: number }).n;
  }

  async pageDirectReports(manager: string, after: UserPosition | undefined, limit: number): Promise<UserPage> {
    const bounds = userPageBounds('name', '', after)!;
    // A page from each address naming the manager, each read by the index, merged: at most 1 + MAX_OTHER_ADDRESSES of them.
    return mergedUserPage(
      await this.read(() =>
        this.statements.addressesNaming
          .all({ address: manager })
          .map((address) => this.statements.directReportsInNameOrder.all({ ...bounds, manager: address, limit: limit + 1 })),
      ),
      limit,
    );
  }

  async usersByDnName(name: string, limit: number): Promise<DirectoryUser[]> {
    const start = canonicalAddressPrefix(`${name}@`);
    return (await this.read(() => this.statements.usersByDnName.all({ name, start, end: prefixEnd(start), limit }))).map(fromUserRow);
  }

  async listUsers(): Promise<DirectoryUser[]> {
    return (await this.read(() => this.statements.listUsers.all())).map(fromUserRow);
  }

  async removeUser(email: string): Promise<boolean> {
    return this.write(() => this.statements.removeUser.run(email).changes > 0);
  }

  async countUsers(): Promise<number> {
    return this.read(() => this.statements.countUsers.get()?.n ?? 0);
  }

  async isPhotoLocked(email: string): Promise<boolean | undefined> {
    const row = await this.read(() => this.statements.isPhotoLocked.get({ address: email }));
    return row && row.photo_locked === 1;
  }

  async setPhotoLocked(email: string, locked: boolean): Promise<boolean> {
    return this.write(() => this.statements.setPhotoLocked.run({ locked: locked ? 1 : 0, address: email }).changes > 0);
  }

  async searchUsers(text: string, limit: number): Promise<DirectoryUser[]> {
    return (await this.searchRows(text, NAME_TIERS, 0, limit)).map(fromUserRow);
  }

  async searchDirectory(text: string, offset: number, limit: number): Promise<DirectoryEntry[]> {
    const rows = await this.searchRows(text, SEARCH_TIERS, offset, limit);
    const managers = JSON.stringify(rows.flatMap((row) => (row.manager === null ? [] : [row.manager])));
    const emails = JSON.stringify(rows.map((row) => row.email));
    const managersRead = await this.read(() => this.statements.managers.all(managers));
    // Ranks every report of every person on the page: 100 managers of 333 people each held the event loop 130–185 ms.
    const [reports] = await this.readDirectoryAside([{ sql: this.statements.directReports.source, parameters: { emails, limit: MAX_DIRECT_REPORTS } }]);
    return directoryEntries(rows, managersRead, reports as RelatedRow[]);
  }

  /** Statements over the directory whose cost grows with it, on the read thread when there is one (readAside): the directory's reads take their turns there as one mailbox's. */
  private readDirectoryAside(statements: readonly ReadStatement[]): Promise<ReadResult[]> {
    return this.readAside(DIRECTORY_READS, statements, true);
  }

  private async searchRows(text: string, tiers: readonly SearchTier[], offset: number, limit: number): Promise<DirectoryRow[]> {
    if (text.trim() === '') return this.read(() => this.statements.listDirectory.all({ offset, limit }));
    const query = peopleQuery(text);
    if (!query) return [];
    return rankedPage(tiersOf(query, tiers), offset, limit, (tier, count) =>
      tier === 'nameWords' || tier === 'otherWords'
        ? this.wordTierRows(tier, query, count)
        : this.read(() => this.statements.tiers[tier].all({ ...query, ids: '[]', limit: count })),
    );
  }

  /**
   * A word tier's first rows: its matches sorted when few people share the words, else a
   * walk of the name index's first WALK_ROWS_MAX rows, testing each; when those hold too
   * few, the walk's matches, then the first MATCHES_SORTED_MAX matches found, sorted. The
   * walk and what follows read thousands of rows, a statement too long for the event loop
   * (200 ms on a million people), so they run on the read thread (readDirectoryAside); each
   * statement here is a read of its own, begun in a turn with room.
   */
  private async wordTierRows(tier: 'nameWords' | 'otherWords', query: PeopleQuery, limit: number): Promise<DirectoryRow[]> {
    const match = ftsQuery(query.words, tier);
    const { words, ...keys } = query;
    // The other words' tier (the people search's last) is read on the thread from its start: the full-text match of
    // short word starts in every field took 150 ms on a million people. The names' (ResolveNames) is on the thread past its first match.
    const matched = async (cap: number, aside: boolean): Promise<number[]> =>
      aside
        ? ((await this.readDirectoryAside([{ sql: this.statements.matchedIds.source, parameters: { match, cap } }]))[0] as { rowid: number }[]).map(
            (row) => row.rowid,
          )
        : this.read(() => this.statements.matchedIds.all({ match, cap }));
    const sorted = async (ids: number[], count: number, aside: boolean): Promise<DirectoryRow[]> => {
      const parameters = { ...keys, ids: JSON.stringify(ids), limit: count };
      if (!aside) return this.read(() => this.statements.tiers[tier].all(parameters));
      return (await this.readDirectoryAside([{ sql: this.statements.tiers[tier].source, parameters }]))[0] as DirectoryRow[];
    };
    const first = tier === 'otherWords';
    // Few ids first: for a common word, reading 10,000 cost a surname search 3 ms more.
    const ids = await matched(SORTED_MATCHES_MAX + 1, first);
    if (ids.length === 0) return [];
    if (ids.length <= SORTED_MATCHES_MAX) return sorted(ids, limit, first);
    const needles = Object.fromEntries(wordStartNeedles(words).map((needle, i) => [`n${i}`, needle]));
    const endKey = await this.read(() => this.walkEndKey());
    const [walked] = (await this.readDirectoryAside([{ sql: walkedWordTierSql(tier, words.length), parameters: { ...keys, ...needles, endKey, limit } }])) as [
      DirectoryRow[],
    ];
    if (walked.length === limit) return walked;
    // Every match among the walked rows is in `walked`: the others sort after them all.
    const inWalk = new Set(walked.map((row) => row.email));
    const more = await sorted(await matched(MATCHES_SORTED_MAX, true), limit + walked.length, true);
    return [...walked, ...more.filter((row) => !inWalk.has(row.email))].slice(0, limit);
  }

  /**
   * The name of the name index's row WALK_ROWS_MAX, read again only once the store may have
   * changed: reading it took 2 ms, as long as a whole surname search. One older than the
   * directory bounds a walk elsewhere, but never makes a page wrong.
   */
  private walkEndKey(): string {
    const version = `${this.db.pragma('data_version', { simple: true }) as number}:${this.writes}`;
    if (this.walkEnd?.version !== version) this.walkEnd = { version, key: this.statements.walkEnd.get({ walk: WALK_ROWS_MAX })!.endKey };
    return this.walkEnd.key;
  }

  async addContacts(mailbox: string, contacts: readonly NewContact[]): Promise<number[]> {
    const now = this.timestamp();
    return this.write(() => contacts.map((contact) => this.insertContact(mailbox, contact, now)));
  }

  private insertContact(mailbox: string, contact: NewContact, now: string): number {
    const id = Number(this.statements.insertContact.run({ ...contactParams(mailbox, contact), now }).lastInsertRowid);
    if (contact.photo) this.writePhoto(contactOwner(id), contact.photo, 'import', now);
    return id;
  }

  async getContact(mailbox: string, id: number): Promise<Contact | undefined> {
    const row = await this.read(() => this.statements.getContact.get(id, mailbox));
    return row && fromContactRow(row);
  }

  async getContacts(mailbox: string, ids: readonly number[]): Promise<Contact[]> {
    return (await this.read(() => this.statements.getContacts.all(JSON.stringify(ids), mailbox))).map(fromContactRow);
  }

  async getContactById(id: number): Promise<Contact | undefined> {
    const row = await this.read(() => this.statements.getContactById.get(id));
    return row && fromContactRow(row);
  }

  async listContacts(mailbox: string): Promise<Contact[]> {
    return (await this.read(() => this.statements.listContacts.all(mailbox))).map(fromContactRow);
  }

  async listContactVersions(mailbox: string): Promise<ContactVersion[]> {
    return readContactVersions(async (after, limit) => {
      // A chunk after the first follows a full one: a mailbox past the threshold, not counted again.
      const [rows] = await this.readAside(mailbox, [{ sql: CONTACT_VERSIONS_AFTER_SQL, parameters: { mailbox, after, limit } }], after > 0);
      return rows as VersionRow[];
    });
  }

  async pageContacts(mailbox: string, match: ContactMatch | undefined, offset: number, limit: number, order = BY_DISPLAY_NAME): Promise<ContactPage> {
    const parameters: ContactPageParameters = { mailbox, offset, limit };
    let tests = 0;
    const where = `c.mailbox = @mailbox AND ${contactMatchSql(match, ({ kind, value, column }) => {
      const name = `test${tests++}`;
      parameters[name] = value;
      return CONTACT_TESTS[kind](`@${name}`, column);
    })}`;
    const [count, page] = await this.readAside(mailbox, [
      { sql: `SELECT count(*) AS n FROM contacts c WHERE ${where}`, parameters, first: true },
      { sql: `${CONTACT_SELECT} WHERE ${where} ORDER BY ${contactOrderSql(order)} LIMIT @limit OFFSET @offset`, parameters },
    ]);
    return { total: (count as { n: number }).n, contacts: (page as ContactRow[]).map(fromContactRow) };
  }

  /**
   * Statements that may read every contact of a mailbox, in one read: here for a mailbox of up
   * to CONTACTS_READ_HERE contacts (or a store without a read thread), else on the read thread.
   */
  private async readAside(mailbox: string, statements: readonly ReadStatement[], knownLarge = false): Promise<ReadResult[]> {
    const readHere = () =>
      statements.map(({ sql, parameters, first }) => (first ? this.preparedBySql(sql).get(parameters) : this.preparedBySql(sql).all(parameters)));
    const here = await this.read(() =>
      !this.readThread || (!knownLarge && this.statements.contactsUpTo.get(mailbox, CONTACTS_READ_HERE + 1)! <= CONTACTS_READ_HERE) ? readHere() : undefined,
    );
    if (here) return here;
    const thread = this.readThread;
    // Stopped since: read here, as a store without one does.
    if (!thread) return this.read(readHere);
    try {
      return await thread.read(mailbox, statements);
    } catch (error) {
      throw error instanceof ReadThreadError && isBusyCode(error.code) ? BridgeError.storeBusy(this.busyTimeoutMs) : this.schemaProblemBehind(error);
    }
  }

  private preparedBySql(sql: string): Database.Statement<ContactPageParameters> {
    let statement = this.preparedAside.get(sql);
    if (!statement) {
      statement = this.db.prepare<ContactPageParameters>(sql);
      this.preparedAside.set(sql, statement);
    }
    return statement;
  }

  async searchContacts(mailbox: string, prefix: string, limit: number): Promise<Contact[]> {
    const { folded, words } = contactQuery(prefix);
    const parameters = { mailbox, pattern: prefixPattern(prefix), addressPattern: addressPrefixPattern(prefix), folded, words: JSON.stringify(words), limit };
    const [rows] = await this.readAside(mailbox, [{ sql: SEARCH_CONTACTS_SQL, parameters }]);
    return (rows as ContactRow[]).map(fromContactRow);
  }

  async removeContact(mailbox: string, id: number): Promise<boolean> {
    return this.write(() => this.statements.removeContact.run(id, mailbox).changes > 0);
  }

  async getPhoto(owner: PhotoOwner): Promise<StoredPhoto | undefined> {
    const row = await this.read(() => this.statements.photos[owner.kind].get.get(ownerParameters(owner)));
    return (
      row && {
        bytes: row.bytes,
        contentType: row.content_type,
        width: row.width,
        height: row.height,
        sha256: row.sha256,
        source: row.source,
        updatedAt: row.updated_at,
      }
    );
  }

  async getPhotoInfo(owner: PhotoOwner): Promise<StoredPhotoInfo | undefined> {
    return this.read(() => this.statements.photos[owner.kind].info.get(ownerParameters(owner)));
  }

  async setPhoto(owner: PhotoOwner, photo: NormalizedPhoto, source: string, unlessLocked = false, requires?: PhotoPrecondition): Promise<boolean> {
    return this.write(() => {
      if (unlessLocked && owner.kind === 'user' && this.statements.isPhotoLocked.get({ address: owner.email })?.photo_locked) return false;
      requires?.(this.statements.photos[owner.kind].info.get(ownerParameters(owner)));
      return this.writePhoto(owner, photo, source, this.timestamp());
    });
  }

  /** A contact's photo is part of the item: changing it changes the item (and its ChangeKey). */
  private writePhoto(owner: PhotoOwner, photo: NormalizedPhoto, source: string, updatedAt: string): boolean {
    const { bytes, contentType, width, height, sha256 } = photo;
    const written =
      this.statements.photos[owner.kind].set.run({ ...ownerParameters(owner), bytes, contentType, width, height, sha256, source, updatedAt }).changes > 0;
    if (written && owner.kind === 'contact') this.statements.touchContact.run(updatedAt, owner.id);
    return written;
  }

  async removePhoto(owner: PhotoOwner, requires?: PhotoPrecondition): Promise<boolean> {
    return this.write(() => {
      requires?.(this.statements.photos[owner.kind].info.get(ownerParameters(owner)));
      return this.deletePhoto(owner);
    });
  }

  private deletePhoto(owner: PhotoOwner): boolean {
    const removed = this.statements.photos[owner.kind].remove.run(ownerParameters(owner)).changes > 0;
    if (removed && owner.kind === 'contact') this.statements.touchContact.run(this.timestamp(), owner.id);
    return removed;
  }

  async recordFetchedPhoto(owner: PhotoOwner, fetched: FetchedPhoto | null, read: PhotoVersion | undefined): Promise<boolean> {
    // A write transaction takes the lock first (BEGIN IMMEDIATE): nothing lands between the look and the write.
    return this.write(() => {
      const statements = this.statements.photos[owner.kind];
      const step = fetchedPhotoStep(statements.info.get(ownerParameters(owner)), fetched, read);
      switch (step.kind) {
        case 'stale':
          return false;
        case 'none':
          return true;
        case 'remove':
          return this.deletePhoto(owner);
        case 'renew':
          return statements.renew.run({ ...ownerParameters(owner), updatedAt: this.timestamp() }).changes > 0;
        case 'write':
          return this.writePhoto(owner, step.fetched.photo, step.fetched.source, this.timestamp());
      }
    });
  }

  async putAccount(username: string, passwordHash: string, role: Role): Promise<void> {
    await this.write(() => this.statements.putAccount.run({ username, passwordHash, role, now: this.timestamp() }));
  }

  async seedEmptyStore({ account, users, photos, contacts }: StoreSeed): Promise<boolean> {
    const now = this.timestamp();
    // A write takes SQLite's one write lock first (BEGIN IMMEDIATE): the look and the seed are one step.
    return this.write(() => {
      const { username, passwordHash, role } = account;
      if (this.statements.claimEmptyStore.run({ username, passwordHash, role, now }).changes !== 1) return false;
      this.writeUsers(users, photos, now);
      for (const contact of contacts) this.insertContact(username, contact, now);
      return true;
    });
  }

  async getAccount(username: string): Promise<Account | undefined> {
    const row = await this.read(() => this.statements.getAccount.get(username));
    return row && { username: row.username, passwordHash: row.password_hash, role: row.role };
  }

  async listAccounts(): Promise<Omit<Account, 'passwordHash'>[]> {
    return this.read(() => this.statements.listAccounts.all());
  }

  async removeAccount(username: string): Promise<boolean> {
    return this.write(() => {
      const removed = this.statements.removeAccount.run(username).changes > 0;
      // Their photos go with them (ON DELETE CASCADE).
      if (removed) {
        this.statements.removeMailboxContacts.run(username);
        this.statements.removeMailboxDeltaStates.run(username);
      }
      return removed;
    });
  }

  async saveDeltaState(mailbox: string, state: string, kind: DeltaTokenKind): Promise<string> {
    const token = newDeltaToken();
    await this.write(() => {
      this.statements.addDeltaState.run(token, mailbox, state, kind);
      this.statements.pruneDeltaStates.run({ mailbox, kind, kept: DELTA_TOKENS_PER_MAILBOX[kind] });
    });
    return token;
  }

  async renewDeltaToken(mailbox: string, token: string): Promise<void> {
    await this.write(() => this.statements.renewDeltaToken.run(token, mailbox));
  }

  async deltaState(mailbox: string, token: string): Promise<KeptDeltaState | undefined> {
    return this.read(() => this.statements.getDeltaState.get(token, mailbox));
  }

  async secret(name: string, bytes: number): Promise<Buffer> {
    // INSERT OR IGNORE: when two processes race on first use, both end up with the first one's value.
    return this.write(() => {
      this.statements.addSecret.run(name, randomBytes(bytes));
      return this.statements.getSecret.get(name)!.value;
    });
  }

  /** The change poll (change-watcher.ts) looks at the file too, so a file replaced under the server is seen within a tick. */
  async changeCounter(): Promise<number> {
    this.lookForReplacedFile();
    this.lookForChangedSchema();
    return this.read(() => this.db.pragma('data_version', { simple: true }) as number);
  }

  onReadThreadFailure(listener: (error: Error, restartInMs: number) => void): void {
    this.readThreadFailureListener = listener;
  }

  readThreadFailureCount(): number {
    return this.readThreadFailures;
  }

  /**
   * A thread that stops on its own is started again after a wait, doubling for each that stopped
   * within a minute of its start (a file it cannot open), so that a fault of a moment does not
   * leave large mailboxes on the event loop until the bridge restarts. Meanwhile they are read here.
   */
  private startReadThread(path: string, failuresInARow: number): void {
    const started = performance.now();
    this.readThread = new SqliteReadThread(path, this.busyTimeoutMs, (error) => {
      this.readThread = undefined;
      this.readThreadFailures++;
      const inARow = performance.now() - started < READ_THREAD_STEADY_MS ? failuresInARow + 1 : 1;
      const restartInMs = Math.min(READ_THREAD_RESTART_MAX_MS, READ_THREAD_RESTART_MS * 2 ** (inARow - 1));
      this.readThreadFailureListener?.(error, restartInMs);
      this.readThreadRestart = setTimeout(() => this.startReadThread(path, inARow), restartInMs).unref();
    });
  }

  onFileReplaced(listener: (path: string, how: FileChange) => void): void {
    this.fileReplacedListener = listener;
  }

  /**
   * A file renamed over the store's path, or its deletion, goes unnoticed by SQLite in WAL
   * mode: this connection goes on writing the unlinked file, and every commit is lost at the
   * next start. https://www.sqlite.org/rescode.html names the check SQLite makes
   * (SQLITE_READONLY_DBMOVED: "the database file has been moved since it was opened, and so
   * any attempt to modify the database might result in database corruption if the processes
   * crashes because the rollback journal would not be correctly named"), which only a rollback
   * journal's writes make: a WAL connection's commits are still taken. See also
   * https://www.sqlite.org/howtocorrupt.html, "Unlinking or renaming a database file while in use".
   */
  private lookForReplacedFile(): void {
    if (!this.opened || this.fileReplaced) return;
    const now = statSync(this.opened.path, { bigint: true, throwIfNoEntry: false });
    if (now && now.dev === this.opened.dev && now.ino === this.opened.ino) return;
    const how = now ? 'replaced' : 'removed';
    this.fileReplaced = BridgeError.storeFileReplaced(how);
    this.fileReplacedListener?.(this.opened.path, how);
  }

  /**
   * What keeps the file's schema from being the one this connection migrated it to: a newer
   * bridge's migrations (a rolling upgrade), or an older version put back in place (`restore`
   * is refused while the store is open, but a server may open it in the instant before the
   * copy, and a copy by hand is not refused at all). SQLite re-prepares a statement whose
   * tables changed, and one naming a column the restored tables lack fails ("no such column"):
   * an older version is held from then on, as the file will not migrate under this connection.
   */
  private lookForChangedSchema(): BridgeError | undefined {
    if (this.schemaChanged || !this.db.open) return this.schemaChanged;
    const found = this.db.pragma('user_version', { simple: true }) as number;
    const problem = schemaNotThisBridges(found);
    if (found >= MIGRATIONS.length) {
      // Told once per version found, not per request: every request that needs the store fails alike meanwhile.
      if (problem && this.opened && found !== this.toldNewerVersion) this.fileReplacedListener?.(this.opened.path, 'upgraded');
      this.toldNewerVersion = problem ? found : undefined;
      return problem;
    }
    this.schemaChanged = problem;
    if (this.opened) this.fileReplacedListener?.(this.opened.path, 'restored');
    return this.schemaChanged;
  }

  /** A statement that failed for a schema changed under it fails as the change: 503 saying what to do, not a 500 with SQLite's words. */
  private schemaProblemBehind(error: unknown): unknown {
    if (!(error instanceof Database.SqliteError || error instanceof ReadThreadError) || isBusyCode(error.code)) return error;
    return this.lookForChangedSchema() ?? error;
  }

  /**
   * Answers, and takes writes, as the PostgreSQL store's ping asks: a connection that opened
   * a file it may not write goes on reading, but would fail every upload and refresh.
   */
  ping(): Promise<void> {
    return new Promise((resolve) => {
      if (this.fileReplaced) throw this.fileReplaced;
      const changed = this.lookForChangedSchema();
      if (changed) throw changed;
      try {
        this.statements.writeNothing.run();
      } catch (error) {
        // Another connection holds the write lock: the database takes writes, only not this instant.
        if (!isBusy(error)) throw fromSqliteError(error, this.busyTimeoutMs);
      }
      resolve();
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.readThreadRestart);
    await this.readThread?.stop();
    await this.checkpointer?.stop();
    if (!this.db.open) return;
    // A file swapped since the last poll leaves the same WAL behind.
    this.lookForReplacedFile();
    try {
      if (this.fileReplaced) this.removeOldWalFiles();
    } finally {
      this.db.close();
    }
  }

  /**
   * SQLite's close neither checkpoints nor removes the WAL of a file moved since it was opened
   * (databaseIsUnmoved in its pager.c), so the old file's WAL and shared memory would stay at
   * the path beside the new file, and the next start would read the old file's pages into it:
   * https://www.sqlite.org/howtocorrupt.html, "Mispairing database files and hot journals".
   * Only the files this connection opened are removed, while it still holds them open (so no
   * new file can have been given their inode numbers): a process that opened the new file after
   * they were gone made others. The WAL goes first, as it is the one whose pages would be read.
   */
  private removeOldWalFiles(): void {
    for (const file of this.openedBeside ?? []) {
      const now = statSync(file.path, { bigint: true, throwIfNoEntry: false });
      if (now && now.dev === file.dev && now.ino === file.ino) rmSync(file.path, { force: true });
    }
  }

  async saveContacts(mailbox: string, replaced: readonly ReplacedContact[], added: readonly NewContact[]): Promise<number[]> {
    const now = this.timestamp();
    return this.write(() => {
      for (const { id, contact, keepPhoto } of replaced) {
        if (this.statements.updateContact.run({ ...contactParams(mailbox, contact), id, now }).changes === 0)
          throw new Error(`contact ${id} is no longer in ${mailbox}`);
        if (keepPhoto) continue;
        if (contact.photo) this.writePhoto(contactOwner(id), contact.photo, 'import', now);
        else this.statements.photos.contact.remove.run({ id });
      }
      return added.map((contact) => this.insertContact(mailbox, contact, now));
    });
  }
}

function contactParams(mailbox: string, contact: NewContact) {
  return {
    mailbox,
    ...contactTextColumns(contact),
    ...contactAddressColumns(contact.emailAddresses),
    refs: JSON.stringify(contact.refs),
    ...contactSearchColumnsOf(contact),
    ...contactNameKeysOf(contact),
  };
}

/** How the photo statements name an owner: a user by an address of theirs, a contact by id (the one its statements read). */
interface OwnerParameters {
  address?: string;
  id?: number;
}

function ownerParameters(owner: PhotoOwner): OwnerParameters {
  return owner.kind === 'user' ? { address: owner.email } : { id: owner.id };
}
