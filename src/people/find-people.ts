import { findMailboxByLegacyDn } from '../autodiscover/mailboxes.js';
import { canonicalSmtpAddress, isSmtpAddress } from '../domain/email.js';
import { asciiLower } from '../domain/plain-text.js';
import type { Contact } from '../domain/contact.js';
import type { DirectoryUser } from '../domain/directory.js';
import type { RoutingType, Store } from '../store/store.js';

/** Where ResolveNames looks, and in which order (EWS's SearchScope). */
export const SEARCH_SCOPES = ['ActiveDirectory', 'Contacts', 'ActiveDirectoryContacts', 'ContactsActiveDirectory'] as const;
export type SearchScope = (typeof SEARCH_SCOPES)[number];

/**
 * The longest entry looked up: far longer than any name or address (an SMTP address is
 * at most 320 characters), and far below what a store takes as one pattern — SQLite
 * refuses LIKE patterns over 50,000 characters, which made a 60,000-character entry an
 * internal error.
 */
export const MAX_ENTRY_LENGTH = 1024;

/**
 * How deep a people search pages — the directory page, Graph's user list and People API,
 * EWS FindPeople: through its first 1,000 matches. A search ranks its matches in tiers and
 * walks past everything before `offset` on the event loop: at 200,000 people,
 * `?q=dept&offset=1000000` held it for 7.7 s, while offset 1,000 costs about as much as the
 * first page.
 */
export const MAX_SEARCH_MATCHES = 1000;

/** Someone ResolveNames may mean: a directory user or one of the mailbox's contacts. */
export type Person = { kind: 'user'; user: DirectoryUser } | { kind: 'contact'; contact: Contact };

/**
 * People matching a name. Without a routing type: directory users found by the store's
 * people search (every word the start of a word of their names, alias or primary address,
 * accents and case ignored; exact and whole-name-prefix matches first) and the mailbox's
 * own contacts whose name or an address starts with `entry`, or every word of whose names
 * starts with a word of it, in any order (accents and case ignored). With one (`smtp:…`, `sip:…`), as the UnresolvedEntry reference has
 * it: "a partial match against each value" of that type — users whose SMTP address (a
 * whole address: any of theirs, secondary ones too) or SIP address starts with the rest,
 * and contacts one of whose addresses does (SMTP only). A legacy DN (`/o=…`, `EX:/o=…`) is the
 * one directory user it names.
 * Returns up to `limit + 1`, so a caller can tell when there were more than it shows.
 */
export async function findPeople(store: Store, mailbox: string | undefined, entry: string, scope: SearchScope, limit: number): Promise<Person[]> {
  const term = entry.trim();
  if (term === '' || term.length > MAX_ENTRY_LENGTH) return [];
  const legacyDn = LEGACY_DN.exec(term)?.[1];
  if (legacyDn !== undefined) return scope === 'Contacts' ? [] : (await usersByLegacyDn(store, legacyDn)).map((user) => ({ kind: 'user', user }));
  const routing = routingOf(term);
  const [users, contacts] = await Promise.all([
    scope === 'Contacts' ? [] : routing ? usersByAddress(store, routing.type, routing.prefix, limit + 1) : store.searchUsers(term, limit + 1),
    scope === 'ActiveDirectory' || !mailbox
      ? []
      : routing
        ? contactsByAddress(store, mailbox, routing.type, routing.prefix, limit + 1)
        : store.searchContacts(mailbox, term, limit + 1),
  ]);
  const directory = users.map((user): Person => ({ kind: 'user', user }));
  const own = contacts.map((contact): Person => ({ kind: 'contact', contact }));
  return (scope === 'ContactsActiveDirectory' ? [...own, ...directory] : [...directory, ...own]).slice(0, limit + 1);
}

/** An entry that names its routing type, case ignored. */
const ROUTED = /^(smtp|sip):(.*)$/is;

/**
 * The routing type an entry names and the start of an address it looks for (`smtp:meg…`), in
 * ASCII lower case, as the stores compare addresses (SQLite's NOCASE and lower(), PostgreSQL's
 * lower() under "C"); undefined for an entry that names none.
 */
export function routingOf(term: string): { type: RoutingType; prefix: string } | undefined {
  const routed = ROUTED.exec(term);
  return routed ? { type: asciiLower(routed[1]!) as RoutingType, prefix: asciiLower(routed[2]!.trim()) } : undefined;
}

/** A legacy (X.500) DN, bare or as an EX: or X500: address: what Outlook keeps of a recipient, and what the bridge's Autodiscover hands out. */
const LEGACY_DN = /^(?:(?:ex|x500):)?(\/o=.*)$/is;

/** The directory user a legacy DN names, as Exchange resolves one: whole, not as a prefix; none hidden from address lists. */
async function usersByLegacyDn(store: Store, legacyDn: string): Promise<DirectoryUser[]> {
  const mailbox = await findMailboxByLegacyDn(store, legacyDn, undefined);
  const user = mailbox && (await store.getUser(mailbox.email));
  return user && !user.hiddenFromAddressLists ? [user] : [];
}

async function usersByAddress(store: Store, type: RoutingType, prefix: string, limit: number): Promise<DirectoryUser[]> {
  if (prefix === '') return [];
  // A whole SMTP address finds its mailbox by a secondary address too (the store's address index).
  const [owner, starting] = await Promise.all([
    type === 'smtp' && isSmtpAddress(prefix) ? store.getUser(canonicalSmtpAddress(prefix)) : undefined,
    store.usersByAddressPrefix(type, type === 'sip' ? `sip:${prefix}` : prefix, limit),
  ]);
  // A mailbox hidden from address lists is no one the address book resolves, by any address.
  return owner && !owner.hiddenFromAddressLists
    ? [owner, ...starting.filter((user) => user.email.toLowerCase() !== owner.email.toLowerCase())].slice(0, limit)
    : starting;
}

async function contactsByAddress(store: Store, mailbox: string, type: RoutingType, prefix: string, limit: number): Promise<Contact[]> {
  if (type !== 'smtp' || prefix === '') return [];
  return (await store.pageContacts(mailbox, { address: prefix, part: 'prefix' }, 0, limit)).contacts;
}

export function isSearchScope(value: string): value is SearchScope {
  return (SEARCH_SCOPES as readonly string[]).includes(value);
}
