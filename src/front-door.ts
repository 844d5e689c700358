import type { RequestListener } from 'node:http';
import { logWhenDone } from './http/access-log.js';
import type { Addressing } from './http/addressing.js';
import type { CorsPolicy } from './http/cors.js';
import { createRequestContext, type RequestContext } from './http/request-context.js';
import { refuseBadTarget } from './http/request-target.js';
import { sendError } from './http/send-error.js';
import type { Logger } from './logger.js';
import type { RequestMetrics } from './metrics/request-metrics.js';
import { GRAPH_VERSIONS } from './rest/graph-photo-path.js';
import { sendGraphError } from './rest/graph-errors.js';

/** A front door past the first: takes the requests that are its own (true), leaves the rest. */
interface Door {
  handle(context: RequestContext): boolean;
}

interface FrontDoorOptions {
  addressing: Addressing;
  cors: CorsPolicy;
  requests: RequestMetrics;
  log: Logger;
  accessLog: boolean;
  /** The SOAP endpoint's POSTs: it counts its own answers. */
  ews: { handlePost(context: RequestContext): boolean };
  /** The photo URLs: they count their own answers. */
  handleUserPhoto: (context: RequestContext) => boolean;
  autodiscover: Door;
  /** The metrics page, when the public port serves it (no listener of its own). */
  metrics: Door | undefined;
  /** Everything else: Express's routes. */
  app: RequestListener;
}

/**
 * The one listener every request on the public port meets first: its target checked, CORS,
 * then each front door in turn, Express last. `answeredAtTheFront` counts and logs what is
 * answered outside every door (the metrics listener's requests too).
 */
export function createFrontDoor(options: FrontDoorOptions): { answer: RequestListener; answeredAtTheFront: (context: RequestContext, route: string) => void } {
  const { addressing, cors, requests, log, accessLog, ews, handleUserPhoto, autodiscover, metrics, app } = options;
  /** Counted and logged as every other door's answers are (a scrape or a preflight had no access line). */
  const answeredAtTheFront = (context: RequestContext, route: string) => {
    requests.recordWhenDone(context, 'front', route);
    if (accessLog) logWhenDone(log, context);
  };
  const answer: RequestListener = (req, res) => {
    const context = createRequestContext(req, res, addressing);
    try {
      // Before the target is checked: its refusals go to browsers too, which read none without these headers.
      const preflight = cors.enabled && cors.addHeaders(req, res);
      const refused = refuseBadTarget(context, log, accessLog, refusalWriter);
      if (refused) return requests.recordWhenDone(context, 'front', refused);
      if (preflight) {
        cors.answerPreflight(req, res);
        return answeredAtTheFront(context, 'cors-preflight');
      }
      // The SOAP endpoint and the photo route count their own answers: the common ones inline, without a listener.
      // Their URLs never meet, and the endpoint turns anything but a POST away at its first comparison, where the photo doors would read every SOAP URL first.
      if (ews.handlePost(context) || handleUserPhoto(context)) return;
      if (autodiscover.handle(context)) requests.recordWhenDone(context, 'autodiscover', 'unknown');
      else if (metrics?.handle(context)) answeredAtTheFront(context, 'metrics');
      else {
        requests.recordWhenDone(context, 'rest', 'unmatched');
        app(req, res);
      }
    } catch (error) {
      // A fault in one front door's synchronous part fails that request, not the process.
      sendError(res, error, log, context.requestId);
    }
  };
  return { answer, answeredAtTheFront };
}

/** Graph's paths, in origin or absolute form, any case: their refusals at the front door are Graph's error JSON, which its clients read. */
const GRAPH_TARGET = new RegExp(`^(?:https?://[^/]*)?/(?:${GRAPH_VERSIONS.map((version) => version.replace('.', '\\.')).join('|')})(?:[/?]|$)`, 'i');

function refusalWriter(target: string): typeof sendError {
  return GRAPH_TARGET.test(target) ? sendGraphError : sendError;
}
