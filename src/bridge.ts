import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Authenticator } from './auth/authenticator.js';
import { BearerTokens } from './auth/bearer-tokens.js';
import type { Config } from './config.js';
import { createAutodiscoverEndpoint } from './autodiscover/autodiscover-endpoint.js';
import { createEwsEndpoint } from './ews/ews-endpoint.js';
import { ItemIds } from './ews/item-ids.js';
import type { Logger } from './logger.js';
import { imageLimitsOf } from './photos/image-limits.js';
import { normalizePhoto } from './photos/normalize.js';
import { PhotoService } from './photos/photo-service.js';
import { UpstreamPhotos } from './photos/upstream-photos.js';
import { buildSources } from './sources/source-settings.js';
import { createApp } from './rest/app.js';
import { CorsPolicy } from './http/cors.js';
import { createRequestContext } from './http/request-context.js';
import { refuseOverlongUrl } from './http/url-length.js';
import { createUserPhotoRoute, EWS_REST_PHOTO_DOOR } from './rest/user-photo-route.js';
import { OWA_PHOTO_DOOR } from './rest/owa-photo-route.js';
import { graphPhotoValueDoors } from './rest/graph-photo-value.js';
import { watchStoreChanges } from './store/change-watcher.js';
import type { Store } from './store/store.js';

export interface Bridge {
  server: Server;
  photos: PhotoService;
  upstream: UpstreamPhotos;
  auth: Authenticator;
  listen(): Promise<AddressInfo>;
  /** Stops taking requests, lets in-flight ones finish (up to the grace period), closes the store. */
  stop(): Promise<void>;
}

/**
 * Wires the front doors to auth, the photo service and the store. Resolves once every
 * front door can answer (the WSDL is loaded, the id key is read from the store).
 */
export async function createBridge(config: Config, store: Store, log: Logger): Promise<Bridge> {
  const limits = imageLimitsOf(config);
  const sources = buildSources(
    config.sources,
    {
      timeoutMs: config.sourceTimeoutMs,
      retries: config.sourceRetries,
      breakerThreshold: config.sourceBreakerThreshold,
      breakerHalfOpenMs: config.sourceBreakerOpenSeconds * 1000,
    },
    log,
  );
  const upstream = new UpstreamPhotos(sources, (bytes) => normalizePhoto(bytes, limits), log);
  const photos = new PhotoService(
    store,
    limits,
    { maxEntries: config.cacheMaxEntries, maxBytes: config.cacheMaxBytes, noPhotoTtlMs: config.noPhotoTtlSeconds * 1000 },
    { upstream, refreshMs: config.sourceRefreshSeconds * 1000 },
    log,
  );
  const auth = new Authenticator(store, {
    realm: config.authRealm,
    allowAnonymousRead: config.allowAnonymousRead,
    log,
    throttle: {
      maxFailures: config.loginMaxFailures,
      backoffSeconds: config.loginBackoffSeconds,
      backoffMaxSeconds: config.loginBackoffMaxSeconds,
      maxTracked: config.loginThrottleEntries,
    },
    hashing: { workers: config.passwordHashWorkers, maxQueued: config.passwordHashQueue },
    bearer: await BearerTokens.fromSettings(config),
  });
  let draining = false;

  const handleUserPhoto = createUserPhotoRoute({
    photos,
    auth,
    log,
    accessLog: config.accessLog,
    photoMaxAgeSeconds: config.photoMaxAgeSeconds,
    doors: [EWS_REST_PHOTO_DOOR, OWA_PHOTO_DOOR, ...graphPhotoValueDoors(store)],
  });
  const ids = new ItemIds(await store.secret('item-ids', 32));
  const ews = await createEwsEndpoint({
    store,
    photos,
    auth,
    ids,
    log,
    accessLog: config.accessLog,
    photoMaxAgeSeconds: config.photoMaxAgeSeconds,
    limits: { maxItemsPerRequest: config.ewsMaxItemsPerRequest, maxAnswerBytes: config.ewsMaxAnswerBytes },
  });
  const app = createApp({
    store,
    photos,
    auth,
    log,
    accessLog: config.accessLog,
    maxUploadBytes: config.maxUploadBytes,
    isDraining: () => draining,
    ewsRouter: ews.router,
    ids,
    photoMaxAgeSeconds: config.photoMaxAgeSeconds,
  });
  const cors = new CorsPolicy(config.corsOrigins);
  const autodiscover = createAutodiscoverEndpoint({ store, auth, log, accessLog: config.accessLog });
  const server = createServer((req, res) => {
    const context = createRequestContext(req, res);
    if (refuseOverlongUrl(context, log, config.accessLog)) return;
    if (req.headers.origin !== undefined && cors.handle(req, res)) return;
    if (!handleUserPhoto(context) && !ews.handlePost(context) && !autodiscover.handle(context)) app(req, res);
  });
  const stopWatching = watchStoreChanges(store, () => {
    photos.forgetAll();
    auth.forgetAll();
  });

  return {
    server,
    photos,
    upstream,
    auth,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve(server.address() as AddressInfo));
      }),
    async stop() {
      draining = true;
      stopWatching();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A keep-alive connection whose request finishes during the drain would otherwise
      // linger until its idle timeout; sweep such connections as they go idle.
      const sweeper = setInterval(() => server.closeIdleConnections(), 100);
      server.closeIdleConnections();
      const deadline = setTimeout(() => server.closeAllConnections(), config.shutdownGraceMs);
      await closed;
      clearInterval(sweeper);
      clearTimeout(deadline);
      await auth.close();
      await store.close();
    },
  };
}
