import { Router, type Request } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import type { Principal } from '../domain/account.js';
import { BridgeError } from '../domain/errors.js';
import { contextOf } from '../http/request-context.js';
import { allowOnly } from '../http/allowed-methods.js';
import { requireAccount } from '../http/require-account.js';
import { ownEmailOf, photoUploadBody, uploadedImage, type PhotoChanges } from './self-service-photos.js';

/**
 * A signed-in user's own photo, when BRIDGE_SELF_SERVICE_PHOTOS allows it:
 * - `GET /api/me/photo` → `{email, allowed, locked, reason?}`: whether the page may offer "Change my photo";
 * - `PUT /api/me/photo` with the image as body → 200 `{email, sha256, width, height}`;
 * - `DELETE /api/me/photo` → 204 (404 when there is none).
 * The administrator's lock against those changes is an admin route (admin-routes.ts).
 * Refusals are 403 with the reason; the body is read only once the change is allowed.
 */
export function createSelfServiceRoutes(changes: PhotoChanges, auth: Authenticator, maxUploadBytes: number): Router {
  const router = Router();
  const signedIn = requireAccount(auth, 'user');
  const path = '/api/me/photo';

  router.get(path, signedIn, async (req, res) => {
    const { actor, email } = callerOf(req);
    const state = await changes.stateFor(actor, email);
    res.setHeader('cache-control', 'no-store');
    res.json(state);
  });

  router.put(
    path,
    signedIn,
    async (req, _res, next) => {
      const { actor, email } = callerOf(req);
      await changes.authorize(actor, email, req.headers);
      next();
    },
    photoUploadBody(maxUploadBytes),
    async (req, res) => {
      const { actor, email } = callerOf(req);
      res.json(await changes.set(actor, email, uploadedImage(req), 'self-service', req.headers));
    },
  );

  router.delete(path, signedIn, async (req, res) => {
    const { actor, email } = callerOf(req);
    if (!(await changes.remove(actor, email, 'self-service', req.headers))) throw BridgeError.photoNotFound(email);
    res.status(204).end();
  });

  allowOnly(router, path, 'GET, HEAD, PUT, DELETE');
  return router;
}

/** The caller and the address they change; a login whose name is not an address has no photo of its own. */
function callerOf(req: Request): { actor: Principal; email: string } {
  const actor = contextOf(req).principal!;
  const email = ownEmailOf(actor);
  if (email === undefined) throw BridgeError.forbidden(`the login '${actor.username}' is not a directory address, so it has no photo of its own`);
  return { actor, email };
}
