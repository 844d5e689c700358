import { hiddenCharacterProblem } from '../domain/plain-text.js';
import type { Store } from '../store/store.js';

/**
 * The addresses the directory holds already with a character that shows nothing in them
 * (users stored before imports refused such addresses): an import may name them again, as an
 * export imports again unchanged; only an address new to the directory is refused (toDirectoryUser).
 */
export async function storedHiddenAddresses(store: Store): Promise<ReadonlySet<string>> {
  const addresses = (await store.listUsers()).flatMap((user) => [user.email, ...(user.otherAddresses ?? [])]);
  return new Set(addresses.filter((address) => hiddenCharacterProblem(address) !== undefined));
}
