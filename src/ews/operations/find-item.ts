import { BridgeError } from '../../domain/errors.js';
import { mapInTurns } from '../../loop-turns.js';
import type { ContactOrder, NameMatch } from '../../store/store.js';
import { contactItemXml, requestedFields, type ContactField } from '../contact-xml.js';
import { soapAnswer, type EwsOperation } from '../ews-operation.js';
import { folderKey, folderNotFound, folderOf, MAX_PARENT_FOLDERS, readFolderRef, type FolderRef } from '../folders.js';
import { onceEach } from '../requested-ids.js';
import { failure, operationResponse, streamedResponse, success } from '../response-messages.js';
import { readRestriction } from '../restriction.js';
import { readSortOrder } from '../sort-order.js';
import { attribute, child, enumValue } from '../soap-args.js';
import { element } from '../xml.js';

export interface FindItemArgs {
  folders: FolderRef[];
  fields: ReadonlySet<ContactField>;
  match: NameMatch | undefined;
  /** SortOrder; display-name order without one. */
  order: ContactOrder[] | undefined;
  /** IndexedPageItemView; without one, the first page of the largest size allowed. */
  offset: number;
  maxEntries: number;
  fromEnd: boolean;
}

/**
 * FindItem in the caller's Contacts folder: a page of contacts in display-name order (or
 * the SortOrder asked), optionally restricted by display name, with the paging attributes
 * clients page by (exchangelib stops after one page without them). Items carry no attachments or photo
 * here — clients GetItem the ids for those, as Exchange has them do.
 */
export const findItem: EwsOperation<FindItemArgs> = {
  need: 'user',

  read(request, limits) {
    const unsupported = request.children.find((part) => UNSUPPORTED_PARTS.has(part.local));
    if (unsupported) throw UNSUPPORTED_PARTS.get(unsupported.local)!();
    const traversal = attribute(request, 'Traversal') ?? 'Shallow';
    if (traversal !== 'Shallow' && traversal !== 'Deep')
      throw BridgeError.invalidRequest(`${traversal} traversal is not supported; contacts are found Shallow`);
    const view = child(request, 'IndexedPageItemView');
    const fields = requestedFields(child(request, 'ItemShape'));
    fields.delete('Attachments');
    fields.delete('Photo');
    const folders = child(request, 'ParentFolderIds')?.children ?? [];
    if (folders.length === 0 || folders.length > MAX_PARENT_FOLDERS)
      throw BridgeError.invalidRequest(`FindItem needs one to ${MAX_PARENT_FOLDERS} ParentFolderIds`);
    return {
      folders: folders.map(readFolderRef),
      fields,
      match: readRestriction(child(request, 'Restriction')),
      order: readSortOrder(child(request, 'SortOrder')),
      offset: view ? whole(attribute(view, 'Offset'), 0) : 0,
      maxEntries: Math.min(
        view ? whole(attribute(view, 'MaxEntriesReturned'), limits.maxItemsPerRequest) : limits.maxItemsPerRequest,
        limits.maxItemsPerRequest,
      ),
      fromEnd: enumValue(attribute(view, 'BasePoint'), BASE_POINTS, 'BasePoint', 'Beginning') === 'End',
    };
  },

  run(args, context) {
    // Every reference to the Contacts folder names the one folder: its page is answered once (ten of them were 2,500 contacts).
    const answer = onceEach<FolderRef>(folderKey(context), async (folder) => {
      if (folderOf(folder, context) !== 'contacts') throw folderNotFound();
      const mailbox = context.mailbox!;
      const { start, count } = args.fromEnd
        ? pageFromEnd((await context.store.pageContacts(mailbox, args.match, 0, 0)).total, args.offset, args.maxEntries)
        : { start: args.offset, count: args.maxEntries };
      const page = await context.store.pageContacts(mailbox, args.match, start, count, args.order);
      const shown = page.contacts.length;
      const includesLast = args.fromEnd ? args.offset === 0 : start + shown >= page.total;
      return success(
        element(
          'm:RootFolder',
          { IndexedPagingOffset: args.offset + shown, TotalItemsInView: page.total, IncludesLastItemInRange: includesLast },
          element('t:Items', {}, ...(await mapInTurns(page.contacts, (contact) => contactItemXml(contact, context.ids, args.fields)))),
        ),
      );
    });
    // Each folder's page is one message, held to the answer's byte limit: ten folders of the largest page would be ten times it.
    return soapAnswer(streamedResponse('FindItem', args.folders, answer, undefined, context));
  },

  refuse: (error) => soapAnswer(operationResponse('FindItem', [failure(error)])),
};

/**
 * The parts of a FindItem the bridge cannot answer as asked: refused, since answered as if
 * absent they gave every contact, in one group, as a match (exchangelib's
 * `.filter("some text")` is a QueryString).
 */
const UNSUPPORTED_PARTS: ReadonlyMap<string, () => BridgeError> = new Map([
  [
    'QueryString',
    () => new BridgeError('ErrorUnsupportedQueryFilter', 400, 'QueryString (AQS) searches are not supported; use a Restriction on contacts:DisplayName'),
  ],
  ...['FractionalPageItemView', 'ContactsView', 'CalendarView'].map((view): [string, () => BridgeError] => [
    view,
    () => BridgeError.invalidRequest(`${view} is not supported; contacts are paged by IndexedPageItemView`),
  ]),
  ...['GroupBy', 'DistinguishedGroupBy'].map((group): [string, () => BridgeError] => [
    group,
    () => BridgeError.invalidRequest(`${group} is not supported; contacts are found ungrouped`),
  ]),
]);

const BASE_POINTS = ['Beginning', 'End'] as const;

/**
 * A page counted back from the end (BasePoint="End"): `offset` items before the end, and
 * the `maxEntries` before that (MS-OXWSSRCH; Exchange's example: of 100, offset 25 and 10
 * asked → items 65 to 74). An offset past the first item is an empty page, never a
 * negative count (which SQLite reads as "no limit").
 */
function pageFromEnd(total: number, offset: number, maxEntries: number): { start: number; count: number } {
  const end = Math.max(0, total - offset);
  return { start: Math.max(0, end - maxEntries), count: Math.min(maxEntries, end) };
}

/** A whole number ≥ 0 from an attribute; the fallback when it is absent; ErrorInvalidRequest when it is not a number. */
function whole(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value)) throw BridgeError.invalidRequest(`'${value.slice(0, 20)}' is not a whole number`);
  return Number(value);
}
