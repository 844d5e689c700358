import { Router, type Request } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import type { Contact } from '../domain/contact.js';
import { BridgeError } from '../domain/errors.js';
import type { Rendition } from '../domain/photo.js';
import { contactOwner } from '../domain/photo-owner.js';
import { LARGEST_PHOTO_SIZE } from '../domain/size-code.js';
import { folderId, FOLDERS } from '../ews/folders.js';
import { ewsIdsOfRestId, restIdOf } from '../ews/exchange-id-forms.js';
import { changeKeyOf, type ItemIds } from '../ews/item-ids.js';
import { callerTurn } from '../http/caller-turns.js';
import { queryOf } from '../http/query-parameter.js';
import { contextOf, mailboxOf } from '../http/request-context.js';
import { requireAccount } from '../http/require-account.js';
import type { SearchBudget } from '../http/search-budget.js';
import { decodedSegment } from '../http/request-target.js';
import type { Logger } from '../logger.js';
import { mapInTurns } from '../loop-turns.js';
import type { PhotoService } from '../photos/photo-service.js';
import type { Store } from '../store/store.js';
import { readContactListQuery } from './graph-contact-query.js';
import { contactDeltaPage } from './contact-delta.js';
import { boundFunctionPath, carriedOptions, countOption, integerOption, readListOptions } from './graph-list-options.js';
import { entitySelect, propertySelector, readSelect, selectedContext, type PropertySelection } from './graph-select.js';
import { graphErrorHandler, imageNotFound, refuseOtherMethods } from './graph-errors.js';
import { graphBaseUrl, graphContextUrl, graphListUrl, USER_IN_PATH, userInMatch } from './graph-photo-path.js';
import { photoEntity } from './graph-photo-routes.js';
import { requireOwnMailbox } from './graph-own-mailbox.js';
import { GRAPH_CONTACT, GRAPH_CONTACT_FOLDER, type GraphType } from './graph-types.js';
import { translateExchangeIds } from './graph-translate-ids.js';
import { photoCacheControl, sendRendition } from './send-photo.js';

interface GraphContactRoutesOptions {
  store: Store;
  searches: SearchBudget;
  photos: PhotoService;
  auth: Authenticator;
  log: Logger;
  ids: ItemIds;
  photoMaxAgeSeconds: number;
}

/**
 * The most one page holds, whatever `$top` asks: Graph caps its pages too (at 200 contacts
 * for delta), and clients follow `@odata.nextLink` for the rest. Reading a page takes the
 * event loop for the store's query; 40 pages of 1,000 at once kept /healthz waiting 1 s.
 */
export const PAGE_MAX = 250;

/**
 * The caller's contacts as Graph lists them (https://learn.microsoft.com/en-us/graph/api/user-list-contacts,
 * resources/contact): `GET /me/contacts` with `$top`/`$skip`, `@odata.nextLink`, the address
 * `$filter`, `$orderby` and `$count` (graph-contact-query.ts), `GET /me/contacts/$count`,
 * `GET /me/contacts/{id}`, and the contact's photo at `…/photo` (metadata) and
 * `…/photo/$value` (bytes). Ids are the same sealed tokens as EWS ItemIds, in the REST form
 * Exchange gives Graph (exchange-id-forms.ts: the Graph client puts ids into the path as they
 * are, and `/` would split them); another mailbox's id is answered exactly like a missing
 * one. Mounted before the photo routes, whose catch-all answers every other path.
 */
export function createGraphContactRoutes(options: GraphContactRoutesOptions): Router {
  const { store, photos, ids, log } = options;
  const router = Router();
  const reader = requireAccount(options.auth, 'user');
  const cacheControl = photoCacheControl(options.photoMaxAgeSeconds);

  // The same contacts and folders by the other paths "List contacts", "contact: delta" and
  // "contactFolder: delta" document: the caller's mailbox named as a user (`/users/{own
  // address}/contacts`, as PnPjs asks; `/users/{own address}/contactFolders…`, and
  // `…/translateExchangeIds`), and the Contacts folder's contacts by its id
  // (`/me/contactFolders/{id}/contacts`), or both. Another user's are not the caller's to read.
  router.use(async (req, res, next) => {
    const asUser = MAILBOX_AS_USER.exec(req.url);
    const inFolder = CONTACTS_IN_FOLDER.exec(asUser ? `/me${req.url.slice(asUser[0].length)}` : req.url);
    if (!asUser && !inFolder) return next();
    await reader(req, res, () => {});
    const mailbox = callerOf(req);
    if (asUser) {
      await requireOwnMailbox(store, mailbox, userInMatch(asUser.groups!));
      req.url = `/me${req.url.slice(asUser[0].length)}`;
    }
    if (inFolder) {
      if (!isContactsFolder(decodedSegment(inFolder.groups!.folder!), mailbox)) throw BridgeError.itemNotFound();
      req.url = `/me/contacts${req.url.slice(inFolder[0].length)}`;
    }
    next();
  });

  /** Whether a (decoded) folder id names the mailbox's Contacts folder: by its id, or by its well-known name. */
  const isContactsFolder = (named: string, mailbox: string) =>
    named.toLowerCase() === WELL_KNOWN_CONTACTS || ewsIdsOfRestId(named).includes(folderId('contacts', { ids, mailbox }));

  // "List contactFolders": the folders in the default Contacts folder, of which a mailbox here has none.
  router.get('/me/contactFolders', reader, (req, res) => {
    res.json(noFolders(req, graphContextUrl(req, callerOf(req), 'contactFolders')));
  });

  // "contactFolder: delta" (https://learn.microsoft.com/en-us/graph/api/contactfolder-delta), as a
  // sync client asks before each folder's contacts: none, as listed above, now or later — so the
  // deltaLink's token stands for that and needs no keeping; any other token is one never given.
  router.get(CONTACT_FOLDERS_DELTA, reader, (req, res) => {
    const { token, carried } = readDeltaQuery(req, 'contactFolders delta', GRAPH_CONTACT_FOLDER);
    if (token !== undefined && token !== NO_FOLDERS_TOKEN) throw syncStateNotFound();
    res.json({
      '@odata.context': `${graphBaseUrl(req)}/$metadata#Collection(contactFolder)`,
      '@odata.deltaLink': `${graphListUrl(req)}?$deltatoken=${NO_FOLDERS_TOKEN}${carried}`,
      value: [],
    });
  });

  router.get('/me/contactFolders/:folder', reader, (req, res) => {
    const mailbox = callerOf(req);
    const select = entitySelect(queryOf(req), GRAPH_CONTACT_FOLDER);
    // Express has decoded the parameter already.
    if (!isContactsFolder(String(req.params.folder), mailbox)) throw BridgeError.itemNotFound();
    const folder = {
      id: contactsFolderId(mailbox, ids),
      displayName: 'Contacts',
      parentFolderId: restIdOf(folderId(FOLDERS.contacts.parent, { ids, mailbox })),
    };
    res.json({
      '@odata.context': graphContextUrl(req, mailbox, `${selectedContext('contactFolders', select)}/$entity`),
      ...propertySelector(select, undefined, ['id'])(folder),
    });
  });

  // "List childFolders" (https://learn.microsoft.com/en-us/graph/api/contactfolder-list-childfolders),
  // as a client walking the folder tree asks of each folder: the Contacts folder has none.
  router.get('/me/contactFolders/:folder/childFolders', reader, (req, res) => {
    const mailbox = callerOf(req);
    if (!isContactsFolder(String(req.params.folder), mailbox)) throw BridgeError.itemNotFound();
    res.json(noFolders(req, graphContextUrl(req, mailbox, `contactFolders('${contactsFolderId(mailbox, ids)}')/childFolders`)));
  });

  router.get('/me/contacts', reader, async (req, res) => {
    const mailbox = callerOf(req);
    const { match, count, order, top, skip, select, carried } = readContactListQuery(queryOf(req));
    const parentFolderId = contactsFolderId(mailbox, ids);
    const selected = contactSelector(select);
    const answer = await options.searches.json(mailbox, async () => {
      const page = await store.pageContacts(mailbox, match, skip, Math.min(top, PAGE_MAX), order);
      return {
        '@odata.context': graphContextUrl(req, mailbox, selectedContext('contacts', select)),
        ...(count ? { '@odata.count': page.total } : {}),
        value: await mapInTurns(page.contacts, (contact) => selected(graphContact(contact, ids, parentFolderId))),
        ...(skip + page.contacts.length < page.total ? { '@odata.nextLink': `${graphListUrl(req)}?$skip=${skip + page.contacts.length}${carried}` } : {}),
      };
    });
    res.type('json').send(answer);
  });

  // OData's $count segment: the number of contacts the list would have (with its $filter), as text.
  router.get('/me/contacts/$count', reader, async (req, res) => {
    const { match } = readContactListQuery(queryOf(req));
    const mailbox = callerOf(req);
    const { total } = await options.searches.run(mailbox, () => store.pageContacts(mailbox, match, 0, 0));
    res.type('text/plain').send(String(total));
  });

  // Graph's contact delta (https://learn.microsoft.com/en-us/graph/api/contact-delta), by the
  // folder's path or /me/contacts/delta: a round's pages follow @odata.nextLink ($skiptoken),
  // and its last gives @odata.deltaLink ($deltatoken), which later lists what changed since.
  // A token is the state it stands for, kept in the store (any replica reads it) among the
  // mailbox's newest few of its kind (delta-tokens.ts); one gone is 410 syncStateNotFound,
  // after which a client syncs again.
  router.get(CONTACTS_DELTA, reader, async (req, res) => {
    const mailbox = callerOf(req);
    const { token, select, carried } = readDeltaQuery(req, 'contacts delta', GRAPH_CONTACT);
    const kept = token === undefined ? undefined : await store.deltaState(mailbox, token);
    if (token !== undefined && !kept) throw syncStateNotFound();
    const pageSize = deltaPageSize(req.header('prefer'));
    const parentFolderId = contactsFolderId(mailbox, ids);
    const selected = contactSelector(select);
    // The token's write too, in the login's share of the store's time: a flood of delta requests is one login's writes.
    const answer = await options.searches.json(mailbox, async () => {
      const page = await contactDeltaPage(store, { ids, mailbox }, kept?.state ?? '', pageSize.size).catch(stateLetGo);
      // A deltaLink followed when nothing changed leaves the client where it stood: that token again,
      // not a new one that would push another device's out of the mailbox's newest.
      const unchanged = kept?.kind === 'delta' && page.changed.length === 0 && page.removed.length === 0 && !page.more ? token : undefined;
      // Made the newest again, as a link in use: new rounds elsewhere push out the least recently used.
      if (unchanged !== undefined) await store.renewDeltaToken(mailbox, unchanged);
      const next = unchanged ?? (await store.saveDeltaState(mailbox, page.state, page.more ? 'page' : 'delta'));
      return {
        '@odata.context': `${graphBaseUrl(req)}/$metadata#Collection(contact)`,
        [page.more ? '@odata.nextLink' : '@odata.deltaLink']: `${graphListUrl(req)}?$${page.more ? 'skiptoken' : 'deltatoken'}=${next}${carried}`,
        value: [
          ...(await mapInTurns(page.changed, (contact) => selected(graphContact(contact, ids, parentFolderId)))),
          ...page.removed.map((id) => ({ id: graphContactId(ids, id), '@removed': { reason: 'deleted' } })),
        ],
      };
    });
    if (pageSize.applied) res.set('preference-applied', pageSize.applied);
    res.type('json').send(answer);
  });

  /** The caller's contact by its Graph id; ErrorItemNotFound for another mailbox's, as for a missing one. */
  async function contactIn(req: Request): Promise<Contact> {
    const id = ids.decodeAny('contact', ewsIdsOfRestId(String(req.params.id)));
    const contact = await store.getContact(callerOf(req), id);
    if (!contact) throw BridgeError.itemNotFound();
    return contact;
  }

  router.get('/me/contacts/:id', reader, async (req, res) => {
    const select = entitySelect(queryOf(req), GRAPH_CONTACT);
    const contact = await contactIn(req);
    const mailbox = callerOf(req);
    res.json({
      '@odata.context': graphContextUrl(req, mailbox, `${selectedContext('contacts', select)}/$entity`),
      ...contactSelector(select)(graphContact(contact, ids, contactsFolderId(mailbox, ids))),
    });
  });

  /** The photo of the caller's contact the path names, at its largest; Graph's ImageNotFound when it has none. */
  async function contactPhotoOf(req: Request): Promise<Rendition> {
    const rendition = await photos.photo(contactOwner((await contactIn(req)).id), LARGEST_PHOTO_SIZE, undefined, callerTurn(contextOf(req)));
    if (!rendition) throw imageNotFound();
    return rendition;
  }

  router.get('/me/contacts/:id/photo', reader, async (req, res) => {
    const rendition = await contactPhotoOf(req);
    res.json({
      // As a user's photo metadata has it; the contact's id is an OData key literal, in which a quote is written twice.
      '@odata.context': graphContextUrl(req, callerOf(req), `contacts('${String(req.params.id).replaceAll("'", "''")}')/photo/$entity`),
      ...photoEntity(rendition),
    });
  });

  router.get('/me/contacts/:id/photo/$value', reader, async (req, res) => {
    sendRendition(req, res, await contactPhotoOf(req), cacheControl, contextOf(req).requestId);
  });

  router.post('/me/translateExchangeIds', reader, ...translateExchangeIds(ids, options.searches));

  // Contacts and their folders are read here, not written: another method is 405, as on the photo paths.
  refuseOtherMethods(
    router,
    [
      '/me/contactFolders',
      CONTACT_FOLDERS_DELTA,
      '/me/contactFolders/:folder',
      '/me/contactFolders/:folder/childFolders',
      '/me/contacts',
      '/me/contacts/$count',
      CONTACTS_DELTA,
      '/me/contacts/:id',
      '/me/contacts/:id/photo',
      '/me/contacts/:id/photo/$value',
    ],
    'GET, HEAD',
  );
  refuseOtherMethods(router, '/me/translateExchangeIds', 'POST');

  router.use(graphErrorHandler(log));
  return router;
}

const CONTACT_FOLDERS_DELTA = boundFunctionPath('/me/contactFolders', 'delta');
const CONTACTS_DELTA = boundFunctionPath('/me/contacts', 'delta');

/** The options a list of contact folders reads; it is always empty, so they change nothing but `@odata.count`. */
const FOLDER_LIST_OPTIONS = new Set(['top', 'skip', 'select', 'count']);

/** A list of contact folders, none, its options read as any list's are: a bad one is a 400, never passed over. */
function noFolders(req: Request, context: string): Record<string, unknown> {
  const options = readListOptions(queryOf(req), FOLDER_LIST_OPTIONS, 'contactFolders');
  integerOption(options, 'top', PAGE_MAX, 1, PAGE_MAX);
  integerOption(options, 'skip', 0, 0, 1_000_000);
  readSelect(options.get('select'), GRAPH_CONTACT_FOLDER);
  return { '@odata.context': context, ...(countOption(options) ? { '@odata.count': 0 } : {}), value: [] };
}

/** The options of a delta request: its tokens, and `$select` (the round's first request names it; its links carry it). */
const DELTA_OPTIONS = new Set(['deltatoken', 'skiptoken', 'select']);

/** A delta request's token (either kind; both at once is 400), its `$select` (a bad one 400 on every resource) and that to carry in its links. */
function readDeltaQuery(req: Request, resource: string, type: GraphType): { token: string | undefined; select: PropertySelection; carried: string } {
  const query = readListOptions(queryOf(req), DELTA_OPTIONS, resource);
  if (query.has('deltatoken') && query.has('skiptoken')) throw BridgeError.invalidRequest('a delta request carries $deltatoken or $skiptoken, not both');
  return {
    token: query.get('deltatoken') ?? query.get('skiptoken'),
    select: readSelect(query.get('select'), type),
    carried: carriedOptions(query),
  };
}

/** The contact folders' delta token: the mailbox has none under Contacts, and never will here. */
const NO_FOLDERS_TOKEN = 'no-folders';

/** The most contacts a delta page holds here (the bridge's bound, as PAGE_MAX is the list's); fewer when `Prefer: odata.maxpagesize` asks. */
export const DELTA_PAGE_MAX = 200;

/**
 * A delta page's size: `Prefer: odata.maxpagesize=N` (OData 4.01 §8.2.8.3) when it asks 1…DELTA_PAGE_MAX,
 * and then said applied (`Preference-Applied`); DELTA_PAGE_MAX otherwise.
 */
function deltaPageSize(prefer: string | undefined): { size: number; applied?: string } {
  // The whole value or nothing: `odata.maxpagesize=1e1` is no page size, not 1.
  const preference = /(?:^|[,;])\s*odata\.maxpagesize\s*=\s*(?:"(\d{1,7})"|(\d{1,7}))\s*(?:[,;]|$)/i.exec(prefer ?? '');
  const asked = Number(preference?.[1] ?? preference?.[2]);
  return asked >= 1 && asked <= DELTA_PAGE_MAX ? { size: asked, applied: `odata.maxpagesize=${asked}` } : { size: DELTA_PAGE_MAX };
}

/** A kept state that no longer opens (sealed with another key, or before states were sealed): as gone, so the client syncs again. */
function stateLetGo(error: unknown): never {
  throw error instanceof BridgeError && error.responseCode === 'ErrorInvalidSyncStateData' ? syncStateNotFound() : error;
}

/**
 * A delta token this mailbox does not have (never given, or let go): 410 Gone, after which a
 * client syncs from the start ("Synchronization reset", https://learn.microsoft.com/en-us/graph/delta-query-overview),
 * with the code and words Graph gives an expired token (Microsoft 365 Developer Blog, "Duration of
 * change tracking tokens for identity and education resources", 2020-07-03).
 */
function syncStateNotFound(): BridgeError {
  return new BridgeError('syncStateNotFound', 410, 'The sync state generation is not found. The delta token is expired and data must be synchronized again.');
}

/** The Contacts folder's well-known name, which Graph takes in place of its id. */
const WELL_KNOWN_CONTACTS = 'contacts';

/** `/users/{id}/contacts…`, `/users/{id}/contactFolders…` and `/users/{id}/translateExchangeIds` (or `/users('{id}')/…`): Graph's segments are read in any case. */
const MAILBOX_AS_USER = new RegExp(String.raw`^\/${USER_IN_PATH}(?=\/(?:contacts|contactFolders|translateExchangeIds)(?:[/?]|$))`, 'i');

/** `/me/contactFolders/{id}/contacts…`: a folder's contacts. */
const CONTACTS_IN_FOLDER = /^\/me\/contactFolders\/(?<folder>[^/?]+)\/contacts(?=[/?]|$)/i;

function callerOf(req: Request): string {
  const mailbox = mailboxOf(contextOf(req));
  if (mailbox === undefined) throw BridgeError.unauthenticated('authentication required');
  return mailbox;
}

/**
 * A contact resource as Graph answers it (resources/contact): every property, those the
 * bridge keeps filled in and the others empty as Graph writes an empty one (null, [] or
 * {}), so that clients reading `imAddresses.length` or `homeAddress.city` get what they
 * get from Graph, not undefined. `@odata.etag` and `changeKey` change with the contact or
 * its photo, as the EWS ChangeKey does.
 */
function graphContact(contact: Contact, ids: ItemIds, parentFolderId: string) {
  const changeKey = changeKeyOf(contact);
  return {
    '@odata.etag': `W/"${changeKey}"`,
    id: graphContactId(ids, contact.id),
    createdDateTime: contact.createdAt,
    lastModifiedDateTime: contact.updatedAt,
    changeKey,
    categories: [],
    parentFolderId,
    birthday: null,
    fileAs: contact.displayName,
    displayName: contact.displayName,
    givenName: contact.givenName ?? null,
    initials: null,
    middleName: null,
    nickName: null,
    surname: contact.surname ?? null,
    title: null,
    yomiGivenName: null,
    yomiSurname: null,
    yomiCompanyName: null,
    generation: null,
    imAddresses: [],
    jobTitle: contact.jobTitle ?? null,
    companyName: contact.company ?? null,
    department: contact.department ?? null,
    officeLocation: null,
    profession: null,
    businessHomePage: null,
    assistantName: null,
    manager: null,
    homePhones: contact.phones.home ? [contact.phones.home] : [],
    mobilePhone: contact.phones.mobile ?? null,
    businessPhones: contact.phones.business ? [contact.phones.business] : [],
    spouseName: null,
    personalNotes: '',
    children: [],
    emailAddresses: contact.emailAddresses.map((address) => ({ name: contact.displayName, address })),
    homeAddress: {},
    businessAddress: {},
    otherAddress: {},
  };
}

/** Writes contacts with every property, or those `select` names and their `@odata.etag` and `id`, which Graph gives an Outlook item whatever is selected. */
const contactSelector = (select: PropertySelection) => propertySelector(select, undefined, ['@odata.etag', 'id']);

/** A contact's Graph id: its sealed item id (as EWS's ItemId) in Graph's form. */
export function graphContactId(ids: ItemIds, id: number): string {
  return restIdOf(ids.encode('contact', id));
}

/** The Contacts folder's id in Graph's form: the same for every contact of a page, so made once for it (a hash and a seal each). */
function contactsFolderId(mailbox: string, ids: ItemIds): string {
  return restIdOf(folderId('contacts', { ids, mailbox }));
}
