import { hashPassword } from '../auth/password-hash.js';
import { userOwner } from '../domain/photo-owner.js';
import type { ImageLimits } from '../photos/image-limits.js';
import { normalizePhoto } from '../photos/normalize.js';
import type { Store } from '../store/store.js';
import { renderAvatar } from './avatar.js';
import { DEMO_LOGIN, demoContacts, demoDirectory } from './demo-directory.js';

/**
 * Fills an empty store with the demo directory, photos, the demo login and its
 * contacts. A store with users or accounts is left alone: the demo login is an admin
 * whose password the README prints, so it never joins an operator's own accounts. The
 * demo login is added first, as the claim on the empty store: replicas started together
 * on one new database each seeded it, and every contact was there two or three times.
 */
export async function seedDemoIfEmpty(store: Store, limits: ImageLimits): Promise<boolean> {
  if ((await store.countUsers()) > 0 || (await store.listAccounts()).length > 0) return false;
  const avatar = async (seed: number, size: number) => (size > 0 ? normalizePhoto(await renderAvatar(seed, size), limits) : undefined);
  const people = demoDirectory();
  const photos = await Promise.all(people.map((person, i) => avatar(i, person.photoSize)));
  const contacts = await Promise.all(
    demoContacts().map(async ({ photoSize, ...fields }, i) => ({ ...fields, photo: await avatar(people.length + i, photoSize) })),
  );
  if (!(await store.claimEmptyStore(DEMO_LOGIN.username, await hashPassword(DEMO_LOGIN.password), DEMO_LOGIN.role))) return false;
  await store.upsertUsers(people.map(({ photoSize: _photoSize, ...user }) => user));
  for (const [i, person] of people.entries()) {
    const photo = photos[i];
    if (photo) await store.setPhoto(userOwner(person.email), photo, 'demo');
  }
  await store.addContacts(DEMO_LOGIN.username, contacts);
  return true;
}
