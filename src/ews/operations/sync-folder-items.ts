import { BridgeError } from '../../domain/errors.js';
import type { ContactVersion } from '../../store/store.js';
import { contactItemXml, requestedFields, type ContactField } from '../contact-xml.js';
import type { EwsContext, EwsOperation } from '../ews-operation.js';
import { contactsFolderXml, folderOf, type FolderRef } from '../folders.js';
import { checkedIdList } from '../requested-ids.js';
import { attribute, child, children, enumValue, soleChild, textOf } from '../soap-args.js';
import { answerSync, readSyncRequest, syncFailure } from '../sync-request.js';
import { decodeSyncState, sideBySide, SYNC_STATE_BYTES_PER_ITEM, SyncStateWriter, versionOf } from '../sync-state.js';
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
    const { folder, state } = readSyncRequest(request);
    if (!folder) throw BridgeError.schemaValidation('SyncFolderItems needs a SyncFolderId');
    const fields = requestedFields(child(request, 'ItemShape'));
    fields.delete('Attachments');
    fields.delete('Photo');
    const ignored = soleChild(request, 'Ignore');
    enumValue(textOf(soleChild(request, 'SyncScope')) || undefined, SYNC_SCOPES, 'SyncScope', 'NormalItems');
    return {
      fields,
      folder,
      state,
      ignore: ignored?.children.length ? checkedIdList(children(ignored, 'ItemId'), 'Ignore', limits).map((id) => attribute(id, 'Id') ?? '') : [],
      maxChanges: readMaxChanges(textOf(soleChild(request, 'MaxChangesReturned'))),
    };
  },

  run: (args, context) => answerSync('SyncFolderItems', EMPTY, () => syncedChanges(args, context)),

  refuse: (error) => syncFailure('SyncFolderItems', EMPTY, error),
};

function readMaxChanges(value: string): number {
  const number = /^[+-]?\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!(number >= 1 && number <= MAX_CHANGES)) throw BridgeError.schemaValidation(`MaxChangesReturned '${value.slice(0, 20)}' is not from 1 to ${MAX_CHANGES}`);
  return number;
}

/** The message's payload: the changes that fit, the SyncState after them, and whether none is left. */
async function syncedChanges(args: SyncFolderItemsArgs, context: EwsContext): Promise<string> {
  const folder = folderOf(args.folder, context);
  const known = decodeSyncState('items', folder, args.state);
  const ignored = new Set(args.ignore.map((id) => context.ids.decode('contact', id)));
  const mailbox = context.mailbox!;
  // Versions only: the whole of 20,000 contacts took 280 ms of the event loop to read.
  const versions = folder === 'contacts' ? await context.searches.run(mailbox, () => context.store.listContactVersions(mailbox)) : [];
  const parentFolder = contactsFolderXml(args.fields, context);
  const state = new SyncStateWriter('items', folder, known.count + versions.length);
  // Room for the state as it grows with each change: a change past it waits for the next call.
  let room = context.limits.maxAnswerBytes - MESSAGE_OVERHEAD_BYTES - args.state.length;
  const sent: string[] = [];
  let giving = true;
  let left = false;
  for (const { id, had, now } of sideBySide(known, versions)) {
    const version = now && versionOf(now);
    if (version === had) {
      state.add(id, had!);
      continue;
    }
    let given = version;
    if (giving && !ignored.has(id)) {
      if (sent.length === args.maxChanges) giving = false;
      else {
        const change = await changeXml(id, had, now, args.fields, parentFolder, context);
        // Gone since its version was read: left as the client has it, so the next sync tells.
        if (change === undefined) {
          if (had !== undefined) state.add(id, had);
          continue;
        }
        const bytes = Buffer.byteLength(change.xml) + SYNC_STATE_BYTES_PER_ITEM;
        if (bytes <= room) {
          room -= bytes;
          sent.push(change.xml);
          given = change.version;
        } else if (sent.length > 0) giving = false;
        // Not even one: the client would ask again for ever. Only a byte limit set below a folder's state does this.
        else throw new BridgeError('ErrorMessageSizeExceeded', 413, `the next change and the SyncState would exceed ${context.limits.maxAnswerBytes} bytes`);
      }
    }
    // Given (or ignored: the client's own), the client has it as it is now; else as it had it.
    const has = giving ? given : had;
    if (has !== undefined) state.add(id, has);
    left ||= !giving;
  }
  return text('m:SyncState', state.toString())! + text('m:IncludesLastItemInRange', !left) + element('m:Changes', {}, ...sent);
}

/**
 * A change as the answer gives it — deleted, created or changed — with the version of the
 * contact it gives (read again with the contact: it may have changed since its version was
 * read); undefined for a contact deleted since.
 */
async function changeXml(
  id: number,
  had: number | undefined,
  now: ContactVersion | undefined,
  fields: ReadonlySet<ContactField>,
  parentFolder: string | undefined,
  context: EwsContext,
): Promise<{ xml: string; version: number | undefined } | undefined> {
  if (!now) return { xml: element('t:Delete', {}, element('t:ItemId', { Id: context.ids.encode('contact', id) })), version: undefined };
  const contact = await context.store.getContact(context.mailbox!, id);
  return (
    contact && {
      xml: element(had === undefined ? 't:Create' : 't:Update', {}, contactItemXml(contact, context.ids, fields, parentFolder)),
      version: versionOf(contact),
    }
  );
}
