import type { Authenticator } from '../auth/authenticator.js';
import { BridgeError } from '../domain/errors.js';
import { writeSoapAnswer } from '../ews/envelope.js';
import { soapAnswer } from '../ews/ews-operation.js';
import type { XmlRequestBody } from '../ews/soap-reader.js';
import { logWhenDone } from '../http/access-log.js';
import type { BodyBudget } from '../http/in-progress-per-account.js';
import type { SearchBudget } from '../http/search-budget.js';
import { closeAfterAnswer, dropRefusedBody } from '../http/lingering-close.js';
import { declaresMoreThan, readBody } from '../http/read-body.js';
import { baseUrlOf, mailboxOf, type RequestContext } from '../http/request-context.js';
import { answerFailure, bodyRefusedUnread, type FailureWriter } from '../http/failure-answer.js';
import { refuseLogin, withLogin } from '../http/login-step.js';
import { sendError } from '../http/send-error.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { AutodiscoverContext } from './autodiscover-context.js';
import { advertisedUrls, type AdvertisedUrls } from './exchange-server.js';
import { decodedSegment } from '../http/request-target.js';
import { answerJsonAutodiscover, jsonFailure } from './json-autodiscover.js';
import { queryParameters, queryValue } from '../http/query-parameter.js';
import { answerPoxAutodiscover } from './pox-autodiscover.js';
import { answerSoapAutodiscover, endpointFault } from './soap-autodiscover.js';
import { AUTODISCOVER_CONTRACT, loadWsdlDocuments, wsdlForHost } from '../ews/wsdl-documents.js';

interface AutodiscoverEndpointOptions {
  store: Store;
  auth: Authenticator;
  log: Logger;
  accessLog: boolean;
  /** The request bodies each account has in progress, shared with the SOAP endpoint. */
  bodies: BodyBudget;
  /** Each account's share of the directory's time, which its Autodiscover lookups draw on as its searches do. */
  searches: SearchBudget;
}

/**
 * Autodiscover requests are small: a POX request names one mailbox, a GetUserSettings
 * request a few (at most 100 of 128 settings: ~20 KB). Bodies beyond are refused (413).
 */
export const AUTODISCOVER_MAX_BODY_BYTES = 64 * 1024;

/** IIS matches paths case-insensitively (`/Autodiscover/Autodiscover.xml` is what Outlook sends). */
const PREFIX = '/autodiscover/';
const SOAP_PATH = '/autodiscover/autodiscover.svc';
const POX_PATH = '/autodiscover/autodiscover.xml';
const JSON_PATH = '/autodiscover/autodiscover.json';
const JSON_V1_PREFIX = '/autodiscover/autodiscover.json/v1.0/';

/**
 * The Autodiscover front door: SOAP at autodiscover.svc, POX at autodiscover.xml, JSON v2
 * at autodiscover.json. SOAP and POX go the way of every request: the login checked
 * before the body is read (a POST without one is a 401 with the Basic challenge —
 * exchangelib probes for exactly that), the body read once (bounded, and counted against
 * the account's body budget as EWS bodies are), then one answer and one access line. The URLs it hands out are built from the request's Host.
 */
export function createAutodiscoverEndpoint(options: AutodiscoverEndpointOptions) {
  const { store, auth, log, accessLog } = options;
  const contract = loadWsdlDocuments(AUTODISCOVER_CONTRACT);

  function serveXml(context: RequestContext, kind: 'soap' | 'pox', urls: AdvertisedUrls): void {
    const { req } = context;
    // A body declared too large is refused at once by the read, unread, before any login.
    if (declaresMoreThan(req.headers, AUTODISCOVER_MAX_BODY_BYTES)) {
      readAndAnswer(context, kind, urls);
      return;
    }
    // The login first, from the headers alone: a refused caller's body is discarded unread, never held.
    const discard = () => dropRefusedBody(req, context.res);
    whenLoggedIn(
      context,
      () => {
        const admitted = options.bodies.admit(context, AUTODISCOVER_MAX_BODY_BYTES);
        if (admitted !== true) {
          discard();
          refuse(context, BridgeError.serverBusy(admitted.message, 1));
          return;
        }
        readAndAnswer(context, kind, urls);
      },
      discard,
      kind,
    );
  }

  /** `next` once the caller is logged in as a user; else, after `discard`, the refusal. */
  function whenLoggedIn(context: RequestContext, next: () => void, discard: () => void, kind: 'soap' | 'pox'): void {
    withLogin(
      auth,
      context,
      'user',
      next,
      (error) => {
        discard();
        refuse(context, error);
      },
      (failure) => {
        discard();
        fail(context, kind, failure);
      },
    );
  }

  /** The SOAP contract, to a user, as EWS's WSDL is: its soap:address the autodiscover.svc the client reached. */
  function serveContract(context: RequestContext, name: string, baseUrl: string): void {
    const document = name === WSDL_NAME ? wsdlForHost(contract.wsdl, baseUrl, SOAP_PATH) : contract.schemas.get(name)!;
    whenLoggedIn(context, () => write(context, 200, 'text/xml; charset=utf-8', document), NOTHING_TO_DISCARD, 'pox');
  }

  async function answerSoap(context: RequestContext, body: XmlRequestBody, autodiscover: AutodiscoverContext): Promise<void> {
    const answer = await answerSoapAutodiscover(body, autodiscover);
    void writeSoapAnswer(context.res, soapAnswer(answer.envelope, answer.status), context.requestId, SOAP_ENABLED);
  }

  async function answerPox(context: RequestContext, body: XmlRequestBody, autodiscover: AutodiscoverContext): Promise<void> {
    write(context, 200, 'text/xml; charset=utf-8', await answerPoxAutodiscover(body, autodiscover));
  }

  function serveJson(context: RequestContext, path: string, queryString: string, urls: AdvertisedUrls): void {
    let answer;
    try {
      // Read as every URL's query is: an escape that does not decode is refused, not read as written.
      const query = queryParameters(queryString);
      const email = path.length > JSON_PATH.length ? decodedSegment(path.slice(JSON_V1_PREFIX.length)) : (queryValue(query, 'Email') ?? '');
      answer = answerJsonAutodiscover(email, queryValue(query, 'Protocol') ?? '', urls);
    } catch (error) {
      // A parameter given twice or in brackets (neither is picked for the client: queryValue), or not validly percent-encoded.
      if (!(error instanceof BridgeError)) throw error;
      answer = jsonFailure('InvalidRequest', error.message);
    }
    write(context, answer.status, 'application/json; charset=utf-8', answer.body);
  }

  function write(context: RequestContext, status: number, contentType: string, body: string): void {
    const bytes = Buffer.from(body);
    context.res.writeHead(status, { ...headersOf(context), 'content-type': contentType, 'content-length': bytes.length });
    context.res.end(bytes);
  }

  /** A refused login as every front door answers it: 401 with the challenge, 429 or 503 with Retry-After. */
  function refuse(context: RequestContext, error: BridgeError): void {
    refuseLogin(auth, context.res, error, log, context.requestId, headersOf(context));
  }

  function readAndAnswer(context: RequestContext, kind: 'soap' | 'pox', urls: AdvertisedUrls): void {
    readBody(context.req, AUTODISCOVER_MAX_BODY_BYTES, (error, body) => {
      if (error) {
        fail(context, kind, error);
        return;
      }
      const callerMailbox = mailboxOf(context);
      const autodiscover: AutodiscoverContext = { store, urls, callerMailbox };
      const request = { bytes: body, contentType: context.req.headers['content-type'] };
      // Charged as a search, answer and all: a GetUserSettings of 100 users with every setting
      // costs some 60 ms and 2 MB, and one login sent them on 64 connections unrefused.
      const answered = options.searches.run(callerMailbox ?? '', () =>
        kind === 'soap' ? answerSoap(context, request, autodiscover) : answerPox(context, request, autodiscover),
      );
      answered.catch((failure: unknown) => fail(context, kind, failure));
    });
  }

  function fail(context: RequestContext, kind: 'soap' | 'pox', error: unknown): void {
    if (error instanceof BridgeError && error.httpStatus === 413) closeAfterAnswer(context.res);
    if (kind === 'soap') answerFailure(context.res, error, log, context.requestId, headersOf(context), writeSoapFailure, 'Autodiscover request failed');
    else sendError(context.res, error, log, context.requestId, headersOf(context));
  }

  function refuseMethod(context: RequestContext, allowed: string): void {
    sendError(context.res, new BridgeError('ErrorInvalidRequest', 405, `use ${allowed}`), log, context.requestId, { ...headersOf(context), allow: allowed });
  }

  return {
    /** Answers the request when it is for an Autodiscover URL; false for any other. */
    handle(context: RequestContext): boolean {
      const { req } = context;
      const url = req.url ?? '';
      if (url.length < PREFIX.length || url.slice(0, PREFIX.length).toLowerCase() !== PREFIX) return false;
      const queryStart = url.indexOf('?');
      const path = queryStart < 0 ? url : url.slice(0, queryStart);
      const lower = path.toLowerCase();
      const method = req.method ?? '';
      // `autodiscover.svc?wsdl` is the service's own URL: a POST to it is a request as any other.
      const contractName = method === 'POST' && lower === SOAP_PATH ? undefined : contractDocumentOf(lower, queryStart < 0 ? '' : url.slice(queryStart + 1));
      const kind = contractName
        ? 'contract'
        : lower === SOAP_PATH
          ? 'soap'
          : lower === POX_PATH
            ? 'pox'
            : lower === JSON_PATH || lower.startsWith(JSON_V1_PREFIX)
              ? 'json'
              : undefined;
      if (!kind) return false;

      context.route = kind;
      if (accessLog) logWhenDone(log, context);
      // POX answers GET as Exchange does: the login first, then Error 600 for the missing request.
      // autodiscover.svc takes a POST beside the GET of its ?wsdl.
      const allowed = kind === 'soap' ? 'POST' : kind === 'pox' || lower === SOAP_PATH ? 'POST, GET, HEAD' : 'GET, HEAD';

      if (!allowed.split(', ').includes(method)) {
        dropRefusedBody(req, context.res);
        refuseMethod(context, allowed);
        return true;
      }
      const urls = advertisedUrls(baseUrlOf(context));
      if (!urls) {
        dropRefusedBody(req, context.res);
        sendError(context.res, BridgeError.invalidRequest('the Host header does not name a host'), log, context.requestId, headersOf(context));
        return true;
      }
      if (kind === 'contract') serveContract(context, contractName!, baseUrlOf(context)!);
      else if (kind === 'json') serveJson(context, path, queryStart < 0 ? '' : url.slice(queryStart + 1), urls);
      else serveXml(context, kind, urls);
      return true;
    },
  };
}

/**
 * Every Autodiscover answer, the 401 to a client's first unauthenticated probe included,
 * says the SOAP endpoint is on, as Exchange's do: the EWS Managed API and its ports
 * (ews-javascript-api's AutodiscoverUrl) pick SOAP by `X-SOAP-Enabled` and otherwise fall
 * back to POX, which ews-javascript-api does not implement.
 */
const SOAP_ENABLED: Readonly<Record<string, string>> = { 'x-soap-enabled': 'True' };

/**
 * A failure of autodiscover.svc: a body refused unread (too large, in a content coding) as
 * EWS's endpoint answers it, with a fault on the refusal's status; another refusal as text,
 * as every door writes it; anything else a Server fault.
 */
const writeSoapFailure: FailureWriter = (res, known, log, requestId, headers) => {
  if (!known) void writeSoapAnswer(res, soapAnswer(endpointFault('Server', `internal error (request ${requestId})`), 500), requestId, SOAP_ENABLED);
  else if (bodyRefusedUnread(known)) void writeSoapAnswer(res, soapAnswer(endpointFault('Client', known.message), known.httpStatus), requestId, SOAP_ENABLED);
  else sendError(res, known, log, requestId, headers);
};

const WSDL_NAME = 'services.wsdl';
const NOTHING_TO_DISCARD = () => {};

/**
 * Which file of the SOAP contract a URL asks for, if any: Learn's "SOAP Autodiscover XML
 * elements" has authenticated users browse to `/autodiscover/services.wsdl` and
 * `/autodiscover/messages.xsd`; WCF, which serves Exchange's autodiscover.svc, gives the
 * WSDL at `autodiscover.svc?wsdl` too.
 */
function contractDocumentOf(path: string, query: string): string | undefined {
  const name = path.slice(PREFIX.length);
  if (name === WSDL_NAME || name === 'messages.xsd') return name;
  return path === SOAP_PATH && /^wsdl(?:=|&|$)/i.test(query) ? WSDL_NAME : undefined;
}

// What a login is told is its own, as every answer of the Express app (app.ts).
const headersOf = (context: RequestContext) => ({
  'request-id': context.requestId,
  'x-content-type-options': 'nosniff',
  'cache-control': 'private, no-cache',
  ...SOAP_ENABLED,
});
