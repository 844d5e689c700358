import { Router, type Request } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import type { DirectoryUser } from '../domain/directory.js';
import { BridgeError } from '../domain/errors.js';
import { contextOf, mailboxOf } from '../http/request-context.js';
import { requireAccount } from '../http/require-account.js';
import type { SearchBudget } from '../http/search-budget.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import { graphErrorHandler, refuseOtherMethods, resourceNotFound } from './graph-errors.js';
import { graphBaseUrl, graphListUrl, graphUserOwner, userPaths } from './graph-photo-path.js';
import { listUsers } from './graph-user-list.js';
import { readUserCountQuery, readUserListQuery } from './graph-user-query.js';

interface GraphUserRoutesOptions {
  store: Store;
  auth: Authenticator;
  log: Logger;
  searches: SearchBudget;
}

/**
 * `GET /me` and `GET /users/{id | userPrincipalName}` or `GET /users('{userPrincipalName}')` (https://learn.microsoft.com/en-us/graph/api/user-get):
 * the user with Graph's default properties, which a client reads before it asks for the
 * photo (`/me`, then `/me/photo/$value`). A user's id is their primary address; another of
 * their addresses finds them too. A login the directory does not list is still a mailbox
 * (as Autodiscover answers it): `/me` is then its address alone. `GET /users` lists them
 * (https://learn.microsoft.com/en-us/graph/api/user-list), as a people picker finds someone
 * before it shows their photo (graph-user-query.ts). A real login only.
 */
export function createGraphUserRoutes(options: GraphUserRoutesOptions): Router {
  const { store, log } = options;
  const router = Router();
  const reader = requireAccount(options.auth, 'user');

  router.get('/me', reader, async (req, res) => {
    const mailbox = mailboxOf(contextOf(req));
    if (mailbox === undefined) throw BridgeError.unauthenticated('authentication required');
    const user = (await store.getUser(mailbox)) ?? { email: mailbox, displayName: mailbox, refs: {} };
    res.json(graphUser(req, user));
  });

  router.get('/users', reader, async (req, res) => {
    const query = readUserListQuery(new URL(req.originalUrl, 'http://bridge').searchParams, req.header('consistencylevel'));
    const page = await options.searches.run(mailboxOf(contextOf(req))!, () => listUsers(store, query));
    res.json({
      '@odata.context': `${graphBaseUrl(req)}/$metadata#users`,
      ...(page.count === undefined ? {} : { '@odata.count': page.count }),
      value: page.users.map(graphUserProperties),
      ...(page.skipToken ? { '@odata.nextLink': `${graphListUrl(req)}?$skiptoken=${page.skipToken}${query.carried}` } : {}),
    });
  });

  // OData's $count segment: the number of users the list would have (with its $filter or $search), as text.
  router.get('/users/$count', reader, async (req, res) => {
    const query = readUserCountQuery(new URL(req.originalUrl, 'http://bridge').searchParams, req.header('consistencylevel'));
    const page = await options.searches.run(mailboxOf(contextOf(req))!, () => listUsers(store, { ...query, top: 1 }));
    res.type('text/plain').send(String(page.count));
  });

  router.get(userPaths(''), reader, async (req, res) => {
    const named = graphUserOwner(req.params);
    if (named instanceof BridgeError) throw named;
    const { owner, name } = named;
    const user = owner.kind === 'user' ? await store.getUser(owner.email) : undefined;
    if (!user) throw resourceNotFound(name);
    res.json(graphUser(req, user));
  });

  refuseOtherMethods(router, ['/me', '/users', '/users/$count', ...userPaths('')], 'GET, HEAD');
  router.use(graphErrorHandler(log));
  return router;
}

function graphUser(req: Request, user: DirectoryUser) {
  return { '@odata.context': `${graphBaseUrl(req)}/$metadata#users/$entity`, ...graphUserProperties(user) };
}

/** A user as Graph writes one by default: these eleven properties, the unknown ones null. */
function graphUserProperties(user: DirectoryUser) {
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
  };
}
