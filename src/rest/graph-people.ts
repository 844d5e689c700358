import type { RequestHandler } from 'express';
import type { Contact } from '../domain/contact.js';
import type { DirectoryUser } from '../domain/directory.js';
import { BridgeError } from '../domain/errors.js';
import type { ItemIds } from '../ews/item-ids.js';
import { queryOf } from '../http/query-parameter.js';
import { contextOf, mailboxOf } from '../http/request-context.js';
import type { SearchBudget } from '../http/search-budget.js';
import { findPeople, MAX_ENTRY_LENGTH, MAX_SEARCH_MATCHES, type Person } from '../people/find-people.js';
import { mapInTurns } from '../loop-turns.js';
import { foldedText } from '../store/search-text.js';
import type { Store } from '../store/store.js';
import { graphContactId } from './graph-contact-routes.js';
import { carriedOptions, integerOption, orderByClause, readListOptions } from './graph-list-options.js';
import { graphContextUrl, graphListUrl } from './graph-photo-path.js';
import { propertySelector, readSelect, selectedContext } from './graph-select.js';
import { GRAPH_PERSON } from './graph-types.js';

interface GraphPeopleOptions {
  store: Store;
  searches: SearchBudget;
  ids: ItemIds;
}

/** Graph's page of people when `$top` is not given, and the deepest a list reaches (as a people search on the directory page). */
export const PEOPLE_TOP = { default: 10, max: MAX_SEARCH_MATCHES } as const;
const PEOPLE_MAX = PEOPLE_TOP.max;
/** The most one page holds whatever `$top` asks, as a contact page: its answer is written on the event loop at once. */
const PAGE_MAX = 250;

const LIST_OPTIONS = new Set(['search', 'filter', 'orderby', 'top', 'skip', 'select']);

/** Graph's person types the bridge has: a directory user and one of the caller's contacts. */
type Subclass = 'OrganizationUser' | 'PersonalContact';

/** One `personType` test of a `$filter`, as people pickers write them. */
const PERSON_TYPE_TEST = /^\s*personType\/(class|subclass)\s+eq\s+'([a-z]+)'\s*$/i;

/**
 * `GET /me/people` (https://learn.microsoft.com/en-us/graph/api/user-list-people, resources/person):
 * the people relevant to the caller, as people pickers ask first — here the caller's own
 * contacts, then the directory (in name order) — and with `$search`, those found as
 * ResolveNames finds them (the start of a word of their names, alias or address; contacts
 * first, then the directory, each best match first). `$filter` takes the person type, as
 * pickers narrow to people or to users (`personType/class eq 'Person'`,
 * `personType/subclass eq 'OrganizationUser'` or `'PersonalContact'`, joined by `and`);
 * `$top` (10 by default) and `$skip` page through the first 1,000; `$orderby=displayName`
 * (`asc` or `desc`) puts those 1,000 in name order instead; `$select` as elsewhere, the id
 * always written ("The @odata.id field is always returned", people-insights-overview).
 * A person's id is what the photo is asked by: a user's address (`/users/{id}/photo`), a
 * contact's Graph id (`/me/contacts/{id}/photo`). Hidden mailboxes are in no list.
 */
export function answerPeople(options: GraphPeopleOptions): RequestHandler {
  const { store, ids } = options;
  return async (req, res) => {
    const mailbox = mailboxOf(contextOf(req));
    if (mailbox === undefined) throw BridgeError.unauthenticated('authentication required');
    const query = readPeopleQuery(queryOf(req));
    // In name order, every page is cut from the same people: all those the list reaches.
    const wanted = query.nameOrder ? PEOPLE_MAX : Math.min(query.skip + query.top + 1, PEOPLE_MAX);
    const answer = await options.searches.json(mailbox, async () => {
      const relevant = await relevantPeople(store, mailbox, query.search, query.subclasses, wanted);
      const found = query.nameOrder ? inNameOrder(relevant, query.nameOrder) : relevant;
      const page = found.slice(query.skip, Math.min(query.skip + Math.min(query.top, PAGE_MAX), PEOPLE_MAX));
      const selected = propertySelector(query.select, undefined, ['id']);
      const next = query.skip + page.length;
      return {
        '@odata.context': graphContextUrl(req, mailbox, selectedContext('people', query.select)),
        value: await mapInTurns(page, (person) => selected(person.kind === 'user' ? userPerson(person.user) : contactPerson(person.contact, ids))),
        ...(found.length > next && next < PEOPLE_MAX ? { '@odata.nextLink': `${graphListUrl(req)}?$skip=${next}${query.carried}` } : {}),
      };
    });
    res.type('json').send(answer);
  };
}

/** Up to `wanted` people of the subclasses asked, the caller's contacts first. */
async function relevantPeople(store: Store, mailbox: string, search: string | undefined, subclasses: ReadonlySet<Subclass>, wanted: number): Promise<Person[]> {
  const contacts = subclasses.has('PersonalContact');
  const users = subclasses.has('OrganizationUser');
  if (!contacts && !users) return [];
  if (search !== undefined) {
    const scope = contacts && users ? 'ContactsActiveDirectory' : contacts ? 'Contacts' : 'ActiveDirectory';
    return (await findPeople(store, mailbox, search, scope, wanted)).slice(0, wanted);
  }
  const own = contacts ? (await store.pageContacts(mailbox, undefined, 0, wanted)).contacts : [];
  const directory = users && own.length < wanted ? (await store.pageUsers('name', '', undefined, wanted - own.length)).users : [];
  return [...own.map((contact): Person => ({ kind: 'contact', contact })), ...directory.map((user): Person => ({ kind: 'user', user }))];
}

/** People by display name (folded as the directory's name order folds it), then by id so that the order is total. */
function inNameOrder(people: Person[], direction: 'asc' | 'desc'): Person[] {
  const keyed = people.map((person) => {
    const [name, id] = person.kind === 'user' ? [person.user.displayName, person.user.email] : [person.contact.displayName, String(person.contact.id)];
    return { person, key: `${foldedText(name)}\u0000${id}` };
  });
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) * (direction === 'desc' ? -1 : 1));
  return keyed.map(({ person }) => person);
}

interface PeopleQuery {
  search: string | undefined;
  subclasses: ReadonlySet<Subclass>;
  nameOrder: 'asc' | 'desc' | undefined;
  top: number;
  skip: number;
  select: ReturnType<typeof readSelect>;
  carried: string;
}

function readPeopleQuery(search: URLSearchParams): PeopleQuery {
  const options = readListOptions(search, LIST_OPTIONS, 'people');
  return {
    search: readSearch(options.get('search')),
    subclasses: readPersonTypes(options.get('filter')),
    nameOrder: readOrderBy(options.get('orderby')),
    top: integerOption(options, 'top', PEOPLE_TOP.default, 1, PEOPLE_MAX),
    skip: integerOption(options, 'skip', 0, 0, PEOPLE_MAX - 1),
    select: readSelect(options.get('select'), GRAPH_PERSON),
    carried: carriedOptions(options),
  };
}

/** The one property people are put in order by, as the documentation's example does (`$orderby=displayName`). */
export const PEOPLE_ORDERED_BY = 'displayName';

/** `$orderby`: people are put in order by their display name. */
function readOrderBy(value: string | undefined): 'asc' | 'desc' | undefined {
  if (value === undefined) return undefined;
  const clause = orderByClause(value);
  if (clause?.property !== PEOPLE_ORDERED_BY.toLowerCase())
    throw new BridgeError('ErrorInvalidUrlQuery', 400, `People are ordered by ${PEOPLE_ORDERED_BY} (asc or desc)`);
  return clause.descending ? 'desc' : 'asc';
}

/** `$search="text"` (the quotes optional); a `topic:` search is a relevance the bridge has no data for, refused. */
function readSearch(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value
    .trim()
    .replace(/^"(.*)"$/s, '$1')
    .trim();
  if (text.length > MAX_ENTRY_LENGTH) throw BridgeError.invalidRequest(`$search is longer than ${MAX_ENTRY_LENGTH} characters`);
  if (/^topic:/i.test(text)) throw new BridgeError('ErrorInvalidUrlQuery', 400, 'Searching people by topic is not supported; search by name or address');
  return text;
}

/**
 * The subclasses a `$filter` of person types keeps; every one without a filter, none for a
 * class other than Person. Tests joined by `and`, each a test or a parenthesised `or` of tests,
 * as the Microsoft Graph Toolkit's people picker writes them for contacts
 * (`personType/class eq 'Person' and (personType/subclass eq 'ImplicitContact' or
 * personType/subclass eq 'PersonalContact')`); a subclass the bridge has none of keeps none.
 */
function readPersonTypes(filter: string | undefined): ReadonlySet<Subclass> {
  const kept = new Set<Subclass>(SUBCLASSES);
  if (filter === undefined) return kept;
  // A person type is one word: no value holds a word `and` or `or`.
  for (const clause of filter.split(/\band\b/i)) {
    const group = /^\s*\(([^()]*)\)\s*$/.exec(clause)?.[1];
    const tests = (group ?? clause).split(/\bor\b/i);
    if (group === undefined && tests.length > 1) throw personTypeFilter();
    const allowed = new Set(tests.flatMap(subclassesOf));
    for (const subclass of kept) if (!allowed.has(subclass)) kept.delete(subclass);
  }
  return kept;
}

const SUBCLASSES: readonly Subclass[] = ['OrganizationUser', 'PersonalContact'];

/** The subclasses one `personType` test holds for. */
function subclassesOf(test: string): Subclass[] {
  const [, property, value] = (PERSON_TYPE_TEST.exec(test) ?? []) as [string?, string?, string?];
  if (property === undefined || value === undefined) throw personTypeFilter();
  if (property.toLowerCase() === 'class') return value.toLowerCase() === 'person' ? [...SUBCLASSES] : [];
  return SUBCLASSES.filter((subclass) => subclass.toLowerCase() === value.toLowerCase());
}

function personTypeFilter(): BridgeError {
  return new BridgeError(
    'ErrorInvalidUrlQueryFilter',
    400,
    "People are filtered by personType/class eq 'Person' and personType/subclass eq 'OrganizationUser' or 'PersonalContact', joined by and (an or of them in parentheses)",
  );
}

/** A directory user as a person: Graph's properties, the ones the directory keeps nothing for empty as Graph writes them. */
function userPerson(user: DirectoryUser) {
  return {
    ...personBase(user.displayName, user.givenName, user.surname),
    id: user.email,
    jobTitle: user.title ?? null,
    companyName: user.company ?? null,
    department: user.department ?? null,
    userPrincipalName: user.email,
    imAddress: user.sipAddress ?? null,
    scoredEmailAddresses: [scored(user.email)],
    phones: phones({ business: user.businessPhone, mobile: user.mobilePhone }),
    personType: { class: 'Person', subclass: 'OrganizationUser' },
  };
}

/** One of the caller's contacts as a person, by its Graph id (its photo's path). */
function contactPerson(contact: Contact, ids: ItemIds) {
  return {
    ...personBase(contact.displayName, contact.givenName, contact.surname),
    id: graphContactId(ids, contact.id),
    jobTitle: contact.jobTitle ?? null,
    companyName: contact.company ?? null,
    department: contact.department ?? null,
    userPrincipalName: null,
    imAddress: null,
    scoredEmailAddresses: contact.emailAddresses.map(scored),
    phones: phones(contact.phones),
    personType: { class: 'Person', subclass: 'PersonalContact' },
  };
}

function personBase(displayName: string, givenName: string | undefined, surname: string | undefined) {
  return {
    displayName,
    givenName: givenName ?? null,
    surname: surname ?? null,
    birthday: '',
    personNotes: '',
    isFavorite: false,
    officeLocation: null,
    profession: null,
    yomiCompany: null,
    postalAddresses: [],
    websites: [],
  };
}

/** An address as the person resource scores it; the bridge has no relevance to tell, so every address alike. */
const scored = (address: string) => ({ address, relevanceScore: 1, selectionLikelihood: 'notSpecified' });

function phones(numbers: { business?: string | undefined; mobile?: string | undefined; home?: string | undefined }) {
  return Object.entries(numbers).flatMap(([type, number]) => (number === undefined ? [] : [{ type, number }]));
}
