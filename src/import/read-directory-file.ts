import { EXTERNAL_REF_KEYS, OPTIONAL_USER_FIELDS, type DirectoryUserUpdate, type OptionalUserField } from '../domain/directory.js';
import { readCsvRecords, type LocatedRecord } from './csv-records.js';
import { ImportFileError, nobodyIn } from './import-file-error.js';
import { DIRECTORY_COLUMNS, toDirectoryUser } from './directory-record.js';

/** The formats a directory file is read and written in (an LDIF export is only read, by ldif-directory.ts). */
export const DIRECTORY_FORMATS = ['csv', 'json'] as const;
export type DirectoryFormat = (typeof DIRECTORY_FORMATS)[number];

/**
 * Reads a whole directory file and checks every record. All problems are collected,
 * each with its line (CSV) or position (JSON), and any problem rejects the whole file,
 * so an import is all or nothing. A file of nobody is refused as well (nobodyIn). Each user
 * keeps, as the directory has them, the fields its record leaves out (DirectoryUserUpdate).
 * `stored`: the addresses with characters that show nothing the directory has already (toDirectoryUser).
 */
export function readDirectoryFile(content: string, format: DirectoryFormat, stored?: ReadonlySet<string>): DirectoryUserUpdate[] {
  const checked = new CheckedUsers(stored);
  const keptBy = keptFieldsReader();
  for (const { where, record } of format === 'csv' ? readCsvRecords<Record<string, unknown>>(content, DIRECTORY_COLUMNS, ['email']) : jsonRecords(content)) {
    if (typeof record === 'string') checked.problems.push(`${where}: ${record}`);
    else checked.add(where, record, keptBy(record));
  }
  const users = checked.all();
  if (users.length === 0) throw new ImportFileError([nobodyIn('users')]);
  return users;
}

/**
 * Directory records checked one by one, every problem kept with where it was (an
 * invalid record, an address seen twice), so a file is refused with all of them at once.
 */
export class CheckedUsers {
  readonly users: DirectoryUserUpdate[] = [];
  readonly problems: string[] = [];
  private readonly seen = new Map<string, string>();

  constructor(private readonly stored?: ReadonlySet<string>) {}

  /** The user the record describes, keeping the fields `kept` as stored, or undefined when it is not one (its problem is kept). */
  add(where: string, record: Record<string, unknown>, kept?: readonly OptionalUserField[]): DirectoryUserUpdate | undefined {
    const user: DirectoryUserUpdate | string = toDirectoryUser(record, this.stored);
    if (typeof user === 'string') {
      this.problems.push(`${where}: ${user}`);
      return undefined;
    }
    if (kept) user.kept = kept;
    // A primary address is one mailbox's. Another address two rows claim, or one that is
    // another's primary, is kept as the directory has it: the stores answer it for the
    // primary's owner, else the first to claim it (an export of such a directory imports again).
    const earlier = this.seen.get(user.email);
    if (earlier) this.problems.push(`${where}: ${user.email} already appears at ${earlier}`);
    this.seen.set(user.email, where);
    this.users.push(user);
    return user;
  }

  /** Every user, or an ImportFileError with every problem. */
  all(): DirectoryUserUpdate[] {
    if (this.problems.length > 0) throw new ImportFileError(this.problems);
    return this.users;
  }
}

/**
 * The fields each record leaves out, or undefined for one that gives them all; one array
 * for records that leave out the same, as a CSV file's rows all do: at a million rows, an
 * array each would cost a hundred megabytes.
 */
function keptFieldsReader(): (record: Record<string, unknown>) => readonly OptionalUserField[] | undefined {
  const known = new Map<string, readonly OptionalUserField[]>();
  return (record) => {
    const kept = OPTIONAL_USER_FIELDS.filter((field) => !Object.hasOwn(record, field));
    if (kept.length === 0) return undefined;
    const key = kept.join();
    const same = known.get(key);
    if (same) return same;
    known.set(key, kept);
    return kept;
  };
}

/** Each item as a flat record, or the one-line reason it cannot be one. */
function jsonRecords(content: string): LocatedRecord<Record<string, unknown> | string>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (error) {
    throw new ImportFileError([`not JSON: ${(error as Error).message}`]);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { users?: unknown })?.users;
  if (!Array.isArray(list)) throw new ImportFileError(['expected an array of users, or an object with a "users" array']);
  return list.map((item: unknown, i) => ({
    where: `item ${i + 1}`,
    record:
      item && typeof item === 'object' && !Array.isArray(item)
        ? flattenRefs(item as Record<string, unknown>)
        : 'not an object (each item is a user: {"email": …, "displayName": …})',
  }));
}

const REF_KEYS: ReadonlySet<string> = new Set(EXTERNAL_REF_KEYS);

/**
 * JSON may nest the references as `refs: {…}`, the way an export writes them. Only those:
 * spread over the item, any other key there (`email`, `displayName`) overwrote the item's own.
 */
function flattenRefs(item: Record<string, unknown>): Record<string, unknown> | string {
  const { refs, ...rest } = item;
  if (refs === undefined || refs === null) return rest;
  if (typeof refs !== 'object' || Array.isArray(refs)) return 'refs is not an object';
  const keys = Object.keys(refs);
  const unknown = keys.filter((key) => !REF_KEYS.has(key));
  if (unknown.length > 0)
    return `unknown reference ${unknown.map((key) => `'${key}'`).join(', ')} in refs (the references are ${EXTERNAL_REF_KEYS.join(', ')})`;
  const twice = keys.filter((key) => Object.hasOwn(rest, key));
  if (twice.length > 0) return `${twice.map((key) => `'${key}'`).join(', ')} given both in refs and beside it`;
  return { ...rest, ...refs };
}
