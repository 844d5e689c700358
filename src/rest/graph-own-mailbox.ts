import { BridgeError } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import { graphUserId, type UserInPath } from './graph-photo-path.js';

/**
 * Refuses a path that names another user's mailbox where only the caller's may be read (their
 * contacts, the people relevant to them): Graph's 403. Own when the address is the login's,
 * or both name one directory user (a login by a secondary address or UPN, named by the
 * primary address `/me` gives as its id, as PnPjs asks `/users/{own address}/contacts`).
 */
export async function requireOwnMailbox(store: Store, mailbox: string, path: UserInPath): Promise<void> {
  const id = graphUserId(path);
  if (id instanceof BridgeError) throw id;
  const named = id.toLowerCase();
  if (named === mailbox.toLowerCase()) return;
  const [namedUser, loginUser] = await Promise.all([store.getUser(named), store.getUser(mailbox)]);
  if (!namedUser || namedUser.email.toLowerCase() !== loginUser?.email.toLowerCase()) {
    throw BridgeError.forbidden('Access is denied. Check credentials and try again.');
  }
}
