import { soapAnswer, type EwsOperation } from '../ews-operation.js';
import { checkFolderShape, countContacts, folderOf, folderXml, namedFolders, readFolderRef, type FolderRef } from '../folders.js';
import { checkedIdList } from '../requested-ids.js';
import { failure, operationResponse, streamedResponse, success } from '../response-messages.js';
import { requiredChild } from '../soap-args.js';
import { element } from '../xml.js';

const EMPTY = '<m:Folders/>';

/**
 * GetFolder for the caller's root, message root and Contacts folder: one response
 * message per id asked for, in order (exchangelib asks for up to 31 at once); any other
 * folder is ErrorFolderNotFound. The shape asked for is not needed: every folder answers
 * its few properties whole.
 */
export const getFolder: EwsOperation<FolderRef[]> = {
  need: 'user',

  read(request, limits) {
    checkFolderShape(request);
    return checkedIdList(requiredChild(request, 'FolderIds').children, 'FolderIds', limits.maxItemsPerRequest).map(readFolderRef);
  },

  async run(ids, context) {
    const contacts = namedFolders(ids, context).has('contacts') ? await countContacts(context) : 0;
    const answer = (id: FolderRef) => {
      const name = folderOf(id, context);
      return Promise.resolve(success(element('m:Folders', {}, folderXml(name, name === 'contacts' ? contacts : 0, context))));
    };
    return soapAnswer(streamedResponse('GetFolder', ids, answer, EMPTY, context));
  },

  refuse: (error) => soapAnswer(operationResponse('GetFolder', [failure(error, EMPTY)])),
};
