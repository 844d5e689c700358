import type { Account, Role } from '../domain/account.js';
import type { Contact, ContactFields } from '../domain/contact.js';
import type { DirectoryUser, DirectoryUserUpdate } from '../domain/directory.js';
import type { NormalizedPhoto, PhotoFingerprint, StoredPhoto, StoredPhotoInfo } from '../domain/photo.js';
import type { PhotoOwner } from '../domain/photo-owner.js';
import type { SchemaUpgrade } from './migrations.js';
import type { DirectoryImport } from './renamed-mailboxes.js';
import type { DeltaTokenKind, KeptDeltaState } from './delta-tokens.js';

/** A photo as a source answered it. */
export interface FetchedPhoto {
  photo: NormalizedPhoto;
  source: string;
}

/** Which photo is stored: enough to tell whether it is still the one a lookup read. */
export type PhotoVersion = Pick<StoredPhotoInfo, 'sha256' | 'source'>;

/**
 * A change's condition on the photo stored as it is written (none: undefined), shown what its
 * ETags are made of (its hash, size and source); throws when it does not hold.
 */
export type PhotoPrecondition = (stored: (PhotoVersion & PhotoFingerprint) | undefined) => void;

/** Whether `stored` is the photo `read` was (both none, or the same bytes from the same source). */
function sameVersion(stored: PhotoVersion | undefined, read: PhotoVersion | undefined): boolean {
  return stored === undefined || read === undefined ? stored === read : stored.sha256 === read.sha256 && stored.source === read.source;
}

/**
 * What recordFetchedPhoto does with the sources' answer (`fetched`; null: no photo), given the
 * photo stored now (`stored`) and the one the lookup read before asking them (`read`):
 * - `stale`: the stored photo is no longer the one read; it stays, and the answer is not recorded;
 * - `none`: no photo, and none stored: the store already holds the answer;
 * - `remove`: no photo any more: the stored one goes;
 * - `renew`: the same photo again: only its fetch time changes, so its contact item does not;
 * - `write`: another photo, or the first.
 */
export type FetchedPhotoStep = { kind: 'stale' | 'none' | 'remove' | 'renew' } | { kind: 'write'; fetched: FetchedPhoto };

/** The step recordFetchedPhoto takes; each store runs it as its own statements. */
export function fetchedPhotoStep(stored: PhotoVersion | undefined, fetched: FetchedPhoto | null, read: PhotoVersion | undefined): FetchedPhotoStep {
  if (!sameVersion(stored, read)) return { kind: 'stale' };
  if (!fetched) return { kind: stored === undefined ? 'none' : 'remove' };
  if (sameVersion(stored, { sha256: fetched.photo.sha256, source: fetched.source })) return { kind: 'renew' };
  return { kind: 'write', fetched };
}

export interface NewContact extends ContactFields {
  photo?: NormalizedPhoto;
}

/** A contact's id and what changes with it or its photo: its ChangeKey's parts. */
export interface ContactVersion {
  id: number;
  updatedAt: string;
  photo?: { sha256: string };
}

/** A contact's new content, for the contact of that id. */
export interface ReplacedContact {
  id: number;
  contact: NewContact;
  /** Its stored photo is left as it is, whatever `contact.photo`: the file it came from has no place for one (a CSV). */
  keepPhoto?: boolean;
}

/** The text properties of a contact a restriction compares and bounds, in the order contacts sort by them. */
export type ContactTextField = 'displayName' | 'givenName' | 'surname' | 'companyName' | 'department' | 'jobTitle';

/** A contact's phone numbers, as EWS keys them (BusinessPhone…): compared as text, as they were written. */
export type ContactPhoneField = 'businessPhone' | 'mobilePhone' | 'homePhone';

/** Where a contact keeps EWS's EmailAddress1, EmailAddress2 and EmailAddress3. */
export type ContactEmailSlot = 'email1' | 'email2' | 'email3';

/**
 * How a contact's display name (or `field`) must match: EWS's Contains (prefix, prefix of a
 * word, substring) and IsEqualTo (whole). `ignoreCase`: for the display name case and accents
 * ignored, as folded names compare (search-text.ts), for the others ASCII case, as they sort;
 * else the text as it is written.
 */
export interface NameMatch {
  text: string;
  mode: 'prefix' | 'wordPrefix' | 'substring' | 'whole';
  ignoreCase: boolean;
  field?: ContactTextField | ContactPhoneField;
}

/**
 * A contact one of whose email addresses (the one in `slot`, with one) is `address`, in
 * whichever of its spellings (canonicalSmtpAddress), ASCII case ignored: Graph's
 * `$filter=emailAddresses/any(a:a/address eq '…')`, EWS's IsEqualTo on EmailAddress1; with
 * `part`, one starting with it (ResolveNames' `smtp:`) or holding it as it is written.
 */
interface AddressMatch {
  address: string;
  part?: 'prefix' | 'substring';
  slot?: ContactEmailSlot;
}

/**
 * A display name (or `field`) before or after `text` in the order contacts are sorted by it
 * (contact-order.ts): EWS's IsLessThan, IsLessThanOrEqualTo, IsGreaterThan,
 * IsGreaterThanOrEqualTo (exchangelib's `__lt`, `__range`…).
 */
export interface NameBound {
  bound: 'lt' | 'le' | 'gt' | 'ge';
  text: string;
  field?: ContactTextField;
}

/** A contact made or last changed before or after an instant: ISO 8601 in UTC to the millisecond, as the stores keep both (isoInstant). */
export interface TimeBound {
  bound: NameBound['bound'];
  time: string;
  stamp: 'createdAt' | 'updatedAt';
}

/** A time a contact test compares with an instant: OData's operators, as a FindItem Restriction's comparisons are read into them. */
export type TimeComparison = NameBound['bound'] | 'eq' | 'ne';

/** A contact's time compared with an instant; `eq` (and `ne`) as the millisecond it is (or is not). */
export function timeMatch(comparison: TimeComparison, stamp: TimeBound['stamp'], time: string): ContactMatch {
  if (comparison === 'eq' || comparison === 'ne') {
    const at: ContactMatch = { and: [timeMatch('ge', stamp, time), timeMatch('le', stamp, time)] };
    return comparison === 'eq' ? at : { not: at };
  }
  return { bound: comparison, time, stamp };
}

/**
 * Which of a folder's contacts a page holds: a FindItem Restriction or a Graph $filter — tests
 * on the display name, the other text fields, the phone numbers and the addresses, joined by
 * And, Or and Not; `exists`, a property that is set (every contact has a display name).
 */
export type ContactMatch =
  | NameMatch
  | NameBound
  | TimeBound
  | AddressMatch
  | { exists: Exclude<ContactTextField, 'displayName'> | ContactPhoneField | ContactEmailSlot }
  /** A contact with a photo (true) or without one: EWS's HasPicture. */
  | { hasPhoto: boolean }
  | { and: ContactMatch[] }
  | { or: ContactMatch[] }
  | { not: ContactMatch };

/** What a folder's contacts can be sorted by: EWS FindItem's SortOrder, Graph's $orderby. */
export type ContactSortKey = ContactTextField | 'createdAt' | 'updatedAt';

/** One key of a sort, most significant first. */
export interface ContactOrder {
  key: ContactSortKey;
  descending: boolean;
}

/** One page of a folder's contacts and how many there are in all. */
export interface ContactPage {
  total: number;
  contacts: Contact[];
}

/** Someone another directory entry points to: a manager or a direct report. */
export interface PersonRef {
  email: string;
  displayName: string;
}

/** At most this many direct reports come with an entry (alphabetically), so a page stays small whoever is on it. */
export const MAX_DIRECT_REPORTS = 50;

/**
 * A directory user as the people search lists them: with the hash of their stored photo,
 * their manager and their direct reports (those the directory knows).
 */
export interface DirectoryEntry {
  user: DirectoryUser;
  photoSha256?: string;
  manager?: PersonRef;
  directReports: PersonRef[];
  /** How many direct reports the directory knows, those past the list's MAX_DIRECT_REPORTS too. */
  directReportCount: number;
}

/** Photos that come with an import (an LDIF file's), by their users' addresses, from one source. */
export interface ImportedPhotos {
  source: string;
  photos: readonly { email: string; photo: NormalizedPhoto }[];
}

/** What a new store is seeded with (the demo): a login, a directory with its photos, and that login's contacts. */
export interface StoreSeed {
  account: Account;
  users: readonly DirectoryUser[];
  photos: ImportedPhotos;
  contacts: readonly NewContact[];
}

/** The orders users are listed in by keys: name order (folded display name, then address) and address order. */
export type UserOrder = 'name' | 'address';

/** Where a page of users ended, in its order: the last user's folded display name and address. */
export interface UserPosition {
  nameKey: string;
  email: string;
}

/** One page of users and, when it is full, the position the next page starts after. */
export interface UserPage {
  users: DirectoryUser[];
  next?: UserPosition;
}

/** Whom a lookup by address looks among: the address book (ResolveNames), or every mailbox, the hidden too (Autodiscover). */
export type MailboxScope = 'addressBook' | 'allMailboxes';

/** The routing types ResolveNames reads before an address (`smtp:…`, `sip:…`). */
export type RoutingType = 'smtp' | 'sip';

/**
 * Everything the bridge keeps. Asynchronous so that a networked implementation
 * (PostgreSQL) can stand behind the same interface as the embedded SQLite one.
 *
 * The people a store lists — searchUsers, usersByAddressPrefix, searchDirectory, pageUsers,
 * countUsersByPrefix, pageDirectReports, a directory entry's direct reports — are those the
 * address book shows: a user hidden from address lists is found by getUser, usersByAlias,
 * usersByAddressPrefix for 'allMailboxes' and listUsers (mailbox lookups, an export), never
 * by a list or a search.
 */
export interface Store {
  /**
   * Inserts or updates all users, and the photos given with them, in one transaction: all of
   * them land, or none. A user who comes under a new primary address with a stored one among
   * their other addresses is the stored person renamed (renamed-mailboxes.ts). A stored user
   * keeps the fields an update names in `kept` as they are (DirectoryUserUpdate).
   */
  upsertUsers(users: readonly DirectoryUserUpdate[], photos?: ImportedPhotos): Promise<DirectoryImport>;
  getUser(email: string): Promise<DirectoryUser | undefined>;
  listUsers(): Promise<DirectoryUser[]>;
  /**
   * Users whose names, alias or address match `text` — accents and case ignored, every
   * word the start of a word, in any order — best matches first (see SEARCH_TIERS in
   * search-text.ts); everyone in name order for an empty text.
   */
  searchUsers(text: string, limit: number): Promise<DirectoryUser[]>;
  /**
   * Users whose address of a routing type starts with `prefix`, in its order: `smtp` their
   * primary SMTP address, `sip` their SIP address as stored (`sip:…`); the prefix in any
   * spelling of it (canonicalAddressPrefix), as both are kept in that of an email address.
   *
   * Case is ignored in the whole of a SIP address, its user part too. RFC 3261 §19.1.4 (URI
   * Comparison) has "the userinfo of SIP and SIPS URIs" compared case-sensitively and "all
   * other components of the URI" case-insensitively; that says when two URIs reach the same
   * resource, not how a person typing the start of a name into an address book is answered.
   * The directory ignores case in every other lookup (names, SMTP addresses, aliases) and
   * ResolveNames answers with the people it may mean, so `sip:Alex` finds `sip:alex@contoso.com`.
   */
  usersByAddressPrefix(routing: RoutingType, prefix: string, limit: number, among?: MailboxScope): Promise<DirectoryUser[]>;
  /**
   * Users a legacy DN's name stands for, in address order: those whose alias is `name`, ASCII
   * case ignored, and those with no alias whose primary address's local part is `name` (in
   * any spelling, as usersByAddressPrefix reads one). Each read exactly by its index, however
   * many others' addresses share the local part. A mailbox lookup (Autodiscover's legacy DN),
   * so those hidden from address lists too, as Exchange finds them.
   */
  usersByDnName(name: string, limit: number): Promise<DirectoryUser[]>;
  /** One page of the same search that also looks at department, title and company, ranked after the names. */
  searchDirectory(text: string, offset: number, limit: number): Promise<DirectoryEntry[]>;
  /**
   * Up to `limit` users in `order`, after `after`, whose folded display name (name order) or
   * primary address (address order, in any spelling of it as usersByAddressPrefix reads one)
   * starts with `prefix` ('' for everyone): Graph's `GET /users`. Read by the order's index
   * from a position, not an offset, so a late page costs what the first does.
   */
  pageUsers(order: UserOrder, prefix: string, from: UserPosition | undefined, limit: number, descending?: boolean): Promise<UserPage>;
  /** How many users pageUsers finds for `prefix` in all. */
  countUsersByPrefix(order: UserOrder, prefix: string): Promise<number>;
  /**
   * Up to `limit` of the users whose manager is the user getUser finds by `manager`, in name
   * order, after `after`: those whose manager column names any address that finds that user
   * (their primary one, or another they own), as the source gave it.
   */
  pageDirectReports(manager: string, after: UserPosition | undefined, limit: number): Promise<UserPage>;
  removeUser(email: string): Promise<boolean>;
  countUsers(): Promise<number>;
  /** Whether an administrator locked the user's photo against self-service changes; undefined for no such user. */
  isPhotoLocked(email: string): Promise<boolean | undefined>;
  /** Sets or clears that lock; false when there is no such user. */
  setPhotoLocked(email: string, locked: boolean): Promise<boolean>;

  /** Adds contacts to a mailbox in one transaction; returns their ids in order. */
  addContacts(mailbox: string, contacts: readonly NewContact[]): Promise<number[]>;
  /** A contact, only if it belongs to `mailbox`. */
  getContact(mailbox: string, id: number): Promise<Contact | undefined>;
  /** Those of the contacts `ids` names that belong to `mailbox`, in id order, read at once. */
  getContacts(mailbox: string, ids: readonly number[]): Promise<Contact[]>;
  listContacts(mailbox: string): Promise<Contact[]>;
  /** What tells each of the mailbox's contacts' versions apart (changeKeyOf), in id order: what a sync compares, without the contacts. */
  listContactVersions(mailbox: string): Promise<ContactVersion[]>;
  /** A contact by id whatever its mailbox: for the photo service, after a front door checked ownership. */
  getContactById(id: number): Promise<Contact | undefined>;
  /**
   * One page of the mailbox's contacts in `order` (display-name order without one), those
   * that match `match` (all without one), and how many match in all.
   */
  pageContacts(mailbox: string, match: ContactMatch | undefined, offset: number, limit: number, order?: readonly ContactOrder[]): Promise<ContactPage>;
  /** The mailbox's contacts whose names or addresses start with `prefix`. */
  searchContacts(mailbox: string, prefix: string, limit: number): Promise<Contact[]>;
  removeContact(mailbox: string, id: number): Promise<boolean>;

  getPhoto(owner: PhotoOwner): Promise<StoredPhoto | undefined>;
  getPhotoInfo(owner: PhotoOwner): Promise<StoredPhotoInfo | undefined>;
  /**
   * False when there is no such user or contact, or (`unlessLocked`) the user's photo is
   * locked: looked at in the write's own transaction, so a lock set while an upload was being
   * decoded still holds. `requires` is shown the photo stored then and throws to write nothing
   * (an HTTP If-Match that no longer holds): two such writes of one owner take turns.
   */
  setPhoto(owner: PhotoOwner, photo: NormalizedPhoto, source: string, unlessLocked?: boolean, requires?: PhotoPrecondition): Promise<boolean>;
  /** False when there was no photo; `requires` as setPhoto's. */
  removePhoto(owner: PhotoOwner, requires?: PhotoPrecondition): Promise<boolean>;
  /**
   * Records what the sources answered for `owner` (`fetched`; null: they have no photo),
   * in place of the photo the lookup read before asking them (`read`; undefined: none).
   * Nothing is written when the stored photo is no longer that one: an upload, an import
   * or another replica's fetch landed while the sources were asked, and it stays. The same
   * photo again only renews its fetch time: its contact item does not change. Whether the
   * store now holds what the sources answered.
   */
  recordFetchedPhoto(owner: PhotoOwner, fetched: FetchedPhoto | null, read: PhotoVersion | undefined): Promise<boolean>;

  putAccount(username: string, passwordHash: string, role: Role): Promise<void>;
  /**
   * Writes the seed only into a store with no users and no accounts yet, all of it as one
   * transaction: of processes racing to seed a new store (replicas starting together), one
   * does, and one stopped while seeding leaves the store empty, to be seeded at its next
   * start. Whether this one did.
   */
  seedEmptyStore(seed: StoreSeed): Promise<boolean>;
  getAccount(username: string): Promise<Account | undefined>;
  listAccounts(): Promise<Omit<Account, 'passwordHash'>[]>;
  /**
   * Removes the login and its mailbox's contacts with it, as removing a mailbox does: a
   * name given again to someone new (a recycled address) must not come with them.
   */
  removeAccount(username: string): Promise<boolean>;

  /**
   * Keeps what a Graph delta client has of the mailbox's contacts (a SyncState) and answers
   * the token it is asked by next; past DELTA_TOKENS_PER_MAILBOX of that kind, the mailbox's oldest of it go.
   */
  saveDeltaState(mailbox: string, state: string, kind: DeltaTokenKind): Promise<string>;
  /**
   * Makes a delta token the mailbox's newest of its kind again, as a device that polls it keeps
   * using it: the oldest go first when a new one is kept, so they are the least recently used.
   */
  renewDeltaToken(mailbox: string, token: string): Promise<void>;
  /** The state a delta token of the mailbox holds, and what it was given as; undefined for one that is not, or is gone. */
  deltaState(mailbox: string, token: string): Promise<KeptDeltaState | undefined>;

  /** A named random secret, made on first use and kept, so every replica and restart agrees. */
  secret(name: string, bytes: number): Promise<Buffer>;

  /** Changes whenever another process commits to the store, so caches can be dropped. */
  changeCounter(): Promise<number>;
  ping(): Promise<void>;
  /** The schema steps opening this store applied, for the log; undefined when it was up to date. */
  readonly schemaUpgrade: SchemaUpgrade | undefined;
  /** Closes the store at once: work still in flight is abandoned, not waited for, and fails as ShuttingDownError, as does all work after. */
  close(): Promise<void>;

  /**
   * A re-import in one transaction: each of `replaced` overwrites that contact of the mailbox
   * in place (same id; its photo replaced, or removed when the new content has none), then
   * `added` are added as addContacts does. Returns the added contacts' ids in order.
   */
  saveContacts(mailbox: string, replaced: readonly ReplacedContact[], added: readonly NewContact[]): Promise<number[]>;
}
