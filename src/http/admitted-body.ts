import type { RequestHandler } from 'express';
import { BridgeError } from '../domain/errors.js';
import type { InProgressPerAccount } from './in-progress-per-account.js';
import { closeAfterAnswer } from './lingering-close.js';
import { readBody } from './read-body.js';
import { contextOf } from './request-context.js';

/**
 * The body of a request that holds much while in progress (an upload, a batch's answers),
 * read only after the login, and only while the account has fewer than its share of them
 * in progress: beyond it, 503 + Retry-After at once, the body not read. Read as SOAP bodies
 * are (read-body.ts: the held 100 Continue sent, at most `maxBytes`, a body over it
 * `tooLarge`), into `req.body` as bytes.
 */
export function admittedBody(inProgress: InProgressPerAccount, what: string, maxBytes: number, tooLarge: () => BridgeError): RequestHandler {
  return (req, res, next) => {
    const account = contextOf(req).principal?.username ?? '';
    if (!inProgress.admit(account, res)) {
      closeAfterAnswer(res);
      next(BridgeError.serverBusy(`this account has ${inProgress.of(account)} ${what} in progress already; try again once they are done`, 1));
      return;
    }
    readBody(req, maxBytes, (error, body) => {
      if (error instanceof BridgeError && error.httpStatus === 413) {
        closeAfterAnswer(res);
        next(tooLarge());
      } else if (error) next(error);
      else {
        req.body = body;
        next();
      }
    });
  };
}
