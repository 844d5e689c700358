import { hashPassword } from '../auth/password-hash.js';
import type { ImageLimits } from '../photos/image-limits.js';
import { normalizePhoto } from '../photos/normalize.js';
import type { Store } from '../store/store.js';
import { renderAvatar } from './avatar.js';
import { DEMO_LOGIN, demoContacts, demoDirectory } from './demo-directory.js';

/**
 * Fills an empty store with the demo directory, photos, the demo login and its
 * contacts, in one transaction (Store.seedEmptyStore). A store with users or accounts is
 * left alone: the demo login is an admin whose password the README prints, so it never
 * joins an operator's own accounts. Replicas started together on one new database seed it
 * once; a first start stopped while seeding leaves it empty, and the next start seeds it.
 */
export async function seedDemoIfEmpty(store: Store, limits: ImageLimits): Promise<boolean> {
  if ((await store.countUsers()) > 0 || (await store.listAccounts()).length > 0) return false;
  const avatar = async (seed: number, size: number) => (size > 0 ? normalizePhoto(await renderAvatar(seed, size), limits) : undefined);
  const people = demoDirectory();
  const photos = await Promise.all(people.map((person, i) => avatar(i, person.photoSize)));
  const contacts = await Promise.all(
    demoContacts().map(async ({ photoSize, ...fields }, i) => ({ ...fields, photo: await avatar(people.length + i, photoSize) })),
  );
  return store.seedEmptyStore({
    account: { username: DEMO_LOGIN.username, passwordHash: await hashPassword(DEMO_LOGIN.password), role: DEMO_LOGIN.role },
    users: people.map(({ photoSize: _photoSize, ...user }) => user),
    photos: { source: 'demo', photos: people.flatMap((person, i) => (photos[i] ? [{ email: person.email, photo: photos[i] }] : [])) },
    contacts,
  });
}
