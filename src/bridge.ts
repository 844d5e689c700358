import { performance } from 'node:perf_hooks';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import type { Registry } from 'prom-client';
import { Authenticator } from './auth/authenticator.js';
import { BearerTokens } from './auth/bearer-tokens.js';
import { parseLoginDomains } from './auth/login-domains.js';
import type { Config } from './config.js';
import { createAutodiscoverEndpoint } from './autodiscover/autodiscover-endpoint.js';
import { createEwsEndpoint } from './ews/ews-endpoint.js';
import { ItemIds } from './ews/item-ids.js';
import { rememberedAnswerBytes } from './ews/operations/get-user-photo.js';
import type { Logger } from './logger.js';
import { imageLimitsOf } from './photos/image-limits.js';
import { normalizePhoto } from './photos/normalize.js';
import { PhotoService } from './photos/photo-service.js';
import { UpstreamPhotos } from './photos/upstream-photos.js';
import { buildSources } from './sources/source-settings.js';
import { createApp } from './rest/app.js';
import { createFrontDoor } from './front-door.js';
import { CorsPolicy } from './http/cors.js';
import { Addressing } from './http/addressing.js';
import { answeringUnreadable, createFrontServer, tlsPairOf, type RefusedConnections, type TlsPair, type UnreadableListener } from './http/front-server.js';
import { inProcessRequests } from './http/in-process-requests.js';
import { BodyBudget } from './http/in-progress-per-account.js';
import { SearchBudget } from './http/search-budget.js';
import { createRequestContext } from './http/request-context.js';
import { createMetricsRegistry } from './metrics/bridge-metrics.js';
import { createMetricsEndpoint } from './metrics/metrics-endpoint.js';
import { RequestMetrics } from './metrics/request-metrics.js';
import { createUserPhotoRoute, EWS_REST_PHOTO_DOOR } from './rest/user-photo-route.js';
import { OWA_PHOTO_DOOR } from './rest/owa-photo-route.js';
import { photoValueDoors } from './rest/graph-photo-value.js';
import { hasEmbeddedStoreEvents, hasServerStoreEvents, watchStoreChanges, type FileChange } from './store/change-watcher.js';
import type { Store } from './store/store.js';

export interface Bridge {
  server: Server;
  /** The separate metrics listener (BRIDGE_METRICS_LISTEN), when there is one. */
  metricsServer?: Server;
  metrics: Registry;
  photos: PhotoService;
  upstream: UpstreamPhotos;
  auth: Authenticator;
  /** Listens on the public port (and the metrics address, if any); resolves with the public address. */
  listen(): Promise<AddressInfo>;
  /** Reads the TLS certificate and key files again (SIGHUP); throws, keeping the old pair, when they do not load. */
  reloadTls(): void;
  /** Stops taking requests, lets in-flight ones finish (up to the grace period), closes the store. */
  stop(): Promise<void>;
}

/** What the bridge's settings make before any store is opened: each refuses a setting that will not serve. */
interface PreparedSettings {
  bearer: BearerTokens | undefined;
  tlsPair: TlsPair | undefined;
}

/**
 * Checks the settings that can only be checked by using them — the TLS pair, the bearer
 * token key, the ports to listen on — and keeps what they made. `serve` calls it before it
 * opens the store: opening it may upgrade its schema, after which the version before,
 * rolled back to, could not open it, so a start that was going to fail must fail first.
 */
export async function prepareSettings(config: Config): Promise<PreparedSettings> {
  const prepared = { tlsPair: tlsPairOf({ certFile: config.tlsCertFile, keyFile: config.tlsKeyFile }), bearer: await BearerTokens.fromSettings(config) };
  await checkListenable(config);
  return prepared;
}

/**
 * Wires the front doors to auth, the photo service and the store. Resolves once every
 * front door can answer (the WSDL is loaded, the id key is read from the store).
 * `searchClock`: what searches are charged by (search-budget.ts), performance.now unless a
 * test moves time itself instead of waiting seconds for a spent share to be paid back.
 */
export async function createBridge(config: Config, store: Store, log: Logger, prepared?: PreparedSettings, searchClock?: () => number): Promise<Bridge> {
  const { bearer, tlsPair } = prepared ?? (await prepareSettings(config));
  const limits = imageLimitsOf(config);
  // Photos fetched from the sources decode in slots of their own: a flood of uploads must not turn every fetch into "busy".
  const fetchedLimits = imageLimitsOf(config);
  const normalizeFetched = (bytes: Buffer) => normalizePhoto(bytes, fetchedLimits);
  const sources = buildSources(
    config.sources,
    {
      timeoutMs: config.sourceTimeoutMs,
      retries: config.sourceRetries,
      breakerThreshold: config.sourceBreakerThreshold,
      breakerHalfOpenMs: config.sourceBreakerOpenSeconds * 1000,
      callsAtOnce: config.sourceConcurrency,
      usable: normalizeFetched,
    },
    log,
  );
  const upstream = new UpstreamPhotos(sources, normalizeFetched, log);
  const photos = new PhotoService(
    store,
    limits,
    { maxEntries: config.cacheMaxEntries, maxBytes: config.cacheMaxBytes, noPhotoTtlMs: config.noPhotoTtlSeconds * 1000, heldBesides: rememberedAnswerBytes },
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
    outageGraceMs: config.storeOutageLoginGraceSeconds * 1000,
    bearer,
    loginDomains: parseLoginDomains(config.loginDomains),
  });
  let draining = false;
  const requests = new RequestMetrics();
  const refusedConnections: RefusedConnections = { perClient: 0, overall: 0 };
  const metrics = createMetricsRegistry({ requests, photos, upstream, auth, store, refusedConnections });
  const metricsEndpoint = createMetricsEndpoint(metrics, { allow: config.metricsAllow, token: config.metricsToken }, log);

  const handleUserPhoto = createUserPhotoRoute({
    photos,
    auth,
    log,
    accessLog: config.accessLog,
    photoMaxAgeSeconds: config.photoMaxAgeSeconds,
    doors: [EWS_REST_PHOTO_DOOR, OWA_PHOTO_DOOR, ...photoValueDoors(store)],
    requests,
  });
  const ids = new ItemIds(await store.secret('item-ids', 32));
  const bodies = new BodyBudget(config.ewsBodyBytesPerAccount);
  const searches = new SearchBudget(config.searchMsPerSecond, config.searchMsPerSecondAllAccounts, searchClock);
  const ews = await createEwsEndpoint({
    store,
    photos,
    auth,
    ids,
    log,
    accessLog: config.accessLog,
    photoMaxAgeSeconds: config.photoMaxAgeSeconds,
    limits: { maxItemsPerRequest: config.ewsMaxItemsPerRequest, maxAnswerBytes: config.ewsMaxAnswerBytes },
    bodies,
    searches,
    requests,
  });
  /** A request node:http refused unread, at the front door or in a `$batch`. */
  const unreadable: UnreadableListener = (client, status, reason) => {
    // One route for them all, as the SOAP door counts its bodies refused unread: a header flood shows in the alerts, and no label takes what a client sent.
    requests.meter('front', 'unread').count(status);
    if (config.accessLog) log.info({ client, status, reason }, 'request refused unread');
  };
  const app = createApp({
    store,
    searches,
    photos,
    auth,
    log,
    accessLog: config.accessLog,
    maxUploadBytes: config.maxUploadBytes,
    isDraining: () => draining,
    ewsRouter: ews.router,
    ids,
    photoMaxAgeSeconds: config.photoMaxAgeSeconds,
    selfServicePhotos: config.selfServicePhotos,
    send: inProcessRequests((req, res) => answer(req, res), unreadable),
  });
  const cors = new CorsPolicy(config.corsOrigins);
  const addressing = new Addressing({
    publicUrl: config.publicUrl,
    trustedProxies: config.trustedProxies,
    forwardedHeader: config.forwardedHeader,
    tls: config.tlsCertFile !== '',
    warn: (message) => log.warn(message),
  });
  const metricsListen = config.metricsListen === '' ? undefined : hostAndPort(config.metricsListen);
  const autodiscover = createAutodiscoverEndpoint({ store, auth, log, accessLog: config.accessLog, bodies, searches });
  const connectionLimits = {
    maxConnections: config.maxConnections,
    maxConnectionsPerClient: config.maxConnectionsPerClient,
    trustedProxies: config.trustedProxies,
    headersTimeoutMs: config.headersTimeoutSeconds * 1000,
    requestTimeoutMs: config.requestTimeoutSeconds * 1000,
    idleTimeoutMs: config.idleTimeoutSeconds * 1000,
    refused: refusedConnections,
    unreadable,
  };
  const { answer, answeredAtTheFront } = createFrontDoor({
    addressing,
    cors,
    requests,
    log,
    accessLog: config.accessLog,
    ews,
    handleUserPhoto,
    autodiscover,
    metrics: metricsListen ? undefined : metricsEndpoint,
    app,
  });
  const front = createFrontServer({ certFile: config.tlsCertFile, keyFile: config.tlsKeyFile }, tlsPair, connectionLimits, answer);
  const server = front.server;
  // What node:http refuses unread there (a head too large) is counted and logged as on the public port.
  const metricsServer =
    metricsListen &&
    answeringUnreadable(
      createServer((req, res) => {
        const context = createRequestContext(req, res, addressing);
        answeredAtTheFront(context, 'metrics-listener');
        metricsEndpoint.serveOnly(context);
      }),
      unreadable,
    );
  const stopWatching = watchStoreChanges(
    store,
    () => {
      photos.forgetAll();
      auth.accountsMayHaveChanged();
    },
    (listening) => {
      if (listening) log.info("hearing other replicas' changes again; caches dropped, as changes may have been missed");
      else log.warn("lost the connection that hears other replicas' changes; reconnecting every second, and their photo changes go unseen here meanwhile");
    },
  );
  if (hasServerStoreEvents(store)) {
    let loggedAt = -Infinity;
    store.onUnreachable((error) => {
      // Once in a while, not per request: every request that needs the store fails alike meanwhile.
      if (performance.now() - loggedAt < UNREACHABLE_LOG_EVERY_MS) return;
      loggedAt = performance.now();
      log.error(
        { err: error },
        'cannot reach the database: requests that need it answer 503 until it answers; logins checked in the last 10 minutes are still believed, so photos in memory are still served',
      );
    });
    store.onSchemaNotThisBridges((problem) => log.error(`${problem.message}; /readyz is 503 meanwhile`));
  }
  if (hasEmbeddedStoreEvents(store)) {
    store.onFileReplaced((path, how) => log.error({ db: path }, fileReplacedLine(path, how)));
    store.onReadThreadFailure((error, restartInMs) =>
      log.error(
        { err: error, restartInMs },
        `the thread that reads large mailboxes stopped; their searches and syncs hold the event loop until another starts, in ${restartInMs / 1000} s`,
      ),
    );
  }

  return {
    server,
    ...(metricsServer ? { metricsServer } : {}),
    metrics,
    photos,
    upstream,
    auth,
    async listen() {
      if (metricsServer && metricsListen) await listenOn(metricsServer, metricsListen.port, metricsListen.host);
      return listenOn(server, config.port, config.host);
    },
    reloadTls: () => front.reloadTls(),
    async stop() {
      draining = true;
      stopWatching();
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      const closed = front.close();
      // A keep-alive connection whose request finishes during the drain would otherwise
      // linger until its idle timeout; sweep such connections as they go idle.
      const sweeper = setInterval(() => server.closeIdleConnections(), 100);
      server.closeIdleConnections();
      const deadline = setTimeout(() => {
        // Their access lines say 499: this line says why.
        log.warn({ graceMs: config.shutdownGraceMs }, 'shutdown grace ran out: connections still busy were closed');
        server.closeAllConnections();
      }, config.shutdownGraceMs);
      await closed;
      clearInterval(sweeper);
      clearTimeout(deadline);
      await auth.close();
      await store.close();
    },
  };
}

/** How often an outage of the database is logged while it lasts. */
const UNREACHABLE_LOG_EVERY_MS = 10_000;

/** What an operator reads when the store's file went from under the server, or back to an older schema: what it still does, and what brings it back. */
function fileReplacedLine(path: string, how: FileChange): string {
  if (how === 'restored') {
    return `the database file ${path} went back to an older schema version while the bridge had it open (a restore under it): every request that needs the store answers 503 and /readyz is 503, as this bridge's statements do not fit the older tables; restart the bridge, which migrates the file`;
  }
  if (how === 'upgraded') {
    return `the database file ${path} was migrated to a newer schema version while the bridge had it open (a newer bridge opened it): every request that needs the store answers 503 and /readyz is 503, as this bridge's statements may not fit the newer tables; upgrade this bridge`;
  }
  const remedy = how === 'replaced' ? 'restart the bridge to use the file now there' : 'put the database back (restore) and restart the bridge';
  return `the database file ${path} was ${how} while the bridge had it open: it refuses writes (503) and /readyz is 503, as a write would reach the old file and be lost; reads go on from the old file; ${remedy}`;
}

/** Throws what listening would (a port in use, a host that does not resolve), before anything listens. */
async function checkListenable(config: Pick<Config, 'host' | 'port' | 'metricsListen'>): Promise<void> {
  const addresses = [{ host: config.host, port: config.port }, ...(config.metricsListen === '' ? [] : [hostAndPort(config.metricsListen)])];
  for (const { host, port } of addresses) {
    if (port === 0) continue;
    const probe = createNetServer();
    await listenOn(probe, port, host);
    await new Promise((resolve) => probe.close(resolve));
  }
}

function listenOn(server: NetServer, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** `127.0.0.1:9464` or `[::1]:9464` (config.ts checked the shape). */
function hostAndPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(address.slice(colon + 1)) };
}
