import { clip } from './plain-text.js';

/** nginx's status for a request whose client left before it was answered: logged and counted, never sent. */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * A failure the bridge answers on purpose. Each carries the EWS ResponseCode a SOAP
 * client expects and the HTTP status a REST client expects; every front door maps it
 * once, so the message is the same whichever way the client asked.
 */
export class BridgeError extends Error {
  constructor(
    readonly responseCode: string,
    readonly httpStatus: number,
    message: string,
    /** Set on busy and throttled answers: when the client may try again (HTTP Retry-After, EWS BackOffMilliseconds). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'BridgeError';
  }

  static invalidPhotoSize(code: string, known: readonly string[]): BridgeError {
    return new BridgeError('ErrorInvalidPhotoSize', 400, `unknown size code '${truncate(code)}'; use one of ${known.join(', ')}`);
  }

  static invalidEmail(email: string): BridgeError {
    return email === ''
      ? new BridgeError('ErrorInvalidSmtpAddress', 400, "the 'email' parameter is required")
      : new BridgeError('ErrorInvalidSmtpAddress', 400, `'${truncate(email)}' is not an SMTP address`);
  }

  static photoNotFound(email: string): BridgeError {
    return new BridgeError('ErrorItemNotFound', 404, `no photo for '${truncate(email)}'`);
  }

  static userNotFound(email: string): BridgeError {
    return new BridgeError('ErrorItemNotFound', 404, `no directory user '${truncate(email)}'`);
  }

  static itemNotFound(): BridgeError {
    return new BridgeError('ErrorItemNotFound', 404, 'The specified object was not found in the store.');
  }

  static invalidIdMalformed(): BridgeError {
    return new BridgeError('ErrorInvalidIdMalformed', 400, 'Id is malformed.');
  }

  /** ResponseCode: "returned by the GetAttachment operation … when an attachment that corresponds to the specified ID is not found". */
  static attachmentNotFound(): BridgeError {
    return new BridgeError('ErrorInvalidAttachmentId', 404, 'The attachment was not found.');
  }

  static invalidIdEmpty(): BridgeError {
    return new BridgeError('ErrorInvalidIdEmpty', 400, 'Id must be non-empty.');
  }

  static invalidOperation(operation: string): BridgeError {
    return new BridgeError('ErrorInvalidOperation', 400, `the bridge does not serve ${truncate(operation)}`);
  }

  static invalidImage(reason: string): BridgeError {
    return new BridgeError('ErrorInvalidImage', 422, `not a usable image: ${reason}`);
  }

  static imageTooLarge(reason: string): BridgeError {
    return new BridgeError('ErrorMessageSizeExceeded', 413, reason);
  }

  static bodyTooLarge(maxBytes: number): BridgeError {
    return new BridgeError('ErrorMessageSizeExceeded', 413, `the request body is larger than ${maxBytes} bytes`);
  }

  /** A 413 as a body too large is answered (the connection closed after it): its size is in its pieces. */
  static bodyInTooManyPieces(maxPieces: number): BridgeError {
    return new BodyInTooManyPieces('ErrorMessageSizeExceeded', 413, `the request body came in more than ${maxPieces} pieces; send it in larger chunks`);
  }

  /** A body in a content coding (gzip, br, …): none is decoded here, and read as it came it was taken for text it is not (RFC 9110 §8.4: 415). */
  static bodyEncoded(coding: string): BridgeError {
    return new BridgeError('ErrorInvalidRequest', 415, `the request body is sent with Content-Encoding '${coding.slice(0, 40)}'; send it without one`);
  }

  static unauthenticated(reason: string): BridgeError {
    return new BridgeError('ErrorAccessDenied', 401, reason);
  }

  static forbidden(reason: string): BridgeError {
    return new BridgeError('ErrorAccessDenied', 403, reason);
  }

  /** A user's own photo, which an administrator has locked. */
  static photoLocked(): BridgeError {
    return BridgeError.forbidden('an administrator has locked your photo; ask them to change it or to unlock it');
  }

  /** The store or a bounded queue stayed busy: try again later, nothing was changed. */
  static serverBusy(reason: string, retryAfterSeconds: number): BridgeError {
    return new BridgeError('ErrorServerBusy', 503, reason, retryAfterSeconds);
  }

  /**
   * The store stayed busy for the whole of its wait, `busyTimeoutMs`; the client is asked to
   * wait as long. `keptBy`: others' work (a lock, every connection in use: StoreBusyError), or
   * the statement itself, which got no answer in time.
   */
  static storeBusy(busyTimeoutMs: number, keptBy: 'others' | 'itself' = 'others'): BridgeError {
    const seconds = storeRetryAfterSeconds(busyTimeoutMs);
    return keptBy === 'others' ? new StoreBusyError(seconds) : BridgeError.serverBusy(STORE_BUSY, seconds);
  }

  /** The store's server does not answer at all (it refused the connection, dropped it, is shutting down): down, not busy. */
  static storeUnreachable(busyTimeoutMs: number): StoreUnreachableError {
    return new StoreUnreachableError(storeRetryAfterSeconds(busyTimeoutMs));
  }

  /**
   * The store takes no writes now (a PostgreSQL hot standby, a SQLite file this process may
   * not write): reads go on, and a write may succeed once the store is writable again.
   * `likelyCause` is what the operator should look at first.
   */
  static storeReadOnly(busyTimeoutMs: number, likelyCause: string): BridgeError {
    return new BridgeError('ErrorServerBusy', 503, `the store is read-only (${likelyCause}); nothing was changed`, storeRetryAfterSeconds(busyTimeoutMs));
  }

  /**
   * The SQLite file the server opened is no longer at its path (another file was renamed over
   * it, or it was deleted): what it wrote would reach a file no other process reads and be lost,
   * so it takes no writes until restarted on the file now there. Retrying here does not help.
   */
  static storeFileReplaced(how: 'replaced' | 'removed'): BridgeError {
    return new BridgeError(
      'ErrorServerBusy',
      503,
      `the store's database file was ${how} while the bridge ran; it takes no writes until restarted; nothing was changed`,
    );
  }

  /**
   * The store went back to an older schema version while the bridge ran (a restore under it):
   * this bridge's statements name columns and tables it lacks, so nothing it would read or
   * write means what it should. Starting again migrates it forward.
   */
  static storeSchemaChanged(found: number, migratedTo: number): BridgeError {
    return new BridgeError(
      'ErrorServerBusy',
      503,
      `the store's database went back to schema version ${found} while the bridge ran (it had migrated it to ${migratedTo}; a restore?); restart the bridge, which migrates it; nothing was changed`,
    );
  }

  /**
   * The store's disk (or its size limit) is full. RFC 4918, 11.5: "The 507 (Insufficient
   * Storage) status code means the method could not be performed on the resource because
   * the server is unable to store the representation needed to successfully complete the request."
   */
  static storeFull(): BridgeError {
    return new BridgeError('ErrorInsufficientResources', 507, 'the store has no space left for this write; nothing was changed');
  }

  /** The account's requests in progress hold as much as it may: the fault Exchange sends past EWSMaxConcurrency (HTTP 500), on which exchangelib opens fewer connections and tries again. */
  static exceededConnectionCount(reason: string): BridgeError {
    return new BridgeError('ErrorExceededConnectionCount', 500, reason);
  }

  /** Too many failed logins from this client or for this account; says nothing of whether the account exists. */
  static loginThrottled(retryAfterSeconds: number): BridgeError {
    return new BridgeError('ErrorServerBusy', 429, `too many failed logins; try again in ${retryAfterSeconds} s`, retryAfterSeconds);
  }

  /**
   * The sender closed the connection before its body ended: nothing can be answered, so
   * the request is logged and counted with nginx's "client closed request" status — not
   * an error of the bridge's, however often a client does it.
   */
  static connectionClosed(): BridgeError {
    return new BridgeError('ErrorConnectionFailed', CLIENT_CLOSED_REQUEST, 'the connection closed before the whole body came');
  }

  /** An If-Match or If-None-Match that does not hold for the resource as it is now (RFC 9110 §13.2.2). */
  static preconditionFailed(reason: string): BridgeError {
    return new BridgeError('ErrorIrresolvableConflict', 412, reason);
  }

  static invalidRequest(reason: string): BridgeError {
    return new BridgeError('ErrorInvalidRequest', 400, reason);
  }

  /** A value the schema does not allow: Exchange answers these with a SOAP fault, before any operation runs. */
  static schemaValidation(reason: string): BridgeError {
    return new BridgeError('ErrorSchemaValidation', 500, `The request failed schema validation: ${reason}`);
  }
}

/** A body refused for how many pieces it came in, not for its size: from an upstream, a link worth trying again, not one person's answer. */
export class BodyInTooManyPieces extends BridgeError {}

/** Whether the bridge refused an image for what it is (not an image, too large, a bomb), not for being busy. */
export function imageRefused(error: unknown): error is BridgeError {
  return error instanceof BridgeError && (error.httpStatus === 413 || error.httpStatus === 422);
}

/**
 * Whether a store's write failed for what the store is now, not for what was written: read-only
 * (a PostgreSQL standby, a SQLite file this user may not write, its file replaced), full, or
 * busy past its wait — the 503 and 507 the stores map their refusals to. Reads go on meanwhile.
 */
export function storeRefusedWrite(error: unknown): error is BridgeError {
  return error instanceof BridgeError && (error.httpStatus === 503 || error.httpStatus === 507);
}

/** Whether a failure is only that the client left: no one to answer, nothing to log beyond its access line. */
export function clientLeft(error: unknown): boolean {
  return error instanceof BridgeError && error.httpStatus === CLIENT_CLOSED_REQUEST;
}

/** Echoed input is cut short so a hostile value cannot flood a response or a log. */
const truncate = (value: string) => clip(value, 80);

const STORE_BUSY = 'the store is busy; try again shortly';

/**
 * The store was kept busy by others' work — another connection's lock, every pooled
 * connection in use — for the whole of the wait: time that cost the store nothing of this
 * request's, so no account's share of the store's time is charged it (search-budget.ts).
 */
export class StoreBusyError extends BridgeError {
  constructor(retryAfterSeconds: number) {
    super('ErrorServerBusy', 503, STORE_BUSY, retryAfterSeconds);
  }
}

/** The store's server cannot be reached: told apart from busy, so the log and /readyz say what to look at, and remembered logins are believed meanwhile. */
export class StoreUnreachableError extends BridgeError {
  constructor(retryAfterSeconds: number) {
    super('ErrorServerBusy', 503, 'the database cannot be reached; try again shortly', retryAfterSeconds);
  }
}

/**
 * The store, or password hashing, was closed under the work: the bridge is shutting down and
 * abandons what its grace did not see finished rather than wait for it (a frozen database
 * would hold the exit for its query timeout). The client is gone by then (its access line
 * says 499): a BridgeError, so no one logs it as a fault.
 */
export class ShuttingDownError extends BridgeError {
  constructor() {
    super('ErrorServerBusy', 503, 'the bridge is shutting down; try again shortly', 1);
  }
}

/** A client's wait before asking the store again: its busy wait, in whole seconds. */
function storeRetryAfterSeconds(busyTimeoutMs: number): number {
  return Math.max(1, Math.ceil(busyTimeoutMs / 1000));
}
