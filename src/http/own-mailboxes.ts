import { normalizeUsername } from '../auth/username.js';
import { addressesOf } from '../domain/directory.js';
import type { Store } from '../store/store.js';

/**
 * A mailbox a request names (an EWS folder's Mailbox, an ExchangeImpersonation address, a
 * Graph path's user), in the
 * one form of a login name (normalizeUsername): `John.Doe@XN--BCHER-KVA.example` and the login
 * `john.doe@bücher.example` are one.
 */
export function mailboxName(written: string): string {
  return normalizeUsername(written.trim());
}

/** What a request names no mailbox with: shared, so that most requests make no set. */
export const NO_MAILBOXES: ReadonlySet<string> = new Set();

/**
 * Which of the mailboxes a request names (`named`, each in mailboxName's form) are the
 * caller's own: its login, and any address the directory finds the same user by as it finds
 * the login (their primary address, another address of theirs that names them).
 * Autodiscover answers a login by another of a user's addresses with their primary one, and
 * a client (exchangelib) names that mailbox in every request: it is the caller's, not
 * someone else's.
 *
 * No store read when every name is the login (or there is none): the common case, photos
 * included. Else one read of the caller, and one of each of the caller's own addresses the
 * request names, to see that it still names them (not someone whose primary address it is):
 * at most one per address a user has, however many mailboxes the request names.
 */
export function ownMailboxes(store: Store, login: string | undefined, named: readonly string[]): ReadonlySet<string> | Promise<ReadonlySet<string>> {
  if (login === undefined || named.length === 0) return NO_MAILBOXES;
  const caller = mailboxName(login);
  const own = new Set([caller]);
  const others = new Set(named.filter((name) => name !== caller));
  return others.size === 0 ? own : withDirectoryAddresses(store, own, caller, others);
}

async function withDirectoryAddresses(store: Store, own: Set<string>, login: string, others: ReadonlySet<string>): Promise<ReadonlySet<string>> {
  const caller = await store.getUser(login);
  if (!caller) return own;
  const candidates = addressesOf(caller)
    .map(mailboxName)
    .filter((address) => others.has(address));
  const found = await Promise.all(candidates.map((address) => store.getUser(address)));
  candidates.forEach((address, i) => {
    if (found[i]?.email === caller.email) own.add(address);
  });
  return own;
}
