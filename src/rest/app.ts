import { UnreadBodyDropping } from '../http/read-body.js';
import express, { type ErrorRequestHandler, type Router } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import type { ItemIds } from '../ews/item-ids.js';
import { BridgeError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { PhotoService } from '../photos/photo-service.js';
import type { Store } from '../store/store.js';
import { logWhenDone } from '../http/access-log.js';
import { createAdminRoutes } from './admin-routes.js';
import type { SearchBudget } from '../http/search-budget.js';
import { createDirectoryRoutes } from './directory-routes.js';
import { createFacadeRoutes } from './facade-routes.js';
import { GRAPH_VERSIONS } from './graph-photo-path.js';
import { createGraphBatchRoute } from './graph-batch-route.js';
import { odataConventions } from './graph-odata.js';
import { createGraphContactRoutes } from './graph-contact-routes.js';
import { createGraphPhotoRoutes, OUTLOOK_DIALECT } from './graph-photo-routes.js';
import { OUTLOOK_REST_BASES } from './outlook-photo.js';
import { createGraphUserRoutes } from './graph-user-routes.js';
import { createHealthRoutes } from './health-routes.js';
import type { InProcessAnswer, InProcessRequest } from '../http/in-process-requests.js';
import { contextOf } from '../http/request-context.js';
import { fromHttpClientError } from '../http/client-errors.js';
import { sendError } from '../http/send-error.js';
import { createWebPageRoutes } from './web-page-routes.js';
import { PhotoChanges } from './self-service-photos.js';
import { createSelfServiceRoutes } from './self-service-routes.js';

interface AppOptions {
  store: Store;
  /** Each account's share of the store's time for searches. */
  searches: SearchBudget;
  photos: PhotoService;
  auth: Authenticator;
  log: Logger;
  accessLog: boolean;
  maxUploadBytes: number;
  isDraining: () => boolean;
  ewsRouter: Router;
  ids: ItemIds;
  photoMaxAgeSeconds: number;
  /** BRIDGE_SELF_SERVICE_PHOTOS. */
  selfServicePhotos: boolean;
  /** Sends a request through the front door in memory, as Graph's $batch does each of its requests. */
  send: (request: InProcessRequest) => Promise<InProcessAnswer>;
}

/** Every method some path of the bridge takes. */
const SERVER_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/** Everything but the photo hot path: health, administration, EWS SOAP, the REST facade, and the 404 for the rest. */
export function createApp(options: AppOptions): express.Express {
  const { log } = options;
  const app = express();
  // Express makes each request it answers an instance of its own request prototype, made from
  // IncomingMessage's: made from UnreadBodyDropping's instead, a body no one read is dropped,
  // not read to its end, on Express's paths too.
  Object.setPrototypeOf(Object.getPrototypeOf(app.request), UnreadBodyDropping.prototype);
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    const context = contextOf(req);
    res.setHeader('request-id', context.requestId);
    // What a JSON answer echoes (a search's text) is never sniffed and shown as HTML.
    res.setHeader('x-content-type-options', 'nosniff');
    // What a login reads is its own: a shared cache that ignores Authorization (nginx's proxy_cache
    // with proxy_cache_valid) gave one login's /v1.0/me to the next, and to no login at all.
    // A route with a policy of its own (photos, no-store) sets it over this one.
    res.setHeader('cache-control', 'private, no-cache');
    if (options.accessLog) logWhenDone(log, context);
    next();
  });
  // `*` asks about the server itself, and only OPTIONS may (RFC 9110 §7.1, §9.3.7): the methods some path takes.
  app.use((req, res, next) => {
    if (req.url !== '*') return next();
    if (req.method !== 'OPTIONS') throw BridgeError.invalidRequest('the request target * is for OPTIONS only');
    res.setHeader('allow', SERVER_METHODS);
    res.status(200).end();
  });
  const changes = new PhotoChanges({ store: options.store, photos: options.photos, log, selfService: options.selfServicePhotos });
  app.use(createHealthRoutes(options.store, options.isDraining));
  app.use(createAdminRoutes(options.auth, changes, options.maxUploadBytes));
  app.use(createSelfServiceRoutes(changes, options.auth, options.maxUploadBytes));
  app.use(options.ewsRouter);
  app.use(createFacadeRoutes(options));
  app.use(
    GRAPH_VERSIONS.map((version) => `/${version}`),
    odataConventions,
    createGraphBatchRoute(options),
    createGraphContactRoutes(options),
    createGraphUserRoutes(options),
  );
  app.use(
    GRAPH_VERSIONS.map((version) => `/${version}`),
    createGraphPhotoRoutes({ ...options, changes }),
  );
  app.use([...OUTLOOK_REST_BASES], odataConventions, createGraphPhotoRoutes({ ...options, changes, dialect: OUTLOOK_DIALECT }));
  app.use(createDirectoryRoutes(options.store, options.auth, options.searches, options.maxUploadBytes));
  app.use(createWebPageRoutes(options.auth));
  // A HEAD named as the GET it stands for: the same length of the same body.
  app.use((req, _res, next) => next(new BridgeError('ErrorInvalidRequest', 404, `nothing at ${req.method === 'HEAD' ? 'GET' : req.method} ${req.path}`)));

  const handleError: ErrorRequestHandler = (error, req, res, _next) => {
    sendError(res, fromHttpClientError(error), log, contextOf(req).requestId);
  };
  app.use(handleError);
  return app;
}
