import { BridgeError } from '../domain/errors.js';
import { mailboxName, ownMailboxes } from '../http/own-mailboxes.js';
import type { Store } from '../store/store.js';
import { graphUserId, type UserInPath } from './graph-photo-path.js';

/**
 * Refuses a path that names another user's mailbox where only the caller's may be read (their
 * contacts, the people relevant to them): Graph's 403. Own as a mailbox an EWS request names
 * is (ownMailboxes): the login's address in any spelling, or one that names the same directory
 * user (a login by a secondary address or UPN, named by the primary address `/me` gives as
 * its id, as PnPjs asks `/users/{own address}/contacts`).
 */
export async function requireOwnMailbox(store: Store, mailbox: string, path: UserInPath): Promise<void> {
  const id = graphUserId(path);
  if (id instanceof BridgeError) throw id;
  const named = mailboxName(id);
  if (!(await ownMailboxes(store, mailbox, [named])).has(named)) throw BridgeError.forbidden('Access is denied. Check credentials and try again.');
}
