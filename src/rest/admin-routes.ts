import { Router, type Request, type RequestHandler } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import { normalizeSmtpAddress } from '../domain/email.js';
import { BridgeError } from '../domain/errors.js';
import { allowOnly } from '../http/allowed-methods.js';
import { requireAccount } from '../http/require-account.js';
import { contextOf } from '../http/request-context.js';
import { photoUploadBody, uploadedImage, type PhotoChanges } from './self-service-photos.js';

/**
 * `PUT /admin/users/{email}/photo` with the raw image as body, `DELETE` of the same URL,
 * and `DELETE /admin/users/{email}` to remove the user (with their photo). Credentials are checked before the body is read, so an anonymous 30 MB
 * upload costs nothing. The lock against self-service changes (self-service-routes.ts):
 * `PUT` / `DELETE /admin/users/{email}/photo-lock` → 204, `GET` of it → `{email, locked}`.
 */
export function createAdminRoutes(auth: Authenticator, changes: PhotoChanges, maxUploadBytes: number): Router {
  const router = Router();
  const photoPath = '/admin/users/:email/photo';
  router.use('/admin', requireAccount(auth, 'admin'));

  const mayChange: RequestHandler = async (req, _res, next) => {
    await changes.authorize(contextOf(req).principal!, emailInPath(req), req.headers);
    next();
  };
  router.put(photoPath, mayChange, photoUploadBody(maxUploadBytes), async (req, res) => {
    const email = emailInPath(req);
    res.json(await changes.set(contextOf(req).principal!, email, uploadedImage(req), 'admin-api', req.headers));
  });

  router.delete('/admin/users/:email', async (req, res) => {
    const email = emailInPath(req);
    if (!(await changes.removeUser(contextOf(req).principal!, email, 'admin-api'))) throw BridgeError.userNotFound(email);
    res.status(204).end();
  });

  router.delete(photoPath, async (req, res) => {
    const email = emailInPath(req);
    if (!(await changes.remove(contextOf(req).principal!, email, 'admin-api', req.headers))) throw BridgeError.photoNotFound(email);
    res.status(204).end();
  });

  const lockPath = '/admin/users/:email/photo-lock';
  router.get(lockPath, async (req, res) => {
    const email = emailInPath(req);
    const locked = await changes.isLocked(email);
    if (locked === undefined) throw BridgeError.userNotFound(email);
    res.setHeader('cache-control', 'no-store');
    res.json({ email, locked });
  });
  for (const [method, locked] of [
    ['put', true],
    ['delete', false],
  ] as const) {
    router[method](lockPath, async (req, res) => {
      const email = emailInPath(req);
      if (!(await changes.lock(contextOf(req).principal!, email, locked, 'admin-api'))) throw BridgeError.userNotFound(email);
      res.status(204).end();
    });
  }

  allowOnly(router, photoPath, 'PUT, DELETE');
  allowOnly(router, '/admin/users/:email', 'DELETE');
  allowOnly(router, lockPath, 'GET, HEAD, PUT, DELETE');
  return router;
}

/** The user the path names, `{email}`, as addresses are compared. */
function emailInPath(req: Request): string {
  return normalizeSmtpAddress(String(req.params.email));
}
