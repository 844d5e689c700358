import type { IncomingMessage } from 'node:http';

/**
 * Turns an absolute-form request target (`GET http://host/path`, which RFC 9112 §3.2.2
 * says a server must accept) into the origin form every route matches (`/path?query`),
 * and takes the host from it, as an origin server must (the Host header is then ignored).
 * Before, such a photo request met no route (404) while `/healthz` did. Anything else
 * that does not begin with `/` (`*`, garbage) is left for the routes to refuse.
 */
export function toOriginForm(req: IncomingMessage): void {
  const target = req.url ?? '';
  if (target.startsWith('/') || !/^https?:\/\//i.test(target) || !URL.canParse(target)) return;
  const { host, pathname, search } = new URL(target);
  req.url = `${pathname}${search}`;
  req.headers.host = host;
}
