import type { Contact } from '../../domain/contact.js';
import { BridgeError } from '../../domain/errors.js';
import { inTurnWithRoom, pauseIfLong } from '../../loop-turns.js';
import type { ContactVersion } from '../../store/store.js';
import { contactItemXml, requestedFields, type ContactField } from '../contact-xml.js';
import type { EwsContext, EwsOperation } from '../ews-operation.js';
import { contactsFolderXml, folderOf, type FolderRef } from '../folders.js';
import { checkedIdList } from '../requested-ids.js';
import { children, enumValue, requiredAttribute, requiredChild, soleChild, textOf, xsInt } from '../soap-args.js';
import { answerSync, readSyncRequest, syncFailure } from '../sync-request.js';
import { itemPhotoBytes } from '../item-photo-bytes.js';
import { decodeSyncState, sideBySide, SYNC_STATE_BYTES_PER_ITEM, SyncStateWriter, versionOf, type SyncedItems } from '../sync-state.js';
import { element, text } from '../xml.js';

/** What a SyncFolderItems error message still carries: exchangelib reads the SyncState before the ResponseCode. */
const EMPTY = '<m:SyncState/><m:IncludesLastItemInRange>true</m:IncludesLastItemInRange>';

/** MaxSyncChangesReturnedType: the schema's bounds on MaxChangesReturned. */
const MAX_CHANGES = 512;

const SYNC_SCOPES = ['NormalItems', 'NormalAndAssociatedItems'] as const;

/** What the answer keeps for its envelope and message around the changes and the SyncState. */
const MESSAGE_OVERHEAD_BYTES = 1024;

interface SyncFolderItemsArgs {
  fields: ReadonlySet<ContactField>;
  folder: FolderRef;
  state: string;
  /** Ignore's ItemIds: their changes are taken as the client's own, and not sent back. */
  ignore: string[];
  maxChanges: number;
}

/**
 * SyncFolderItems on the caller's Contacts folder: the contacts created, changed or deleted, in id order,
 * since the SyncState (all of them as created without one), at most MaxChangesReturned at a
 * time, with the SyncState of what the client then has and whether that was the last of
 * them. The state lists the contacts the client has and their versions (sync-state.ts), so
 * the bridge keeps nothing per client and a deleted contact is the one the state names and
 * the folder no longer holds. The folders above Contacts hold no items. Items come as
 * FindItem gives them, without attachments or photo.
 */
export const syncFolderItems: EwsOperation<SyncFolderItemsArgs> = {
  need: 'user',

  read(request, limits) {
    const { folder, state } = readSyncRequest(request, true);
    const fields = requestedFields(requiredChild(request, 'ItemShape'));
    fields.delete('Attachments');
    fields.delete('Photo');
    const ignored = soleChild(request, 'Ignore');
    enumValue(textOf(soleChild(request, 'SyncScope')) || undefined, SYNC_SCOPES, 'SyncScope', 'NormalItems');
    return {
      fields,
      folder,
      state,
      ignore: ignored?.children.length
        ? checkedIdList(children(ignored, 'ItemId'), 'Ignore', limits.maxItemsPerRequest).map((id) => requiredAttribute(id, 'Id'))
        : [],
      maxChanges: readMaxChanges(textOf(requiredChild(request, 'MaxChangesReturned'))),
    };
  },

  run: (args, context) => answerSync('SyncFolderItems', EMPTY, () => syncedChanges(args, context)),

  refuse: (error) => syncFailure('SyncFolderItems', EMPTY, error),
};

/** MaxChangesReturned: an xs:int the schema bounds to 1–512 (MaxSyncChangesReturnedType). */
function readMaxChanges(value: string): number {
  const number = xsInt(value, 'MaxChangesReturned');
  if (!(number >= 1 && number <= MAX_CHANGES)) throw BridgeError.schemaValidation(`MaxChangesReturned '${value.trim()}' is not from 1 to ${MAX_CHANGES}`);
  return number;
}

/**
 * The message's payload: the changes that fit, the SyncState after them, and whether none is
 * left. All of it is charged to the caller's share of the store's time, and pauses when a turn
 * of the event loop runs long: a SyncState of 1 MiB names 156,000 contacts, and each request
 * that sent one held the event loop 200–475 ms, paid for by no one.
 */
function syncedChanges(args: SyncFolderItemsArgs, context: EwsContext): Promise<readonly string[]> {
  return context.searches.run(context.mailbox!, () => changesSince(args, context));
}

async function changesSince(args: SyncFolderItemsArgs, context: EwsContext): Promise<readonly string[]> {
  const folder = folderOf(args.folder, context);
  const mailbox = context.mailbox!;
  const owner = { ids: context.ids, mailbox };
  const known = decodeSyncState('items', folder, args.state, owner);
  const ignored = new Set(args.ignore.map((id) => context.ids.decode('contact', id)));
  // Versions only: the whole of 20,000 contacts took 280 ms of the event loop to read.
  const versions = folder === 'contacts' ? await context.store.listContactVersions(mailbox) : [];
  const given = await contactsToGive(known, versions, ignored, args.maxChanges, context);
  const parentFolder = contactsFolderXml(args.fields, context);
  const state = new SyncStateWriter('items', folder, known.count + versions.length);
  // Room for the state as it grows with each change: a change past it waits for the next call.
  let room = context.limits.maxAnswerBytes - MESSAGE_OVERHEAD_BYTES - args.state.length;
  const sent: string[] = [];
  // The changes looked at, given or gone since: the same ones contactsToGive read.
  let offered = 0;
  let giving = true;
  let left = false;
  for (const { id, had, now } of sideBySide(known, versions)) {
    const pause = pauseIfLong();
    if (pause) await pause;
    const version = now && versionOf(now);
    if (version === had) {
      state.add(id, had!);
      continue;
    }
    let has = version;
    if (giving && !ignored.has(id)) {
      if (offered++ === args.maxChanges) giving = false;
      else {
        const contact = now && given.get(id);
        // Gone since its version was read: left as the client has it, so the next sync tells.
        if (now && !contact) {
          if (had !== undefined) state.add(id, had);
          continue;
        }
        const photoBytes = contact && (await itemPhotoBytes(contact, args.fields, context.store));
        // In a turn with room, as GetItem's items: the photo read above finishes in a turn other requests' reads share.
        const change = await inTurnWithRoom(() => changeXml(id, had, contact, args.fields, parentFolder, context, photoBytes));
        const bytes = Buffer.byteLength(change) + SYNC_STATE_BYTES_PER_ITEM;
        if (bytes <= room) {
          room -= bytes;
          sent.push(change);
          // As given: read with its content, it may have changed since its version was read.
          has = contact && versionOf(contact);
        } else if (sent.length > 0) giving = false;
        // Not even one: the client would ask again for ever. Only a byte limit set below a folder's state does this.
        else throw new BridgeError('ErrorMessageSizeExceeded', 413, `the next change and the SyncState would exceed ${context.limits.maxAnswerBytes} bytes`);
      }
    }
    // Given (or ignored: the client's own), the client has it as it is now; else as it had it.
    if (!giving) has = had;
    if (has !== undefined) state.add(id, has);
    left ||= !giving;
  }
  const head = text('m:SyncState', state.sealedFor(owner))! + text('m:IncludesLastItemInRange', !left);
  // Each change a part of its own: one may carry a large photo's vCard.
  return sent.length === 0 ? [`${head}<m:Changes/>`] : [`${head}<m:Changes>`, ...sent, '</m:Changes>'];
}

/**
 * The contacts created or changed among the first `maxChanges` changes the client is not
 * told of already, by id, read in one call: the most a call can give, fewer when the answer
 * fills up first.
 */
async function contactsToGive(
  known: SyncedItems,
  versions: readonly ContactVersion[],
  ignored: ReadonlySet<number>,
  maxChanges: number,
  context: EwsContext,
): Promise<Map<number, Contact>> {
  const ids: number[] = [];
  let changes = 0;
  for (const { id, had, now } of sideBySide(known, versions)) {
    const pause = pauseIfLong();
    if (pause) await pause;
    if (changes === maxChanges) break;
    if ((now && versionOf(now)) === had || ignored.has(id)) continue;
    changes++;
    if (now) ids.push(id);
  }
  const contacts = ids.length > 0 ? await context.store.getContacts(context.mailbox!, ids) : [];
  return new Map(contacts.map((contact) => [contact.id, contact]));
}

/** A change as the answer gives it: deleted (no contact), created or changed. */
function changeXml(
  id: number,
  had: number | undefined,
  contact: Contact | undefined,
  fields: ReadonlySet<ContactField>,
  parentFolder: string | undefined,
  context: EwsContext,
  photoBytes: Buffer | undefined,
): string {
  if (!contact) return element('t:Delete', {}, element('t:ItemId', { Id: context.ids.encode('contact', id) }));
  return element(had === undefined ? 't:Create' : 't:Update', {}, contactItemXml(contact, context, fields, parentFolder, photoBytes));
}
