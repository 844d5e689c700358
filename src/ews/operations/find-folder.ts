import { BridgeError } from '../../domain/errors.js';
import { soapAnswer, type EwsOperation } from '../ews-operation.js';
import {
  checkFolderShape,
  countContacts,
  folderKey,
  folderOf,
  folderXml,
  namedFolders,
  readParentFolders,
  subfolders,
  type FolderName,
  type FolderRef,
} from '../folders.js';
import { readFolderRestriction, type FolderTest } from '../folder-restriction.js';
import { pageBounds, pagingAttributes, readIndexedPage, type IndexedPage } from '../indexed-page.js';
import { onceEach } from '../requested-ids.js';
import { failure, operationResponse, streamedResponse, success } from '../response-messages.js';
import { child, enumValue, requiredAttribute, soleChild } from '../soap-args.js';
import { element } from '../xml.js';

interface FindFolderArgs {
  folders: FolderRef[];
  traversal: (typeof TRAVERSALS)[number];
  page: IndexedPage;
  restriction: FolderTest | undefined;
}

const TRAVERSALS = ['Shallow', 'Deep', 'SoftDeleted'] as const;

/**
 * FindFolder below the caller's root, message root or Contacts folder: the folders under
 * it (Shallow: its children; Deep: all, each before its own; SoftDeleted: none, nothing is
 * ever deleted here), those a Restriction holds for, paged by IndexedPageFolderView.
 * exchangelib walks the folder tree so (`account.contacts.walk()`, `account.root /
 * 'Contacts'`, `account.root // 'Top of Information Store'`) before it lists a folder.
 * Every folder answers its few properties whole, whatever the shape asked.
 */
export const findFolder: EwsOperation<FindFolderArgs> = {
  need: 'user',

  read(request, limits) {
    if (child(request, 'FractionalPageFolderView'))
      throw BridgeError.invalidRequest('FractionalPageFolderView is not supported; folders are paged by IndexedPageFolderView');
    checkFolderShape(request);
    return {
      folders: readParentFolders(request, true),
      traversal: enumValue(requiredAttribute(request, 'Traversal'), TRAVERSALS, 'Traversal', 'Shallow'),
      page: readIndexedPage(soleChild(request, 'IndexedPageFolderView'), limits),
      restriction: readFolderRestriction(soleChild(request, 'Restriction')),
    };
  },

  async run({ folders, traversal, page, restriction = () => true }, context) {
    const below = (name: FolderName) => (traversal === 'SoftDeleted' ? [] : subfolders(name, traversal === 'Deep').filter(restriction));
    const listsContacts = [...namedFolders(folders, context)].some((name) => below(name).includes('contacts'));
    const contacts = listsContacts ? await countContacts(context) : 0;
    const answer = onceEach<FolderRef>(folderKey(context), (ref) => {
      const listed = below(folderOf(ref, context));
      const { start, count } = pageBounds(page, listed.length);
      const shown = listed.slice(start, start + count);
      const xml = shown.map((name) => folderXml(name, name === 'contacts' ? contacts : 0, context));
      return Promise.resolve(success(element('m:RootFolder', pagingAttributes(page, start, shown.length, listed.length), element('t:Folders', {}, ...xml))));
    });
    return soapAnswer(streamedResponse('FindFolder', folders, answer, undefined, context));
  },

  refuse: (error) => soapAnswer(operationResponse('FindFolder', [failure(error)])),
};
