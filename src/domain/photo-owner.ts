/**
 * Whose photo: a directory user's (by SMTP address) or a contact's (by its row), with the
 * stable string the caches know it by. Made by userOwner and contactOwner only: the key
 * is made once per owner, not once per lookup (a fresh string must be hashed again, and
 * the photo hot path looks an owner up on every request).
 */
export type PhotoOwner = { kind: 'user'; email: string; key: string } | { kind: 'contact'; id: number; key: string };

export function userOwner(email: string): PhotoOwner {
  const lowerCase = email.toLowerCase();
  return { kind: 'user', email: lowerCase, key: `user:${lowerCase}` };
}

export const contactOwner = (id: number): PhotoOwner => ({ kind: 'contact', id, key: `contact:${id}` });
