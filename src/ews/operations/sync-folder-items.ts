import { BridgeError } from '../../domain/errors.js';
import type { ContactVersion } from '../../store/store.js';
import { contactItemXml, requestedFields, type ContactField } from '../contact-xml.js';
import { soapAnswer, type EwsContext, type EwsOperation } from '../ews-operation.js';
import { contactsFolderXml, folderOf, type FolderRef } from '../folders.js';
import { checkedIdList } from '../requested-ids.js';
import { failure, operationResponse } from '../response-messages.js';
import { attribute, child, children, enumValue, soleChild, textOf } from '../soap-args.js';
import { answerSync, readSyncRequest } from '../sync-request.js';
import { decodeSyncState, encodeSyncState, SYNC_STATE_BYTES_PER_ITEM, versionOf, type SyncedItems } from '../sync-state.js';
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

type Change = { kind: 'Create' | 'Update'; contact: ContactVersion } | { kind: 'Delete'; id: number };

/**
 * SyncFolderItems on the caller's Contacts folder: the contacts created, changed or deleted
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

  refuse: (error) => soapAnswer(operationResponse('SyncFolderItems', [failure(error, EMPTY)])),
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
  const pending = changesSince(known, versions);
  const parentFolder = contactsFolderXml(args.fields, context);
  const has = new Map(known);
  // Room for the state as it grows with each change: a change past it waits for the next call.
  let room = context.limits.maxAnswerBytes - MESSAGE_OVERHEAD_BYTES - encodeSyncState('items', folder, known).length;
  const sent: string[] = [];
  let done = 0;
  for (const change of pending) {
    const id = change.kind === 'Delete' ? change.id : change.contact.id;
    let present = true;
    if (!ignored.has(id)) {
      if (sent.length === args.maxChanges) break;
      const xml = await changeXml(change, args.fields, parentFolder, context);
      // Gone since its version was read: left as the client has it, so the next sync tells.
      if (xml === undefined) present = false;
      else {
        const bytes = Buffer.byteLength(xml) + SYNC_STATE_BYTES_PER_ITEM;
        if (bytes > room) {
          // Not even one: the client would ask again for ever. Only a byte limit set below a folder's state does this.
          if (sent.length === 0)
            throw new BridgeError('ErrorMessageSizeExceeded', 413, `the next change and the SyncState would exceed ${context.limits.maxAnswerBytes} bytes`);
          break;
        }
        room -= bytes;
        sent.push(xml);
      }
    }
    if (change.kind === 'Delete') has.delete(id);
    else if (present) has.set(id, versionOf(change.contact));
    done++;
  }
  return (
    text('m:SyncState', encodeSyncState('items', folder, has))! + text('m:IncludesLastItemInRange', done === pending.length) + element('m:Changes', {}, ...sent)
  );
}

/** What changed since `known`: the deleted contacts first, then those created or changed, in id order. */
function changesSince(known: SyncedItems, versions: readonly ContactVersion[]): Change[] {
  const current = new Set(versions.map((version) => version.id));
  const deleted: Change[] = [...known.keys()].filter((id) => !current.has(id)).map((id) => ({ kind: 'Delete', id }));
  const changed = versions.flatMap((contact): Change[] => {
    const had = known.get(contact.id);
    if (had === undefined) return [{ kind: 'Create', contact }];
    return had === versionOf(contact) ? [] : [{ kind: 'Update', contact }];
  });
  return [...deleted, ...changed];
}

/** A change as the answer gives it; undefined for a contact deleted since its version was read. */
async function changeXml(
  change: Change,
  fields: ReadonlySet<ContactField>,
  parentFolder: string | undefined,
  context: EwsContext,
): Promise<string | undefined> {
  if (change.kind === 'Delete') return element('t:Delete', {}, element('t:ItemId', { Id: context.ids.encode('contact', change.id) }));
  const contact = await context.store.getContact(context.mailbox!, change.contact.id);
  return contact && element(`t:${change.kind}`, {}, contactItemXml(contact, context.ids, fields, parentFolder));
}
