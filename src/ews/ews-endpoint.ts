import { performance } from 'node:perf_hooks';
import type { ServerResponse } from 'node:http';
import type { Authenticator } from '../auth/authenticator.js';
import { BridgeError } from '../domain/errors.js';
import { logRequest } from '../http/access-log.js';
import { closeAfterAnswer, dropRefusedBody } from '../http/lingering-close.js';
import { declaredLength, declaresMoreThan, readBody } from '../http/read-body.js';
import { callerTurn } from '../http/caller-turns.js';
import { answeredStatus, mailboxOf, type RequestContext } from '../http/request-context.js';
import { UNCOUNTED_BODY_BYTES, type BodyBudget } from '../http/in-progress-per-account.js';
import { applyLogin, refuseLogin, withLogin } from '../http/login-step.js';
import { answerFailure, bodyRefusedUnread, type FailureWriter } from '../http/failure-answer.js';
import type { SearchBudget } from '../http/search-budget.js';
import type { Logger } from '../logger.js';
import type { RequestMetrics } from '../metrics/request-metrics.js';
import type { PhotoService } from '../photos/photo-service.js';
import type { Store } from '../store/store.js';
import { ewsErrorFault, soapFault, writeSoapAnswer } from './envelope.js';
import { EnvelopeMemo, type NewEnvelope } from './envelope-memo.js';
import { soapAnswer, type EwsContext, type EwsLimits, type OperationNeed, type SoapAnswer } from './ews-operation.js';
import type { ItemIds } from './item-ids.js';
import { DEFAULT_PRECISION, type TimePrecision } from './ews-time.js';
import { impersonationRefusal } from './impersonation.js';
import { NO_MAILBOXES, ownMailboxes } from '../http/own-mailboxes.js';
import { loadOperationTable } from './operation-table.js';
import { failure, operationResponse } from './response-messages.js';
import { malformedRequest, readRequest, type Impersonating, type ReadRequest } from './read-request.js';
import { MalformedEnvelope, SOAP_READ_LIMITS, xmlRequestText } from './soap-reader.js';
import { createWsdlRoutes } from './wsdl-routes.js';

const EWS_PATH = '/EWS/Exchange.asmx';
/** IIS matches paths case-insensitively. */
const EWS_PATH_LOWER = EWS_PATH.toLowerCase();

/**
 * Whether a request is for the EWS URL, in any case (IIS matches paths so) and with any
 * query: clients set the service URL as `…/Exchange.asmx?wsdl` (the one they read the WSDL
 * at) and POST to it as it is. Clients send the path as Exchange spells it, so it is compared
 * as sent first; lowering it made a string per request.
 */
function isEwsUrl(url: string): boolean {
  if (url === EWS_PATH) return true;
  const path = url.length > EWS_PATH.length && url.charCodeAt(EWS_PATH.length) === QUESTION_MARK ? url.slice(0, EWS_PATH.length) : url;
  return path.length === EWS_PATH_LOWER.length && path.toLowerCase() === EWS_PATH_LOWER;
}
const QUESTION_MARK = 0x3f;

interface EwsEndpointOptions {
  store: Store;
  photos: PhotoService;
  auth: Authenticator;
  ids: ItemIds;
  log: Logger;
  accessLog: boolean;
  photoMaxAgeSeconds: number;
  limits: EwsLimits;
  /** The request bodies each account has in progress, shared with Autodiscover. */
  bodies: BodyBudget;
  searches: SearchBudget;
  /** Where answers are counted (front door `ews`, one route per operation). */
  requests: RequestMetrics;
}

/**
 * The most a caller without a login may send, when photos are open to anonymous readers: a
 * GetUserPhoto envelope is under 1 KiB, and every other operation needs a login. Read in
 * full, 1 MiB bodies trickled in by strangers held ~1 GB (800 connections, none logged in).
 */
const ANONYMOUS_BODY_BYTES = 16 * 1024;

/**
 * The EWS SOAP front door at /EWS/Exchange.asmx. One pipeline for every operation:
 * read the body (bounded), parse it once into typed arguments (soap-reader.ts), dispatch
 * through the table the WSDL defines, authenticate for what that operation needs, run
 * it, and write its answer with the one envelope writer.
 */
export async function createEwsEndpoint(options: EwsEndpointOptions) {
  const { auth, log } = options;
  const table = await loadOperationTable();
  const memo = new EnvelopeMemo();

  /**
   * The pipeline after the body is in. Each step continues at once when its value is
   * ready (a remembered envelope, a remembered login, a cached photo), so the common
   * answers cost no turns of the event loop; only what must wait is awaited.
   *
   * Which login an operation needs is known only once the body is read; unless photos
   * are open to anonymous readers, the caller has logged in as a user before the body
   * was read (every operation needs at least that), so this is a remembered login.
   */
  function answer(context: RequestContext, bytes: Buffer, loginRefusal: BridgeError | undefined): void {
    const contentType = context.req.headers['content-type'];
    const last = memo.lastOn(context.req.socket, bytes, contentType);
    if (last !== undefined) {
      finishWhenAuthenticated(context, last, loginRefusal, undefined);
      return;
    }
    let text: string;
    try {
      text = xmlRequestText({ bytes, contentType });
    } catch (error) {
      if (!(error instanceof MalformedEnvelope)) throw error;
      finishWhenAuthenticated(context, malformedRequest(error), loginRefusal, undefined);
      return;
    }
    const known = memo.known(bytes, text);
    const envelope = { bytes, contentType, text, fresh: !known };
    if (known === undefined && isChargedBody(bytes.length) && context.principal !== undefined) {
      // Read as a search is made: in a turn with room, its time charged to the caller's share.
      options.searches
        .run(chargedAccount(context), () => Promise.resolve(readRequest(text, table, options.limits)))
        .then(
          (read) => finishWhenAuthenticated(context, read, loginRefusal, envelope),
          (error: unknown) => fail(context, error),
        );
      return;
    }
    finishWhenAuthenticated(context, known ?? readRequest(text, table, options.limits), loginRefusal, envelope);
  }

  /**
   * Finishes the request once the caller is authenticated for what its operation needs. A
   * malformed request needs nothing; a caller who logged in as a user before the body was
   * read meets every operation's need (a photo or a user) already, and goes on without a
   * callback made; one whose login was refused then (`loginRefusal`, photos open to anyone)
   * gets that refusal for anything but a photo; one whose login was not judged then has it
   * judged now, unless the operation is a photo, which ignores it — but not when the request
   * names an account to act as (ExchangeImpersonation): exchangelib names its own so, and
   * read anonymously, its photo reads were refused ErrorImpersonateUserDenied.
   */
  function finishWhenAuthenticated(context: RequestContext, read: ReadRequest, loginRefusal: BridgeError | undefined, envelope: NewEnvelope | undefined): void {
    if (read.kind === 'malformed' || context.principal !== undefined) {
      finish(context, read, envelope);
      return;
    }
    const actsAs = read.impersonated !== undefined && context.req.headers.authorization !== undefined;
    const need: OperationNeed = read.kind === 'unsupported' || read.kind === 'undeclared' || actsAs ? 'user' : read.operation.need;
    if (loginRefusal && need !== 'photo') refuseCaller(context, loginRefusal);
    else
      withLogin(
        auth,
        context,
        need,
        () => finish(context, read, envelope),
        (error) => refuseCaller(context, error),
        (error) => fail(context, error),
      );
  }

  /**
   * Reads and answers the request of a caller who brought a login: at once when it is
   * remembered as good (the common case, no callback made), else once it is judged.
   */
  function readAsLoggedIn(context: RequestContext): void {
    const { headers } = context.req;
    const login = auth.cached(headers.authorization, 'user', context.clientAddress);
    if (login?.ok) {
      applyLogin(context, login);
      readIfAdmitted(context);
    }
    // A login not remembered, with a body no larger than a stranger may send: read first, and
    // the header judged only if the operation needs a login. Checked first, a client with a
    // stale password got its photos while each request cost a scrypt and counted a failed
    // login, locking its account out everywhere (10 failures a minute, then 429 for the right
    // password). A larger or chunked body still logs in first: it may be more than a stranger may send.
    else if (auth.anonymousPhotoReads && declaredLength(headers) <= ANONYMOUS_BODY_BYTES) readAnonymously(context, undefined);
    else
      withLogin(
        auth,
        context,
        'user',
        () => readIfAdmitted(context),
        (error) => {
          if (auth.anonymousPhotoReads) {
            readAnonymously(context, error);
            return;
          }
          discardBody(context);
          refuseCaller(context, error);
        },
        (error) => {
          fail(context, error);
          discardBody(context);
        },
        login,
      );
  }

  /** Reads the body (bounded) and answers it. */
  function readAndAnswer(context: RequestContext): void {
    readBody(context.req, SOAP_READ_LIMITS.bytes, (error, body) => {
      if (error) fail(context, error);
      else answer(context, body, undefined);
      recordWhenAnswered(context);
    });
  }

  /**
   * Reads and answers the request of a caller who is not logged in, photos being open to
   * anyone (`loginRefusal`: why the login it brought was refused; none when it brought none,
   * or one judged only if the operation needs it). A body over
   * ANONYMOUS_BODY_BYTES is no photo read: it is refused as a stranger's is, 401 unread.
   */
  function readAnonymously(context: RequestContext, loginRefusal: BridgeError | undefined): void {
    const refusal = loginRefusal ?? BridgeError.unauthenticated('a request this large needs a login');
    if (declaresMoreThan(context.req.headers, ANONYMOUS_BODY_BYTES)) {
      discardBody(context);
      refuseCaller(context, refusal);
      return;
    }
    readBody(context.req, ANONYMOUS_BODY_BYTES, (error, body) => {
      if (error instanceof BridgeError && error.httpStatus === 413) {
        closeAfterAnswer(context.res);
        refuseCaller(context, refusal);
      } else if (error) fail(context, error);
      else answer(context, body, loginRefusal);
      recordWhenAnswered(context);
    });
  }

  /**
   * Reads and answers the request when the caller's account has room for its body (BodyBudget)
   * and, for a body over UNCOUNTED_BODY_BYTES, time left in its share (SearchBudget); else the
   * fault Exchange sends past its concurrency limit, or its busy fault, the body discarded unread.
   */
  function readIfAdmitted(context: RequestContext): void {
    const admitted = options.bodies.admit(context, SOAP_READ_LIMITS.bytes);
    const refusal = admitted === true ? shareSpent(context) : admitted;
    if (refusal === undefined) {
      readAndAnswer(context);
      return;
    }
    discardBody(context);
    refuseCaller(context, refusal);
  }

  /**
   * ErrorServerBusy when the request's body is one whose reading is charged and the caller's
   * share is spent. The body budget bounds how many large envelopes an account has in progress,
   * not how many it sends: one login sending 1 MiB envelopes on 30 connections, each read as
   * soon as another was done, held /healthz at 0.65–1.5 s for as long as it went on.
   */
  function shareSpent(context: RequestContext): BridgeError | undefined {
    if (!isChargedBody(declaredLength(context.req.headers))) return undefined;
    try {
      options.searches.admit(chargedAccount(context));
      return undefined;
    } catch (error) {
      if (error instanceof BridgeError) return error;
      throw error;
    }
  }

  /** Before a refusal is written: its body let go (dropRefusedBody), its answer recorded once out. */
  function discardBody(context: RequestContext): void {
    dropRefusedBody(context.req, context.res);
    recordWhenAnswered(context);
  }

  /** Most answers are out by now (a remembered envelope, login and photo): those are counted and logged at once, without a 'finish' listener. */
  function recordWhenAnswered(context: RequestContext): void {
    // Ended, or let go because its client left (no 'close' to come then): its status is final.
    if (context.res.writableEnded || context.res.destroyed) recordAnswer(context);
    else context.res.once('close', () => recordAnswer(context));
  }

  /** `envelope`: the body, when it is not the envelope this connection sent last. */
  function finish(context: RequestContext, read: ReadRequest, envelope: NewEnvelope | undefined): void {
    context.route = read.kind === 'operation' || read.kind === 'refused' ? read.name : read.kind;
    if (read.kind === 'malformed') {
      write(context, soapAnswer(soapFault(read.faultCode, read.reason), 500));
      return;
    }
    if (envelope) memo.remember(context.req.socket, envelope, read);
    const answered = run(read, ewsContext(context, read.kind === 'operation' ? read.precision : DEFAULT_PRECISION));
    if (answered instanceof Promise)
      answered.then(
        (ready) => write(context, ready),
        (error: unknown) => fail(context, error),
      );
    else write(context, answered);
  }

  function write(context: RequestContext, ready: SoapAnswer): void {
    const written = writeSoapAnswer(context.res, ready, context.requestId);
    if (written) written.catch((error: unknown) => fail(context, error));
  }

  function ewsContext(context: RequestContext, timePrecision: TimePrecision): EwsContext {
    return {
      mailbox: mailboxOf(context),
      ownMailboxes: NO_MAILBOXES,
      store: options.store,
      searches: options.searches,
      photos: options.photos,
      turn: callerTurn(context),
      ids: options.ids,
      log,
      requestId: context.requestId,
      startedAt: context.startedAt,
      photoMaxAgeSeconds: options.photoMaxAgeSeconds,
      ifNoneMatch: context.req.headers['if-none-match'],
      limits: options.limits,
      timePrecision,
    };
  }

  /** 401 as every front door answers it; throttling and a busy server as Exchange does, a fault with a back-off (writeBusyFault). */
  function refuseCaller(context: RequestContext, error: BridgeError): void {
    if (error.httpStatus === 401 || error.httpStatus === 403) refuseLogin(auth, context.res, error, log, context.requestId, headersOf(context));
    else writeBusyFault(context.res, error, context.requestId);
  }

  function fail(context: RequestContext, error: unknown): void {
    answerFailure(context.res, error, log, context.requestId, NO_HEADERS, writeEwsFailure, 'EWS request failed');
  }

  function recordAnswer(context: RequestContext): void {
    // One clock read for the metrics and the access line (each is some 100 instructions).
    const endedAt = performance.now();
    options.requests.record(context, EWS_FRONT_DOOR, 'unread', endedAt);
    if (options.accessLog) logRequest(log, context, answeredStatus(context), endedAt);
  }

  return {
    /** The service page, the WSDL and its schemas, for Express. */
    router: createWsdlRoutes(auth, EWS_PATH),
    /** Takes a POST to the endpoint and answers it; false for any other request. */
    handlePost(context: RequestContext): boolean {
      const { req } = context;
      if (req.method !== 'POST') return false;
      if (!isEwsUrl(req.url ?? '')) return false;
      // A stranger's body is never held: the caller logs in as a user first and a refused
      // body is discarded unread (300 unauthenticated 1 MiB bodies trickling in held 300 MiB
      // for up to Node's 5-minute request timeout). With GetUserPhoto open to anonymous
      // readers, a caller without a login may send what a photo read needs, no more. A body
      // declared too large is refused at once, unread, before any login.
      const { headers } = req;
      if (declaresMoreThan(headers, SOAP_READ_LIMITS.bytes)) readAndAnswer(context);
      else if (auth.anonymousPhotoReads && headers.authorization === undefined) readAnonymously(context, undefined);
      else readAsLoggedIn(context);
      return true;
    },
  };
}

const headersOf = (context: RequestContext) => ({ 'request-id': context.requestId });

/** Whether reading a body of `bytes` (NaN: chunked, its length unknown) is charged to the caller's share: not a body of a few kilobytes, as nearly every request's is. */
const isChargedBody = (bytes: number) => !(bytes <= UNCOUNTED_BODY_BYTES);
const chargedAccount = (context: RequestContext) => mailboxOf(context) ?? '';
/** A SOAP answer carries its request id itself (writeSoapAnswer). */
const NO_HEADERS: Readonly<Record<string, string>> = {};

/** A failure as a SOAP fault: a Client fault for a body refused unread, Exchange's busy fault, else a Server fault (details only in the log). */
const writeEwsFailure: FailureWriter = (res, known, log, requestId) => {
  if (known && bodyRefusedUnread(known)) {
    closeAfterAnswer(res);
    void writeSoapAnswer(res, soapAnswer(soapFault('Client', known.message), known.httpStatus), requestId);
    return;
  }
  if (known?.responseCode === 'ErrorServerBusy') {
    writeBusyFault(res, known, requestId);
    return;
  }
  // A refusal no operation answered itself is the bridge's failure, as anything unexpected is.
  if (known) log.error({ reqId: requestId, err: known }, 'EWS request failed');
  void writeSoapAnswer(res, soapAnswer(soapFault('Server', `internal error (request ${requestId})`), 500), requestId);
};

/**
 * Throttling and a busy server as Exchange answers them: HTTP 500, as Exchange sends its
 * throttling faults (exchangelib reads a fault only on a 500 — a 503 was "Unknown failure in
 * response" — and ews-javascript-api read a 503's as ErrorInternalServerError). Retry-After
 * stays for anything that reads it.
 */
function writeBusyFault(res: ServerResponse, error: BridgeError, requestId: string): void {
  const retryAfter = error.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(error.retryAfterSeconds) };
  void writeSoapAnswer(res, soapAnswer(ewsErrorFault(error), 500), requestId, retryAfter);
}

/** The front door SOAP answers are counted under. */
const EWS_FRONT_DOOR = 'ews';

/** The suffix of the few EWS request elements not named as their operation is (GetUserAvailabilityRequest). */
const REQUEST_SUFFIX = 'Request';

/** Operations answered by this table; anything else EWS defines gets ErrorInvalidOperation on HTTP 200, as exchangelib's setup expects. */
function run(read: Exclude<ReadRequest, { kind: 'malformed' }>, context: EwsContext): Promise<SoapAnswer> | SoapAnswer {
  const own = ownMailboxes(context.store, context.mailbox, namedMailboxes(read));
  if (own instanceof Promise)
    return own.then((found) => {
      context.ownMailboxes = found;
      return runAs(read, context);
    });
  context.ownMailboxes = own;
  return runAs(read, context);
}

/** What most requests name (no folder's mailbox, no one to act as): one array, not one per request. */
const NONE_NAMED: readonly string[] = [];

/** Every mailbox the request names: its impersonated account's, and its folder ids'. */
function namedMailboxes(read: Impersonating): readonly string[] {
  const { impersonated, mailboxes = NONE_NAMED } = read;
  return typeof impersonated === 'string' ? [impersonated, ...mailboxes] : mailboxes;
}

/** `run`, once the mailboxes the request names are known to be the caller's or not. */
function runAs(read: Exclude<ReadRequest, { kind: 'malformed' }>, context: EwsContext): Promise<SoapAnswer> | SoapAnswer {
  const denied = impersonationRefusal(read.impersonated, context.ownMailboxes);
  // A request-level error, as Exchange faults it on HTTP 500 (exchangelib reads faults on no other status).
  if (denied) return soapAnswer(ewsErrorFault(denied), 500);
  switch (read.kind) {
    case 'operation':
      return read.operation.run(read.args, context);
    case 'refused':
      // A value the schema forbids is a fault, as Exchange's schema check answers it, before any operation.
      if (read.error.responseCode === 'ErrorSchemaValidation') return soapAnswer(ewsErrorFault(read.error), read.error.httpStatus);
      return read.operation.refuse(read.error);
    case 'undeclared':
      // As .NET's schema check words it: `<m:ResolveNames>` under `https://…/messages`, a copy of
      // Learn's example, had been told "the bridge does not serve ResolveNames".
      return soapAnswer(ewsErrorFault(BridgeError.schemaValidation(`The '${read.name}' element is not declared.`)), 500);
    case 'unsupported': {
      // Operations whose answers have shapes of their own (FreeBusyResponseArray, one
      // ResponseMessage, the ResponseClass on the answer itself): a ResponseMessages list
      // named after the operation broke clients on them, or was read as an empty success
      // (no room lists, no delegates); the fault Exchange sends for a request-level error is
      // read by every client.
      const operation = read.name.endsWith(REQUEST_SUFFIX) ? read.name.slice(0, -REQUEST_SUFFIX.length) : read.name;
      if (operation !== read.name || SINGULAR_RESPONSES.has(operation)) return soapAnswer(ewsErrorFault(BridgeError.invalidOperation(operation)), 500);
      return soapAnswer(operationResponse(read.name, [failure(BridgeError.invalidOperation(read.name))]));
    }
  }
}

/**
 * Operations whose response, as Microsoft Learn documents each, is not a ResponseMessages
 * list of one message per item but carries its ResponseClass itself (GetRoomListsResponse,
 * GetDelegateResponse, GetMailTipsResponse, …). Those sent as `…Request` are told apart by
 * their name.
 */
const SINGULAR_RESPONSES: ReadonlySet<string> = new Set([
  'FindConversation',
  'GetAppManifests',
  'GetAppMarketplaceUrl',
  'GetDelegate',
  'GetDiscoverySearchConfiguration',
  'GetHoldOnMailboxes',
  'GetInboxRules',
  'GetMailTips',
  'GetNonIndexableItemDetails',
  'GetNonIndexableItemStatistics',
  'GetPasswordExpirationDate',
  'GetRoomLists',
  'GetRooms',
  'GetSearchableMailboxes',
  'GetServiceConfiguration',
  'GetSharingFolder',
  'GetSharingMetadata',
  'GetUserRetentionPolicyTags',
  'GetUserUnifiedGroups',
  'SearchMailboxes',
  'SetHoldOnMailboxes',
  'UpdateInboxRules',
]);
