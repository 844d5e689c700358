import type { IncomingMessage } from 'node:http';

/**
 * Turns an absolute-form request target (`GET http://host/path`, which RFC 9112 §3.2.2
 * says a server must accept) into the origin form every route matches (`/path?query`),
 * and takes the host from it, as an origin server must (the Host header is then ignored).
 * Before, such a photo request met no route (404) while `/healthz` did. False for a
 * target that is neither (`ftp://h/healthz` answered as `/healthz`; `http://[::1` reached
 * the router as `null`): the front door refuses it. `*` (`OPTIONS *`) is left to the routes.
 */
export function toOriginForm(req: IncomingMessage): boolean {
  const target = req.url ?? '';
  if (target.startsWith('/') || target === '*') return true;
  if (!/^https?:\/\//i.test(target) || !URL.canParse(target)) return false;
  const { host, pathname, search } = new URL(target);
  if (host === '') return false;
  req.url = `${pathname}${search}`;
  req.headers.host = host;
  return true;
}
