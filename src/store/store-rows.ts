import type { Contact, ContactFields } from '../domain/contact.js';
import { EXTERNAL_REF_KEYS, type DirectoryUser, type DirectoryUserUpdate, type ExternalRefs } from '../domain/directory.js';
import { canonicalSmtpAddress, canonicalUpToAsciiCase, mayHaveOtherSpelling } from '../domain/email.js';
import { asciiLower, storedText } from '../domain/plain-text.js';
import { inTurnWithRoom } from '../loop-turns.js';
import { contactNameKeysOf, contactSearchColumnsOf, searchColumnsOf, type ContactNameKeys, type ContactSearchColumns } from './search-text.js';
import { MAX_DIRECT_REPORTS, type ContactVersion, type DirectoryEntry, type PersonRef } from './store.js';

/** A users row as both stores select it (`refs` as JSON text). */
export interface UserRow {
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
  manager: string | null;
  refs: string;
  /** JSON; selected where the whole user is read (not by the people search, which shows the address alone). */
  other_addresses?: string | null;
  /** Hidden from address lists: SQLite's 0/1, PostgreSQL's boolean; absent in a row a schema step read before the column was added. */
  hidden?: number | boolean;
}

/** The columns of a users row holding text as people write it, which every write stores composed (storedText); addresses have their canonical form. */
export const USER_TEXT_COLUMNS = [
  'display_name',
  'given_name',
  'surname',
  'alias',
  'company',
  'department',
  'title',
  'business_phone',
  'mobile_phone',
] as const;

/** A user's own fields, as both stores' users table names them (the references apart: JSON). */
export const USER_FIELD_COLUMNS = ['email', ...USER_TEXT_COLUMNS, 'sip_address', 'manager'] as const;

/**
 * What a write of a user stores, in both stores' users table: its fields, the search
 * columns made from them, its references as JSON, and whether it is hidden (1 or 0, which
 * SQLite's INTEGER and PostgreSQL's boolean both read).
 */
export const WRITTEN_USER_COLUMNS = [...USER_FIELD_COLUMNS, 'name_key', 'search_names', 'search_other', 'refs', 'other_addresses', 'hidden'] as const;

/** A user's values in the order of WRITTEN_USER_COLUMNS. */
export function writtenUserValues(user: DirectoryUser): (string | null)[] {
  const search = searchColumnsOf(user);
  return [
    user.email,
    storedText(user.displayName),
    storedOrNull(user.givenName),
    storedOrNull(user.surname),
    storedOrNull(user.alias),
    storedOrNull(user.company),
    storedOrNull(user.department),
    storedOrNull(user.title),
    storedOrNull(user.businessPhone),
    storedOrNull(user.mobilePhone),
    // In an email address's spelling but for ASCII case, which both stores' lower() ignores: ResolveNames' `sip:` compares it so (Store.usersByAddressPrefix).
    user.sipAddress === undefined ? null : canonicalUpToAsciiCase(user.sipAddress),
    user.manager ?? null,
    search.name_key,
    search.search_names,
    search.search_other,
    JSON.stringify(user.refs),
    // In ASCII lower case, as both stores compare addresses (PostgreSQL finds them in the list as written).
    user.otherAddresses?.length ? JSON.stringify(user.otherAddresses.map(asciiLower)) : null,
    user.hiddenFromAddressLists ? '1' : '0',
  ];
}

/** Stored users read per statement for the fields an import's users keep (storedUsersKeeping). */
export const STORED_USERS_PER_READ = 10_000;

/** The addresses of the users who keep fields as stored (DirectoryUserUpdate): those whose stored selves withKeptFields needs. */
export function storedUsersKeeping(users: readonly DirectoryUserUpdate[]): string[] {
  return users.filter((user) => user.kept !== undefined).map((user) => user.email);
}

const REF_KEYS: ReadonlySet<string> = new Set(EXTERNAL_REF_KEYS);

/**
 * The users as an import writes them, whole: the fields each keeps taken from the rows the
 * directory has under those addresses (storedUsersKeeping's); a newcomer has none of them.
 * Written whole, rather than each kept column left alone by the upsert, as the search columns
 * are made from the fields together (searchColumnsOf): a hidden person kept hidden stays out of
 * every search only so.
 */
export function withKeptFields(users: readonly DirectoryUserUpdate[], storedRows: readonly UserRow[]): DirectoryUser[] {
  const stored = new Map(storedRows.map((row) => [asciiLower(row.email), fromUserRow(row)]));
  return users.map(({ kept, ...user }) => {
    const before = kept && stored.get(asciiLower(user.email));
    if (kept === undefined || before === undefined) return user;
    const merged: DirectoryUser = { ...user, refs: { ...user.refs } };
    for (const field of kept) {
      const [from, to] = REF_KEYS.has(field) ? [before.refs, merged.refs] : [before, merged];
      const value = (from as Record<string, unknown>)[field];
      if (value !== undefined) (to as Record<string, unknown>)[field] = value;
    }
    return merged;
  });
}

/** A field as stored (storedText), whoever wrote it; NULL when it is not set. */
export function storedOrNull(text: string | undefined): string | null {
  return text === undefined ? null : storedText(text);
}

/** The same of a contacts row. */
export const CONTACT_TEXT_COLUMNS = [
  'display_name',
  'given_name',
  'surname',
  'company',
  'department',
  'job_title',
  'business_phone',
  'mobile_phone',
  'home_phone',
] as const;

/** A row's text columns, by name. */
export type TextColumns<Column extends string> = Record<Column, string | null>;

/** A contact's names and phone numbers as both stores write them (storedText), by column; its addresses are contactAddressColumns'. */
export function contactTextColumns(contact: ContactFields): TextColumns<(typeof CONTACT_TEXT_COLUMNS)[number]> {
  return {
    display_name: storedText(contact.displayName),
    given_name: storedOrNull(contact.givenName),
    surname: storedOrNull(contact.surname),
    company: storedOrNull(contact.company),
    department: storedOrNull(contact.department),
    job_title: storedOrNull(contact.jobTitle),
    business_phone: storedOrNull(contact.phones.business),
    mobile_phone: storedOrNull(contact.phones.mobile),
    home_phone: storedOrNull(contact.phones.home),
  };
}

/**
 * A row's text columns as stored now (storedText), or undefined when they are so already: for
 * rows an older bridge wrote as they came, decomposed or not.
 */
export function storedTextColumnsOf<Column extends string>(row: TextColumns<Column>, columns: readonly Column[]): TextColumns<Column> | undefined {
  const stored = Object.fromEntries(
    columns.map((column) => {
      const text = row[column];
      return [column, text === null ? null : storedText(text)];
    }),
  ) as TextColumns<Column>;
  return columns.some((column) => stored[column] !== row[column]) ? stored : undefined;
}

/**
 * SQL that holds for a row with a character outside ASCII in one of `columns`, the same in both
 * stores: its UTF-8 is longer than its characters. Only those may be other than composed, so an
 * upgrade reads no other row (a directory is mostly ASCII): SQLite tests a million ASCII users in
 * ~0.5 s, each column on its own (their concatenation took twice as long).
 */
export function outsideAsciiSql(columns: readonly string[]): string {
  return `(${columns.map((column) => `octet_length(${column}) <> length(${column})`).join(' OR ')})`;
}

/** The columns of a users row that hold addresses (other_addresses as JSON text). */
export interface UserAddresses {
  email: string;
  manager: string | null;
  other_addresses: string | null;
}

/** A users row's addresses in their canonical form, or undefined when they are in it already (up to ASCII case, which the stores ignore). */
export function canonicalAddressesOf(row: UserAddresses): UserAddresses | undefined {
  if (!mayHaveOtherSpelling(`${row.email} ${row.manager ?? ''} ${row.other_addresses ?? ''}`)) return undefined;
  const email = canonicalSmtpAddress(row.email);
  const others = row.other_addresses === null ? [] : (JSON.parse(row.other_addresses) as string[]);
  const canonicalOthers = [...new Set(others.map(canonicalSmtpAddress))].filter((other) => other !== email);
  const canonical = {
    email,
    manager: row.manager === null ? null : canonicalSmtpAddress(row.manager),
    other_addresses: canonicalOthers.length > 0 ? JSON.stringify(canonicalOthers) : null,
  };
  const same = canonical.email === row.email && canonical.manager === row.manager && canonical.other_addresses === row.other_addresses;
  return same ? undefined : canonical;
}

/** An address a row keeps alone (a contact's mailbox, a user's SIP address) in its canonical form, or undefined when it is in it already (up to ASCII case). */
export function canonicalFormOf(address: string): string | undefined {
  const canonical = canonicalUpToAsciiCase(address);
  return canonical === address ? undefined : canonical;
}

/** A contacts row's EmailAddress1..3. */
export interface ContactAddresses {
  email1: string | null;
  email2: string | null;
  email3: string | null;
}

/**
 * A contact's addresses as both stores write them, in order, each canonical up to ASCII
 * case (canonicalUpToAsciiCase): whichever spelling a vCard or a CSV gave, the contact is
 * found by any other, and the same person imported again is the same contact.
 */
export function contactAddressColumns(addresses: readonly string[]): ContactAddresses {
  const [email1 = null, email2 = null, email3 = null] = addresses.map(canonicalUpToAsciiCase);
  return { email1, email2, email3 };
}

/** A contacts row's addresses in their canonical form, or undefined when they are in it already (up to ASCII case). */
export function canonicalContactAddressesOf(row: ContactAddresses): ContactAddresses | undefined {
  // Each in its own column: EmailAddress2 stays EmailAddress2 whatever EmailAddress1 holds.
  const inPlace = (address: string | null) => address && canonicalUpToAsciiCase(address);
  const canonical = { email1: inPlace(row.email1), email2: inPlace(row.email2), email3: inPlace(row.email3) };
  const same = canonical.email1 === row.email1 && canonical.email2 === row.email2 && canonical.email3 === row.email3;
  return same ? undefined : canonical;
}

/** A contacts row with its photo's fingerprint, as both stores select it; PostgreSQL's bigint id comes as text. */
export interface ContactRow {
  id: number | string;
  mailbox: string;
  display_name: string;
  given_name: string | null;
  surname: string | null;
  company: string | null;
  department: string | null;
  job_title: string | null;
  email1: string | null;
  email2: string | null;
  email3: string | null;
  business_phone: string | null;
  mobile_phone: string | null;
  home_phone: string | null;
  refs: string;
  created_at: string;
  updated_at: string;
  photo_sha256: string | null;
  photo_width: number | null;
  photo_height: number | null;
  photo_length: number | null;
  photo_updated_at: string | null;
}

export function fromUserRow(row: UserRow): DirectoryUser {
  return {
    email: row.email,
    displayName: row.display_name,
    refs: JSON.parse(row.refs) as ExternalRefs,
    ...(row.other_addresses ? { otherAddresses: JSON.parse(row.other_addresses) as string[] } : {}),
    ...(row.hidden ? { hiddenFromAddressLists: true as const } : {}),
    ...withoutNulls({
      givenName: row.given_name,
      surname: row.surname,
      alias: row.alias,
      company: row.company,
      department: row.department,
      title: row.title,
      businessPhone: row.business_phone,
      mobilePhone: row.mobile_phone,
      sipAddress: row.sip_address,
      manager: row.manager,
    }),
  };
}

/** A users row as the directory search selects it: with its photo's hash. */
export type DirectoryRow = UserRow & { photo_sha256: string | null };

/**
 * A user another user points to, as both stores select them; `manager` is, on a manager, the
 * address a report names them by, and on a direct report their manager's primary address, with
 * how many reports that manager has in all.
 */
export interface RelatedRow {
  manager: string;
  email: string;
  display_name: string;
  reports?: number;
}

/**
 * Directory entries from a page of rows, with the managers and direct reports the
 * directory knows (at most MAX_DIRECT_REPORTS each, and how many in all), matched by address whatever its case.
 */
export function directoryEntries(rows: readonly DirectoryRow[], managers: readonly RelatedRow[], reports: readonly RelatedRow[]): DirectoryEntry[] {
  const ref = (row: RelatedRow): PersonRef => ({ email: row.email, displayName: row.display_name });
  const managerByAddress = new Map(managers.map((row) => [row.manager.toLowerCase(), ref(row)]));
  const reportsByManager = new Map<string, { listed: PersonRef[]; count: number }>();
  for (const row of reports) {
    const key = row.manager.toLowerCase();
    const known = reportsByManager.get(key) ?? { listed: [], count: 0 };
    reportsByManager.set(key, { listed: [...known.listed, ref(row)].slice(0, MAX_DIRECT_REPORTS), count: Math.max(known.count, Number(row.reports)) });
  }
  return rows.map((row) => {
    const manager = row.manager === null ? undefined : managerByAddress.get(row.manager.toLowerCase());
    return {
      user: fromUserRow(row),
      ...(row.photo_sha256 === null ? {} : { photoSha256: row.photo_sha256 }),
      ...(manager ? { manager } : {}),
      directReports: reportsByManager.get(row.email.toLowerCase())?.listed ?? [],
      directReportCount: reportsByManager.get(row.email.toLowerCase())?.count ?? 0,
    };
  });
}

export function fromContactRow(row: ContactRow): Contact {
  const contact: Contact = {
    id: Number(row.id),
    mailbox: row.mailbox,
    displayName: row.display_name,
    emailAddresses: [row.email1, row.email2, row.email3].filter((email): email is string => email !== null),
    phones: withoutNulls({ business: row.business_phone, mobile: row.mobile_phone, home: row.home_phone }),
    refs: JSON.parse(row.refs) as ExternalRefs,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...withoutNulls({
      givenName: row.given_name,
      surname: row.surname,
      company: row.company,
      department: row.department,
      jobTitle: row.job_title,
    }),
  };
  if (row.photo_sha256 !== null) {
    contact.photo = {
      sha256: row.photo_sha256,
      width: row.photo_width!,
      height: row.photo_height!,
      bytesLength: row.photo_length!,
      updatedAt: row.photo_updated_at!,
    };
  }
  return contact;
}

/** A contact's id, change time and photo hash, as both stores select them for a sync. */
export interface VersionRow {
  id: number | string;
  updated_at: string;
  sha256: string | null;
}

function versionOfRow(row: VersionRow): ContactVersion {
  return { id: Number(row.id), updatedAt: row.updated_at, ...(row.sha256 === null ? {} : { photo: { sha256: row.sha256 } }) };
}

/** How many versions one read takes: 5,000 rows are 5–10 ms of SQLite's work, and of the copy from a read thread. */
const VERSIONS_PER_READ = 5_000;

/**
 * A mailbox's contact versions in id order, read VERSIONS_PER_READ at a time after the last
 * id read, each read begun in a turn of the event loop with room: in one statement, 150,000
 * contacts held every other request 600–900 ms (and, on a read thread, other mailboxes' reads
 * take their turns between them). A contact changed between two reads is seen as it is when
 * its own read comes, as a sync state takes each contact's version on its own.
 */
export async function readContactVersions(readAfter: (after: number, limit: number) => VersionRow[] | Promise<VersionRow[]>): Promise<ContactVersion[]> {
  const versions: ContactVersion[] = [];
  for (let after = 0; ;) {
    const rows = await inTurnWithRoom(() => readAfter(after, VERSIONS_PER_READ));
    for (const row of rows) versions.push(versionOfRow(row));
    if (rows.length < VERSIONS_PER_READ) return versions;
    after = versions[versions.length - 1]!.id;
  }
}

/** SQL NULL means "not set": such fields are left out rather than carried as null. */
function withoutNulls<T extends Record<string, string | null>>(fields: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null)) as { [K in keyof T]?: string };
}

/** The names of a contacts row, as a migration reads them to fill its search columns. */
export interface ContactNamesRow {
  display_name: string;
  given_name: string | null;
  surname: string | null;
}

/** A contacts row's search columns (search-text.ts), from its names as stored. */
export function contactSearchColumnsOfRow(row: ContactNamesRow): ContactSearchColumns {
  return contactSearchColumnsOf({ displayName: row.display_name, givenName: row.given_name ?? undefined, surname: row.surname ?? undefined });
}

/** The other names of a contacts row, as a migration reads them to fill their keys. */
export interface ContactOtherNamesRow {
  given_name: string | null;
  surname: string | null;
  company: string | null;
  department: string | null;
  job_title: string | null;
}

/** A contacts row's name keys (search-text.ts), from its names as stored. */
export function contactNameKeysOfRow(row: ContactOtherNamesRow): ContactNameKeys {
  return contactNameKeysOf({
    givenName: row.given_name ?? undefined,
    surname: row.surname ?? undefined,
    company: row.company ?? undefined,
    department: row.department ?? undefined,
    jobTitle: row.job_title ?? undefined,
  });
}

/** A row's search columns as stored: NULL until a data step first writes them. */
export type StoredSearchColumns<T> = { [K in keyof T]: string | null };

/** Whether a row's stored search columns are other than those its fields fold to now: never written, or folded by an older bridge. */
export function searchColumnsStale<T extends object>(stored: StoredSearchColumns<T>, computed: T): boolean {
  return (Object.keys(computed) as (keyof T)[]).some((column) => stored[column] !== computed[column]);
}
