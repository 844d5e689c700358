import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Authenticator } from '../auth/authenticator.js';
import type { RefusedConnections } from '../http/front-server.js';
import type { PhotoService } from '../photos/photo-service.js';
import type { UpstreamPhotos } from '../photos/upstream-photos.js';
import type { BreakerState } from '../sources/photo-source.js';
import { hasEmbeddedStoreEvents, isChangeFeed } from '../store/change-watcher.js';
import type { Store } from '../store/store.js';
import { registerLatencyHistogram } from './latency-histogram.js';
import type { RequestMetrics } from './request-metrics.js';

const METRIC_PREFIX = 'ews_photo_bridge_';

interface MeteredParts {
  requests: RequestMetrics;
  photos: PhotoService;
  upstream: UpstreamPhotos;
  auth: Authenticator;
  store: Store;
  refusedConnections: RefusedConnections;
}

/** A store that counts the times a request waited for another process's lock. */
interface BusyWaitCounter {
  busyWaits(): number;
}

const BREAKER_STATES: readonly BreakerState[] = ['closed', 'half-open', 'open', 'isolated'];

/**
 * The Prometheus registry of one bridge: Node's process metrics and the bridge's own.
 * Every part counts in plain fields as it works; the values are copied into prom-client
 * only when /metrics is scraped (each metric's `collect`), so nothing here runs per request.
 */
export function createMetricsRegistry(parts: MeteredParts): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const { requests, photos, upstream, auth, store, refusedConnections } = parts;

  new Counter({
    name: `${METRIC_PREFIX}requests_total`,
    help: 'Requests answered, by front door (photo, ews, autodiscover, rest, front), route and HTTP status.',
    labelNames: ['door', 'route', 'status'],
    registers,
    collect() {
      this.reset();
      for (const meter of requests.all()) {
        meter.statuses.forEach((count, status) => {
          if (count > 0) this.inc({ door: meter.door, route: meter.route, status }, count);
        });
      }
    },
  });
  registerLatencyHistogram(
    registry,
    `${METRIC_PREFIX}request_duration_seconds`,
    'Time from the request line to the answer, by front door and route.',
    requests,
  );

  counterOf(registers, 'rendition_cache_hits_total', 'Sized photos answered from memory.', () => photos.stats.renditionHits);
  counterOf(registers, 'rendition_cache_misses_total', 'Sized photos that had to be rendered.', () => photos.stats.renditionMisses);
  counterOf(
    registers,
    'rendition_cache_evictions_total',
    'Sized photos dropped from memory to make room (raise BRIDGE_CACHE_MAX_BYTES if this climbs steadily).',
    () => photos.stats.renditionEvictions,
  );
  gaugeOf(registers, 'rendition_cache_bytes', 'Bytes of sized photos held in memory.', () => photos.renditionCache.bytes);
  gaugeOf(registers, 'rendition_cache_entries', 'Sized photos held in memory.', () => photos.renditionCache.entries);
  counterOf(
    registers,
    'photo_store_lookups_total',
    "Reads of an owner's photo from the store (cache misses on who has which photo).",
    () => photos.stats.storeLookups,
  );
  counterOf(registers, 'photo_resizes_total', 'Photos resized from their original.', () => photos.stats.resizes);
  counterOf(registers, 'stale_photos_served_total', 'Photos fetched earlier served again because every source failed.', () => photos.stats.staleServed);

  new Counter({
    name: `${METRIC_PREFIX}upstream_calls_total`,
    help: 'Calls to photo sources, by source and outcome (photo, none, failed).',
    labelNames: ['source', 'outcome'],
    registers,
    collect() {
      this.reset();
      for (const [source, outcomes] of upstream.outcomes) {
        for (const [outcome, count] of Object.entries(outcomes)) this.inc({ source, outcome }, count);
      }
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}source_breaker_state`,
    help: "1 for the state each source's circuit breaker is in (closed, half-open, open, isolated), 0 for the others.",
    labelNames: ['source', 'state'],
    registers,
    collect() {
      for (const source of upstream.sources) {
        const current = source.breakerState?.();
        if (current === undefined) continue;
        for (const state of BREAKER_STATES) this.set({ source: source.name, state }, state === current ? 1 : 0);
      }
    },
  });

  new Counter({
    name: `${METRIC_PREFIX}login_failures_total`,
    help: 'Refused logins: wrong user name or password (basic), a bearer token that did not verify (bearer).',
    labelNames: ['kind'],
    registers,
    collect() {
      this.reset();
      this.inc({ kind: 'basic' }, auth.stats.basicFailures);
      this.inc({ kind: 'bearer' }, auth.stats.bearerFailures);
    },
  });
  counterOf(
    registers,
    'password_checks_total',
    'Passwords checked against their scrypt hash: first logins and changed accounts.',
    () => auth.stats.passwordChecks,
  );
  counterOf(
    registers,
    'login_throttled_total',
    'Logins refused unchecked (429) because the account name or client address failed too often.',
    () => auth.stats.throttled,
  );

  new Counter({
    name: `${METRIC_PREFIX}connections_refused_total`,
    help: 'Connections closed unanswered as they were accepted, by the cap they met: per_client (BRIDGE_MAX_CONNECTIONS_PER_CLIENT) or overall (BRIDGE_MAX_CONNECTIONS).',
    labelNames: ['cap'],
    registers,
    collect() {
      this.reset();
      this.inc({ cap: 'per_client' }, refusedConnections.perClient);
      this.inc({ cap: 'overall' }, refusedConnections.overall);
    },
  });

  if (countsBusyWaits(store)) {
    counterOf(registers, 'store_busy_waits_total', "Times a request waited for another process's lock on the store.", () => store.busyWaits());
  }
  if (hasEmbeddedStoreEvents(store)) {
    counterOf(
      registers,
      'store_read_thread_failures_total',
      'Times the thread that reads large mailboxes stopped on its own; each is logged, and another started after a wait.',
      () => store.readThreadFailureCount(),
    );
  }
  if (isChangeFeed(store)) {
    gaugeOf(
      registers,
      'change_feed_listening',
      "1 while this replica hears other replicas' commits (PostgreSQL LISTEN); 0 while it reconnects, when another's photo change may go unseen.",
      () => (store.changeFeedStatus().listening ? 1 : 0),
    );
    counterOf(registers, 'change_feed_losses_total', "Times the connection hearing other replicas' commits was lost.", () => store.changeFeedStatus().losses);
  }
  return registry;
}

function counterOf(registers: Registry[], name: string, help: string, read: () => number): void {
  new Counter({
    name: `${METRIC_PREFIX}${name}`,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

function gaugeOf(registers: Registry[], name: string, help: string, read: () => number): void {
  new Gauge({
    name: `${METRIC_PREFIX}${name}`,
    help,
    registers,
    collect() {
      this.set(read());
    },
  });
}

function countsBusyWaits(store: Store): store is Store & BusyWaitCounter {
  return typeof (store as Partial<BusyWaitCounter>).busyWaits === 'function';
}
