import type { Account, Role } from '../domain/account.js';
import type { DirectoryUser } from '../domain/directory.js';
import type { NormalizedPhoto, PhotoFingerprint, StoredPhoto } from '../domain/photo.js';

/**
 * Everything the bridge keeps. Asynchronous so that a networked implementation
 * (PostgreSQL) can stand behind the same interface as the embedded SQLite one.
 */
export interface Store {
  /** Inserts or updates all users in one transaction: all of them land, or none. */
  upsertUsers(users: readonly DirectoryUser[]): Promise<void>;
  getUser(email: string): Promise<DirectoryUser | undefined>;
  listUsers(): Promise<DirectoryUser[]>;
  removeUser(email: string): Promise<boolean>;
  countUsers(): Promise<number>;

  getPhoto(email: string): Promise<StoredPhoto | undefined>;
  getPhotoFingerprint(email: string): Promise<PhotoFingerprint | undefined>;
  /** False when there is no such user. */
  setPhoto(email: string, photo: NormalizedPhoto, source: string): Promise<boolean>;
  removePhoto(email: string): Promise<boolean>;

  putAccount(username: string, passwordHash: string, role: Role): Promise<void>;
  getAccount(username: string): Promise<Account | undefined>;
  listAccounts(): Promise<Omit<Account, 'passwordHash'>[]>;
  removeAccount(username: string): Promise<boolean>;

  /** Changes whenever another process commits to the store, so caches can be dropped. */
  changeCounter(): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
