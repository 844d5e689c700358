import { DELTA_TOKENS_PER_MAILBOX, newDeltaToken, type DeltaTokenKind, type KeptDeltaState } from './delta-tokens.js';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { SETTINGS } from '../config.js';
import type { Account, Role } from '../domain/account.js';
import type { Contact } from '../domain/contact.js';
import type { DirectoryUser, DirectoryUserUpdate } from '../domain/directory.js';
import type { NormalizedPhoto, PhotoFingerprint, StoredPhoto, StoredPhotoInfo } from '../domain/photo.js';
import { contactOwner, userOwner, type PhotoOwner } from '../domain/photo-owner.js';
import { BridgeError, ShuttingDownError, StoreUnreachableError } from '../domain/errors.js';
import type { ChangeFeed, ServerStoreEvents } from './change-watcher.js';
import { BY_DISPLAY_NAME, contactOrderSql, NAME_ORDER_SQL } from './contact-order.js';
import { addressPrefixPattern, contactMatchSql, COMPARISON_TESTS, prefixPattern, type ContactTestParameters } from './like-patterns.js';
import { CHANGES_CHANNEL, PostgresChanges } from './postgres-changes.js';
import { bulkLoad, copyText, CopyTextBytes } from './postgres-bulk-load.js';
import { fromPostgresError, connectionUnanswered, lacksSchemaObject, readOnlyError } from './postgres-errors.js';
import { driverUrl } from './database-url.js';
import { keysQuery, queryKeys, searchKeys } from './postgres-search-keys.js';
import { LISTED_WORD_PAIRS_SQL, LISTED_WORDS_MAX, LISTED_WORDS_SQL, listedWord, NAME_WORD_COLUMNS, nameWordRows } from './postgres-name-words.js';
import {
  CachedSearchStatistics,
  COLUMN_STATISTICS_SQL,
  estimatedMatches,
  type ColumnStatisticsRow,
  type SearchStatistics,
} from './postgres-search-statistics.js';
import { MIGRATION_LOCK_KEY, migratePostgres } from './postgres-schema.js';
import { schemaNotThisBridges, type SchemaUpgrade, type UpgradeStarting } from './migrations.js';
import { canonicalAddressPrefix } from '../domain/email.js';
import { asciiLower } from '../domain/plain-text.js';
import { userPageBounds, userPageOf, type UserPageBounds } from './user-pages.js';
import { renameCandidates, RENAME_CANDIDATES_PER_STATEMENT, sharesAName, type DirectoryImport, type RenamedMailbox } from './renamed-mailboxes.js';
import {
  contactNameKeysOf,
  contactSearchColumnsOf,
  contactQuery,
  NAME_TIERS,
  peopleQuery,
  rankedPage,
  SEARCH_TIERS,
  SORTED_MATCHES_MAX,
  MATCHES_SORTED_MAX,
  prefixEnd,
  tiersOf,
  wordStartNeedles,
  wordTierMatchSql,
  type PeopleQuery,
  type SearchTier,
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
  CONTACT_TEXT_COLUMNS,
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

interface PostgresStoreOptions {
  /** How long one call may wait for a pooled connection or a row lock before it fails with ErrorServerBusy. */
  busyTimeoutMs?: number;
  /** Connections this process keeps, at most. */
  poolSize?: number;
  /**
   * How long one statement may go unanswered before it fails with ErrorServerBusy and its
   * connection is dropped; none when undefined (a command's import may build indexes for minutes).
   */
  queryTimeoutMs?: number;
  /** How often the connection that hears other processes' commits makes sure it is still answered. */
  changeFeedCheckMs?: number;
  upgradeStarting?: UpgradeStarting;
  /** The wall clock rows are stamped with (ms since the epoch): Date.now, or a test's. */
  now?: () => number;
}

/** Rows per INSERT of a bulk write: one round trip each, well below PostgreSQL's 65,535 parameters (arrays count as one). */
const BATCH_ROWS = 1000;
/** The fewest rows an import into an empty directory needs to load by COPY and build the indexes after (postgres-bulk-load.ts). */
const BULK_LOAD_MIN_ROWS = 10_000;

const USER_SELECT = `SELECT ${USER_FIELD_COLUMNS.map((f) => `u.${f}`).join(', ')}, u.refs::text AS refs, u.other_addresses::text AS other_addresses, u.hidden FROM users u`;
/** What a write of a user stores here: what both stores store, then its word-start keys. */
const USER_WRITE_COLUMNS = [...WRITTEN_USER_COLUMNS, 'search_keys'] as const;
const SEARCH_NAMES = WRITTEN_USER_COLUMNS.indexOf('search_names');
const SEARCH_OTHER = WRITTEN_USER_COLUMNS.indexOf('search_other');
const NAME_KEY = WRITTEN_USER_COLUMNS.indexOf('name_key');
const EMAIL = WRITTEN_USER_COLUMNS.indexOf('email');

/** A user's values in the order of USER_WRITE_COLUMNS. */
function userWriteValues(user: DirectoryUser): (string | null)[] {
  const values = writtenUserValues(user);
  values.push(searchKeys(values[SEARCH_NAMES] ?? null, values[SEARCH_OTHER] ?? null));
  return values;
}

/** How an upsert's text values become the columns' own types. */
const WRITE_CASTS: Partial<Record<(typeof USER_WRITE_COLUMNS)[number], string>> = {
  refs: 'jsonb',
  other_addresses: 'jsonb',
  search_keys: 'tsvector',
  hidden: 'boolean',
};

/** An upsert of a batch of users, each column a text array (unnest reads them back row by row), then updated_at. */
const UPSERT_USERS = `INSERT INTO users (${USER_WRITE_COLUMNS.join(', ')}, updated_at)
  SELECT ${USER_WRITE_COLUMNS.map((column) => (WRITE_CASTS[column] ? `${column}::${WRITE_CASTS[column]}` : column)).join(', ')}, $${USER_WRITE_COLUMNS.length + 1}
  FROM unnest(${USER_WRITE_COLUMNS.map((_, n) => `$${n + 1}::text[]`).join(', ')}) AS t(${USER_WRITE_COLUMNS.join(', ')})
  ON CONFLICT (lower(email)) DO UPDATE SET ${[...USER_WRITE_COLUMNS.filter((column) => column !== 'email'), 'updated_at']
    .map((column) => `${column} = excluded.${column}`)
    .join(', ')}`;
/** USER_SELECT with the folded display name, where a page in name order ends. */
const USER_SELECT_KEYED = USER_SELECT.replace(' FROM users u', ', u.name_key FROM users u');
const DIRECTORY_SELECT = `SELECT ${USER_FIELD_COLUMNS.map((f) => `u.${f}`).join(', ')}, u.refs::text AS refs, p.sha256 AS photo_sha256`;

/**
 * A page of users in each order, either way (user-pages.ts): its SQL, by the expression of
 * the order's index — (name_key, lower(email)), lower(email) — read backwards descending, and
 * its parameters but the limit, which is last.
 */
const USER_PAGES: Record<UserOrder, Record<'ascending' | 'descending', (bounds: UserPageBounds) => [string, string[]]>> = {
  name: {
    ascending: ({ fromKey, fromEmail, end }) => [
      `${USER_SELECT_KEYED} WHERE (u.name_key, lower(u.email)) > ($1, $2) AND u.name_key < $3 ORDER BY u.name_key, lower(u.email) LIMIT $4`,
      [fromKey, fromEmail, end],
    ],
    descending: ({ fromKey, fromEmail, start }) => [
      `${USER_SELECT_KEYED} WHERE (u.name_key, lower(u.email)) < ($1, $2) AND u.name_key >= $3 ORDER BY u.name_key DESC, lower(u.email) DESC LIMIT $4`,
      [fromKey, fromEmail, start],
    ],
  },
  address: {
    ascending: ({ start, end, fromEmail }) => [
      `${USER_SELECT_KEYED} WHERE lower(u.email) >= $1 AND lower(u.email) < $2 AND lower(u.email) > $3 AND NOT u.hidden ORDER BY lower(u.email) LIMIT $4`,
      [start, end, fromEmail],
    ],
    // One upper bound: the position, or the range's end (userPageBounds).
    descending: ({ start, fromEmail }) => [
      `${USER_SELECT_KEYED} WHERE lower(u.email) >= $1 AND lower(u.email) < $2 AND NOT u.hidden ORDER BY lower(u.email) DESC LIMIT $3`,
      [start, fromEmail],
    ],
  },
};

/** "Starts with" over an index: the folded display name; the address, lower() as the unique index. */
const NAME_PREFIX = 'u.name_key >= :key AND u.name_key < :keyEnd';
const ADDRESS_PREFIX = 'lower(u.email) >= :address AND lower(u.email) < :addressEnd';
const NOT_EARLIER = `NOT (${NAME_PREFIX}) AND NOT (${ADDRESS_PREFIX})`;
const NAME_ORDER = 'u.name_key, lower(u.email)';

/** The address tier of the people search (search-text.ts), those of the name tier left out. */
const ADDRESS_TIER = `users u WHERE ${ADDRESS_PREFIX} AND NOT (${NAME_PREFIX}) AND NOT u.hidden`;

type WordTier = 'nameWords' | 'otherWords';

/**
 * What narrows a word tier through the GIN index. Query words are looked up by their
 * first letters among the word-start keys (postgres-search-keys.ts): one list a key,
 * intersected in the index, where a tsvector prefix search ('mar':*) merges the list of
 * every word starting so — tens of milliseconds at a million people. In the names
 * (:starts), every word starts a word of the names; in the other fields (:anyStarts),
 * every word starts a word of the names or of the other fields. The row test decides the
 * rest: every word to its full length, and in the other fields that some word is outside
 * the names.
 */
function indexedWordTier(tier: WordTier): string {
  return tier === 'otherWords' ? 'u.search_keys @@ :anyStarts::tsquery' : 'u.search_keys @@ :starts::tsquery';
}

/** Whether a row is in a word tier, decided on the row itself (earlier tiers left out). */
function wordTierTest(tier: WordTier, wordCount: number): string {
  // strpos rather than LIKE ALL: the planner guesses a LIKE pattern rare and would sort
  // every row, where it guesses a comparison common and walks the name index.
  return `${wordTierMatchSql(tier, wordCount, { position: 'strpos', parameter: ':' })} AND ${NOT_EARLIER}`;
}

/**
 * The search's tiers as this store reads them: the two prefix tiers in one statement, then
 * each word tier in its own. Each statement costs a round trip and a plan, ~0.5 ms, a
 * fifth of a search that no prefix answers; the prefix tiers' plans hardly depend on the
 * text, so that statement is also prepared once per connection.
 */
type Step = 'prefixes' | WordTier;

function stepsOf(tiers: readonly SearchTier[]): Step[] {
  const [first, second, ...rest] = tiers;
  if (first !== 'namePrefix' || second !== 'addressPrefix') throw new Error('a people search begins with its two prefix tiers');
  return ['prefixes', ...rest.filter((tier): tier is WordTier => tier === 'nameWords' || tier === 'otherWords')];
}

/** A query, its tsqueries and its needles. */
type TierValues = PeopleQuery & { nameKeys: string[][]; anyKeys: string[][]; starts: string; anyStarts: string } & Record<`n${number}`, string>;

function tierValues(query: PeopleQuery): TierValues {
  const nameKeys = queryKeys(query.words, 'names');
  const anyKeys = queryKeys(query.words, 'namesOrOther');
  return {
    ...query,
    nameKeys,
    anyKeys,
    starts: keysQuery(nameKeys),
    anyStarts: keysQuery(anyKeys),
    ...Object.fromEntries(wordStartNeedles(query.words).map((needle, i) => [`n${i}`, needle])),
  };
}

/** A tier's first rows, with their photos: joined to the rows the tier picked, not to every match. */
function tierSql(from: string, order: string): string {
  return `${DIRECTORY_SELECT} FROM (SELECT u.* FROM ${from} ORDER BY ${order} LIMIT :limit) u
    LEFT JOIN user_photos p ON p.user_id = u.id ORDER BY ${order}`;
}

/**
 * A word tier's first rows, picked from `filtered` (rows with id, name_key, email, search_names
 * and search_other) and only then read in full by id: a walk of the name index, which carries
 * those columns, tests rows without reading them from the table.
 */
function pickedPageSql(filtered: string, select = DIRECTORY_SELECT): string {
  return `${select} FROM (SELECT u.id, u.name_key, lower(u.email) AS address FROM ${filtered} ORDER BY ${NAME_ORDER} LIMIT :limit) page
    JOIN users u ON u.id = page.id LEFT JOIN user_photos p ON p.user_id = u.id ORDER BY page.name_key, page.address`;
}

/**
 * The names tier's first rows from the name word lists: each listed word's list (:listed)
 * in name order, tested on the names it carries, less the people whose display name
 * starts with the query word (:first), who come from the name index when the query has
 * other words (a query of one word has them in the prefix tier). A person on two lists
 * is one row; a list's first :limit rows hold all of its people the page can need.
 *
 * Rows are tested for the other words only (:o0, :o1…, their wordStartNeedles): every list
 * is of a word the listed word starts, and every name index row read has a display name
 * it starts. A full name walks thousands of rows, and the test is most of a row's cost.
 *
 * No row of the page sorts after the :limit-th match of any one list, so the first list's
 * (the shortest word: the query word itself when it is one, before its joined forms) bounds
 * the others' reads. A surname starts a joined word of each double surname it is in, lists
 * of a few dozen rows that were read to their end and merged: "hansen" read 2,481 rows of
 * 105 lists for its page, 2.6 ms.
 *
 * Split, for two words neither of which starts the other (tierWords): a person has each
 * as the first word of their display name or on a list of it, never both as the first
 * word, so the matches are the people on :listed's lists whose display name starts with
 * :second (a range of each list), those on :secondListed's lists whose display name starts
 * with :first (tested for :s0, :s1…: all words but :second), and those on lists of both,
 * read from :listed's, the fewer (a given name is the first word of most display names and
 * on few lists). "sato yuki" walked the Yukis in the name index for the few named Sato,
 * 3.6 ms at the bench's million people; it now reads the Yukis of 105 "sato" lists, 0.9.
 */
function listedPageSql(wordCount: number, split: boolean, byFirstWordToo: boolean): string {
  const test = (names: string, needles: string) =>
    ['true', ...Array.from({ length: wordCount - 1 }, (_, i) => `strpos(${names}, :${needles}${i}) > 0`)].join(' AND ');
  const notEarlier = (nameKey: string, address: string) =>
    `NOT (${nameKey} >= :key AND ${nameKey} < :keyEnd) AND NOT (${address} >= :address AND ${address} < :addressEnd)`;
  const listRows = (word: string, where: string, needles: string) => `SELECT s.name_key, s.address FROM user_name_words s
      WHERE s.word = ${word} AND ${where} AND ${test('s.names', needles)} AND ${notEarlier('s.name_key', 's.address')}
      ORDER BY s.name_key, s.address LIMIT :limit`;
  const eachList = (words: string, where: string, needles: string) =>
    `SELECT s.name_key, s.address FROM unnest(${words}) AS l(word) CROSS JOIN LATERAL (${listRows('l.word', where, needles)}) s`;
  // A list's :limit-th row's key, or U+10FFFF (prefixEnd: after every name key) when it has fewer.
  const lastKey = (list: string) => `(SELECT CASE WHEN count(*) < :limit THEN chr(1114111) ELSE max(name_key) END FROM ${list})`;
  const bounded = 's.name_key <= (SELECT key FROM bound)';
  const inRange = (start: string) => `s.name_key >= :${start} AND s.name_key < :${start}End`;
  if (split) {
    const head = `WITH first_list AS MATERIALIZED (${listRows('(:listed::text[])[1]', inRange('second'), 'o')}),
      second_list AS MATERIALIZED (${listRows('(:secondListed::text[])[1]', inRange('first'), 's')}),
      bound AS MATERIALIZED (SELECT least(${lastKey('first_list')}, ${lastKey('second_list')}) AS key)`;
    const found = [
      'SELECT name_key, address FROM first_list',
      'SELECT name_key, address FROM second_list',
      eachList('(:listed::text[])[2:]', `${inRange('second')} AND ${bounded}`, 'o'),
      eachList('(:secondListed::text[])[2:]', `${inRange('first')} AND ${bounded}`, 's'),
      eachList(':listed::text[]', bounded, 'o'),
    ].join(' UNION ALL ');
    return pageOfSql(head, found);
  }
  const head = `WITH first_list AS MATERIALIZED (${listRows('(:listed::text[])[1]', NOT_FIRST, 'o')}),
    bound AS MATERIALIZED (SELECT ${lastKey('first_list')} AS key)`;
  const lists = `SELECT name_key, address FROM first_list UNION ALL ${eachList('(:listed::text[])[2:]', `${NOT_FIRST} AND ${bounded}`, 'o')}`;
  const byFirstWord = `SELECT u.name_key, lower(u.email) FROM users u
      WHERE u.name_key >= :first AND u.name_key < :firstEnd AND u.name_key <= (SELECT key FROM bound) AND ${test("' ' || u.search_names", 'o')}
        AND ${notEarlier('u.name_key', 'lower(u.email)')}
      ORDER BY ${NAME_ORDER} LIMIT :limit`;
  return pageOfSql(head, byFirstWordToo ? `${lists} UNION ALL (${byFirstWord})` : lists);
}

const NOT_FIRST = 'NOT (s.name_key >= :first AND s.name_key < :firstEnd)';

/** The first :limit people `found` (rows of name_key and address, a person perhaps more than once), in name order. */
function pageOfSql(head: string, found: string): string {
  return `${head} ${DIRECTORY_SELECT} FROM (SELECT DISTINCT f.name_key, f.address FROM (${found}) AS f(name_key, address) ORDER BY f.name_key, f.address LIMIT :limit) page
    JOIN users u ON lower(u.email) = page.address LEFT JOIN user_photos p ON p.user_id = u.id ORDER BY page.name_key, page.address`;
}

/**
 * The most rows of the name index a word tier walks on the planner's word that its words
 * are common: enough for a page of 101 when one person in 500 matches. The guess is by the
 * words' first four letters, so a longer word can be far rarer than it ("marketing" is
 * guessed as common as "markus"); past this many rows the tier counts its matches instead.
 */
const WALK_ROWS_MAX = 50_000;

/**
 * Both prefix tiers' first rows, the name tier's first. The name tier's are picked from
 * the name index alone: the planner, guessing a prefix of a name rare, would otherwise
 * read and sort all who have it. PostgreSQL's Append reads its inputs in order and LIMIT
 * stops it, so the address tier runs only when the name tier leaves room, as a separate
 * statement would.
 */
const PREFIX_TIERS_SQL = `(${pickedPageSql(`users u WHERE ${NAME_PREFIX}`)}) UNION ALL (${tierSql(ADDRESS_TIER, 'lower(u.email)')}) LIMIT :limit`;

/** The most words a query word may start for the names tier to read its lists to their ends beside another word's. */
const SPLIT_LISTED_MAX = 16;

/** The most query words whose listed page is a prepared statement: people type a name or two. */
const PREPARED_WORDS_MAX = 4;

/** The columns of a users row a word tier tests, all in the name index. */
const WALKED_COLUMNS = 'u.id, u.name_key, u.email, u.search_names, u.search_other';

/** `words` less one occurrence of `word` (a query may repeat a word: each must start a word of the names). */
function withoutFirst(words: readonly string[], word: string): string[] {
  const at = words.indexOf(word);
  return [...words.slice(0, at), ...words.slice(at + 1)];
}

/** SQL with `:name` placeholders as node-postgres takes it: $1… and the values of the names it uses, once each. */
function numbered(sql: string, values: Record<string, unknown>): [string, unknown[]] {
  const names: string[] = [];
  const text = sql.replace(/(?<!:):([a-zA-Z]\w*)/g, (_, name: string) => {
    if (!names.includes(name)) names.push(name);
    return `$${names.indexOf(name) + 1}`;
  });
  return [text, names.map((name) => values[name])];
}

/**
 * Run on each new connection before its first query: generic plans, and no JIT. For its prepared statements (the
 * people search's prefix tiers alone) PostgreSQL would plan each run afresh (~0.7 ms, more
 * than running it): its cost guess for a generic plan is worse, though the plan is the
 * same index walks whatever the text. Unnamed statements are planned for their values
 * either way. Should the SET fail (a server before PostgreSQL 12), the statement is
 * planned per run, as before: slower, the same rows.
 */
async function setUpSession(client: pg.ClientBase): Promise<void> {
  await client.query('SET plan_cache_mode = force_generic_plan').catch(() => undefined);
  // No JIT compilation: it pays off for long analytic queries, and the bridge runs short
  // lookups whose cost guesses can still pass jit_above_cost (a directory search's reports,
  // guessed 100 other addresses a person, each a GIN lookup): compiling took 450 ms of a
  // statement that ran in 2.
  await client.query('SET jit = off').catch(() => undefined);
}

const CONTACT_FIELDS = [
  'mailbox',
  ...CONTACT_TEXT_COLUMNS,
  'email1',
  'email2',
  'email3',
  'name_key',
  'search_names',
  'given_name_key',
  'surname_key',
  'company_key',
  'department_key',
  'job_title_key',
] as const;
const CONTACT_SELECT = `SELECT c.id, ${CONTACT_FIELDS.map((f) => `c.${f}`).join(', ')}, c.refs::text AS refs, c.created_at, c.updated_at,
  p.sha256 AS photo_sha256, p.width AS photo_width, p.height AS photo_height, octet_length(p.bytes) AS photo_length, p.updated_at AS photo_updated_at
  FROM contacts c LEFT JOIN contact_photos p ON p.contact_id = c.id`;

/**
 * The user an address (SQL) names: the one whose primary address it is, else the earliest to
 * claim it as another of theirs (as SQLite's). `min(id + 0)`, not `min(id)`: for an address
 * that is a column, not a value (a report's manager, an owner's other address), PostgreSQL
 * guesses 1 % of users claim it and finds `min(id)` by walking the primary key until one does:
 * an address no one claims walked every user, one claimed by a late user nearly all (a directory
 * search of 50 people with ids near 290,000 of 300,000: 6.3 s). Not an index's order, the
 * aggregate is fed by the other addresses' GIN index: 1.9 ms.
 */
const userIdByAddress = (address: string) => `(coalesce((SELECT id FROM users WHERE lower(email) = lower(${address})),
  (SELECT min(id + 0) FROM users WHERE other_addresses @> jsonb_build_array(lower(${address})))))`;
const USER_ID_BY_ADDRESS = userIdByAddress('$1');

/**
 * The addresses that name each user `owners` selects (SQL giving id, email and other_addresses),
 * as (owner, address), the address in lower case: as SQLite's namingAddresses, their primary one
 * and each other one of theirs that names them (userIdByAddress).
 */
const namingAddresses = (owners: string) => `WITH owners AS (${owners}), naming (owner, address) AS (
    SELECT email, lower(email) FROM owners
    UNION
    SELECT o.email, a.address FROM owners o, jsonb_array_elements_text(o.other_addresses) a (address)
    WHERE NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = a.address)
      AND (SELECT min(id + 0) FROM users WHERE other_addresses @> jsonb_build_array(a.address)) = o.id
  )`;

/** Where each kind of owner keeps its photo, and the owner's row id for a key ($1). */
const PHOTO_TABLES = {
  user: { table: 'user_photos', column: 'user_id', ownerId: USER_ID_BY_ADDRESS },
  contact: { table: 'contact_photos', column: 'contact_id', ownerId: '(SELECT id FROM contacts WHERE id = $1)' },
} as const;

/**
 * Each kind of contact test (like-patterns.ts) as SQL on its value, the parameter `p`, and its
 * column: the LIKE kinds on lower() of the column, their value lowered the same way
 * (LOWERED_TESTS); the exact-case kinds on the text as written.
 */
const CONTACT_TESTS: Readonly<Record<ContactTestParameters['kind'], (p: string, column: string) => string>> = {
  ...COMPARISON_TESTS,
  folded: (p, column) => `' ' || ${column} LIKE ${p}`,
  like: (p, column) => `lower(${column}) LIKE ${p}`,
  prefix: (p, column) => `starts_with(${column}, ${p})`,
  wordPrefix: (p, column) => `strpos(' ' || ${column}, ' ' || ${p}) > 0`,
  substring: (p, column) => `strpos(${column}, ${p}) > 0`,
  whole: (p, column) => `${column} = ${p}`,
  address: (p, column) => `lower(${column}) = ${p}`,
};

/** The tests that compare with lower() of a column: ASCII letters only, as SQLite's LIKE and NOCASE fold (asciiLower). */
const LOWERED_TESTS: ReadonlySet<ContactTestParameters['kind']> = new Set(['like', 'address']);

/** How long opening the store waits for its first connection (SQLite's store waits as long for a lock when it opens). */
const OPEN_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Idle time before TCP keepalive probes start. A connection that a firewall or a failover
 * dropped without closing is otherwise never noticed while idle: node-postgres's Client
 * (node-postgres.com/apis/client) has `keepAlive` off by default, and Npgsql's "Keepalive"
 * page explains that a connection only listening for notifications never sends, so never
 * learns it is dead.
 */
const KEEPALIVE_IDLE_MS = 10_000;

/** What every connection of a bridge's store (a replica's, a command's) calls itself on the server. */
export const STORE_APPLICATION_NAME = 'ews-photo-bridge';

/** What every connection of the store says of itself, and that it keeps its TCP connection alive. */
const connectionTo = (connectionString: string) => ({
  connectionString: driverUrl(connectionString),
  application_name: STORE_APPLICATION_NAME,
  keepAlive: true,
  keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
});

/**
 * Whether the server takes writes: a hot standby does not (pg_is_in_recovery), nor does a
 * database or role with default_transaction_read_only on (transaction_read_only).
 */
const SCHEMA_VERSION_SQL = 'SELECT coalesce(max(version), 0) AS version FROM schema_migrations';
const READY_SQL = `SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on' AS read_only, (${SCHEMA_VERSION_SQL}) AS schema_version`;

/**
 * The shared store for replicas: the same interface as the embedded SQLite store, on a
 * node-postgres pool. Every write is one transaction that ends with a NOTIFY, so other
 * bridge processes drop their cached renditions as it commits (see PostgresChanges).
 */
export class PostgresStore implements Store, ChangeFeed, ServerStoreEvents {
  private readonly pool: pg.Pool;
  private readonly changes: PostgresChanges;
  /** Tells this process's own announcements apart from other processes'. */
  private readonly processId = randomUUID();
  private readonly searchStatistics = new CachedSearchStatistics(() => this.readSearchStatistics());
  private followingChanges = false;
  /** The pool's connections checked out for work now: what closing abandons. */
  private readonly atWork = new Set<pg.PoolClient>();
  private closed = false;
  private unreachableListener: ((error: Error) => void) | undefined;
  private schemaListener: ((problem: BridgeError) => void) | undefined;
  /** The schema version last told to schemaListener. */
  private toldSchemaVersion: number | undefined;
  schemaUpgrade: SchemaUpgrade | undefined;

  private constructor(
    connectionString: string,
    private readonly busyTimeoutMs: number,
    poolSize: number,
    queryTimeoutMs: number | undefined,
    changeFeedCheckMs: number | undefined,
    private readonly now: () => number,
  ) {
    // lock_timeout and the pool's connection timeout take 0 as "wait for ever"; the busy timeout's 0 means "do not wait".
    const waitMs = Math.max(1, busyTimeoutMs);
    const connection = connectionTo(connectionString);
    this.pool = new pg.Pool({
      ...connection,
      max: poolSize,
      connectionTimeoutMillis: waitMs,
      lock_timeout: waitMs,
      // node-postgres: query_timeout, "number of milliseconds before a query call will timeout, default is no timeout".
      // Without it a statement sent on a connection that silently died waits for ever, and so does its request.
      query_timeout: queryTimeoutMs,
      // pg-pool waits for the promise before the connection's first query; @types/pg has the hook return void.
      // eslint-disable-next-line @typescript-eslint/no-misused-promises
      onConnect: setUpSession,
    });
    // An idle pooled connection that dies (a server restart) is dropped by the pool; the next query opens a new one.
    this.pool.on('error', () => undefined);
    // A connection checked out once closed (one that was still opening) is abandoned as those at work were.
    this.pool.on('acquire', (client) => {
      if (this.closed) abandon(client);
      else this.atWork.add(client);
    });
    this.pool.on('release', (_error, client) => this.atWork.delete(client));
    this.changes = new PostgresChanges(connection, this.processId, changeFeedCheckMs);
  }

  /** Connects and brings the schema up to date (once, whichever replica gets there first). */
  static async open(connectionString: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const store = new PostgresStore(
      connectionString,
      options.busyTimeoutMs ?? SETTINGS.storeBusyTimeoutMs.default,
      options.poolSize ?? SETTINGS.databasePoolSize.default,
      options.queryTimeoutMs,
      options.changeFeedCheckMs,
      options.now ?? Date.now,
    );
    // Its own connection, with the opening's wait rather than a request's busy wait: nothing
    // is served until the store is open, and a server slow to start a backend (a loaded host)
    // must not fail the start-up as "busy".
    const client = new pg.Client({ ...connectionTo(connectionString), connectionTimeoutMillis: OPEN_CONNECT_TIMEOUT_MS });
    try {
      await client.connect();
      try {
        store.schemaUpgrade = await migratePostgres(client, options.upgradeStarting);
      } finally {
        await client.end();
      }
    } catch (error) {
      await store.pool.end();
      throw error;
    }
    return store;
  }

  /** The time a row is stamped with. */
  private timestamp(): string {
    return new Date(this.now()).toISOString();
  }

  /** A statement on a pooled connection; `timeoutMs` bounds the wait for its answer below BRIDGE_DATABASE_QUERY_TIMEOUT_MS. */
  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = [], name?: string, timeoutMs?: number): Promise<pg.QueryResult<R>> {
    const config: pg.QueryConfig & { query_timeout?: number } = name === undefined ? { text: sql, values: params } : { name, text: sql, values: params };
    if (timeoutMs !== undefined) config.query_timeout = timeoutMs;
    try {
      return await this.pool.query<R>(config);
    } catch (error) {
      throw await this.failure(error);
    }
  }

  /**
   * Every write goes through here: all of it lands, announced to the other processes, or
   * none of it. `announced` may tell after the work that it changed nothing they keep.
   */
  private async write<T>(work: (client: pg.PoolClient) => Promise<T>, announced: () => boolean = () => true): Promise<T> {
    let client: pg.PoolClient | undefined;
    let broken: Error | undefined;
    try {
      client = await this.pool.connect();
      await client.query('BEGIN');
      const result = await work(client);
      if (announced()) await client.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, this.processId]);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that gave no answer would not answer the ROLLBACK either; dropping it rolls back.
      if (connectionUnanswered(error)) broken = error as Error;
      else await client?.query('ROLLBACK').catch(() => undefined);
      // Asked on the connection it holds: another from the pool may be a wait for one.
      throw await this.failure(error, broken ? undefined : client);
    } finally {
      client?.release(broken);
    }
  }

  async upsertUsers(users: readonly DirectoryUserUpdate[], photos?: ImportedPhotos): Promise<DirectoryImport> {
    const { loaded, renamed } = await this.write((client) => writeUsers(client, users, photos, this.timestamp()));
    // Analyzed by the load: the word tiers' plans are to be chosen from the new counts.
    if (loaded) this.searchStatistics.forget();
    return { renamed };
  }

  /**
   * The search statistics as the catalog has them. Another process's commit (a CLI
   * import, another replica's) may have analyzed the table: from the first read on, each
   * one makes the next search read them again.
   */
  private async readSearchStatistics(): Promise<ColumnStatisticsRow[]> {
    if (!this.followingChanges) {
      this.followingChanges = true;
      this.changes.subscribe(() => this.searchStatistics.forget());
    }
    return (await this.query<ColumnStatisticsRow>(COLUMN_STATISTICS_SQL)).rows;
  }

  async getUser(email: string): Promise<DirectoryUser | undefined> {
    const { rows } = await this.query<UserRow>(`${USER_SELECT} WHERE u.id = ${USER_ID_BY_ADDRESS}`, [email]);
    return rows[0] && fromUserRow(rows[0]);
  }

  async usersByAddressPrefix(routing: RoutingType, prefix: string, limit: number, among: MailboxScope = 'addressBook'): Promise<DirectoryUser[]> {
    // Each the expression of its index (lower(email) unique, lower(sip_address)), compared as "C" as both columns are.
    const column = routing === 'smtp' ? 'lower(u.email)' : 'lower(u.sip_address)';
    const start = canonicalAddressPrefix(prefix);
    const { rows } = await this.query<UserRow>(`${USER_SELECT} WHERE ${column} >= $1 AND ${column} < $2 AND ($4 OR NOT u.hidden) ORDER BY ${column} LIMIT $3`, [
      start,
      prefixEnd(start),
      limit,
      among === 'allMailboxes',
    ]);
    return rows.map(fromUserRow);
  }

  async pageUsers(order: UserOrder, prefix: string, from: UserPosition | undefined, limit: number, descending = false): Promise<UserPage> {
    const bounds = userPageBounds(order, prefix, from, descending);
    if (!bounds) return { users: [] };
    const [sql, params] = USER_PAGES[order][descending ? 'descending' : 'ascending'](bounds);
    const { rows } = await this.query<UserRow & { name_key: string }>(sql, [...params, limit + 1]);
    return userPageOf(rows, limit);
  }

  async countUsersByPrefix(order: UserOrder, prefix: string): Promise<number> {
    const bounds = userPageBounds(order, prefix, undefined);
    if (!bounds) return 0;
    const [sql, params] =
      prefix === ''
        ? ['SELECT (SELECT count(*) FROM users) - (SELECT count(*) FROM users WHERE hidden) AS n', []]
        : order === 'name'
          ? ['SELECT count(*) AS n FROM users WHERE name_key >= $1 AND name_key < $2', [bounds.start, bounds.end]]
          : ['SELECT count(*) AS n FROM users WHERE lower(email) >= $1 AND lower(email) < $2 AND NOT hidden', [bounds.start, bounds.end]];
    const { rows } = await this.query<{ n: string }>(sql, params);
    return Number(rows[0]!.n);
  }

  async pageDirectReports(manager: string, after: UserPosition | undefined, limit: number): Promise<UserPage> {
    const { fromKey, fromEmail } = userPageBounds('name', '', after)!;
    // A page from each address naming the manager, each read by users_by_manager: (lower(manager), name_key); at most 1 + MAX_OTHER_ADDRESSES of them.
    const { rows } = await this.query<UserRow & { name_key: string }>(
      `${namingAddresses(`SELECT id, email, other_addresses FROM users WHERE id = ${USER_ID_BY_ADDRESS}`)}
       SELECT r.* FROM naming a CROSS JOIN LATERAL (
         ${USER_SELECT_KEYED} WHERE lower(u.manager) = a.address AND (u.name_key, lower(u.email)) > ($2, $3) ORDER BY u.name_key, lower(u.email) LIMIT $4
       ) r ORDER BY r.name_key, lower(r.email) LIMIT $4`,
      [manager, fromKey, fromEmail, limit + 1],
    );
    return userPageOf(rows, limit);
  }

  async usersByDnName(name: string, limit: number): Promise<DirectoryUser[]> {
    const start = canonicalAddressPrefix(`${name}@`);
    // Each half by its own index (users_by_alias, users_without_alias).
    const { rows } = await this.query<UserRow>(
      `(${USER_SELECT} WHERE lower(u.alias) = lower($1) ORDER BY lower(u.email) LIMIT $4)
       UNION ALL (${USER_SELECT} WHERE u.alias IS NULL AND lower(u.email) >= $2 AND lower(u.email) < $3 ORDER BY lower(u.email) LIMIT $4)
       ORDER BY email LIMIT $4`,
      [name, start, prefixEnd(start), limit],
    );
    return rows.map(fromUserRow);
  }

  async listUsers(): Promise<DirectoryUser[]> {
    return (await this.query<UserRow>(`${USER_SELECT} ORDER BY u.display_name, lower(u.email)`)).rows.map(fromUserRow);
  }

  async searchUsers(text: string, limit: number): Promise<DirectoryUser[]> {
    return (await this.searchRows(text, NAME_TIERS, 0, limit)).map(fromUserRow);
  }

  async searchDirectory(text: string, offset: number, limit: number): Promise<DirectoryEntry[]> {
    const rows = await this.searchRows(text, SEARCH_TIERS, offset, limit);
    const managers = rows.flatMap((row) => (row.manager === null ? [] : [asciiLower(row.manager)]));
    const [related, reports] = await Promise.all([
      // Each manager column read as getUser reads an address: each found by its id, as a join of
      // its own (OFFSET 0), since joined with the rest it was planned as a hash of every user.
      this.query<RelatedRow>(
        `SELECT a.address AS manager, u.email, u.display_name FROM unnest($1::text[]) a (address)
         CROSS JOIN LATERAL (SELECT email, display_name FROM users WHERE id = ${userIdByAddress('a.address')} AND NOT hidden OFFSET 0) u`,
        [managers],
      ),
      this.query<RelatedRow>(
        `${namingAddresses('SELECT id, email, other_addresses FROM users WHERE lower(email) = ANY($1)')}
         SELECT manager, email, display_name, reports FROM (
           SELECT a.owner AS manager, u.email, u.display_name, u.name_key, row_number() OVER (PARTITION BY a.owner ORDER BY u.name_key, lower(u.email)) AS n,
             count(*) OVER (PARTITION BY a.owner)::int AS reports
           FROM naming a JOIN users u ON lower(u.manager) = a.address WHERE NOT u.hidden
         ) r WHERE n <= $2 ORDER BY manager, name_key, lower(email)`,
        [rows.map((row) => asciiLower(row.email)), MAX_DIRECT_REPORTS],
      ),
    ]);
    return directoryEntries(rows, related.rows, reports.rows);
  }

  private async searchRows(text: string, tiers: readonly SearchTier[], offset: number, limit: number): Promise<DirectoryRow[]> {
    if (text.trim() === '') {
      const { rows } = await this.query<DirectoryRow>(
        `${DIRECTORY_SELECT} FROM users u LEFT JOIN user_photos p ON p.user_id = u.id WHERE u.name_key IS NOT NULL ORDER BY ${NAME_ORDER} LIMIT $1 OFFSET $2`,
        [limit, offset],
      );
      return rows;
    }
    const query = peopleQuery(text);
    if (!query) return [];
    const values = tierValues(query);
    return rankedPage(stepsOf(tiersOf(query, tiers)), offset, limit, (step, count) =>
      step === 'prefixes' ? this.rows(PREFIX_TIERS_SQL, { ...values, limit: count }, 'people search prefixes') : this.wordTierRows(step, values, count),
    );
  }

  /**
   * A word tier's first rows. In the names, from the name word lists (listedRows). Else,
   * or without lists for the words: a walk of at most WALK_ROWS_MAX rows of the name index
   * when the planner expects many matches and the walk fills the page, else the matches
   * sorted when few people share the words, else that walk; and when it comes short, its
   * matches, then the first MATCHES_SORTED_MAX matches, sorted. Walks read the name index
   * only (it carries the tested columns); the
   * matches come from the GIN index first (MATERIALIZED), so the planner never walks the
   * name index for words no one has, and are counted with the page in one statement.
   */
  private async wordTierRows(tier: WordTier, values: TierValues, limit: number): Promise<DirectoryRow[]> {
    const statistics = await this.searchStatistics.get();
    if (tier === 'nameWords') {
      const listed = await this.listedRows(values, statistics, limit);
      if (listed) return listed;
    }
    const test = wordTierTest(tier, values.words.length);
    // The first matches among the first WALK_ROWS_MAX rows of the name order.
    const walk = () =>
      this.rows<DirectoryRow>(pickedPageSql(`(SELECT ${WALKED_COLUMNS} FROM users u ORDER BY ${NAME_ORDER} LIMIT :walk) u WHERE ${test}`), {
        ...values,
        walk: WALK_ROWS_MAX,
        limit,
      });
    // The first `count` of at most `cap` matches, in name order, with how many there were (up to `cap`).
    const sorted = (cap: number, count: number) =>
      this.rows<DirectoryRow & { matches: number }>(
        `WITH matches AS MATERIALIZED (SELECT ${WALKED_COLUMNS} FROM users u WHERE ${indexedWordTier(tier)} AND ${test} LIMIT :cap)
         ${pickedPageSql('matches u', `${DIRECTORY_SELECT}, (SELECT count(*) FROM matches)::int AS matches`)}`,
        { ...values, limit: count, cap },
      );
    // The planner's estimate, made here from the statistics of the word-start keys.
    let walked: DirectoryRow[] | undefined;
    if (estimatedMatches(statistics, tier === 'nameWords' ? values.nameKeys : values.anyKeys) > SORTED_MATCHES_MAX) {
      walked = await walk();
      if (walked.length === limit) return walked;
    }
    // The sorted plan and the count that says whether it holds come from one lookup; the
    // page is drawn from the matches untested again: no row, no match.
    const few = await sorted(SORTED_MATCHES_MAX + 1, limit);
    if ((few[0]?.matches ?? 0) <= SORTED_MATCHES_MAX) return few;
    walked ??= await walk();
    if (walked.length === limit) return walked;
    // Too few matches among the walked rows: the rest sort after them, and after every match
    // the walk found. Walking on read the whole index ("zsofia contoso": 3,089 people, last).
    const inWalk = new Set(walked.map((row) => row.email));
    const later = (await sorted(MATCHES_SORTED_MAX, limit + walked.length)).filter((row) => !inWalk.has(row.email));
    return [...walked, ...later].slice(0, limit);
  }

  /**
   * The names tier's first rows from the name word lists (postgres-name-words.ts): for the
   * query word the fewest people have, the list of each word it starts, read in name order
   * and tested for the other query words, and — when there are others — the people whose
   * display name starts with it, from the name index; merged. Undefined when every query
   * word is a number, or the word starts more than LISTED_WORDS_MAX words. With a second
   * word, when one of the two starts no more than SPLIT_LISTED_MAX words, the lists split
   * as listedPageSql says.
   *
   * A list row is a tenth of a sorted match's cost (an index entry against a table row
   * read at random and sorted), so the lists answer even words few people share: at a
   * million people "ruiz ana" walked all 12,000 rows of the "ruiz" list in 1.4 ms, the
   * sorted plan took 5–6.5 ms for its ~100 matches.
   */
  private async listedRows(values: TierValues, statistics: SearchStatistics, limit: number): Promise<DirectoryRow[] | undefined> {
    const rarest = (words: readonly string[]) => listedWord(words, (candidate) => estimatedMatches(statistics, queryKeys([candidate], 'names')));
    let first = rarest(values.words);
    if (first === undefined) return undefined;
    let second = rarest(withoutFirst(values.words, first));
    let [listed, secondListed] = await this.listedWords(first, second);
    if (listed === undefined) return undefined;
    // The name-prefix tier finds those whose display name starts with the query, so with the
    // word itself as the query, those whose display name starts with the word; a query whose
    // words come to one only after those repeating or starting another are dropped ("an andr",
    // "ann anna") is no such start, and they are found here.
    const byFirstWordToo = values.words.length > 1 || values.key !== first;
    if (listed.length === 0 && !byFirstWordToo) return [];
    // Split when one of the two words starts few listed words (a given name, the first word of most display names,
    // none): its lists are read to their ends (bounded), the other's only where the display name starts with it.
    const split = second !== undefined && secondListed !== undefined;
    if (split && secondListed!.length < listed.length) [first, listed, second, secondListed] = [second!, secondListed!, first, listed];
    // Prepared, one statement a number of query words (planning it took a third of its
    // time); past a few words it is planned each time, so no query keeps more on a connection.
    const words = values.words.length;
    const name = words <= PREPARED_WORDS_MAX ? `people search listed ${words}${split ? ' split' : ''}${byFirstWordToo ? '' : ' lists only'}` : undefined;
    const needles = (prefix: string, others: readonly string[]) => Object.fromEntries(wordStartNeedles(others).map((needle, i) => [`${prefix}${i}`, needle]));
    return this.rows<DirectoryRow>(
      listedPageSql(words, split, byFirstWordToo),
      {
        ...values,
        ...needles('o', withoutFirst(values.words, first)),
        ...(split ? { ...needles('s', withoutFirst(values.words, second!)), second, secondEnd: prefixEnd(second!), secondListed } : {}),
        listed,
        first,
        firstEnd: prefixEnd(first),
        limit,
      },
      name,
    );
  }

  /**
   * The words of the lists that start with `first`, undefined past LISTED_WORDS_MAX; and
   * those that start with `second`, undefined past as many, or past SPLIT_LISTED_MAX when
   * the first starts more than that (the lists are then not split).
   */
  private async listedWords(first: string, second: string | undefined): Promise<[string[] | undefined, string[] | undefined]> {
    const within = (words: string[], max: number) => (words.length > max ? undefined : words);
    if (second === undefined) {
      const { rows } = await this.query<{ word: string }>(LISTED_WORDS_SQL, [first, prefixEnd(first), LISTED_WORDS_MAX], 'people search listed words');
      return [
        within(
          rows.map((row) => row.word),
          LISTED_WORDS_MAX,
        ),
        undefined,
      ];
    }
    const { rows } = await this.query<{ side: number; word: string }>(
      LISTED_WORD_PAIRS_SQL,
      [first, prefixEnd(first), second, prefixEnd(second), SPLIT_LISTED_MAX],
      'people search listed word pairs',
    );
    const words = (side: number) => rows.filter((row) => row.side === side).map((row) => row.word);
    const listed = words(1);
    return [within(listed, LISTED_WORDS_MAX), within(words(2), listed.length <= SPLIT_LISTED_MAX ? LISTED_WORDS_MAX : SPLIT_LISTED_MAX)];
  }

  /** With a `name`, the statement is prepared once per connection (it must always be the same SQL). */
  private async rows<T extends pg.QueryResultRow>(sql: string, values: Record<string, unknown>, name?: string): Promise<T[]> {
    return (await this.query<T>(...numbered(sql, values), name)).rows;
  }

  async removeUser(email: string): Promise<boolean> {
    return this.write(async (client) => ((await client.query('DELETE FROM users WHERE lower(email) = lower($1)', [email])).rowCount ?? 0) > 0);
  }

  async countUsers(): Promise<number> {
    return Number((await this.query<{ n: string }>('SELECT count(*) AS n FROM users')).rows[0]!.n);
  }

  async isPhotoLocked(email: string): Promise<boolean | undefined> {
    const { rows } = await this.query<{ photo_locked: boolean }>(`SELECT photo_locked FROM users WHERE id = ${USER_ID_BY_ADDRESS}`, [email]);
    return rows[0]?.photo_locked;
  }

  async setPhotoLocked(email: string, locked: boolean): Promise<boolean> {
    return this.write(
      async (client) => ((await client.query(`UPDATE users SET photo_locked = $2 WHERE id = ${USER_ID_BY_ADDRESS}`, [email, locked])).rowCount ?? 0) > 0,
    );
  }

  async addContacts(mailbox: string, contacts: readonly NewContact[]): Promise<number[]> {
    const now = this.timestamp();
    return this.write((client) => insertContacts(client, mailbox, contacts, now));
  }

  async getContact(mailbox: string, id: number): Promise<Contact | undefined> {
    const { rows } = await this.query<ContactRow>(`${CONTACT_SELECT} WHERE c.id = $1 AND lower(c.mailbox) = lower($2)`, [id, mailbox]);
    return rows[0] && fromContactRow(rows[0]);
  }

  async getContacts(mailbox: string, ids: readonly number[]): Promise<Contact[]> {
    const { rows } = await this.query<ContactRow>(`${CONTACT_SELECT} WHERE c.id = ANY($1::bigint[]) AND lower(c.mailbox) = lower($2) ORDER BY c.id`, [
      ids,
      mailbox,
    ]);
    return rows.map(fromContactRow);
  }

  async getContactById(id: number): Promise<Contact | undefined> {
    const { rows } = await this.query<ContactRow>(`${CONTACT_SELECT} WHERE c.id = $1`, [id]);
    return rows[0] && fromContactRow(rows[0]);
  }

  async listContacts(mailbox: string): Promise<Contact[]> {
    return (await this.query<ContactRow>(`${CONTACT_SELECT} WHERE lower(c.mailbox) = lower($1) ORDER BY ${NAME_ORDER_SQL}`, [mailbox])).rows.map(
      fromContactRow,
    );
  }

  async listContactVersions(mailbox: string): Promise<ContactVersion[]> {
    return readContactVersions(
      async (after, limit) =>
        (
          await this.query<VersionRow>(
            'SELECT c.id, c.updated_at, p.sha256 FROM contacts c LEFT JOIN contact_photos p ON p.contact_id = c.id WHERE lower(c.mailbox) = lower($1) AND c.id > $2 ORDER BY c.id LIMIT $3',
            [mailbox, after, limit],
          )
        ).rows,
    );
  }

  async pageContacts(mailbox: string, match: ContactMatch | undefined, offset: number, limit: number, order = BY_DISPLAY_NAME): Promise<ContactPage> {
    const params: (string | number)[] = [mailbox];
    const where = `WHERE lower(c.mailbox) = lower($1) AND ${contactMatchSql(match, ({ kind, value, column }) => {
      params.push(LOWERED_TESTS.has(kind) ? asciiLower(value) : value);
      return CONTACT_TESTS[kind](`$${params.length}`, column);
    })}`;
    const [count, page] = await Promise.all([
      this.query<{ n: string }>(`SELECT count(*) AS n FROM contacts c ${where}`, params),
      this.query<ContactRow>(`${CONTACT_SELECT} ${where} ORDER BY ${contactOrderSql(order)} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [
        ...params,
        limit,
        offset,
      ]),
    ]);
    return { total: Number(count.rows[0]!.n), contacts: page.rows.map(fromContactRow) };
  }

  async searchContacts(mailbox: string, prefix: string, limit: number): Promise<Contact[]> {
    const query = contactQuery(prefix);
    const { rows } = await this.query<ContactRow>(
      `${CONTACT_SELECT} WHERE lower(c.mailbox) = lower($1) AND (
         ($4 <> '' AND starts_with(c.name_key, $4))
         OR (cardinality($5::text[]) > 0 AND NOT EXISTS (SELECT 1 FROM unnest($5::text[]) w WHERE strpos(' ' || c.search_names, ' ' || w) = 0))
         OR lower(c.display_name) LIKE $2
         OR lower(c.email1) LIKE $6 OR lower(c.email2) LIKE $6 OR lower(c.email3) LIKE $6)
       ORDER BY ${NAME_ORDER_SQL} LIMIT $3`,
      [mailbox, asciiLower(prefixPattern(prefix)), limit, query.folded, query.words, addressPrefixPattern(prefix)],
    );
    return rows.map(fromContactRow);
  }

  async removeContact(mailbox: string, id: number): Promise<boolean> {
    return this.write(
      async (client) => ((await client.query('DELETE FROM contacts WHERE id = $1 AND lower(mailbox) = lower($2)', [id, mailbox])).rowCount ?? 0) > 0,
    );
  }

  async getPhoto(owner: PhotoOwner): Promise<StoredPhoto | undefined> {
    const { table, column, ownerId } = PHOTO_TABLES[owner.kind];
    const { rows } = await this.query<StoredPhoto>(
      `SELECT bytes, content_type AS "contentType", width, height, sha256, source, updated_at AS "updatedAt"
       FROM ${table} WHERE ${column} = ${ownerId}`,
      [ownerAddressOrId(owner)],
    );
    return rows[0];
  }

  async getPhotoInfo(owner: PhotoOwner): Promise<StoredPhotoInfo | undefined> {
    const { table, column, ownerId } = PHOTO_TABLES[owner.kind];
    const { rows } = await this.query<StoredPhotoInfo>(
      `SELECT sha256, width, height, source, updated_at AS "updatedAt" FROM ${table} WHERE ${column} = ${ownerId}`,
      [ownerAddressOrId(owner)],
    );
    return rows[0];
  }

  async setPhoto(owner: PhotoOwner, photo: NormalizedPhoto, source: string, unlessLocked = false, requires?: PhotoPrecondition): Promise<boolean> {
    return this.write(async (client) => {
      if (unlessLocked && owner.kind === 'user') {
        // FOR SHARE: a lock being set waits for this write, and one set before it is read as committed.
        const { rows } = await client.query<{ photo_locked: boolean }>(`SELECT photo_locked FROM users WHERE id = ${USER_ID_BY_ADDRESS} FOR SHARE`, [
          owner.email,
        ]);
        if (rows[0]?.photo_locked) return false;
      }
      if (requires) await checkStoredPhoto(client, owner, requires);
      return writePhoto(client, owner, photo, source, this.timestamp());
    });
  }

  async removePhoto(owner: PhotoOwner, requires?: PhotoPrecondition): Promise<boolean> {
    return this.write(async (client) => {
      if (requires) await checkStoredPhoto(client, owner, requires);
      return deletePhoto(client, owner, this.timestamp());
    });
  }

  async recordFetchedPhoto(owner: PhotoOwner, fetched: FetchedPhoto | null, read: PhotoVersion | undefined): Promise<boolean> {
    const { table, column, ownerId } = PHOTO_TABLES[owner.kind];
    let renewedOnly = false;
    return this.write(
      async (client) => {
        // The row stays locked to this transaction; a row that is not there yet is guarded by the insert's ON CONFLICT DO NOTHING.
        const { rows } = await client.query<PhotoVersion>(`SELECT sha256, source FROM ${table} WHERE ${column} = ${ownerId} FOR UPDATE`, [
          ownerAddressOrId(owner),
        ]);
        const stored = rows[0];
        const step = fetchedPhotoStep(stored, fetched, read);
        switch (step.kind) {
          case 'stale':
            return false;
          case 'none':
            return true;
          case 'remove':
            return deletePhoto(client, owner, this.timestamp());
          case 'renew': {
            renewedOnly = true;
            const renewed = await client.query(`UPDATE ${table} SET updated_at = $2 WHERE ${column} = ${ownerId}`, [ownerAddressOrId(owner), this.timestamp()]);
            return (renewed.rowCount ?? 0) > 0;
          }
          case 'write':
            return writePhoto(client, owner, step.fetched.photo, step.fetched.source, this.timestamp(), stored !== undefined);
        }
      },
      () => !renewedOnly,
    );
  }

  async putAccount(username: string, passwordHash: string, role: Role): Promise<void> {
    await this.write((client) =>
      client.query(
        `INSERT INTO accounts (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (lower(username)) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role`,
        [username, passwordHash, role, this.timestamp()],
      ),
    );
  }

  async seedEmptyStore({ account, users, photos, contacts }: StoreSeed): Promise<boolean> {
    const now = this.timestamp();
    const seeded = await this.write(async (client) => {
      // Two claims that both find the store empty insert the same name: the second waits on the
      // first at the unique index, then does nothing.
      const { rowCount } = await client.query(
        `INSERT INTO accounts (username, password_hash, role, created_at)
         SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM accounts)
         ON CONFLICT (lower(username)) DO NOTHING`,
        [account.username, account.passwordHash, account.role, now],
      );
      if (rowCount !== 1) return { claimed: false, loaded: false };
      const { loaded } = await writeUsers(client, users, photos, now);
      await insertContacts(client, account.username, contacts, now);
      return { claimed: true, loaded };
    });
    if (seeded.loaded) this.searchStatistics.forget();
    return seeded.claimed;
  }

  async getAccount(username: string): Promise<Account | undefined> {
    const { rows } = await this.query<Account>('SELECT username, password_hash AS "passwordHash", role FROM accounts WHERE lower(username) = lower($1)', [
      username,
    ]);
    return rows[0];
  }

  async listAccounts(): Promise<Omit<Account, 'passwordHash'>[]> {
    return (await this.query<Omit<Account, 'passwordHash'>>('SELECT username, role FROM accounts ORDER BY lower(username), username')).rows;
  }

  async removeAccount(username: string): Promise<boolean> {
    return this.write(async (client) => {
      const { rows } = await client.query<{ username: string }>('DELETE FROM accounts WHERE lower(username) = lower($1) RETURNING username', [username]);
      // Their photos go with them (ON DELETE CASCADE).
      for (const { username: removed } of rows) {
        await client.query('DELETE FROM contacts WHERE lower(mailbox) = lower($1)', [removed]);
        await client.query('DELETE FROM delta_tokens WHERE lower(mailbox) = lower($1)', [removed]);
      }
      return rows.length > 0;
    });
  }

  async saveDeltaState(mailbox: string, state: string, kind: DeltaTokenKind): Promise<string> {
    const token = newDeltaToken();
    await this.write(
      async (client) => {
        await client.query('INSERT INTO delta_tokens (token, mailbox, state, kind) VALUES ($1, $2, $3, $4)', [token, mailbox, state, kind]);
        await client.query(
          `DELETE FROM delta_tokens WHERE lower(mailbox) = lower($1) AND kind = $2 AND id <= (
          SELECT id FROM delta_tokens WHERE lower(mailbox) = lower($1) AND kind = $2 ORDER BY id DESC LIMIT 1 OFFSET $3)`,
          [mailbox, kind, DELTA_TOKENS_PER_MAILBOX[kind]],
        );
        // Nothing another replica keeps: no change to announce.
      },
      () => false,
    );
    return token;
  }

  async renewDeltaToken(mailbox: string, token: string): Promise<void> {
    await this.write(
      async (client) => {
        await client.query(
          "UPDATE delta_tokens SET id = nextval(pg_get_serial_sequence('delta_tokens', 'id')) WHERE token = $1 AND lower(mailbox) = lower($2)",
          [token, mailbox],
        );
      },
      () => false,
    );
  }

  async deltaState(mailbox: string, token: string): Promise<KeptDeltaState | undefined> {
    const { rows } = await this.query<KeptDeltaState>('SELECT state, kind FROM delta_tokens WHERE token = $1 AND lower(mailbox) = lower($2)', [token, mailbox]);
    return rows[0];
  }

  async secret(name: string, bytes: number): Promise<Buffer> {
    // Two statements, each its own transaction: when replicas race on first use, the loser's
    // INSERT waits for the winner's commit and does nothing, and its SELECT — a new snapshot —
    // reads the winner's value. (One statement would read its own, older snapshot: no row.)
    // The INSERT first waits out a migrate-store copy (it holds the migration lock): a replica
    // whose first use came during the copy made a key of its own, which the copy then replaced.
    await this.query(
      `INSERT INTO secrets (name, value) SELECT $1::text, $2::bytea FROM (SELECT pg_advisory_xact_lock_shared(${MIGRATION_LOCK_KEY})) AS copy_done
        ON CONFLICT (name) DO NOTHING`,
      [name, randomBytes(bytes)],
    );
    return (await this.query<{ value: Buffer }>('SELECT value FROM secrets WHERE name = $1', [name])).rows[0]!.value;
  }

  async changeCounter(): Promise<number> {
    try {
      return await this.changes.counter();
    } catch (error) {
      throw await this.failure(error);
    }
  }

  onUnreachable(listener: (error: Error) => void): void {
    this.unreachableListener = listener;
  }

  onSchemaNotThisBridges(listener: (problem: BridgeError) => void): void {
    this.schemaListener = listener;
  }

  /**
   * What a failed statement means to a client (fromPostgresError); a server that cannot be
   * reached is told to the listener too. One that names a table or column the database lacks
   * is looked at again with the schema's version in hand, asked on `client` when given: a
   * dump of an older bridge restored while this one ran fails its statements so, and they
   * fail as that change (503, restart the bridge), not as 500 in PostgreSQL's words.
   */
  private async failure(error: unknown, client?: pg.PoolClient): Promise<unknown> {
    // Whatever fails once the store is closed failed for the closing: work abandoned on purpose, not an outage.
    if (this.closed) return new ShuttingDownError();
    if (lacksSchemaObject(error)) return (await this.schemaChangedUnder(client)) ?? error;
    const mapped = fromPostgresError(error, this.busyTimeoutMs);
    if (mapped instanceof StoreUnreachableError) this.unreachableListener?.(error as Error);
    return mapped;
  }

  /** Why the database's schema is not this bridge's (judgedSchema); none when it is, or its version cannot be read. */
  private async schemaChangedUnder(client: pg.PoolClient | undefined): Promise<BridgeError | undefined> {
    // Within the busy wait, as the ping: the statement's own failure is already late.
    const config: pg.QueryConfig & { query_timeout: number } = { text: SCHEMA_VERSION_SQL, query_timeout: Math.max(1, this.busyTimeoutMs) };
    try {
      const { rows } = await (client ?? this.pool).query<{ version: number }>(config);
      return this.judgedSchema(rows[0]!.version);
    } catch (error) {
      // No schema_migrations at all: no bridge's schema any more (a database emptied under it).
      return lacksSchemaObject(error) ? this.judgedSchema(0) : undefined;
    }
  }

  /** What `version` found means to this bridge (schemaNotThisBridges); a new one not its own is told to the listener. */
  private judgedSchema(version: number): BridgeError | undefined {
    const problem = schemaNotThisBridges(version);
    if (problem && version !== this.toldSchemaVersion) this.schemaListener?.(problem);
    this.toldSchemaVersion = problem ? version : undefined;
    return problem;
  }

  subscribeToChanges(listener: () => void, status?: (listening: boolean) => void): () => void {
    return this.changes.subscribe(listener, status);
  }

  changeFeedStatus(): { listening: boolean; losses: number } {
    return this.changes.status();
  }

  /** Answers, and takes writes: a replica on a standby would fail every upload and refresh. */
  async ping(): Promise<void> {
    // A probe is answered within the busy wait: a server that froze held /readyz for the whole query timeout (30 s).
    const { rows } = await this.query<{ read_only: boolean; schema_version: number }>(READY_SQL, [], undefined, Math.max(1, this.busyTimeoutMs));
    if (rows[0]!.read_only) throw readOnlyError(this.busyTimeoutMs);
    const notThisBridges = this.judgedSchema(rows[0]!.schema_version);
    if (notThisBridges) throw notThisBridges;
  }

  /**
   * Ends the pool without waiting for statements still running: each connection at work is
   * cut, and its statement fails as ShuttingDownError. The bridge closes its store once its
   * shutdown grace is over; waiting for them would hold the exit for the query timeout when
   * the server froze, and a statement waiting for a lock until that lock is let go.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.changes.close();
    const ended = this.pool.ending ? undefined : this.pool.end();
    for (const client of this.atWork) abandon(client);
    await ended;
  }

  async saveContacts(mailbox: string, replaced: readonly ReplacedContact[], added: readonly NewContact[]): Promise<number[]> {
    const now = this.timestamp();
    const fields = CONTACT_FIELDS.filter((field) => field !== 'mailbox');
    return this.write(async (client) => {
      for (const { id, contact, keepPhoto } of replaced) {
        const values = contactValues(mailbox, contact);
        const updated = await client.query(
          `UPDATE contacts SET ${fields.map((field, n) => `${field} = $${n + 3}`).join(', ')}, refs = $${fields.length + 3}::jsonb, updated_at = $${fields.length + 4}
           WHERE id = $1 AND lower(mailbox) = lower($2)`,
          [id, mailbox, ...fields.map((field) => values[field]), JSON.stringify(contact.refs), now],
        );
        if ((updated.rowCount ?? 0) === 0) throw new Error(`contact ${id} is no longer in ${mailbox}`);
        if (keepPhoto) continue;
        if (contact.photo) await writePhoto(client, contactOwner(id), contact.photo, 'import', now);
        else await client.query('DELETE FROM contact_photos WHERE contact_id = $1', [id]);
      }
      return insertContacts(client, mailbox, added, now);
    });
  }
}

/**
 * Closes a connection without waiting for the server. end() first: node-postgres then takes
 * the socket's closing for one it was asked for and fails the statement, where a socket
 * closed under a checked-out connection is an 'error' event no one listens to (an uncaught
 * exception). Then the socket itself: end() alone waits, on a connection with no statement
 * running, for the server to answer its goodbye, which a frozen server never does.
 */
function abandon(client: pg.PoolClient): void {
  void client.end();
  client.connection.stream.destroy();
}

/** An import's users and photos, in the caller's transaction: a large one into an empty directory is bulk loaded (`loaded`). */
async function writeUsers(
  client: pg.PoolClient,
  users: readonly DirectoryUserUpdate[],
  photos: ImportedPhotos | undefined,
  updatedAt: string,
): Promise<{ loaded: boolean; renamed: RenamedMailbox[] }> {
  const updates = [...mergeByAddress(users).values()];
  const loaded = updates.length >= BULK_LOAD_MIN_ROWS && (await lockedWhileEmpty(client));
  // An empty directory has no one to rename, nor fields to keep; a renamed person keeps theirs too.
  const renamed = loaded ? [] : await renameMailboxes(client, updates);
  const rows = loaded ? updates : withKeptFields(updates, await storedUsers(client, storedUsersKeeping(updates)));
  if (loaded) {
    // The name words are made with the users' rows and loaded after them.
    const nameWords = new CopyTextBytes();
    const values = function* () {
      for (const user of rows) {
        const values = userWriteValues(user);
        for (const row of nameWordRows(values[NAME_KEY] ?? null, values[SEARCH_NAMES] ?? null, values[EMAIL]!)) nameWords.add(row);
        values.push(updatedAt);
        yield values;
      }
    };
    await bulkLoad(client, [
      { table: 'users', columns: [...USER_WRITE_COLUMNS, 'updated_at'], text: copyText(values()) },
      { table: 'user_name_words', columns: NAME_WORD_COLUMNS, text: nameWords },
    ]);
  } else {
    for (let i = 0; i < rows.length; i += BATCH_ROWS) {
      const batch = rows.slice(i, i + BATCH_ROWS);
      // Each row's values made once, then read column by column.
      const written = batch.map(userWriteValues);
      const columns = USER_WRITE_COLUMNS.map((_, column) => written.map((row) => row[column]!));
      await client.query(UPSERT_USERS, [...columns, updatedAt]);
    }
  }
  if (photos) for (const { email, photo } of photos.photos) await writePhoto(client, userOwner(email), photo, photos.source, updatedAt);
  return { loaded, renamed };
}

async function insertContacts(client: pg.ClientBase, mailbox: string, contacts: readonly NewContact[], now: string): Promise<number[]> {
  // Ids are drawn first, so that they come back in the order of the contacts given.
  const { rows } = await client.query<{ id: string }>("SELECT nextval(pg_get_serial_sequence('contacts', 'id')) AS id FROM generate_series(1, $1)", [
    contacts.length,
  ]);
  const ids = rows.map((row) => Number(row.id)).sort((a, b) => a - b);
  for (let i = 0; i < contacts.length; i += BATCH_ROWS) {
    const batch = contacts.slice(i, i + BATCH_ROWS);
    const values = batch.map((contact) => contactValues(mailbox, contact));
    const columns = [
      ids.slice(i, i + BATCH_ROWS),
      ...CONTACT_FIELDS.map((field) => values.map((row) => row[field])),
      batch.map((contact) => JSON.stringify(contact.refs)),
    ];
    await client.query(
      `INSERT INTO contacts (id, ${CONTACT_FIELDS.join(', ')}, refs, created_at, updated_at)
       SELECT id, ${CONTACT_FIELDS.join(', ')}, refs::jsonb, $${columns.length + 1}, $${columns.length + 1}
       FROM unnest($1::bigint[], ${CONTACT_FIELDS.map((_, n) => `$${n + 2}::text[]`).join(', ')}, $${columns.length}::text[]) AS t(id, ${CONTACT_FIELDS.join(', ')}, refs)`,
      [...columns, now],
    );
  }
  for (const [i, contact] of contacts.entries()) {
    if (contact.photo) await writePhoto(client, contactOwner(ids[i]!), contact.photo, 'import', now);
  }
  return ids;
}

/**
 * Shows `requires` the owner's photo as this transaction writes it. The owner's own row is
 * locked first, so two conditional changes of one photo take turns, one of a photo not there
 * yet included (no photo row to lock then).
 */
async function checkStoredPhoto(client: pg.ClientBase, owner: PhotoOwner, requires: PhotoPrecondition): Promise<void> {
  const { table, column, ownerId } = PHOTO_TABLES[owner.kind];
  await client.query(`SELECT 1 FROM ${owner.kind === 'user' ? 'users' : 'contacts'} WHERE id = ${ownerId} FOR UPDATE`, [ownerAddressOrId(owner)]);
  const { rows } = await client.query<PhotoVersion & PhotoFingerprint>(`SELECT sha256, width, height, source FROM ${table} WHERE ${column} = ${ownerId}`, [
    ownerAddressOrId(owner),
  ]);
  requires(rows[0]);
}

/**
 * A contact's photo is part of the item: changing it changes the item (and its ChangeKey).
 * `replacing` false writes only where the owner has no photo yet.
 */
async function writePhoto(
  client: pg.ClientBase,
  owner: PhotoOwner,
  photo: NormalizedPhoto,
  source: string,
  updatedAt: string,
  replacing = true,
): Promise<boolean> {
  const { table, column, ownerId } = PHOTO_TABLES[owner.kind];
  const { bytes, contentType, width, height, sha256 } = photo;
  const onConflict = replacing
    ? `DO UPDATE SET
       bytes = excluded.bytes, content_type = excluded.content_type, width = excluded.width,
       height = excluded.height, sha256 = excluded.sha256, source = excluded.source, updated_at = excluded.updated_at`
    : 'DO NOTHING';
  const written = await client.query(
    `INSERT INTO ${table} (${column}, bytes, content_type, width, height, sha256, source, updated_at)
     SELECT id, $2, $3, $4, $5, $6, $7, $8 FROM (SELECT ${ownerId} AS id) owner WHERE id IS NOT NULL
     ON CONFLICT (${column}) ${onConflict}`,
    [ownerAddressOrId(owner), bytes, contentType, width, height, sha256, source, updatedAt],
  );
  if ((written.rowCount ?? 0) === 0) return false;
  if (owner.kind === 'contact') await touchContact(client, owner.id, updatedAt);
  return true;
}

async function deletePhoto(client: pg.ClientBase, owner: PhotoOwner, updatedAt: string): Promise<boolean> {
  const { table, column, ownerId } = PHOTO_TABLES[owner.kind];
  const removed = ((await client.query(`DELETE FROM ${table} WHERE ${column} = ${ownerId}`, [ownerAddressOrId(owner)])).rowCount ?? 0) > 0;
  if (removed && owner.kind === 'contact') await touchContact(client, owner.id, updatedAt);
  return removed;
}

async function touchContact(client: pg.ClientBase, id: number, updatedAt: string): Promise<void> {
  await client.query('UPDATE contacts SET updated_at = $1 WHERE id = $2', [updatedAt, id]);
}

/** What the photo statements' $1 names an owner by: a user by an address of theirs, a contact by id (PHOTO_TABLES' ownerId). */
function ownerAddressOrId(owner: PhotoOwner): string | number {
  return owner.kind === 'user' ? owner.email : owner.id;
}

/** Whether the directory is empty, and if so locked — readers and writers alike — until this transaction ends. */
async function lockedWhileEmpty(client: pg.PoolClient): Promise<boolean> {
  const empty = async () => (await client.query('SELECT FROM users LIMIT 1')).rowCount === 0;
  if (!(await empty())) return false;
  await client.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
  // Another import may have landed between the look and the lock.
  return empty();
}

/** The users stored under these primary addresses, read STORED_USERS_PER_READ at a time by the unique index (lower(email)). */
async function storedUsers(client: pg.PoolClient, addresses: readonly string[]): Promise<UserRow[]> {
  const rows: UserRow[] = [];
  for (let first = 0; first < addresses.length; first += STORED_USERS_PER_READ) {
    const batch = addresses.slice(first, first + STORED_USERS_PER_READ).map(asciiLower);
    rows.push(...(await client.query<UserRow>(`${USER_SELECT} WHERE lower(u.email) = ANY($1::text[])`, [batch])).rows);
  }
  return rows;
}

/** An import's renames (renamed-mailboxes.ts) of people stored under the old address and no one under the new, and their reports'. */
async function renameMailboxes(client: pg.PoolClient, users: readonly DirectoryUser[]): Promise<RenamedMailbox[]> {
  const candidates = renameCandidates(users);
  const renamed: RenamedMailbox[] = [];
  for (let first = 0; first < candidates.length; first += RENAME_CANDIDATES_PER_STATEMENT) {
    const batch = candidates.slice(first, first + RENAME_CANDIDATES_PER_STATEMENT);
    const { rows } = await client.query<{ address: string }>(
      'SELECT address FROM unnest($1::text[]) AS address WHERE EXISTS (SELECT 1 FROM users WHERE lower(email) = address)',
      [batch.map((candidate) => candidate.from)],
    );
    const stored = new Set(rows.map((row) => row.address));
    for (const { from, to, givenName, surname, alias, displayName } of batch) {
      if (!stored.has(from)) continue;
      const { rowCount } = await client.query(
        `UPDATE users SET email = $2
         WHERE lower(email) = $1 AND (${sharesAName(['$3', '$4', '$5', '$6'])}) AND NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = $2)`,
        [from, to, givenName, surname, alias, displayName],
      );
      if (rowCount === 0) continue;
      await client.query('UPDATE users SET manager = $2 WHERE lower(manager) = $1', [from, to]);
      renamed.push({ from, to });
    }
  }
  return renamed;
}

/**
 * One row per address, as importing them one after another would leave it: the first
 * spelling of the address, the last row's fields. (One INSERT … ON CONFLICT may not
 * touch a row twice.)
 */
function mergeByAddress(users: readonly DirectoryUserUpdate[]): Map<string, DirectoryUserUpdate> {
  const merged = new Map<string, DirectoryUserUpdate>();
  for (const user of users) {
    const key = asciiLower(user.email);
    const earlier = merged.get(key);
    merged.set(key, earlier ? { ...user, email: earlier.email } : user);
  }
  return merged;
}

/** A contact's column values, as CONTACT_FIELDS names them. */
function contactValues(mailbox: string, contact: NewContact): Record<(typeof CONTACT_FIELDS)[number], string | null> {
  return {
    mailbox,
    ...contactTextColumns(contact),
    ...contactAddressColumns(contact.emailAddresses),
    ...contactSearchColumnsOf(contact),
    ...contactNameKeysOf(contact),
  };
}
