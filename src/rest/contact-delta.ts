import type { Contact } from '../domain/contact.js';
import { decodeSyncState, sideBySide, SyncStateWriter, versionOf, type SyncedItem, type SyncStateOwner } from '../ews/sync-state.js';
import { pauseIfLong } from '../loop-turns.js';
import type { Store } from '../store/store.js';

/** One page of a delta round: the contacts made or changed, those removed, and what the client has after it. */
export interface ContactDeltaPage {
  changed: Contact[];
  removed: number[];
  /** The SyncState of what the client has once it has this page. */
  state: string;
  /** Whether changes are left for the next page. */
  more: boolean;
}

/**
 * The next `pageSize` changes of the mailbox's contacts against what a client has (`state`,
 * a SyncState as SyncFolderItems keeps one; empty at a round's start): contacts made or
 * changed since, read whole, and ids of those gone — in id order, as SyncFolderItems gives
 * them, so that Graph's delta and EWS's sync tell a client the same changes. Each pass over
 * them pauses when the turn runs long, as SyncFolderItems' does: 150,000 contacts are 100 ms.
 */
export async function contactDeltaPage(store: Store, owner: SyncStateOwner, state: string, pageSize: number): Promise<ContactDeltaPage> {
  const { mailbox } = owner;
  const known = decodeSyncState('items', 'contacts', state, owner);
  // Versions only, as SyncFolderItems reads them: the whole contacts of the page are read by id.
  const versions = await store.listContactVersions(mailbox);
  const page: SyncedItem[] = [];
  let more = false;
  for (const item of sideBySide(known, versions)) {
    const pause = pauseIfLong();
    if (pause) await pause;
    if ((item.now && versionOf(item.now)) === item.had) continue;
    if (page.length === pageSize) {
      more = true;
      break;
    }
    page.push(item);
  }
  const read = await store.getContacts(
    mailbox,
    page.flatMap((item) => (item.now ? [item.id] : [])),
  );
  const contacts = new Map(read.map((contact) => [contact.id, contact]));
  const given = new Map(page.map((item) => [item.id, item]));
  const next = new SyncStateWriter('items', 'contacts', known.count + versions.length);
  const changed: Contact[] = [];
  const removed: number[] = [];
  for (const { id, had, now } of sideBySide(known, versions)) {
    const pause = pauseIfLong();
    if (pause) await pause;
    const contact = given.has(id) ? contacts.get(id) : undefined;
    if (contact) {
      // As given: read whole, it may have changed since its version was read.
      changed.push(contact);
      next.add(id, versionOf(contact));
    } else if (given.has(id) && !now) {
      removed.push(id);
    } else if (had !== undefined) {
      // Unchanged, left for a later page, or gone since its version was read: as the client has it, so a later page tells.
      next.add(id, had);
    }
  }
  return { changed, removed, state: next.sealedFor(owner), more };
}
