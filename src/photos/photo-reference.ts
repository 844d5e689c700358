import type { PhotoOwner } from '../domain/photo-owner.js';
import type { PhotoReference } from '../sources/photo-source.js';
import type { Store } from '../store/store.js';

/** What the sources may use to find an owner's photo: addresses and references to other systems. */
export async function referenceOf(store: Store, owner: PhotoOwner): Promise<PhotoReference | undefined> {
  if (owner.kind === 'user') {
    const user = await store.getUser(owner.email);
    return user && { kind: 'user', emails: [user.email], otherAddresses: user.otherAddresses, sipAddress: user.sipAddress, ...user.refs };
  }
  const contact = await store.getContactById(owner.id);
  return contact && { kind: 'contact', emails: contact.emailAddresses, ...contact.refs };
}
