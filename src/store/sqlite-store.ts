import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Account, Role } from '../domain/account.js';
import type { DirectoryUser, ExternalRefs } from '../domain/directory.js';
import type { NormalizedPhoto, PhotoFingerprint, StoredPhoto } from '../domain/photo.js';
import { MIGRATIONS } from './migrations.js';
import type { Store } from './store.js';

interface UserRow {
  email: string;
  display_name: string;
  given_name: string | null;
  surname: string | null;
  alias: string | null;
  company: string | null;
  department: string | null;
  title: string | null;
  business_phone: string | null;
  mobile_phone: string | null;
  sip_address: string | null;
  refs: string;
}

interface PhotoRow {
  bytes: Buffer;
  content_type: 'image/jpeg';
  width: number;
  height: number;
  sha256: string;
  source: string;
  updated_at: string;
}

const USER_COLUMNS =
  'email, display_name, given_name, surname, alias, company, department, title, business_phone, mobile_phone, sip_address, refs';

/** The embedded store: one SQLite file in WAL mode, so readers never wait for the writer. */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.statements = this.prepare();
  }

  private migrate(): void {
    const applied = this.db.pragma('user_version', { simple: true }) as number;
    if (applied > MIGRATIONS.length) {
      throw new Error(`database schema version ${applied} is newer than this bridge knows (${MIGRATIONS.length}); upgrade the bridge`);
    }
    const step = this.db.transaction((sql: string, version: number) => {
      this.db.exec(sql);
      this.db.pragma(`user_version = ${version}`);
    });
    MIGRATIONS.slice(applied).forEach((sql, i) => step(sql, applied + i + 1));
  }

  private prepare() {
    const db = this.db;
    return {
      upsertUser: db.prepare(
        `INSERT INTO users (${USER_COLUMNS}, updated_at)
         VALUES (@email, @displayName, @givenName, @surname, @alias, @company, @department, @title,
                 @businessPhone, @mobilePhone, @sipAddress, @refs, @updatedAt)
         ON CONFLICT (email) DO UPDATE SET
           display_name = excluded.display_name, given_name = excluded.given_name,
           surname = excluded.surname, alias = excluded.alias, company = excluded.company,
           department = excluded.department, title = excluded.title,
           business_phone = excluded.business_phone, mobile_phone = excluded.mobile_phone,
           sip_address = excluded.sip_address, refs = excluded.refs, updated_at = excluded.updated_at`,
      ),
      getUser: db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE email = ?`),
      listUsers: db.prepare<[], UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY display_name, email`),
      removeUser: db.prepare<[string]>('DELETE FROM users WHERE email = ?'),
      countUsers: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users'),
      getPhoto: db.prepare<[string], PhotoRow>(
        `SELECT p.bytes, p.content_type, p.width, p.height, p.sha256, p.source, p.updated_at
         FROM user_photos p JOIN users u ON u.id = p.user_id WHERE u.email = ?`,
      ),
      getFingerprint: db.prepare<[string], PhotoFingerprint>(
        `SELECT p.sha256, p.width, p.height FROM user_photos p JOIN users u ON u.id = p.user_id WHERE u.email = ?`,
      ),
      setPhoto: db.prepare(
        `INSERT INTO user_photos (user_id, bytes, content_type, width, height, sha256, source, updated_at)
         SELECT id, @bytes, @contentType, @width, @height, @sha256, @source, @updatedAt FROM users WHERE email = @email
         ON CONFLICT (user_id) DO UPDATE SET
           bytes = excluded.bytes, content_type = excluded.content_type, width = excluded.width,
           height = excluded.height, sha256 = excluded.sha256, source = excluded.source,
           updated_at = excluded.updated_at`,
      ),
      removePhoto: db.prepare<[string]>(
        'DELETE FROM user_photos WHERE user_id = (SELECT id FROM users WHERE email = ?)',
      ),
      putAccount: db.prepare(
        `INSERT INTO accounts (username, password_hash, role, created_at) VALUES (@username, @passwordHash, @role, @now)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role`,
      ),
      getAccount: db.prepare<[string], { username: string; password_hash: string; role: Role }>(
        'SELECT username, password_hash, role FROM accounts WHERE username = ?',
      ),
      listAccounts: db.prepare<[], { username: string; role: Role }>('SELECT username, role FROM accounts ORDER BY username'),
      removeAccount: db.prepare<[string]>('DELETE FROM accounts WHERE username = ?'),
    };
  }

  async upsertUsers(users: readonly DirectoryUser[]): Promise<void> {
    const updatedAt = new Date().toISOString();
    const insertAll = this.db.transaction((rows: readonly DirectoryUser[]) => {
      for (const user of rows) this.statements.upsertUser.run(toUserParams(user, updatedAt));
    });
    insertAll(users);
  }

  async getUser(email: string): Promise<DirectoryUser | undefined> {
    const row = this.statements.getUser.get(email);
    return row && fromUserRow(row);
  }

  async listUsers(): Promise<DirectoryUser[]> {
    return this.statements.listUsers.all().map(fromUserRow);
  }

  async removeUser(email: string): Promise<boolean> {
    return this.statements.removeUser.run(email).changes > 0;
  }

  async countUsers(): Promise<number> {
    return this.statements.countUsers.get()?.n ?? 0;
  }

  async getPhoto(email: string): Promise<StoredPhoto | undefined> {
    const row = this.statements.getPhoto.get(email);
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

  async getPhotoFingerprint(email: string): Promise<PhotoFingerprint | undefined> {
    return this.statements.getFingerprint.get(email);
  }

  async setPhoto(email: string, photo: NormalizedPhoto, source: string): Promise<boolean> {
    const result = this.statements.setPhoto.run({
      email,
      bytes: photo.bytes,
      contentType: photo.contentType,
      width: photo.width,
      height: photo.height,
      sha256: photo.sha256,
      source,
      updatedAt: new Date().toISOString(),
    });
    return result.changes > 0;
  }

  async removePhoto(email: string): Promise<boolean> {
    return this.statements.removePhoto.run(email).changes > 0;
  }

  async putAccount(username: string, passwordHash: string, role: Role): Promise<void> {
    this.statements.putAccount.run({ username, passwordHash, role, now: new Date().toISOString() });
  }

  async getAccount(username: string): Promise<Account | undefined> {
    const row = this.statements.getAccount.get(username);
    return row && { username: row.username, passwordHash: row.password_hash, role: row.role };
  }

  async listAccounts(): Promise<Omit<Account, 'passwordHash'>[]> {
    return this.statements.listAccounts.all();
  }

  async removeAccount(username: string): Promise<boolean> {
    return this.statements.removeAccount.run(username).changes > 0;
  }

  async changeCounter(): Promise<number> {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function toUserParams(user: DirectoryUser, updatedAt: string) {
  return {
    email: user.email,
    displayName: user.displayName,
    givenName: user.givenName ?? null,
    surname: user.surname ?? null,
    alias: user.alias ?? null,
    company: user.company ?? null,
    department: user.department ?? null,
    title: user.title ?? null,
    businessPhone: user.businessPhone ?? null,
    mobilePhone: user.mobilePhone ?? null,
    sipAddress: user.sipAddress ?? null,
    refs: JSON.stringify(user.refs),
    updatedAt,
  };
}

function fromUserRow(row: UserRow): DirectoryUser {
  const user: DirectoryUser = {
    email: row.email,
    displayName: row.display_name,
    refs: JSON.parse(row.refs) as ExternalRefs,
  };
  const optional = {
    givenName: row.given_name,
    surname: row.surname,
    alias: row.alias,
    company: row.company,
    department: row.department,
    title: row.title,
    businessPhone: row.business_phone,
    mobilePhone: row.mobile_phone,
    sipAddress: row.sip_address,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== null) (user as unknown as Record<string, string>)[key] = value;
  }
  return user;
}
