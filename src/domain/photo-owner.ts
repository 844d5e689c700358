/** Whose photo: a directory user's (by SMTP address) or a contact's (by its row). */
export type PhotoOwner = { kind: 'user'; email: string } | { kind: 'contact'; id: number };

export const userOwner = (email: string): PhotoOwner => ({ kind: 'user', email: email.toLowerCase() });
export const contactOwner = (id: number): PhotoOwner => ({ kind: 'contact', id });

/** A stable string for cache keys. */
export function ownerKey(owner: PhotoOwner): string {
  return owner.kind === 'user' ? `user:${owner.email}` : `contact:${owner.id}`;
}
