/**
 * Schema history, applied in order; `PRAGMA user_version` records how far a database
 * has come. Append, never edit: a shipped database has already run the earlier steps.
 */
export const MIGRATIONS: readonly string[] = [
  `
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
  `
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
  `
  CREATE INDEX users_by_display_name ON users (display_name, email);
  `,
];
