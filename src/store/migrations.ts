import { BridgeError } from '../domain/errors.js';

/** A store that cannot be opened for a reason its operator can act on: said in one line, without a stack. */
export class StoreOpenError extends Error {}

/** A database migrated by a newer bridge: this one would misread it. */
export function newerSchema(applied: number, known: number): StoreOpenError {
  return new StoreOpenError(
    `database schema version ${applied} is newer than this bridge knows (${known}); upgrade the bridge, or (rolling back) restore the backup taken before the upgrade`,
  );
}

/**
 * For readiness: a store another bridge has migrated past what this one knows since it
 * opened (a rolling upgrade) is no store this replica should get traffic for; it would misread it.
 * Nor is one put back to an older version under it (a restore of an older backup or dump while
 * it ran): its statements name columns and tables that are not there until it migrates, at start.
 */
export function schemaNotThisBridges(applied: number): BridgeError | undefined {
  if (applied > MIGRATIONS.length) {
    return BridgeError.serverBusy(
      `a newer bridge migrated the database schema to version ${applied} (this one knows ${MIGRATIONS.length}); upgrade this replica`,
      60,
    );
  }
  if (applied < MIGRATIONS.length) return BridgeError.storeSchemaChanged(applied, MIGRATIONS.length);
  return undefined;
}

/** The schema versions a store found and left when it opened, if it applied any step. */
export interface SchemaUpgrade {
  from: number;
  to: number;
}

/** Told before a store applies its first step: an upgrade of a large database takes a while, and the port opens only after it. */
export type UpgradeStarting = (upgrade: SchemaUpgrade) => void;

/**
 * One step of the schema in each dialect. Version N means the same tables, columns and
 * meaning in both, which is what lets `migrate-store` copy an embedded store into
 * PostgreSQL table by table.
 *
 * PostgreSQL columns that SQLite compares NOCASE, or that LIKE searches, are
 * COLLATE "C" and matched through lower(): under "C", lower() folds ASCII letters
 * only — exactly SQLite's NOCASE and LIKE — and orders by code point as SQLite's
 * BINARY does, so both stores find and sort the same rows whatever the server's locale.
 */
interface Migration {
  sqlite: string;
  postgres: string;
  /** Work SQL cannot do the same way in both dialects, run by the store in the step's transaction after its SQL. */
  then?: DataStep;
}

/**
 * Data steps each store implements: `fillUserSearchColumns` computes the search columns
 * (search-text.ts) of every users row whose name_key is NULL; `fillUserSearchKeys`,
 * PostgreSQL's word-start keys (postgres-search-keys.ts) of every row without them —
 * SQLite's FTS5 table makes its own; `fillContactSearchColumns`, a contact's folded names
 * (search-text.ts) for every contacts row whose name_key is NULL; `canonicalizeAddresses`
 * rewrites every user's addresses and every contact's mailbox in their canonical form
 * (canonicalAddressesOf, store-rows.ts); `refoldSearchColumns`, the search columns of every
 * users and contacts row (PostgreSQL's word-start keys with them), written where they differ
 * from those stored: names fold otherwise than they did; `canonicalizeContactAddresses`
 * rewrites every contact's EmailAddress1..3 in their canonical form (canonicalContactAddressesOf,
 * store-rows.ts); `canonicalizeSipAddresses`, every user's SIP address (canonicalFormOf, store-rows.ts);
 * `fillContactNameKeys`, the folded other names (contactNameKeysOf, search-text.ts) of every contact;
 * `composeStoredText`, the names and phone numbers of every user and contact with a character
 * outside ASCII in them, composed (storedTextColumnsOf, store-rows.ts) where they were not.
 */
export type DataStep =
  | 'fillUserSearchColumns'
  | 'fillUserSearchKeys'
  | 'fillContactSearchColumns'
  | 'canonicalizeAddresses'
  | 'refoldSearchColumns'
  | 'canonicalizeContactAddresses'
  | 'canonicalizeSipAddresses'
  | 'fillContactNameKeys'
  | 'composeStoredText';

/** The triggers that keep SQLite's user_addresses from each user's other_addresses (two steps make them, the same). */
const USER_ADDRESS_TRIGGERS = `
    CREATE TRIGGER users_addresses_insert AFTER INSERT ON users WHEN new.other_addresses IS NOT NULL BEGIN
      INSERT OR IGNORE INTO user_addresses (address, user_id) SELECT value, new.id FROM json_each(new.other_addresses);
    END;
    CREATE TRIGGER users_addresses_update AFTER UPDATE OF other_addresses ON users WHEN new.other_addresses IS NOT old.other_addresses BEGIN
      DELETE FROM user_addresses WHERE user_id = old.id;
      INSERT OR IGNORE INTO user_addresses (address, user_id) SELECT value, new.id FROM json_each(new.other_addresses);
    END;
`;

/**
 * SQLite: a photo table made again with its bytes last, its rows copied (step 34). Its SQL is
 * part of that step: a later change here would make a schema stores at that step do not have.
 */
function photoTableWithBytesLast(table: string, key: string, owner: string): string {
  return `
    CREATE TABLE ${table}_bytes_last (
      ${key}   INTEGER PRIMARY KEY REFERENCES ${owner} ON DELETE CASCADE,
      content_type TEXT NOT NULL,
      width        INTEGER NOT NULL,
      height       INTEGER NOT NULL,
      sha256       TEXT NOT NULL,
      source       TEXT NOT NULL,
      updated_at   TEXT NOT NULL,
      bytes        BLOB NOT NULL
    );
    INSERT INTO ${table}_bytes_last (${key}, content_type, width, height, sha256, source, updated_at, bytes)
      SELECT ${key}, content_type, width, height, sha256, source, updated_at, bytes FROM ${table};
    DROP TABLE ${table};
    ALTER TABLE ${table}_bytes_last RENAME TO ${table};
  `;
}

/**
 * Schema history, applied in order; SQLite records how far a database has come in
 * `PRAGMA user_version`, PostgreSQL in the `schema_migrations` table. Append, never
 * edit: a shipped database has already run the earlier steps.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    sqlite: `
    CREATE TABLE users (
      id             INTEGER PRIMARY KEY,
      email          TEXT NOT NULL UNIQUE COLLATE NOCASE,
      display_name   TEXT NOT NULL,
      given_name     TEXT,
      surname        TEXT,
      alias          TEXT,
      company        TEXT,
      department     TEXT,
      title          TEXT,
      business_phone TEXT,
      mobile_phone   TEXT,
      sip_address    TEXT,
      refs           TEXT NOT NULL DEFAULT '{}',
      updated_at     TEXT NOT NULL
    );
    CREATE TABLE user_photos (
      user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
      bytes        BLOB NOT NULL,
      content_type TEXT NOT NULL,
      width        INTEGER NOT NULL,
      height       INTEGER NOT NULL,
      sha256       TEXT NOT NULL,
      source       TEXT NOT NULL,
      updated_at   TEXT NOT NULL
    );
    CREATE TABLE accounts (
      username      TEXT PRIMARY KEY COLLATE NOCASE,
      password_hash TEXT NOT NULL,
      role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
      created_at    TEXT NOT NULL
    );
    `,
    postgres: `
    CREATE TABLE users (
      id             bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
      email          text COLLATE "C" NOT NULL,
      display_name   text COLLATE "C" NOT NULL,
      given_name     text COLLATE "C",
      surname        text COLLATE "C",
      alias          text COLLATE "C",
      company        text COLLATE "C",
      department     text COLLATE "C",
      title          text COLLATE "C",
      business_phone text COLLATE "C",
      mobile_phone   text COLLATE "C",
      sip_address    text COLLATE "C",
      refs           jsonb NOT NULL DEFAULT '{}',
      updated_at     text NOT NULL
    );
    CREATE UNIQUE INDEX users_by_email ON users (lower(email));
    CREATE TABLE user_photos (
      user_id      bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
      bytes        bytea NOT NULL,
      content_type text NOT NULL,
      width        integer NOT NULL,
      height       integer NOT NULL,
      sha256       text NOT NULL,
      source       text NOT NULL,
      updated_at   text NOT NULL
    );
    CREATE TABLE accounts (
      username      text COLLATE "C" NOT NULL,
      password_hash text NOT NULL,
      role          text NOT NULL CHECK (role IN ('user', 'admin')),
      created_at    text NOT NULL
    );
    CREATE UNIQUE INDEX accounts_by_username ON accounts (lower(username));
    `,
  },
  {
    sqlite: `
    CREATE TABLE contacts (
      id             INTEGER PRIMARY KEY,
      mailbox        TEXT NOT NULL COLLATE NOCASE,
      display_name   TEXT NOT NULL,
      given_name     TEXT,
      surname        TEXT,
      company        TEXT,
      department     TEXT,
      job_title      TEXT,
      email1         TEXT COLLATE NOCASE,
      email2         TEXT COLLATE NOCASE,
      email3         TEXT COLLATE NOCASE,
      business_phone TEXT,
      mobile_phone   TEXT,
      home_phone     TEXT,
      refs           TEXT NOT NULL DEFAULT '{}',
      created_at     TEXT NOT NULL,
      updated_at     TEXT NOT NULL
    );
    CREATE INDEX contacts_by_mailbox ON contacts (mailbox);
    CREATE TABLE contact_photos (
      contact_id   INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
      bytes        BLOB NOT NULL,
      content_type TEXT NOT NULL,
      width        INTEGER NOT NULL,
      height       INTEGER NOT NULL,
      sha256       TEXT NOT NULL,
      source       TEXT NOT NULL,
      updated_at   TEXT NOT NULL
    );
    CREATE TABLE secrets (
      name  TEXT PRIMARY KEY,
      value BLOB NOT NULL
    );
    `,
    postgres: `
    CREATE TABLE contacts (
      id             bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
      mailbox        text COLLATE "C" NOT NULL,
      display_name   text COLLATE "C" NOT NULL,
      given_name     text COLLATE "C",
      surname        text COLLATE "C",
      company        text COLLATE "C",
      department     text COLLATE "C",
      job_title      text COLLATE "C",
      email1         text COLLATE "C",
      email2         text COLLATE "C",
      email3         text COLLATE "C",
      business_phone text COLLATE "C",
      mobile_phone   text COLLATE "C",
      home_phone     text COLLATE "C",
      refs           jsonb NOT NULL DEFAULT '{}',
      created_at     text NOT NULL,
      updated_at     text NOT NULL
    );
    CREATE INDEX contacts_by_mailbox ON contacts (lower(mailbox), display_name, id);
    CREATE TABLE contact_photos (
      contact_id   bigint PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
      bytes        bytea NOT NULL,
      content_type text NOT NULL,
      width        integer NOT NULL,
      height       integer NOT NULL,
      sha256       text NOT NULL,
      source       text NOT NULL,
      updated_at   text NOT NULL
    );
    CREATE TABLE secrets (
      name  text PRIMARY KEY,
      value bytea NOT NULL
    );
    `,
  },
  {
    sqlite: `
    CREATE INDEX users_by_display_name ON users (display_name, email);
    `,
    postgres: `
    CREATE INDEX users_by_display_name ON users (display_name, lower(email));
    CREATE INDEX users_by_lower_display_name ON users (lower(display_name));
    CREATE INDEX users_by_given_name ON users (lower(given_name));
    CREATE INDEX users_by_surname ON users (lower(surname));
    CREATE INDEX users_by_alias ON users (lower(alias));
    `,
  },
  {
    // An administrator's lock on a user's photo: self-service changes are refused while it is set.
    sqlite: `
    ALTER TABLE users ADD COLUMN photo_locked INTEGER NOT NULL DEFAULT 0;
    `,
    postgres: `
    ALTER TABLE users ADD COLUMN photo_locked boolean NOT NULL DEFAULT false;
    `,
  },
  {
    // People search (issue 12): folded words of each user, kept in sync with the row by the
    // store's own writes and, in SQLite, by triggers into an external-content FTS5 table.
    // The manager is the manager's address; direct reports are found through the index on it.
    sqlite: `
    ALTER TABLE users ADD COLUMN manager TEXT COLLATE NOCASE;
    ALTER TABLE users ADD COLUMN name_key TEXT;
    ALTER TABLE users ADD COLUMN search_names TEXT;
    ALTER TABLE users ADD COLUMN search_other TEXT;
    CREATE INDEX users_by_name_key ON users (name_key, email);
    CREATE INDEX users_by_manager ON users (manager, name_key);
    CREATE VIRTUAL TABLE users_search USING fts5(
      search_names, search_other,
      content = 'users', content_rowid = 'id',
      tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3',
      -- Which column a word is in, not where in it: all the search asks, and half the writing.
      detail = column, columnsize = 0
    );
    CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
      INSERT INTO users_search (rowid, search_names, search_other) VALUES (new.id, new.search_names, new.search_other);
    END;
    CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
      INSERT INTO users_search (users_search, rowid, search_names, search_other) VALUES ('delete', old.id, old.search_names, old.search_other);
    END;
    -- A row not yet filled in (name_key NULL) was never indexed: there is nothing to delete.
    CREATE TRIGGER users_search_update AFTER UPDATE OF search_names, search_other ON users
    WHEN old.search_names IS NOT new.search_names OR old.search_other IS NOT new.search_other BEGIN
      INSERT INTO users_search (users_search, rowid, search_names, search_other)
        SELECT 'delete', old.id, old.search_names, old.search_other WHERE old.name_key IS NOT NULL;
      INSERT INTO users_search (rowid, search_names, search_other) VALUES (new.id, new.search_names, new.search_other);
    END;
    `,
    postgres: `
    ALTER TABLE users
      ADD COLUMN manager text COLLATE "C",
      ADD COLUMN name_key text COLLATE "C",
      ADD COLUMN search_names text,
      ADD COLUMN search_other text,
      ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(search_names, '')), 'A') || setweight(to_tsvector('simple', coalesce(search_other, '')), 'B')
      ) STORED;
    CREATE INDEX users_by_name_key ON users (name_key, lower(email));
    CREATE INDEX users_by_manager ON users (lower(manager), name_key);
    CREATE INDEX users_search ON users USING gin (search);
    `,
    then: 'fillUserSearchColumns',
  },
  {
    // PostgreSQL's people search, one tsvector per kind of field instead of one weighted
    // vector: a GIN index keeps no weights, so "in the names" (weight A) rechecked every row
    // holding the word; the names' own vector answers it from the index. SQLite's FTS5
    // table already keeps the two columns apart.
    sqlite: '',
    postgres: `
    ALTER TABLE users
      DROP COLUMN search,
      ADD COLUMN names_words tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(search_names, ''))) STORED,
      ADD COLUMN other_words tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(search_other, ''))) STORED;
    CREATE INDEX users_by_names_words ON users USING gin (names_words);
    CREATE INDEX users_by_other_words ON users USING gin (other_words);
    `,
  },
  {
    // The name index carries the search columns, so a word tier that walks it (a word
    // thousands of people share) tests each row from the index alone, not from a table row
    // read in random order: about 25 times fewer page reads per row.
    sqlite: `
    DROP INDEX users_by_name_key;
    CREATE INDEX users_by_name_key ON users (name_key, email, search_names, search_other);
    `,
    postgres: '',
  },
  {
    // PostgreSQL's name index carries what a word tier tests and the row's id, so walking it
    // is an index-only scan (a table row read per row tested was ~50 times dearer at a
    // million people). The plain name index it replaces, and the four lower(name) indexes
    // that no query reads since the search moved to words, only slowed imports.
    // word_starts: the first one to four letters of every word of the names, as
    // lexemes, so "a word starts with 'mar'" is one GIN key (one list, intersected with the
    // others' in the index) instead of a merge of every word's list that starts so.
    sqlite: '',
    postgres: `
    DROP INDEX users_by_name_key, users_by_lower_display_name, users_by_given_name, users_by_surname, users_by_alias;
    CREATE INDEX users_by_name_key ON users (name_key, lower(email)) INCLUDE (email, search_names, search_other, id);
    CREATE FUNCTION word_starts(words text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT coalesce(array_to_tsvector(array_agg(DISTINCT left(word, n))), ''::tsvector)
      FROM regexp_split_to_table(words, ' ') AS word, generate_series(1, 4) AS n WHERE word <> ''
    $$;
    CREATE INDEX users_by_word_starts ON users USING gin (word_starts(search_names));
    `,
  },
  {
    // The other fields' words by their first letters too: the planner estimates a prefix
    // search in other_words ('manager':*) at a few hundred rows when tens of thousands hold
    // it, and merges every word's list to answer it; word_starts keys are estimated from
    // their statistics and read as one list each. other_words is then read by no query.
    sqlite: '',
    postgres: `
    CREATE INDEX users_by_other_word_starts ON users USING gin (word_starts(search_other));
    DROP INDEX users_by_other_words;
    ALTER TABLE users DROP COLUMN other_words;
    `,
  },
  {
    // "Each word starts a word of the names or of the other fields" as one AND of keys in one
    // index: as an OR of two indexes per word, the planner read the rows of one word and
    // tested the rest on them (9,000 rows for "alice.gu.46" at a million people).
    sqlite: '',
    postgres: `
    DROP INDEX users_by_other_word_starts;
    CREATE INDEX users_by_all_word_starts ON users USING gin (word_starts(coalesce(search_names, '') || ' ' || coalesce(search_other, '')));
    `,
  },
  {
    // The word-start keys written by the store with each row (postgres-search-keys.ts), the
    // other fields' marked, in one column: the two indexes over word_starts() computed
    // every key in SQL, twice for the names, and were most of a large import's time.
    sqlite: '',
    postgres: 'ALTER TABLE users ADD COLUMN search_keys tsvector',
    then: 'fillUserSearchKeys',
  },
  {
    // Indexed once filled, and the indexes it replaces dropped.
    sqlite: '',
    postgres: `
    CREATE INDEX users_by_search_keys ON users USING gin (search_keys);
    DROP INDEX users_by_word_starts, users_by_all_word_starts;
    DROP FUNCTION word_starts(text);
    `,
  },
  {
    // PostgreSQL's name words in name order (postgres-name-words.ts): a row per word of a
    // user's names but the first word of the display name (the name index has that one in
    // name order already) and numbers, kept by triggers on users, so that people who share a
    // word are read in name order instead of found by walking everyone's names (a surname
    // a hundredth of a million people share: ~10,000 rows walked for a page of 101). The
    // lists also tell a long word's rare matches at once, which names_words did. A user's
    // rows are user_name_word_rows(), wherever they are made in SQL.
    sqlite: '',
    postgres: `
    CREATE TABLE user_name_words (
      word     text COLLATE "C" NOT NULL,
      name_key text COLLATE "C" NOT NULL,
      address  text COLLATE "C" NOT NULL,
      names    text NOT NULL
    );
    CREATE FUNCTION user_name_word_rows(name_key text, search_names text, email text)
      RETURNS TABLE (word text, name_key text, address text, names text) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT w, $1, lower($3), ' ' || $2 FROM unnest(string_to_array($2, ' ')) AS w
      WHERE w <> split_part($1, ' ', 1) AND w !~ '^[0-9]+$'
    $$;
    INSERT INTO user_name_words SELECT r.* FROM users u, user_name_word_rows(u.name_key, u.search_names, u.email) r;
    CREATE INDEX user_name_words_in_name_order ON user_name_words (word, name_key, address) INCLUDE (names);
    CREATE FUNCTION users_added_name_words() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO user_name_words SELECT r.* FROM added u, user_name_word_rows(u.name_key, u.search_names, u.email) r;
      RETURN NULL;
    END $$;
    CREATE FUNCTION users_removed_name_words() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM user_name_words s USING removed u, user_name_word_rows(u.name_key, u.search_names, u.email) r
        WHERE s.word = r.word AND s.name_key = r.name_key AND s.address = r.address;
      RETURN NULL;
    END $$;
    CREATE FUNCTION users_changed_name_words() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM user_name_words s
        USING before u JOIN after a ON a.id = u.id CROSS JOIN LATERAL user_name_word_rows(u.name_key, u.search_names, u.email) r
        WHERE (u.name_key, u.search_names, lower(u.email)) IS DISTINCT FROM (a.name_key, a.search_names, lower(a.email))
          AND s.word = r.word AND s.name_key = r.name_key AND s.address = r.address;
      INSERT INTO user_name_words SELECT r.*
        FROM after u JOIN before b ON b.id = u.id CROSS JOIN LATERAL user_name_word_rows(u.name_key, u.search_names, u.email) r
        WHERE (u.name_key, u.search_names, lower(u.email)) IS DISTINCT FROM (b.name_key, b.search_names, lower(b.email));
      RETURN NULL;
    END $$;
    CREATE TRIGGER users_added_name_words AFTER INSERT ON users REFERENCING NEW TABLE AS added
      FOR EACH STATEMENT EXECUTE FUNCTION users_added_name_words();
    CREATE TRIGGER users_removed_name_words AFTER DELETE ON users REFERENCING OLD TABLE AS removed
      FOR EACH STATEMENT EXECUTE FUNCTION users_removed_name_words();
    CREATE TRIGGER users_changed_name_words AFTER UPDATE ON users REFERENCING OLD TABLE AS before NEW TABLE AS after
      FOR EACH STATEMENT EXECUTE FUNCTION users_changed_name_words();
    ALTER TABLE users DROP COLUMN names_words;
    `,
  },
  {
    // PostgreSQL's display-name index served only the full listing (an export, the LDAP
    // prune), which sorts the table as fast, and cost every import 1.5 s at a million people.
    sqlite: '',
    postgres: 'DROP INDEX users_by_display_name',
  },
  {
    // A mailbox's contacts in name order, as PostgreSQL has them: a page of them (FindItem,
    // Graph's /me/contacts) read its rows in order, where the mailbox index alone sorted all
    // of the mailbox's contacts for every page, ~9 ms a page at 2,500 of them.
    sqlite: `
    CREATE INDEX contacts_in_name_order ON contacts (mailbox, display_name, id);
    DROP INDEX contacts_by_mailbox;
    `,
    postgres: '',
  },
  {
    // Contacts found as people are, case and accents ignored: SQLite's LIKE and PostgreSQL's
    // lower() left "ZOË" apart from "Zoë" and "angela" from "Ángela".
    sqlite: `
    ALTER TABLE contacts ADD COLUMN name_key TEXT;
    ALTER TABLE contacts ADD COLUMN search_names TEXT;
    `,
    postgres: 'ALTER TABLE contacts ADD COLUMN name_key text, ADD COLUMN search_names text',
    then: 'fillContactSearchColumns',
  },
  {
    // Contacts listed as Exchange lists them, case and accents ignored (by name_key): by
    // code point, "emile" and "Émile" came after "Zed". PostgreSQL's folded columns compare
    // by code point as everywhere else, whatever the server's locale.
    sqlite: `
    CREATE INDEX contacts_in_folded_name_order ON contacts (mailbox, name_key, display_name, id);
    DROP INDEX contacts_in_name_order;
    `,
    postgres: `
    ALTER TABLE contacts ALTER COLUMN name_key TYPE text COLLATE "C", ALTER COLUMN search_names TYPE text COLLATE "C";
    CREATE INDEX contacts_in_folded_name_order ON contacts (lower(mailbox), name_key, display_name, id);
    DROP INDEX contacts_by_mailbox;
    `,
  },
  {
    // A mailbox is found by its other addresses too (secondary proxy addresses, a
    // userPrincipalName), kept with the user as a JSON array of lower-case addresses.
    // SQLite looks them up in a table its triggers keep from that column (first come keeps
    // an address two users claim), PostgreSQL through a GIN index on the column itself.
    sqlite: `
    ALTER TABLE users ADD COLUMN other_addresses TEXT;
    CREATE TABLE user_addresses (
      address TEXT PRIMARY KEY COLLATE NOCASE,
      user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX user_addresses_by_user ON user_addresses (user_id);
    ${USER_ADDRESS_TRIGGERS}    `,
    postgres: `
    ALTER TABLE users ADD COLUMN other_addresses jsonb;
    CREATE INDEX users_by_other_address ON users USING gin (other_addresses jsonb_path_ops);
    `,
  },
  {
    // ResolveNames' `sip:` routing type: the start of a SIP address, case ignored as everywhere.
    sqlite: 'CREATE INDEX users_by_sip_address ON users (lower(sip_address))',
    postgres: 'CREATE INDEX users_by_sip_address ON users (lower(sip_address))',
  },
  {
    // Every claim of an address is kept, so that the stores agree on its owner (a primary
    // address its own, else the earliest user claiming it) and none is lost when its owner
    // drops it: a first-come table forgot a later claimant's.
    sqlite: `
    DROP TRIGGER users_addresses_insert;
    DROP TRIGGER users_addresses_update;
    DROP TABLE user_addresses;
    CREATE TABLE user_addresses (
      address TEXT NOT NULL COLLATE NOCASE,
      user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      PRIMARY KEY (address, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX user_addresses_by_user ON user_addresses (user_id);
    INSERT OR IGNORE INTO user_addresses (address, user_id)
      SELECT a.value, u.id FROM users u, json_each(u.other_addresses) a WHERE u.other_addresses IS NOT NULL;
    ${USER_ADDRESS_TRIGGERS}    `,
    postgres: '',
  },
  {
    // migrate-store copied contacts without their folded names until this version, so
    // PostgreSQL found and ordered none of them: a store it made gets them now.
    sqlite: '',
    postgres: '',
    then: 'fillContactSearchColumns',
  },
  {
    // Autodiscover finds the mailbox a legacy DN names by its alias; lower() is ASCII's in
    // both (PostgreSQL's column is "C"), so the stores agree on which aliases are the same.
    sqlite: 'CREATE INDEX users_by_alias ON users (lower(alias))',
    postgres: 'CREATE INDEX users_by_alias ON users (lower(alias))',
  },
  {
    // Addresses in one spelling (canonicalSmtpAddress): a mailbox imported decomposed (NFD) or
    // with its domain's A-label was not found by the composed or Unicode form, nor the other
    // way round. Two users whose addresses become one are one: the first imported (the lower
    // id) is kept, with its photo, as an import keeps the first spelling of an address given twice.
    sqlite: '',
    postgres: '',
    then: 'canonicalizeAddresses',
  },
  {
    // Names fold as people type them (search-text.ts): a final sigma as σ ("ΚΩΣ" missed
    // Κώστας), a word's apostrophes and format characters (ZWNJ) no break in it, and a word
    // with them or with hyphens found by its parts and its joined form ("oneill" missed
    // O'Neill). Only rows whose names fold otherwise are written. The name-words trigger
    // joins its statement's old and new rows, tables without statistics, which the planner
    // joined by nested loops: a 10,000-row update of 31,000 users took 1.7 s, 0.5 s hashed
    // (and an upgrade of 100,000 users ten minutes).
    sqlite: '',
    postgres: 'ALTER FUNCTION users_changed_name_words() SET enable_nestloop = off',
    then: 'refoldSearchColumns',
  },
  {
    // A contact's own addresses in one spelling, as its mailbox's are since canonicalizeAddresses:
    // a contact imported decomposed (NFD) or with its domain's A-label was not found by the
    // composed or Unicode form, and imported again in that form became a second contact. Two
    // contacts whose addresses become one stay two: each is an item its owner made, with its
    // own id and photo, and a later import of that person updates the first of them.
    sqlite: '',
    postgres: '',
    then: 'canonicalizeContactAddresses',
  },
  {
    // A user's SIP address in one spelling, as their email addresses are: one imported decomposed
    // (NFD) or with its domain's A-label was not found by ResolveNames' `sip:` in another.
    sqlite: '',
    postgres: '',
    then: 'canonicalizeSipAddresses',
  },
  {
    // Mailboxes hidden from address lists (msExchHideFromAddressLists): kept, with no search
    // columns (searchColumnsOf), so that no list or search finds them but their address does.
    // The few hidden are indexed apart: everyone listed is counted as all less them.
    sqlite: `
    ALTER TABLE users ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX users_hidden ON users (id) WHERE hidden;
    `,
    postgres: `
    ALTER TABLE users ADD COLUMN hidden boolean NOT NULL DEFAULT false;
    CREATE INDEX users_hidden ON users (id) WHERE hidden;
    `,
  },
  {
    // Graph's contact delta tokens: what a client has of a mailbox's contacts (a SyncState), by
    // a random token, the newest few of each mailbox kept (delta-tokens.ts). Not copied by
    // migrate-store: a client whose token is gone syncs again from the start.
    sqlite: `
    CREATE TABLE delta_tokens (
      id INTEGER PRIMARY KEY,
      token TEXT NOT NULL UNIQUE,
      mailbox TEXT NOT NULL COLLATE NOCASE,
      state TEXT NOT NULL
    );
    CREATE INDEX delta_tokens_mailbox ON delta_tokens (mailbox, id);
    `,
    postgres: `
    CREATE TABLE delta_tokens (
      id bigserial PRIMARY KEY,
      token text NOT NULL UNIQUE,
      mailbox text COLLATE "C" NOT NULL,
      state text NOT NULL
    );
    CREATE INDEX delta_tokens_mailbox ON delta_tokens (lower(mailbox), id);
    `,
  },
  {
    // A contact's id is its ItemId and Graph id for life, never another's: SQLite gives a new
    // row the largest id there is plus one, so the newest contact's id, once it was deleted, went
    // to the next contact made — in another mailbox too — and a client holding the old id found
    // that one (a sync saw an update where there had been a delete and a create). The largest id
    // deleted is kept, and a new contact's id is past it (sqlite-store.ts, insertContact).
    // PostgreSQL's identity column never gives an id twice.
    sqlite: `
    CREATE TABLE contact_ids_deleted (largest INTEGER NOT NULL);
    INSERT INTO contact_ids_deleted VALUES (0);
    CREATE TRIGGER contacts_deleted_keep_largest AFTER DELETE ON contacts WHEN old.id > (SELECT largest FROM contact_ids_deleted) BEGIN
      UPDATE contact_ids_deleted SET largest = old.id;
    END;
    `,
    postgres: '',
  },
  {
    // A contact's other names sorted and compared case and accents ignored, as its display name
    // is: lower() folds ASCII letters only, so by surname "Öztürk" came after "Zimmer", and a
    // case-ignoring "MÜLLER" did not find "Müller". Each is folded as name_key (search-text.ts).
    sqlite: `
    ALTER TABLE contacts ADD COLUMN given_name_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE contacts ADD COLUMN surname_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE contacts ADD COLUMN company_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE contacts ADD COLUMN department_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE contacts ADD COLUMN job_title_key TEXT NOT NULL DEFAULT '';
    `,
    postgres: `
    ALTER TABLE contacts
      ADD COLUMN given_name_key text COLLATE "C" NOT NULL DEFAULT '',
      ADD COLUMN surname_key text COLLATE "C" NOT NULL DEFAULT '',
      ADD COLUMN company_key text COLLATE "C" NOT NULL DEFAULT '',
      ADD COLUMN department_key text COLLATE "C" NOT NULL DEFAULT '',
      ADD COLUMN job_title_key text COLLATE "C" NOT NULL DEFAULT '';
    `,
    then: 'fillContactNameKeys',
  },
  {
    // A mailbox's contacts read in the order of each other name, as they are in the display
    // name's: sorted by department, a page of 150,000 contacts sorted them all (2.8 s of the
    // event loop); with the index only the page's own rows are read, and ties sorted among themselves.
    sqlite: `
    CREATE INDEX contacts_by_given_name_key ON contacts (mailbox, given_name_key);
    CREATE INDEX contacts_by_surname_key ON contacts (mailbox, surname_key);
    CREATE INDEX contacts_by_company_key ON contacts (mailbox, company_key);
    CREATE INDEX contacts_by_department_key ON contacts (mailbox, department_key);
    CREATE INDEX contacts_by_job_title_key ON contacts (mailbox, job_title_key);
    `,
    postgres: `
    CREATE INDEX contacts_by_given_name_key ON contacts (lower(mailbox), given_name_key);
    CREATE INDEX contacts_by_surname_key ON contacts (lower(mailbox), surname_key);
    CREATE INDEX contacts_by_company_key ON contacts (lower(mailbox), company_key);
    CREATE INDEX contacts_by_department_key ON contacts (lower(mailbox), department_key);
    CREATE INDEX contacts_by_job_title_key ON contacts (lower(mailbox), job_title_key);
    `,
  },
  {
    // A mailbox's contacts' versions read by id, a few thousand at a time (SyncFolderItems,
    // Graph delta): SQLite found them through another name's index and sorted them, 600–900 ms
    // of the event loop for 150,000 contacts in one statement; this index holds all a chunk reads.
    sqlite: 'CREATE INDEX contacts_by_id ON contacts (mailbox, id, updated_at);',
    postgres: 'CREATE INDEX contacts_by_id ON contacts (lower(mailbox), id) INCLUDE (updated_at);',
  },
  {
    // The name-words trigger of an update joins the statement's old and new rows by hashing,
    // as their tables have no statistics, but with nested loops off for the whole function its
    // DELETE read every word of every user for each batch of an import too, and its cost
    // estimate had each batch compiled by JIT: re-importing 120,000 users took an hour (SQLite:
    // 11 s). Now the changed rows are found first (none: done), and their words deleted and
    // written through the words' index.
    sqlite: '',
    postgres: `
    CREATE OR REPLACE FUNCTION users_changed_name_words() RETURNS trigger LANGUAGE plpgsql
      SET enable_nestloop = off SET jit = off AS $$
    DECLARE
      changed bigint[];
    BEGIN
      SELECT array_agg(u.id) INTO changed FROM before u JOIN after a ON a.id = u.id
        WHERE (u.name_key, u.search_names, lower(u.email)) IS DISTINCT FROM (a.name_key, a.search_names, lower(a.email));
      IF changed IS NULL THEN
        RETURN NULL;
      END IF;
      SET LOCAL enable_nestloop = on;
      DELETE FROM user_name_words s USING before u CROSS JOIN LATERAL user_name_word_rows(u.name_key, u.search_names, u.email) r
        WHERE u.id = ANY (changed) AND s.word = r.word AND s.name_key = r.name_key AND s.address = r.address;
      INSERT INTO user_name_words SELECT r.* FROM after u CROSS JOIN LATERAL user_name_word_rows(u.name_key, u.search_names, u.email) r
        WHERE u.id = ANY (changed);
      RETURN NULL;
    END $$;
    `,
  },
  {
    // SQLite keeps a row's columns in order, and a large photo's bytes on overflow pages, so
    // reading a column after them walks the whole chain: a page of 60 contacts with 350 KB
    // photos read 5,000 pages for their hashes and sizes (10 ms; 80 cold), and every version
    // read for a sync, every directory row's photo hash, the same. The bytes go last (SQLite's
    // file format, "Overflow pages"). PostgreSQL keeps large values apart (TOAST) already.
    sqlite: photoTableWithBytesLast('user_photos', 'user_id', 'users(id)') + photoTableWithBytesLast('contact_photos', 'contact_id', 'contacts(id)'),
    postgres: '',
  },
  {
    // Names stored composed (storedText), as every write now stores them: one imported decomposed
    // (a CSV saved on a Mac: "Rene\u0301e") was not found by an exact Restriction for "Renée",
    // nor the other way round. A row's change time stays: its text is the same text (UAX #15's
    // canonical equivalence), so a client's copy of the contact is not out of date.
    sqlite: '',
    postgres: '',
    then: 'composeStoredText',
  },
  {
    // A legacy DN's name is a mailbox's alias, or the local part of the address of one with
    // none: those are found by this index however many others share the local part (a prefix
    // scan capped at ten had the eleventh bearer of a DN unseen, and the DN taken as another's).
    sqlite: 'CREATE INDEX users_without_alias ON users (email) WHERE alias IS NULL',
    postgres: 'CREATE INDEX users_without_alias ON users (lower(email)) WHERE alias IS NULL',
  },
  {
    // No one is their own manager: a CSV or JSON import before this version kept a person's own
    // address as their manager (import-ldap never did), and the page and Graph showed them as
    // their own manager and report. Imports now leave such a manager out; this clears those kept.
    sqlite: 'UPDATE users SET manager = NULL WHERE manager = email',
    postgres: 'UPDATE users SET manager = NULL WHERE lower(manager) = lower(email)',
  },
  {
    // A delta token's kind, each kept to its own bound (delta-tokens.ts): a round's page tokens
    // counted against the deltaLinks, so one device's round of 101 pages let every other
    // device's deltaLink go. The tokens kept so far are taken as deltaLinks.
    sqlite: `
    ALTER TABLE delta_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'delta';
    DROP INDEX delta_tokens_mailbox;
    CREATE INDEX delta_tokens_mailbox ON delta_tokens (mailbox, kind, id);
    `,
    postgres: `
    ALTER TABLE delta_tokens ADD COLUMN kind text NOT NULL DEFAULT 'delta';
    DROP INDEX delta_tokens_mailbox;
    CREATE INDEX delta_tokens_mailbox ON delta_tokens (lower(mailbox), kind, id);
    `,
  },
];
