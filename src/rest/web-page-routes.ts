import { readdirSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import { parseBasicAuthorization } from '../auth/basic-credentials.js';
import { SIGNED_OUT_USER } from '../auth/username.js';
import { allowOnly } from '../http/allowed-methods.js';
import { contextOf } from '../http/request-context.js';
import { requireAccount } from '../http/require-account.js';

/** src/web, from src/rest as from dist/rest: the page is plain files, not compiled. */
const WEB_DIR = fileURLToPath(new URL('../../src/web/', import.meta.url));

/**
 * The page itself, served at `/` alone: its links (`web/directory.js`) are relative to it, and
 * at /web/index.html they named /web/web/…, files there are not — a second, broken copy.
 */
const PAGE = 'index.html';
/** What `/web/` serves: every other file of the page. */
const PAGE_FILES = readdirSync(WEB_DIR).filter((name) => name !== PAGE);

/**
 * The page only talks to this bridge and runs only its own files: no inline script or
 * style, so injected markup could not run even if some were ever rendered.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The intranet directory page at `/`, its scripts and styles under `/web/`. Behind the
 * same credentials as the photos (the browser asks for them on the 401). Revalidated
 * on every use (Last-Modified), so a new version shows at once. `GET /sign-out`: see
 * SIGNED_OUT_USER.
 */
export function createWebPageRoutes(auth: Authenticator): Router {
  // Strict and case-sensitive, as the files' names on disk: `/web/directory.js/` names a folder
  // there is not and `/web/DIRECTORY.JS` a file there is not (404), not the file, whose
  // methods' 405 said "use GET, HEAD" to a GET.
  const router = Router({ strict: true, caseSensitive: true });
  // A signed-out browser is asked to log in again, as on every route, without costing a failed login (Authenticator).
  const authenticate = requireAccount(auth, 'user');
  // No ranges: the files are small, and send's If-Range compared their weak ETag and answered
  // 206, where RFC 9110 §13.1.5 wants a weak validator to fail the condition (a whole 200).
  const files = { root: WEB_DIR, lastModified: true, cacheControl: false, acceptRanges: false };

  router.get('/', authenticate, (_req, res, next) => {
    securityHeaders(res);
    res.sendFile(PAGE, files, (error) => error && next(error));
  });
  // Counted as one route: express.static is no route of Express's, and its answers were counted `unmatched`.
  const countedAsWeb: express.RequestHandler = (req, _res, next) => {
    contextOf(req).route = '/web/:file';
    next();
  };
  const pageFilesOnly: express.RequestHandler = (req, _res, next) => next(PAGE_FILES.includes(req.path.slice(1)) ? undefined : 'router');
  router.use(
    '/web',
    countedAsWeb,
    authenticate,
    pageFilesOnly,
    express.static(WEB_DIR, { ...files, index: false, redirect: false, setHeaders: securityHeaders }),
  );
  router.get('/sign-out', (req, res) => {
    if (parseBasicAuthorization(req.headers.authorization)?.username !== SIGNED_OUT_USER) return challenge(res, auth);
    res.setHeader('cache-control', 'no-store');
    res.type('text/plain').send('Signed out.\n');
  });
  // The page's files by name, so that a file it does not have stays a 404 whatever the method.
  allowOnly(router, ['/', '/sign-out', ...PAGE_FILES.map((name) => `/web/${name}`)], 'GET, HEAD');
  return router;
}

function challenge(res: express.Response, auth: Authenticator): void {
  res.setHeader('cache-control', 'no-store');
  res.setHeader('www-authenticate', auth.challengeFor());
  res.status(401).type('text/plain').send('Sign in to see the people directory.\n');
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('cache-control', 'private, no-cache');
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
}
