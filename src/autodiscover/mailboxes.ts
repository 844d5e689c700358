import { canonicalSmtpAddress, isSmtpAddress } from '../domain/email.js';
import type { Store } from '../store/store.js';
import { userDn } from './exchange-server.js';

/** A mailbox Autodiscover can answer for: a directory user, or the caller's own. */
export interface Mailbox {
  email: string;
  displayName: string;
  /** Exchange's mailNickname; the local part when the directory has none. */
  alias: string;
}

/**
 * Finds the mailbox an address names: a directory user (any caller may discover any
 * of them, as the GAL shows them all), else the caller's own address — a login of the
 * bridge is a mailbox even when the directory does not list it. Contacts are items in
 * a mailbox, not mailboxes, so they are not found here.
 */
export async function findMailbox(store: Store, address: string, callerMailbox: string | undefined): Promise<Mailbox | undefined> {
  const written = address.trim();
  if (!isSmtpAddress(written)) return undefined;
  const email = canonicalSmtpAddress(written);
  const user = await store.getUser(email);
  if (user) return { email: user.email, displayName: user.displayName, alias: user.alias ?? localPart(user.email) };
  if (email === callerMailbox?.toLowerCase()) return { email, displayName: email, alias: localPart(email) };
  return undefined;
}

/** Two bearers of a legacy DN's name are enough to know the DN is none's. */
const SAME_NAME_MAX = 2;

/**
 * Finds the mailbox a legacy DN names: one the bridge hands out (userDn: its alias, else
 * the local part of its address), case ignored, as Exchange compares DNs. None when no
 * mailbox, or more than one, bears it: Exchange's DNs are unique, ours only as unique as
 * aliases, and answering another person's address would be worse than none.
 */
export async function findMailboxByLegacyDn(store: Store, legacyDn: string, callerMailbox: string | undefined): Promise<Mailbox | undefined> {
  const dn = legacyDn.toLowerCase();
  const prefix = userDn('');
  // The name as sent: the stores' lower() folds ASCII alone, so a name lowered here ("öberg")
  // missed the alias it came from ("ÖBerg"); the DN as a whole is then compared case ignored.
  const name = dn.startsWith(prefix.toLowerCase()) ? legacyDn.slice(prefix.length) : '';
  if (name === '') return undefined;
  const addresses = await directoryAddressesNamed(store, name);
  if (callerMailbox && localPart(callerMailbox).toLowerCase() === name.toLowerCase()) addresses.push(callerMailbox.toLowerCase());
  const mailboxes = await Promise.all([...new Set(addresses)].map((address) => findMailbox(store, address, callerMailbox)));
  const named = mailboxes.filter((mailbox) => mailbox !== undefined && userDn(mailbox.alias).toLowerCase() === dn);
  return named.length === 1 ? named[0] : undefined;
}

/**
 * The addresses of directory users a DN's name may stand for: as their alias, or as the local
 * part of an address with none — among every mailbox, those hidden from address lists too
 * (a shared mailbox Outlook opens beside one's own), as a DN two mailboxes share is none's.
 */
async function directoryAddressesNamed(store: Store, name: string): Promise<string[]> {
  return (await store.usersByDnName(name, SAME_NAME_MAX)).map((user) => user.email.toLowerCase());
}

const localPart = (email: string) => email.slice(0, email.lastIndexOf('@'));
