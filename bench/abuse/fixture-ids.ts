import { idsIn } from '../../test/abuse/ews-answer.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { getItem, resolveNames, staleSyncState } from '../../test/abuse/hostile-bodies.js';
import { BENCH_CONTACT } from '../fixture.js';
import { soap } from './attack.js';
import type { RunningBridge } from './bridges.js';
import { ADDRESS_BOOK, BIG_CONTACTS } from './fixture.js';

/** The ids the attacks list, as a client gets them: ResolveNames, then GetItem. */
export interface FixtureIds {
  benchItemId: string;
  /** The bench contact's photo: the id the amplification attack repeats. */
  benchAttachmentId: string;
  bigItemIds: string[];
  bigAttachmentIds: string[];
  /** The address book's SyncState had it once held 150,000 contacts, since deleted: minted with the store's key, as no client can. */
  staleSyncState: string;
}

export async function readFixtureIds(bridge: RunningBridge, databasePath: string): Promise<FixtureIds> {
  const [benchItemId, benchAttachmentId] = await contactIds(bridge, BENCH_CONTACT.displayName);
  const bigItemIds = idsIn((await soap(bridge, resolveNames(BIG_CONTACTS.namePrefix, 'ReturnFullContactData="false"'))).text, 'ItemId');
  const items = await soap(bridge, getItem(bigItemIds, 'IdOnly', '<t:AdditionalProperties><t:FieldURI FieldURI="item:Attachments"/></t:AdditionalProperties>'));
  const bigAttachmentIds = idsIn(items.text, 'AttachmentId');
  if (!benchItemId || !benchAttachmentId || bigItemIds.length !== BIG_CONTACTS.count || bigAttachmentIds.length !== BIG_CONTACTS.count) {
    throw new Error(
      `the fixture's contacts are not all reachable (${bigItemIds.length} items, ${bigAttachmentIds.length} attachments):\n${items.text.slice(0, 1000)}`,
    );
  }
  const store = new SqliteStore(databasePath);
  try {
    return { benchItemId, benchAttachmentId, bigItemIds, bigAttachmentIds, staleSyncState: await staleSyncState(store, ADDRESS_BOOK.email, 150_000) };
  } finally {
    await store.close();
  }
}

async function contactIds(bridge: RunningBridge, name: string): Promise<[string | undefined, string | undefined]> {
  const [itemId] = idsIn((await soap(bridge, resolveNames(name, 'ReturnFullContactData="false"'))).text, 'ItemId');
  if (!itemId) return [undefined, undefined];
  return [itemId, idsIn((await soap(bridge, getItem([itemId]))).text, 'AttachmentId')[0]];
}
