import { hashPassword } from '../auth/password-hash.js';
import type { ImageLimits } from '../photos/image-limits.js';
import { normalizePhoto } from '../photos/normalize.js';
import type { Store } from '../store/store.js';
import { renderAvatar } from './avatar.js';
import { DEMO_LOGIN, demoDirectory } from './demo-directory.js';
import { userOwner } from '../domain/photo-owner.js';

/** Fills an empty store with the demo directory, photos and login; a store with users is left alone. */
export async function seedDemoIfEmpty(store: Store, limits: ImageLimits): Promise<boolean> {
  if ((await store.countUsers()) > 0) return false;
  const people = demoDirectory();
  const photos = await Promise.all(
    people.map(async (person, i) => (person.photoSize > 0 ? normalizePhoto(await renderAvatar(i, person.photoSize), limits) : undefined)),
  );
  await store.upsertUsers(people.map(({ photoSize: _photoSize, ...user }) => user));
  for (const [i, person] of people.entries()) {
    const photo = photos[i];
    if (photo) await store.setPhoto(userOwner(person.email), photo, 'demo');
  }
  await store.putAccount(DEMO_LOGIN.username, await hashPassword(DEMO_LOGIN.password), DEMO_LOGIN.role);
  return true;
}
