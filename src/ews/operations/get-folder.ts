import { soapAnswer, type EwsOperation } from '../ews-operation.js';
import { folderOf, folderXml } from '../folders.js';
import { failure, operationResponse, perItem, success, type MessageOutcome } from '../response-messages.js';
import { child } from '../soap-args.js';
import type { XmlElement } from '../soap-reader.js';
import { BridgeError } from '../../domain/errors.js';
import { element } from '../xml.js';

const EMPTY = '<m:Folders/>';

/**
 * GetFolder for the caller's root, message root and Contacts folder: one response
 * message per id asked for, in order (exchangelib asks for up to 31 at once); any other
 * folder is ErrorFolderNotFound. The shape asked for is not needed: every folder answers
 * its few properties whole.
 */
export const getFolder: EwsOperation<XmlElement[]> = {
  need: 'user',

  read(request, limits) {
    const ids = child(request, 'FolderIds')?.children ?? [];
    if (ids.length > limits.maxItemsPerRequest) throw BridgeError.invalidRequest(`at most ${limits.maxItemsPerRequest} folder ids per request`);
    return ids;
  },

  async run(ids, context) {
    const outcomes: MessageOutcome[] = [];
    for (const id of ids) {
      outcomes.push(
        await perItem(
          async () => {
            const name = folderOf(id, context);
            const total = name === 'contacts' ? (await context.store.pageContacts(context.mailbox!, undefined, 0, 0)).total : 0;
            return success(element('m:Folders', {}, folderXml(name, total, context.ids)));
          },
          EMPTY,
          context,
        ),
      );
    }
    return soapAnswer(operationResponse('GetFolder', outcomes));
  },

  refuse: (error) => soapAnswer(operationResponse('GetFolder', [failure(error, EMPTY)])),
};
