import { BridgeError } from '../../domain/errors.js';
import { findPeople, MAX_ENTRY_LENGTH, MAX_SEARCH_MATCHES, type Person } from '../../people/find-people.js';
import { mapInTurns } from '../../loop-turns.js';
import { shapeOf } from '../contact-xml.js';
import { refusingErrors, soapAnswer, type EwsContext, type EwsOperation, type SoapAnswer } from '../ews-operation.js';
import { folderOf, readTargetFolder, traversesNothing, type FolderRef } from '../folders.js';
import { contactsPage, pageBounds, readIndexedPage, type IndexedPage } from '../indexed-page.js';
import { personaSelection, personaXml, type PersonaSelection } from '../persona-xml.js';
import { failure, singleMessageResponse, success } from '../response-messages.js';
import { PERSONA_PROPERTIES, readRestriction } from '../restriction.js';
import { PERSONA_SORT_KEYS, readSortOrder } from '../sort-order.js';
import type { ContactMatch, ContactOrder } from '../../store/store.js';
import { attribute, child, children, requiredChild, soleChild, textOf } from '../soap-args.js';
import { element, text } from '../xml.js';

/** Where FindPeople looks: the caller's Contacts folder, the directory (the GAL), or a folder above Contacts, which holds no one. */
type PeopleFolder = 'contacts' | 'directory' | 'empty';

interface FindPeopleArgs {
  folder: FolderRef;
  /** A SoftDeleted or Associated traversal: no one is found (find-item.ts). */
  findsNothing: boolean;
  /** The QueryString's text, or undefined for a listing. */
  query: string | undefined;
  /** A listing's Restriction and SortOrder (display-name order without one). */
  match: ContactMatch | undefined;
  order: ContactOrder[] | undefined;
  /** What each Persona carries beside its id: nothing for IdOnly alone, as exchangelib asks by default. */
  properties: PersonaSelection;
  page: IndexedPage;
}

/**
 * FindPeople (Exchange 2013 on): the people of the caller's Contacts folder, in display-name
 * order or the SortOrder asked, those a Restriction names (both by the persona's names and
 * company: restriction.ts, sort-order.ts), or those a QueryString finds — the caller's contacts
 * first, then the directory's people ("the default search behavior targets both the
 * specified user's personal mailbox and the global address list", the operation's
 * reference); or, in the `directory` folder, the people of the directory a QueryString finds
 * — never the whole directory, which FindPeople does not let a client browse ("you must
 * specify a query string"). A QueryString is searched as ResolveNames searches its entry
 * (find-people.ts), best matches first. The answer is FindPeopleResponse itself, carrying its ResponseClass, with
 * People, TotalNumberOfPeopleInView and the two row indexes exchangelib reads, in
 * FindPeopleResponseMessageType's order (Learn, "FindPeople operation": its response example;
 * MS-OXWSPERS 3.1.4.1.3.3). Which error Exchange gives the directory without a QueryString is
 * not documented: ErrorInvalidRequest, as for the other requests it cannot answer.
 */
export const findPeopleOperation: EwsOperation<FindPeopleArgs> = {
  need: 'user',

  read(request, limits, precision) {
    if (soleChild(request, 'AggregationRestriction')) throw BridgeError.invalidRequest('AggregationRestriction is not supported; use a Restriction');
    if (child(request, 'FractionalPageItemView')) throw BridgeError.schemaValidation('FindPeople pages by IndexedPageItemView, not FractionalPageItemView');
    // Both required by FindPeopleType (MS-OXWSPERS 3.1.4.1.2.1): without them, Exchange's schema check refuses the request.
    const view = requiredChild(request, 'IndexedPageItemView');
    const folder = readTargetFolder(requiredChild(request, 'ParentFolderId'));
    const shape = soleChild(request, 'PersonaShape');
    const queryString = soleChild(request, 'QueryString');
    const query = queryString?.text.trim();
    if (query !== undefined && query.length > MAX_ENTRY_LENGTH)
      throw BridgeError.invalidRequest(`the QueryString is longer than ${MAX_ENTRY_LENGTH} characters`);
    const match = readRestriction(soleChild(request, 'Restriction'), precision, PERSONA_PROPERTIES);
    const order = readSortOrder(soleChild(request, 'SortOrder'), PERSONA_SORT_KEYS);
    // Refused, not ignored: answered as if absent, they would give people who do not match, in another order.
    if (query && (match || order))
      throw BridgeError.invalidRequest(
        'a QueryString finds people best match first, neither restricted nor sorted: a Restriction or SortOrder lists the Contacts folder',
      );
    return {
      folder,
      findsNothing: traversesNothing(request, false),
      query: query || undefined,
      match,
      order,
      properties: personaSelection(
        shape !== undefined && shapeOf(textOf(requiredChild(shape, 'BaseShape')), 'BaseShape') === 'IdOnly',
        children(soleChild(shape, 'AdditionalProperties'), 'FieldURI').map((path) => attribute(path, 'FieldURI')),
      ),
      page: readIndexedPage(view, limits),
    };
  },

  run: (args, context) =>
    refusingErrors(async () => {
      const folder = args.findsNothing ? 'empty' : peopleFolder(args.folder, context);
      if (folder === 'directory' && args.query === undefined) {
        throw BridgeError.invalidRequest('the directory is searched, not listed: FindPeople in it needs a QueryString');
      }
      const found =
        folder === 'empty'
          ? { people: [], total: 0, start: 0 }
          : await context.searches.run(context.mailbox!, async () => {
              const matches = await peopleIn(folder, args, context);
              // Written within the search's share, as the JSON doors' answers are: a page of 1,000 costs more to write than to find.
              return { ...matches, people: await mapInTurns(matches.people, (person) => personaXml('t:Persona', person, context, args.properties)) };
            });
      const payload =
        element('m:People', {}, ...found.people) +
        text('m:TotalNumberOfPeopleInView', found.total) +
        text('m:FirstMatchingRowIndex', found.start) +
        text('m:FirstLoadedRowIndex', found.start);
      return soapAnswer(singleMessageResponse(RESPONSE, success(payload), context.limits.maxAnswerBytes));
    }, refuse),

  refuse,
};

/** The folder FindPeople looks in: the caller's Contacts folder, the directory, or a folder that holds no one. */
function peopleFolder(ref: FolderRef, context: EwsContext): PeopleFolder {
  const name = folderOf(ref, context);
  return name === 'contacts' || name === 'directory' ? name : 'empty';
}

interface FoundPeople {
  people: Person[];
  total: number;
  start: number;
}

async function peopleIn(folder: Exclude<PeopleFolder, 'empty'>, args: FindPeopleArgs, context: EwsContext): Promise<FoundPeople> {
  const mailbox = context.mailbox!;
  if (args.query === undefined) {
    // The Contacts folder, as FindItem pages it.
    const { contacts, total, start } = await contactsPage(context.store, mailbox, args.match, args.page, args.order);
    return { people: contacts.map((contact): Person => ({ kind: 'contact', contact })), total, start };
  }
  // A search pages through its best matches: as far as the page asked reaches (from the end: all of them), one more to tell there are more.
  const reach = Math.min(args.page.fromEnd ? MAX_SEARCH_MATCHES : args.page.offset + args.page.maxEntries, MAX_SEARCH_MATCHES);
  const matches = await findPeople(context.store, mailbox, args.query, folder === 'contacts' ? 'ContactsActiveDirectory' : 'ActiveDirectory', reach);
  const known = matches.slice(0, MAX_SEARCH_MATCHES);
  const { start, count } = pageBounds(args.page, known.length);
  return { people: known.slice(start, start + count), total: known.length, start };
}

/** FindPeopleResponse is itself the response message: no ResponseMessages wrapper. */
const RESPONSE = 'm:FindPeopleResponse';

function refuse(error: BridgeError): SoapAnswer {
  return soapAnswer(singleMessageResponse(RESPONSE, failure(error)));
}
