import { isSmtpAddress } from '../domain/email.js';
import type { Store } from '../store/store.js';

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
  const email = address.trim().toLowerCase();
  if (!isSmtpAddress(email)) return undefined;
  const user = await store.getUser(email);
  if (user) return { email: user.email, displayName: user.displayName, alias: user.alias ?? localPart(user.email) };
  if (email === callerMailbox?.toLowerCase()) return { email, displayName: email, alias: localPart(email) };
  return undefined;
}

const localPart = (email: string) => email.slice(0, email.lastIndexOf('@'));
