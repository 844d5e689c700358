import type { IncomingMessage, ServerResponse } from 'node:http';
import { withoutTrailingSlashes } from '../domain/plain-text.js';

/**
 * The cross-origin POSTs: Graph's $batch, as the Graph Toolkit batches photo reads, and
 * translateExchangeIds, as an Outlook add-in turns the EWS ids Office.js gives it into Graph's.
 */
const POST_PATH = /^\/(?:v1\.0|beta)\/(?:\$batch|(?:me|users[/(][^/]+)\/translateExchangeIds)$/i;

/**
 * What the Microsoft Graph JS client adds to every request to a Graph or custom host
 * (`client-request-id`, `SdkVersion`: its v3 upgrade guide, "customHosts"), and the
 * ConsistencyLevel the Graph Toolkit sends with people queries: refused in a preflight,
 * the browser sends nothing at all. `return-client-request-id` asks for the client's id back
 * (request-id.ts), which the answer then exposes.
 */
const GRAPH_CLIENT_HEADERS = 'client-request-id, return-client-request-id, SdkVersion, ConsistencyLevel';

/**
 * Content-Type on every path, GETs too: PnPjs's Graph behaviours (`DefaultHeaders`) send
 * `Content-Type: application/json` on each request, and its preflight refused, no PnPjs
 * read went out. A GET's body is never read, so allowing the header opens nothing. Prefer:
 * a contact delta's page size (`odata.maxpagesize`), as Graph documents it.
 */
const REQUEST_HEADERS = `Authorization, Content-Type, If-None-Match, Prefer, ${GRAPH_CLIENT_HEADERS}`;

/**
 * Cross-origin access for the configured origins only (Outlook add-ins, intranet pages
 * elsewhere). Nothing is open by default, never `*`, and no Allow-Credentials: callers
 * from another origin authenticate with a bearer token, not with the browser's
 * cookies or Basic cache. Origins not on the list get no CORS headers at all, so the
 * browser refuses them.
 */
export class CorsPolicy {
  private readonly origins: ReadonlySet<string>;

  constructor(originList: string) {
    this.origins = new Set(
      originList
        .split(',')
        .map((origin) => withoutTrailingSlashes(origin.trim()))
        .filter(Boolean),
    );
  }

  private allows(origin: string | undefined): origin is string {
    return origin !== undefined && this.origins.has(origin);
  }

  /** Whether any origin may call: without, no request comes here and the photo hot path pays nothing. */
  get enabled(): boolean {
    return this.origins.size > 0;
  }

  /**
   * Adds the CORS headers a request's answer needs, whatever answers it: the front door's
   * refusals too (414, 431, a bad Host), which a browser without them reports as an opaque
   * CORS failure. Every answer says `Vary: Origin`, those to requests without Origin too:
   * the answer depends on it, and a browser that cached a same-origin photo without that
   * served it to a cross-origin fetch of the same URL, which then failed for the missing
   * Allow-Origin (Fetch Standard, "CORS protocol and HTTP caches"). Returns whether the
   * request is a preflight, for `answerPreflight` once the target has been found good.
   */
  addHeaders(req: IncomingMessage, res: ServerResponse): boolean {
    res.appendHeader('vary', 'Origin');
    const origin = req.headers.origin;
    if (origin === undefined) return false;
    if (this.allows(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', 'ETag, Request-Id, Client-Request-Id, Retry-After, WWW-Authenticate');
    }
    return req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
  }

  /** Answers a preflight `addHeaders` found: 204 with what its origin may send, 403 for an origin not on the list. */
  answerPreflight(req: IncomingMessage, res: ServerResponse): void {
    const allowed = this.allows(req.headers.origin);
    if (allowed) {
      res.setHeader('access-control-allow-methods', POST_PATH.test((req.url ?? '').split('?', 1)[0]!) ? 'POST' : 'GET, HEAD');
      res.setHeader('access-control-allow-headers', REQUEST_HEADERS);
      res.setHeader('access-control-max-age', '600');
    }
    res.writeHead(allowed ? 204 : 403, { 'cache-control': 'no-store', 'content-length': 0 });
    res.end();
  }
}
