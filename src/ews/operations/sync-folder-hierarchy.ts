import type { EwsOperation } from '../ews-operation.js';
import { checkFolderShape, countContacts, folderOf, folderXml, FOLDERS, subfolders, type FolderName, type FolderRef } from '../folders.js';
import { answerSync, readSyncRequest, syncFailure } from '../sync-request.js';
import { decodeSyncState, SyncStateWriter } from '../sync-state.js';
import { element, text } from '../xml.js';

/** What a SyncFolderHierarchy error message still carries: exchangelib reads the SyncState before the ResponseCode. */
const EMPTY = '<m:SyncState/><m:IncludesLastFolderInRange>true</m:IncludesLastFolderInRange>';

interface SyncFolderHierarchyArgs {
  /** The folder whose subtree is synced; the whole mailbox (the root's) without one. */
  folder: FolderRef | undefined;
  state: string;
}

/**
 * SyncFolderHierarchy: the folders under the one asked (the root without one), each as
 * created the first time, none after — the folders here never change, so the SyncState only
 * says which the client has. Every folder answers its few properties whole, as GetFolder's.
 */
export const syncFolderHierarchy: EwsOperation<SyncFolderHierarchyArgs> = {
  need: 'user',
  read(request) {
    checkFolderShape(request);
    return readSyncRequest(request, false);
  },

  run: (args, context) =>
    answerSync('SyncFolderHierarchy', EMPTY, async () => {
      const folder: FolderName = args.folder ? folderOf(args.folder, context) : 'root';
      const owner = { ids: context.ids, mailbox: context.mailbox! };
      const known = decodeSyncState('folders', folder, args.state, owner);
      const below = subfolders(folder, true);
      const created = below.filter((name) => !known.ids.subarray(0, known.count).includes(FOLDERS[name].code));
      const contacts = created.includes('contacts') ? await countContacts(context) : 0;
      const state = new SyncStateWriter('folders', folder, below.length);
      for (const code of below.map((name) => FOLDERS[name].code).sort((a, b) => a - b)) state.add(code, 0);
      return [
        text('m:SyncState', state.sealedFor(owner))! +
          text('m:IncludesLastFolderInRange', true) +
          element('m:Changes', {}, ...created.map((name) => element('t:Create', {}, folderXml(name, name === 'contacts' ? contacts : 0, context)))),
      ];
    }),

  refuse: (error) => syncFailure('SyncFolderHierarchy', EMPTY, error),
};
