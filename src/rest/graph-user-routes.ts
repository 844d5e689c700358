import { Router, type Request, type RequestHandler } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import type { DirectoryUser } from '../domain/directory.js';
import type { ItemIds } from '../ews/item-ids.js';
import { BridgeError } from '../domain/errors.js';
import { queryOf } from '../http/query-parameter.js';
import { contextOf, mailboxOf } from '../http/request-context.js';
import { requireAccount } from '../http/require-account.js';
import type { SearchBudget } from '../http/search-budget.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import { graphErrorHandler, refuseOtherMethods, resourceNotFound } from './graph-errors.js';
import { boundFunctionPath } from './graph-list-options.js';
import { graphBaseUrl, graphListUrl, graphUserOwner, userAndMePaths } from './graph-photo-path.js';
import { answerPeople } from './graph-people.js';
import { requireOwnMailbox } from './graph-own-mailbox.js';
import { listUsers } from './graph-user-list.js';
import { readReportsQuery, readUserCountQuery, readUserListQuery, unsupported } from './graph-user-query.js';
import { entityExpand, entitySelect, propertySelector, selectedContext, type PropertySelection } from './graph-select.js';
import { GRAPH_USER } from './graph-types.js';

interface GraphUserRoutesOptions {
  store: Store;
  auth: Authenticator;
  log: Logger;
  searches: SearchBudget;
  ids: ItemIds;
}

/**
 * `GET /me` and `GET /users/{id | userPrincipalName}` or `GET /users('{userPrincipalName}')` (https://learn.microsoft.com/en-us/graph/api/user-get):
 * the user with Graph's default properties, which a client reads before it asks for the
 * photo (`/me`, then `/me/photo/$value`). A user's id is their primary address; another of
 * their addresses finds them too. A login the directory does not list is still a mailbox
 * (as Autodiscover answers it): `/me` is then its address alone. `GET /users` lists them
 * (https://learn.microsoft.com/en-us/graph/api/user-list), as a people picker finds someone
 * before it shows their photo (graph-user-query.ts), and `GET /me/people` (or
 * `/users/{own id}/people`) the people relevant to the caller (graph-people.ts). A real login only.
 */
export function createGraphUserRoutes(options: GraphUserRoutesOptions): Router {
  const { store, log } = options;
  const router = Router();
  const reader = requireAccount(options.auth, 'user');

  /** The directory user a path names, `/me` the caller (a login the directory does not list: its address alone); Graph's not-found for anyone else it does not list. */
  async function namedUser(req: Request): Promise<DirectoryUser> {
    if (req.params.id === undefined && req.params.key === undefined) {
      const mailbox = mailboxOf(contextOf(req));
      if (mailbox === undefined) throw BridgeError.unauthenticated('authentication required');
      return (await store.getUser(mailbox)) ?? { email: mailbox, displayName: mailbox, refs: {} };
    }
    const named = graphUserOwner(req.params);
    if (named instanceof BridgeError) throw named;
    const user = named.owner.kind === 'user' ? await store.getUser(named.owner.email) : undefined;
    if (!user) throw resourceNotFound(named.name);
    return user;
  }

  // `$expand=manager` writes each user's manager in them, as an org chart or a directory export asks in one request.
  router.get('/users', reader, async (req, res) => {
    const query = readUserListQuery(queryOf(req), req.header('consistencylevel'));
    const answer = await options.searches.json(mailboxOf(contextOf(req))!, async () => {
      const page = await listUsers(store, query);
      const write = userWriter(query.select);
      const value = query.expand.has('manager')
        ? await withManagers(page.users, write, directoryObjectWriter(query.expand.get('manager')))
        : page.users.map(write);
      return listJson(req, selectedContext('users', query.select), value, page, query.carried);
    });
    res.type('json').send(answer);
  });

  // OData's $count segment: the number of users the list would have (with its $filter or $search), as text.
  router.get('/users/$count', reader, async (req, res) => {
    const query = readUserCountQuery(queryOf(req), req.header('consistencylevel'));
    const page = await options.searches.run(mailboxOf(contextOf(req))!, () => listUsers(store, { ...query, top: 1 }));
    res.type('text/plain').send(String(page.count));
  });

  // "user: delta" (a directory sync's) is a query this bridge does not answer: the directory's
  // changes are not kept. Refused as /users refuses the queries it does not read, rather than
  // taken for a user named "delta".
  router.get(USERS_DELTA, reader, () => {
    throw unsupported('users delta is not supported: the directory keeps no changes; page through /users instead');
  });

  // A manager hidden from address lists is no one's here, as on the directory page: walking
  // everyone's managers found every hidden mailbox. Its own entry still answers, by its address.
  const visibleManager = async (address: string | undefined): Promise<DirectoryUser | undefined> => {
    const user = address === undefined ? undefined : await store.getUser(address);
    return user?.hiddenFromAddressLists ? undefined : user;
  };

  /** A page of users each written with their manager (none when there is none): each manager read once, however many report to them. */
  async function withManagers(users: readonly DirectoryUser[], write: (user: DirectoryUser) => object, writeManager: (user: DirectoryUser) => object) {
    const addresses = [...new Set(users.flatMap(({ manager }) => (manager === undefined ? [] : [manager])))];
    const found = await Promise.all(addresses.map(visibleManager));
    const managers = new Map(addresses.map((address, i) => [address, found[i]] as const));
    return users.map((user) => {
      const manager = user.manager === undefined ? undefined : managers.get(user.manager);
      return { ...write(user), ...(manager ? { manager: writeManager(manager) } : {}) };
    });
  }

  // After /users/$count and the delta, which the path of a user would take for one so named.
  // `$expand=manager` writes the manager in the user, as a person card asks it in one request (user-list-manager's `me?$expand=manager`).
  router.get(userAndMePaths(''), reader, async (req, res) => {
    const query = queryOf(req);
    const select = entitySelect(query, GRAPH_USER, ['expand']);
    const expand = entityExpand(query, GRAPH_USER, ['manager'], GRAPH_USER);
    const user = await namedUser(req);
    const managerSelect = expand.get('manager');
    const manager = expand.has('manager') ? await visibleManager(user.manager) : undefined;
    res.json({
      '@odata.context': `${graphBaseUrl(req)}/$metadata#${selectedContext('users', select)}/$entity`,
      ...userWriter(select)(user),
      ...(manager ? { manager: directoryObjectWriter(managerSelect)(manager) } : {}),
    });
  });

  // The user's manager and direct reports, what a person card shows around them: https://learn.microsoft.com/en-us/graph/api/user-list-manager
  // (no manager: 404 Request_ResourceNotFound) and https://learn.microsoft.com/en-us/graph/api/user-list-directreports.
  router.get(userAndMePaths('/manager'), reader, async (req, res) => {
    const select = entitySelect(queryOf(req), GRAPH_USER);
    const user = await visibleManager((await namedUser(req)).manager);
    if (!user) throw resourceNotFound('manager');
    res.json({
      '@odata.context': `${graphBaseUrl(req)}/$metadata#${selectedContext('directoryObjects', select)}/$entity`,
      ...directoryObjectWriter(select)(user),
    });
  });

  router.get(userAndMePaths('/directReports'), reader, async (req, res) => {
    const query = readReportsQuery(queryOf(req), (await namedUser(req)).email);
    const answer = await options.searches.json(mailboxOf(contextOf(req))!, async () => {
      const page = await listUsers(store, query);
      return listJson(req, selectedContext('directoryObjects', query.select), page.users.map(directoryObjectWriter(query.select)), page, query.carried);
    });
    res.type('json').send(answer);
  });

  // Here rather than in a router of its own, which every Graph photo request would pass through first.
  // `/users/{id}/people` as `/me/people` for the caller's own mailbox: the people relevant to another user hold their contacts.
  const ownPeople: RequestHandler = async (req, _res, next) => {
    if (req.params.id !== undefined || req.params.key !== undefined) await requireOwnMailbox(store, mailboxOf(contextOf(req))!, req.params);
    next();
  };
  router.get(userAndMePaths('/people'), reader, ownPeople, answerPeople(options));

  refuseOtherMethods(router, ['/users', '/users/$count', USERS_DELTA, ...['', '/manager', '/directReports', '/people'].flatMap(userAndMePaths)], 'GET, HEAD');
  router.use(graphErrorHandler(log));
  return router;
}

const USERS_DELTA = boundFunctionPath('/users', 'delta');

/** A page of a list as Graph writes one: its context, `@odata.count` when asked, the values, and the link to the next page when there is one. */
function listJson(req: Request, collection: string, value: object[], page: { count?: number; skipToken?: string }, carried: string) {
  return {
    '@odata.context': `${graphBaseUrl(req)}/$metadata#${collection}`,
    ...(page.count === undefined ? {} : { '@odata.count': page.count }),
    value,
    ...(page.skipToken ? { '@odata.nextLink': `${graphListUrl(req)}?$skiptoken=${page.skipToken}${carried}` } : {}),
  };
}

/** Writes users where Graph lists directory objects (a manager, direct reports): with their type. */
function directoryObjectWriter(select: PropertySelection) {
  const write = userWriter(select);
  return (user: DirectoryUser) => ({ '@odata.type': '#microsoft.graph.user', ...write(user) });
}

/** The properties Graph writes a user with when no `$select` names others (user-get). */
const DEFAULT_USER_PROPERTIES = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];

/** Writes users with the properties `select` asks (graph-select.ts), by default the eleven above. */
function userWriter(select: PropertySelection) {
  const selected = propertySelector(select, DEFAULT_USER_PROPERTIES);
  return (user: DirectoryUser) => selected(userProperties(user));
}

/**
 * Every property of a user the directory has a value for, as Graph's user resource names
 * it (https://learn.microsoft.com/en-us/graph/api/resources/user): the default ones — those
 * it keeps nothing for null —, and those only `$select` asks: the department and company a
 * people picker shows, the alias, the SIP address as an IM address (no `sip:`), the addresses
 * as Exchange's proxyAddresses (the primary one `SMTP:`), and whether the address book shows them.
 */
function userProperties(user: DirectoryUser) {
  return {
    businessPhones: user.businessPhone === undefined ? [] : [user.businessPhone],
    displayName: user.displayName,
    givenName: user.givenName ?? null,
    jobTitle: user.title ?? null,
    mail: user.email,
    mobilePhone: user.mobilePhone ?? null,
    officeLocation: null,
    preferredLanguage: null,
    surname: user.surname ?? null,
    userPrincipalName: user.email,
    id: user.email,
    companyName: user.company ?? null,
    department: user.department ?? null,
    mailNickname: user.alias ?? null,
    imAddresses: user.sipAddress === undefined ? [] : [user.sipAddress.replace(/^sip:/i, '')],
    proxyAddresses: [`SMTP:${user.email}`, ...(user.otherAddresses ?? []).map((address) => `smtp:${address}`)],
    showInAddressList: !user.hiddenFromAddressLists,
  };
}
