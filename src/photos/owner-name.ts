import type { PhotoOwner } from '../domain/photo-owner.js';
import type { Store } from '../store/store.js';

/** The name a placeholder's initials and colour come from; a user not in the directory goes by their address. */
export async function ownerName(store: Store, owner: PhotoOwner): Promise<string> {
  if (owner.kind === 'user') return (await store.getUser(owner.email))?.displayName ?? owner.email;
  return (await store.getContactById(owner.id))?.displayName ?? '';
}
