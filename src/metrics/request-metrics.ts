import { performance } from 'node:perf_hooks';
import { answeredStatus, type RequestContext } from '../http/request-context.js';

/** Upper bounds of the latency buckets, in seconds: a cached photo takes well under a millisecond, a cold SOAP answer tens of them. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Status codes are counted by index; HTTP has none above 599 that the bridge sends. */
const STATUS_SLOTS = 600;

/**
 * The answers of one route of one front door: how many per status, and how long they
 * took. It is counted on the hot path, so recording is a few array increments — no
 * labels, no allocation; prom-client reads the arrays only when /metrics is scraped.
 */
export class RouteMeter {
  /** Answers by status code (the index). */
  readonly statuses = new Float64Array(STATUS_SLOTS);
  /** Answers per latency bucket, not cumulative; the last slot counts those slower than the largest bound. */
  readonly buckets = new Float64Array(LATENCY_BUCKETS.length + 1);
  /** Total seconds of all answers. */
  seconds = 0;

  constructor(
    readonly door: string,
    readonly route: string,
  ) {}

  /** One answer with `status`, for a request that started at `startedAt` and ended at `endedAt` (performance.now()). */
  record(status: number, startedAt: number, endedAt = performance.now()): void {
    const seconds = (endedAt - startedAt) / 1000;
    this.count(status);
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]!) bucket++;
    this.buckets[bucket]!++;
    this.seconds += seconds;
  }

  /**
   * One answer whose time is not known — node:http refused the request before any listener
   * saw it begin — counted by its status only, not in the latency buckets.
   */
  count(status: number): void {
    this.statuses[status < STATUS_SLOTS ? status : 0]!++;
  }
}

/**
 * Every request, by front door (`photo`, `ews`, `autodiscover`, `rest`, `front`) and route.
 * Routes come from a fixed set — a photo door's name, an EWS operation, an Express route
 * pattern — never from the URL itself, so a scanner cannot make the series grow.
 */
export class RequestMetrics {
  /** By door, then route: both names come from fixed sets, so the lookups need no key made per request. */
  private readonly meters = new Map<string, Map<string, RouteMeter>>();
  /**
   * The meter asked for last: a door's answers come route after route the same (a client
   * polling a photo), and the two map looks cost a SOAP answer some 150 instructions where
   * two comparisons of the same strings cost a few.
   */
  private last: RouteMeter | undefined;

  /** The meter of one door and route, made on first use. */
  meter(door: string, route: string): RouteMeter {
    const last = this.last;
    if (last !== undefined && last.route === route && last.door === door) return last;
    this.last = this.metered(door, route);
    return this.last;
  }

  private metered(door: string, route: string): RouteMeter {
    let routes = this.meters.get(door);
    if (!routes) {
      routes = new Map();
      this.meters.set(door, routes);
    }
    let meter = routes.get(route);
    if (!meter) {
      meter = new RouteMeter(door, route);
      routes.set(route, meter);
    }
    return meter;
  }

  /**
   * For an answer sent later: it is counted once the response is finished, under the route
   * the request turned out to be — `context.route` when the front door named one, else the
   * Express route that answered it, else `fallbackRoute`.
   */
  recordWhenDone(context: RequestContext, door: string, fallbackRoute: string): void {
    context.res.once('close', () => this.record(context, door, fallbackRoute));
  }

  /** Counts an answer that is out already (its status is final), as `recordWhenDone` would have; 499 when its client left first. */
  record(context: RequestContext, door: string, fallbackRoute: string, endedAt = performance.now()): void {
    this.meter(door, context.route ?? expressRouteOf(context.req) ?? fallbackRoute).record(answeredStatus(context), context.startedAt, endedAt);
  }

  /** Every meter so far, for the scrape. */
  *all(): IterableIterator<RouteMeter> {
    for (const routes of this.meters.values()) yield* routes.values();
  }
}

/** The patterns of routes declared by a regular expression, by the path they stand for (labelledRoute). */
const regexpRouteLabels = new WeakMap<RegExp, string>();

/**
 * A route's regular expression, counted under `label` (its plain path, as `/me/contacts/delta`
 * for all the spellings it matches): a regular expression has no pattern to count it by.
 */
export function labelledRoute(pattern: RegExp, label: string): RegExp {
  regexpRouteLabels.set(pattern, label);
  return pattern;
}

/**
 * The pattern of the Express route that answered (`/v1.0` + `/users/:id/photo`), if one did.
 * A route declared for several paths (`/users/:id/photo`, `/users(':id')/photo` and `/me/photo`:
 * one operation) has them all as its path, and Express keeps no public record of the one that
 * matched: it is named by its first.
 */
function expressRouteOf(req: RequestContext['req']): string | undefined {
  const answered = req as Partial<{ route: { path?: unknown }; baseUrl: string }>;
  const declared = answered.route?.path;
  const first: unknown = Array.isArray(declared) ? declared[0] : declared;
  const path = first instanceof RegExp ? regexpRouteLabels.get(first) : first;
  // The mount as declared, not as the client spelt it (Express matches `/BETA` for `/beta`): a label per spelling would be series without end.
  return typeof path === 'string' ? `${(answered.baseUrl ?? '').toLowerCase()}${path}` : undefined;
}
