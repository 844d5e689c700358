import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { bearerTokenOf } from '../auth/authenticator.js';
import { BridgeError } from '../domain/errors.js';
import { AddressList } from '../http/address-list.js';
import type { RequestContext } from '../http/request-context.js';
import { sendError } from '../http/send-error.js';
import type { Logger } from '../logger.js';

const METRICS_PATH = '/metrics';

interface MetricsAccess {
  /** BRIDGE_METRICS_ALLOW: client addresses and CIDRs let in without a token. */
  allow: string;
  /** BRIDGE_METRICS_TOKEN: a bearer token that lets anyone in; empty for none. */
  token: string;
}

/**
 * `GET /metrics` in Prometheus's text format. On the public port only for the allowed
 * addresses or with the token; on a separate metrics listener (BRIDGE_METRICS_LISTEN) for
 * whoever reaches it — that address is the boundary.
 */
export function createMetricsEndpoint(registry: Registry, access: MetricsAccess, log: Logger) {
  const allowed = new AddressList(access.allow);
  const tokenDigest = access.token === '' ? undefined : digest(access.token);

  /**
   * A client on the allow-list, unless its request may come from another client than its
   * address says (clientUntold): a proxy on the same host would otherwise make every client
   * of it look local.
   */
  function mayRead(context: RequestContext, token: string | undefined): boolean {
    if (tokenDigest && token !== undefined && timingSafeEqual(digest(token), tokenDigest)) return true;
    return allowed.includes(context.clientAddress) && !context.addressing.clientUntold(context.req);
  }

  async function answer(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, new BridgeError('ErrorInvalidRequest', 405, 'use GET'), log, requestId, { allow: 'GET, HEAD', 'request-id': requestId });
      return;
    }
    const text = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store', 'request-id': requestId });
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  function serve(context: RequestContext): void {
    answer(context.req, context.res, context.requestId).catch((error: unknown) =>
      sendError(context.res, error, log, context.requestId, { 'request-id': context.requestId }),
    );
  }

  return {
    /** On the public port: answers /metrics (or refuses it); false for any other URL. */
    handle(context: RequestContext): boolean {
      if (!isMetricsUrl(context.req.url ?? '')) return false;
      const token = bearerTokenOf(context.req.headers.authorization ?? '');
      if (mayRead(context, token)) serve(context);
      else if (token !== undefined) {
        // RFC 6750 §3.1: a token refused is invalid_token, a 401 with the challenge saying so, so the scraper's error names the token.
        sendError(context.res, BridgeError.unauthenticated('the bearer token is not BRIDGE_METRICS_TOKEN'), log, context.requestId, {
          'request-id': context.requestId,
          'www-authenticate': 'Bearer error="invalid_token"',
        });
      } else {
        const reason = 'metrics are served to the addresses in BRIDGE_METRICS_ALLOW, with BRIDGE_METRICS_TOKEN, or on BRIDGE_METRICS_LISTEN';
        sendError(context.res, BridgeError.forbidden(reason), log, context.requestId, { 'request-id': context.requestId });
      }
      return true;
    },
    /** The whole of a separate metrics listener: /metrics, and 404 for anything else. */
    serveOnly(context: RequestContext): void {
      if (isMetricsUrl(context.req.url ?? '')) serve(context);
      else
        sendError(context.res, new BridgeError('ErrorInvalidRequest', 404, `only ${METRICS_PATH} is served here`), log, context.requestId, {
          'request-id': context.requestId,
        });
    },
  };
}

function isMetricsUrl(url: string): boolean {
  return url.startsWith(METRICS_PATH) && (url.length === METRICS_PATH.length || url[METRICS_PATH.length] === '?');
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
