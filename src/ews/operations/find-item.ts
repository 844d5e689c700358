import { BridgeError } from '../../domain/errors.js';
import { mapInTurns } from '../../loop-turns.js';
import type { ContactOrder, ContactMatch } from '../../store/store.js';
import { contactItemXml, requestedFields, type ContactField } from '../contact-xml.js';
import { soapAnswer, type EwsOperation } from '../ews-operation.js';
import { contactsPage, pagingAttributes, readIndexedPage, type IndexedPage } from '../indexed-page.js';
import { contactsFolderXml, folderKey, folderOf, namedFolders, readParentFolders, traversesNothing, type FolderRef } from '../folders.js';
import { onceEach } from '../requested-ids.js';
import { failure, operationResponse, streamedResponse, success, type MessageOutcome } from '../response-messages.js';
import { readQueryString } from '../query-string.js';
import { readRestriction } from '../restriction.js';
import { readSortOrder } from '../sort-order.js';
import { requiredChild, soleChild } from '../soap-args.js';
import type { XmlElement } from '../soap-reader.js';
import { element } from '../xml.js';

/** The fields a shape may ask that FindItem leaves to GetItem. */
const NOT_FOUND_FIELDS = ['Attachments', 'Photo', 'MimeContent'] as const satisfies readonly ContactField[];

interface FindItemArgs {
  folders: FolderRef[];
  /** A SoftDeleted or Associated traversal: the bridge keeps neither deleted nor associated items, so every folder's page is empty. */
  findsNothing: boolean;
  fields: ReadonlySet<ContactField>;
  match: ContactMatch | undefined;
  /** SortOrder; display-name order without one. */
  order: ContactOrder[] | undefined;
  page: IndexedPage;
}

/**
 * FindItem in the caller's Contacts folder (the folders above it are empty): a page of contacts in display-name order (or
 * the SortOrder asked), optionally restricted (a Restriction, a QueryString's words), with the paging attributes
 * clients page by (exchangelib stops after one page without them). Items carry no attachments or photo
 * here — clients GetItem the ids for those, as Exchange has them do.
 */
export const findItem: EwsOperation<FindItemArgs> = {
  need: 'user',

  read(request, limits, precision) {
    const unsupported = request.children.find((part) => UNSUPPORTED_PARTS.has(part.local));
    if (unsupported) throw UNSUPPORTED_PARTS.get(unsupported.local)!();
    const fields = requestedFields(requiredChild(request, 'ItemShape'));
    // Not summary properties: FindItem gives no attachments or MIME stream (Learn's "FindItem
    // operation"; the EWS Managed API refuses MimeContent in one), GetItem does.
    for (const field of NOT_FOUND_FIELDS) fields.delete(field);
    return {
      folders: readParentFolders(request, true),
      findsNothing: traversesNothing(request, true),
      fields,
      match: matchOf(readRestriction(soleChild(request, 'Restriction'), precision), soleChild(request, 'QueryString')),
      order: readSortOrder(soleChild(request, 'SortOrder')),
      page: readIndexedPage(soleChild(request, 'IndexedPageItemView'), limits),
    };
  },

  async run(args, context) {
    const parentFolder = contactsFolderXml(args.fields, context);
    const mailbox = context.mailbox!;
    // Searched before the answer starts, so a spent search share is the request's fault (with the back-off clients read), not a folder's message;
    // its items written within the search's share, as the JSON doors' are: a page of 1,000 contacts costs more to write than to find.
    const page =
      !args.findsNothing && namedFolders(args.folders, context).has('contacts')
        ? await context.searches.run(mailbox, async () => {
            const found = await contactsPage(context.store, mailbox, args.match, args.page, args.order);
            return { ...found, items: await mapInTurns(found.contacts, (contact) => contactItemXml(contact, context, args.fields, parentFolder)) };
          })
        : undefined;
    // Root and Top of Information Store exist (GetFolder and FindFolder show them) and hold no
    // items: an empty page, as exchangelib's `account.root.walk().filter(…)` asks every folder.
    const pageOf = (folder: FolderRef): MessageOutcome => {
      if (args.findsNothing || folderOf(folder, context) !== 'contacts') {
        return success(element('m:RootFolder', pagingAttributes(args.page, 0, 0, 0), element('t:Items', {})));
      }
      const { items, total, start } = page!;
      return success(element('m:RootFolder', pagingAttributes(args.page, start, items.length, total), element('t:Items', {}, ...items)));
    };
    // Every reference to the Contacts folder names the one folder: its page is answered once (ten of them were 2,500 contacts).
    const answer = onceEach<FolderRef>(folderKey(context), (folder) => Promise.resolve(pageOf(folder)));
    // Each folder's page is one message, held to the answer's byte limit: ten folders of the largest page would be ten times it.
    return soapAnswer(streamedResponse('FindItem', args.folders, answer, undefined, context));
  },

  refuse: (error) => soapAnswer(operationResponse('FindItem', [failure(error)])),
};

/** A Restriction and a QueryString each narrow the contacts found: both hold when both are given. */
function matchOf(restriction: ContactMatch | undefined, queryString: XmlElement | undefined): ContactMatch | undefined {
  if (!queryString) return restriction;
  const words = readQueryString(queryString.text);
  return restriction ? { and: [restriction, words] } : words;
}

/**
 * The parts of a FindItem the bridge cannot answer as asked: refused, since answered as if
 * absent they gave every contact, in one group, as a match.
 */
const UNSUPPORTED_PARTS: ReadonlyMap<string, () => BridgeError> = new Map([
  ...['FractionalPageItemView', 'SeekToConditionPageItemView', 'ContactsView', 'CalendarView'].map((view): [string, () => BridgeError] => [
    view,
    () => BridgeError.invalidRequest(`${view} is not supported; contacts are paged by IndexedPageItemView`),
  ]),
  ...['GroupBy', 'DistinguishedGroupBy'].map((group): [string, () => BridgeError] => [
    group,
    () => BridgeError.invalidRequest(`${group} is not supported; contacts are found ungrouped`),
  ]),
]);
