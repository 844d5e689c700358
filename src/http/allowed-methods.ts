import type { Router } from 'express';
import { BridgeError } from '../domain/errors.js';

/** The paths a router matches: as written (`/me/contacts/:id`), or a pattern for the forms one path takes. */
export type RoutePaths = string | RegExp | (string | RegExp)[];

/**
 * Makes `paths` take only the methods `allow` names (`'GET, HEAD'`): any other is refused
 * with `refusal`, a 405 naming them in Allow, not the 404 of a path the bridge does not
 * have. RFC 9110 §15.5.6: 405 "indicates that the method received in the request-line is
 * known by the origin server but not supported by the target resource. The origin server
 * MUST generate an Allow header field in a 405 response containing a list of the target
 * resource's currently supported methods."
 *
 * An OPTIONS is answered 200 with the same Allow, as the EWS endpoint has always answered
 * it: "A server generating a successful response to OPTIONS SHOULD send any header that
 * might indicate optional features implemented by the server and applicable to the target
 * resource (e.g., Allow)" (RFC 9110 §9.3.7). A CORS preflight never comes here: the front
 * door answers it (cors.ts) whenever an origin may call.
 *
 * Registered after a router's routes for those paths, so only what they did not take
 * reaches it. The refusal is thrown, so the router's error handler writes it as that
 * protocol writes its other errors.
 */
export function allowOnly(router: Router, paths: RoutePaths, allow: string, refusal: () => BridgeError = () => methodNotAllowed(allow)): void {
  router.all(paths, (req, res) => {
    res.setHeader('allow', allow);
    if (req.method !== 'OPTIONS') throw refusal();
    res.status(200).end();
  });
}

function methodNotAllowed(allow: string): BridgeError {
  return new BridgeError('ErrorInvalidRequest', 405, `use ${allow}`);
}
