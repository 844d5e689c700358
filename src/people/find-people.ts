import { isSmtpAddress } from '../domain/email.js';
import type { Contact } from '../domain/contact.js';
import type { DirectoryUser } from '../domain/directory.js';
import type { Store } from '../store/store.js';

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

export type Person = { kind: 'user'; user: DirectoryUser } | { kind: 'contact'; contact: Contact };

/**
 * People matching a name: directory users found by the store's people search (every word
 * the start of a word of their names, alias or address, accents and case ignored; exact
 * and whole-name-prefix matches first) and the mailbox's own contacts whose name, a word
 * of whose names (accents and case ignored) or an address starts with `entry`, or — for
 * `SMTP:address` — whose address is exactly that.
 * Returns up to `limit + 1`, so a caller can tell when there were more than it shows.
 */
export async function findPeople(store: Store, mailbox: string | undefined, entry: string, scope: SearchScope, limit: number): Promise<Person[]> {
  const term = entry.trim();
  if (term === '' || term.length > MAX_ENTRY_LENGTH) return [];
  const exact = /^smtp:/i.test(term) ? term.slice(5).trim().toLowerCase() : undefined;
  const [users, contacts] = await Promise.all([
    scope === 'Contacts' ? [] : findUsers(store, term, exact, limit + 1),
    scope === 'ActiveDirectory' || !mailbox ? [] : findContacts(store, mailbox, term, exact, limit + 1),
  ]);
  const directory = users.map((user): Person => ({ kind: 'user', user }));
  const own = contacts.map((contact): Person => ({ kind: 'contact', contact }));
  return (scope === 'ContactsActiveDirectory' ? [...own, ...directory] : [...directory, ...own]).slice(0, limit + 1);
}

/**
 * A whole address names one mailbox, by any of its addresses (as Exchange's ambiguous
 * name resolution reads proxyAddresses); `smtp:` asks for that mailbox alone.
 */
async function findUsers(store: Store, term: string, exact: string | undefined, limit: number): Promise<DirectoryUser[]> {
  const address = exact ?? (isSmtpAddress(term.trim()) ? term.trim().toLowerCase() : undefined);
  const user = address === undefined ? undefined : await store.getUser(address);
  if (user || exact !== undefined) return user ? [user] : [];
  return store.searchUsers(term, limit);
}

async function findContacts(store: Store, mailbox: string, term: string, exact: string | undefined, limit: number): Promise<Contact[]> {
  if (exact === undefined) return store.searchContacts(mailbox, term, limit);
  const matches = await store.searchContacts(mailbox, exact, limit);
  return matches.filter((contact) => contact.emailAddresses.some((address) => address.toLowerCase() === exact));
}

export function isSearchScope(value: string): value is SearchScope {
  return (SEARCH_SCOPES as readonly string[]).includes(value);
}
