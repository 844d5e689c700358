import type { IncomingMessage } from 'node:http';
import { BridgeError } from '../domain/errors.js';
import { clip } from '../domain/plain-text.js';
import type { Logger } from '../logger.js';
import { logWhenDone } from './access-log.js';
import type { RequestContext } from './request-context.js';
import { sendError } from './send-error.js';
import { isHost } from './trusted-proxy.js';
import { sentInProcess } from './in-process-requests.js';

/**
 * The longest request target (path and query) the bridge reads, in characters. IIS's
 * defaults are maxUrl 4096 and maxQueryString 2048; no URL a client of this bridge
 * builds comes near either, and without a cap every request could make the bridge
 * parse and hold up to Node's 16 KiB header limit.
 */
export const MAX_URL_LENGTH = 4096;

/** How a refusal is written for a target: Graph's paths answer in Graph's error JSON, the rest as sendError writes it. */
export type RefusalWriter = (target: string) => typeof sendError;

/**
 * The front door's first check, for every path. A target longer than MAX_URL_LENGTH is
 * answered 414, one that is neither a path nor an http(s) URL 400, and neither goes
 * further: the route it is counted under is returned. An absolute-form target is made
 * the origin form the routes match (toOriginForm).
 */
export function refuseBadTarget(context: RequestContext, log: Logger, accessLog: boolean, writerFor: RefusalWriter): TargetRefusal['route'] | undefined {
  const { req } = context;
  // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding must be taken as faulty
  // framing, and its connection closed after it: a request smuggled behind it is not read.
  if (req.httpVersionMinor === 0 && req.headers['transfer-encoding'] !== undefined) context.res.setHeader('connection', 'close');
  // A request asking to Upgrade is answered as HTTP (RFC 9110 §7.8 lets a server ignore the
  // ask), but node:http reads no more of its connection: a request pipelined behind it got
  // no answer and the connection hung. Closed after the answer, the client sends it again.
  if (req.headers.upgrade !== undefined && UPGRADE_ASKED.test(req.headers.connection ?? '')) context.res.setHeader('connection', 'close');
  const refusal = refusalOf(req);
  if (!refusal) return undefined;
  // Nor is its framing trusted: a proxy that read a refused coding (`identity, chunked`) otherwise
  // than node:http would be out of step with the bridge on the requests after its body.
  if (req.headers['transfer-encoding'] !== undefined) context.res.setHeader('connection', 'close');
  if (accessLog) logWhenDone(log, context);
  writerFor(req.url ?? '')(context.res, refusal.error, log, context.requestId, { 'request-id': context.requestId });
  return refusal.route;
}

interface TargetRefusal {
  error: BridgeError;
  route: 'url-too-long' | 'bad-target';
}

function refusalOf(req: IncomingMessage): TargetRefusal | undefined {
  // A request in a $batch is bounded by the batch's body instead, and by node:http's 16 KiB
  // head: "the lengthy URL simply becomes part of the request payload" (Graph's JSON batching).
  if ((req.url?.length ?? 0) > MAX_URL_LENGTH && !sentInProcess(req.socket)) {
    return { error: new BridgeError('ErrorInvalidRequest', 414, `the URL is longer than ${MAX_URL_LENGTH} characters`), route: 'url-too-long' };
  }
  // RFC 9110 §4.2.4: a recipient "SHOULD parse for userinfo and treat its presence as an error"; `http://good.example@evil.example/`
  // was taken as evil.example, which Autodiscover wrote into its URLs, where a Host of `a@b` is refused.
  if (USERINFO.test(req.url ?? ''))
    return { error: BridgeError.invalidRequest('the request target names a user (user@host), which an http(s) URL may not'), route: 'bad-target' };
  if (!toOriginForm(req)) return { error: BridgeError.invalidRequest('the request target is neither a path nor an http(s) URL'), route: 'bad-target' };
  // No name, address, id or query the bridge reads holds a NUL, and PostgreSQL refuses one in
  // text: it reached the store from a Graph $filter or $search and was a 500 there.
  if (req.url!.includes('%00')) return { error: BridgeError.invalidRequest('the request target holds a NUL (%00)'), route: 'bad-target' };
  // RFC 9112 §3.2: a Host that is no host is 400. It had been answered, its links built on `http://localhost` (the WSDL's soap:address, OData contexts).
  const host = req.headers.host;
  if (host && host !== lastGoodHost) {
    if (!isHost(host)) return { error: BridgeError.invalidRequest('the Host header does not name a host'), route: 'bad-target' };
    lastGoodHost = host;
  }
  const problem = headerProblem(req);
  return problem && { error: problem, route: 'bad-target' };
}

/**
 * What is wrong with a request's header fields, if anything. A field a request may carry
 * once, carried twice — RFC 9112 §3.2: "A server MUST respond
 * with a 400 (Bad Request) status code to any HTTP/1.1 request message that lacks a Host
 * header field and to any that contains more than one"; Authorization is no list (RFC 9110
 * §5.3 forbids sending it twice). node:http keeps the first and drops the rest, so a proxy
 * that reads the other would disagree on the host (the WSDL's soap:address, Autodiscover's
 * URLs) or on who logged in. Or no Host at all (node:http's own 400 for it had no request id
 * and no access line). Or a transfer coding other than chunked, or more fields than
 * MAX_HEADER_FIELDS.
 */
function headerProblem(req: IncomingMessage): BridgeError | undefined {
  const rawHeaders = req.rawHeaders;
  const tooMany = tooManyHeaderFields(rawHeaders.length / 2);
  if (tooMany) return tooMany;
  let hosts = 0;
  let authorizations = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 4 && (name === 'Host' || name.toLowerCase() === 'host') && ++hosts > 1) return repeatedField('Host');
    if (name.length === 13 && (name === 'Authorization' || name.toLowerCase() === 'authorization') && ++authorizations > 1)
      return repeatedField('Authorization');
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding' && !CHUNKED.test(rawHeaders[i + 1]!)) {
      // RFC 9112 §6.1: a transfer coding the server does not understand is 501. node:http reads
      // `gzip, chunked` as chunked alone, so the body would have been read still gzipped.
      return new BridgeError(
        'ErrorInvalidRequest',
        501,
        `the transfer coding '${clip(rawHeaders[i + 1]!, 40)}' is not supported: send the body chunked or with a Content-Length`,
      );
    }
  }
  return hosts === 0 && hostRequired(req) ? BridgeError.invalidRequest('the request has no Host header') : undefined;
}

/** Whether a request must name its host: an HTTP/1.0 one need not (its links are built on the address it reached), nor one made in memory ($batch's). */
function hostRequired(req: IncomingMessage): boolean {
  return req.httpVersionMinor !== 0 && !sentInProcess(req.socket);
}

/** The refusal of a request with `fields` header fields, when they are more than MAX_HEADER_FIELDS: a request in a $batch is held to it too, as alone. */
export function tooManyHeaderFields(fields: number): BridgeError | undefined {
  return fields > MAX_HEADER_FIELDS ? new BridgeError('ErrorInvalidRequest', 431, `the request has more than ${MAX_HEADER_FIELDS} header fields`) : undefined;
}

/** The Host last found good: nearly every request to a deployment names the same, and checking one parses it as a URL, on the photo paths too. */
let lastGoodHost = '';

/**
 * Header fields one request may carry: Apache httpd's LimitRequestFields. node:http keeps
 * the first thousand and drops the rest unsaid, so a proxy's X-Forwarded-For after 999
 * others was lost and the request taken as the proxy's own (RFC 6585 §5: 431).
 */
const MAX_HEADER_FIELDS = 100;

/** A Connection header naming `upgrade`, which with an Upgrade header puts node:http's parser out of HTTP. */
const UPGRADE_ASKED = /(?:^|,)[ \t]*upgrade[ \t]*(?:,|$)/i;

/** The one transfer coding the bridge reads, alone in its field. */
const CHUNKED = /^[ \t]*chunked[ \t]*$/i;

function repeatedField(name: string): BridgeError {
  return BridgeError.invalidRequest(`the request has more than one ${name} header`);
}

/**
 * Turns an absolute-form request target (`GET http://host/path`, which RFC 9112 §3.2.2
 * says a server must accept) into the origin form every route matches (`/path?query`),
 * and takes the host from it, as an origin server must (the Host header is then ignored).
 * Before, such a photo request met no route (404) while `/healthz` did. False for a
 * target that is neither (`ftp://h/healthz` answered as `/healthz`; `http://[::1` reached
 * the router as `null`). `*` (`OPTIONS *`) is left to the routes. The path is kept as sent,
 * as an origin-form one is (a URL parser's would drop `..` segments the other form keeps),
 * but for its percent-escapes of unreserved characters, which RFC 3986 §6.2.2.2 makes the
 * characters themselves: `…/GetUserPhot%6F` is the photo URL, as IIS reads it.
 */
function toOriginForm(req: IncomingMessage): boolean {
  const target = req.url ?? '';
  if (target.startsWith('/')) {
    req.url = withUnreservedDecoded(target);
    return true;
  }
  if (target === '*') return true;
  if (!/^https?:\/\//i.test(target) || !URL.canParse(target)) return false;
  const { host } = new URL(target);
  if (host === '') return false;
  // The path and query as sent: whatever follows the authority (`http://host?q` is `/?q`).
  const authority = target.indexOf('//') + 2;
  const after = target.slice(authority).search(/[/?]/);
  const rest = after === -1 ? '' : target.slice(authority + after);
  req.url = withUnreservedDecoded(rest.startsWith('/') ? rest : `/${rest}`);
  req.headers.host = host;
  return true;
}

/** An absolute-form target whose authority holds an `@`: userinfo before the host. */
const USERINFO = /^https?:\/\/[^/?#]*@/i;

/** A percent-escape of an unreserved character (RFC 3986 §2.3: letters, digits, `-._~`). */
const UNRESERVED_ESCAPE = /%(?:[46][1-9A-F]|[57][0-9A]|3[0-9]|2D|2E|5F|7E)/gi;

/** The target with its path's escapes of unreserved characters decoded; the query as sent. */
function withUnreservedDecoded(target: string): string {
  const escape = target.indexOf('%');
  if (escape === -1) return target;
  const query = target.indexOf('?');
  if (query !== -1 && escape > query) return target;
  const end = query === -1 ? target.length : query;
  return target.slice(0, end).replace(UNRESERVED_ESCAPE, (code) => String.fromCharCode(parseInt(code.slice(1), 16))) + target.slice(end);
}

/** A path segment percent-decoded; a malformed escape is kept as sent: it then names nobody. */
export function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
