import { BASE64_TEXT } from '../domain/text-bytes.js';
import { STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Router, type Request } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import { BridgeError } from '../domain/errors.js';
import { hasLoneSurrogate } from '../domain/plain-text.js';
import { logRequest } from '../http/access-log.js';
import { admittedBody } from '../http/admitted-body.js';
import { InProgressPerAccount } from '../http/in-progress-per-account.js';
import { jsonOf } from '../http/json-body.js';
import type { HeldLine, InProcessAnswer, InProcessRequest } from '../http/in-process-requests.js';
import { contextOf } from '../http/request-context.js';
import { tooManyHeaderFields } from '../http/request-target.js';
import { requireAccount } from '../http/require-account.js';
import { writeChunk } from '../http/write-chunk.js';
import { pauseIfLong } from '../loop-turns.js';
import type { Logger } from '../logger.js';
import { graphErrorHandler, graphErrorJson, refuseOtherMethods } from './graph-errors.js';
import { ODATA_VERSION_HEADER } from './graph-odata.js';
import { GRAPH_VERSIONS } from './graph-photo-path.js';

interface GraphBatchRouteOptions {
  auth: Authenticator;
  log: Logger;
  accessLog: boolean;
  /** Sends a request through the front door itself, in memory (in-process-requests.ts): each request of a batch goes so, as if it came alone. */
  send: (request: InProcessRequest) => Promise<InProcessAnswer>;
}

/** "JSON batch requests are currently limited to 20 individual requests." */
export const BATCH_MAX_REQUESTS = 20;
/** Twenty requests with URLs at the front door's limit (4,096) and a few headers each. */
export const BATCH_MAX_BODY_BYTES = 128 * 1024;
/**
 * Batches one account may have in progress: each holds its answers until the last is in
 * (twenty pages of 250 contacts are some megabytes), so one login's connections must not
 * hold them by the hundred.
 */
export const BATCHES_PER_ACCOUNT = 2;
/**
 * The most a batch's answer holds, in characters of its JSON (bytes, for ASCII): twenty pages of 999 users with every
 * property were a 12 MB answer built in one piece (the event loop held 265 ms, 106 MB more
 * RSS for two). The first answer always fits; one past the rest is that request's 429 with
 * Retry-After, as Graph throttles one request of a batch, for its client to ask again.
 */
export const BATCH_MAX_ANSWER_BYTES = 4 * 1024 * 1024;
/** A batch's requests in progress at once: the rest wait their turn, as they would on one connection. */
const BATCH_CONCURRENCY = 4;
/** The headers of a request in a batch that reach it; the rest (the login, the addressing) are the batch's own. */
const PASSED_HEADERS = new Set(['accept', 'accept-language', 'if-match', 'if-none-match', 'consistencylevel', 'prefer', 'content-type']);
/** The methods a request of a batch may have: the reads, and POST, which `translateExchangeIds` takes. */
export const BATCHED_METHODS = new Set(['GET', 'HEAD', 'POST']);
/** The batch's headers each of its requests carries: who asks, and how they reached the bridge. */
const INHERITED_HEADERS = ['authorization', 'host', 'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip'];
/** A media type a batch writes as JSON, not base64: application/json and its kin (`…+json`, `json; odata.metadata=…`). */
const JSON_TYPE = /\bjson\b/i;
/** Headers of a request's answer that say nothing inside a batch. */
const DROPPED_ANSWER_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date', 'request-id']);

/**
 * A URL that names its version already: the Graph JS client's BatchRequestContent strips
 * only the scheme and host of the Requests it is given (`/v1.0/users/…`), which in Node
 * must be absolute.
 */
const VERSIONED = new RegExp(`^/(${GRAPH_VERSIONS.map((version) => version.replace('.', '\\.')).join('|')})/`);

interface BatchRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The names of the header fields it has, in lower case: those not passed still count towards the fields it would have alone. */
  fieldNames: string[];
  /** Its body as sent alone: JSON written out, anything else from its base64. */
  body: Buffer | undefined;
  dependsOn: string[];
}

interface BatchResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  /**
   * A JSON body as its text, written into the batch's answer as it is: every JSON answer on
   * these paths is the bridge's own JSON.stringify, so parsing a page of 250 contacts only
   * to write it again cost the event loop twice for nothing.
   */
  json?: string;
}

/**
 * A request's answer, and its access line: the front door's, held for the batch to write (none
 * with the access log off); 'unread' for a request node:http refused unread, whose line is
 * written apart (`request refused unread`); none for one the batch answered itself.
 */
interface Answered {
  response: BatchResponse;
  line: HeldLine | 'unread' | undefined;
}

/** An answer the batch wrote itself: the front door never heard the request, or heard another in its stead (refusedMethod's OPTIONS). */
function answeredHere(response: BatchResponse): Answered {
  return { response, line: undefined };
}

/** One response of the batch's answer, a JSON body embedded as the text it came as. */
function written({ json, ...response }: BatchResponse): string {
  const rest = JSON.stringify(response);
  return json === undefined ? rest : `${rest.slice(0, -1)},"body":${json}}`;
}

/**
 * Graph's JSON batching (https://learn.microsoft.com/en-us/graph/json-batching):
 * `POST /v1.0/$batch` with up to 20 requests, answered `{"responses": […]}`, each with its
 * id, status, headers and body — JSON as JSON, anything else (a photo's bytes) base64, as
 * the Microsoft Graph Toolkit reads the photos it batches. Each request goes through the
 * front door as if it came alone, with the batch's login and addressing: its limits, its
 * access line, its metrics. GET, HEAD and POST (translateExchangeIds, with its JSON body);
 * another method is that request's 405, with the path's Allow: a batch here changes no photo. With `dependsOn`, the requests run
 * one after another and one whose dependency failed is 424, as Graph does; without, at once.
 */
export function createGraphBatchRoute(options: GraphBatchRouteOptions): Router {
  const router = Router();
  const body = admittedBody(
    new InProgressPerAccount(BATCHES_PER_ACCOUNT),
    'batches',
    BATCH_MAX_BODY_BYTES,
    () => new BridgeError('BadRequest', 413, `a batch is at most ${BATCH_MAX_BODY_BYTES / 1024} KB`),
  );
  router.post('/$batch', requireAccount(options.auth, 'user'), body, async (req, res) => {
    const requests = readBatch(jsonOf(req.body as Buffer, invalidBatch));
    const { requestId } = contextOf(req);
    const answer = new BatchAnswer(requestId);
    const settled = (request: BatchRequest, { response, line }: Answered, startedAt: number) => {
      const fitted = answer.fitted(response);
      if (options.accessLog) logOne(options.log, req, request, line, fitted.status, startedAt);
      return fitted;
    };
    const run = async (request: BatchRequest) => {
      const startedAt = performance.now();
      return settled(request, answer.full() ? answeredHere(answerTooLarge(request.id, requestId)) : await runOne(request, req, options), startedAt);
    };
    const failed = (request: BatchRequest) => settled(request, answeredHere(failedDependency(request.id, requestId)), performance.now());
    const responses = requests.some((request) => request.dependsOn.length > 0) ? await inSequence(requests, run, failed) : await inTurns(requests, run);
    // Written in parts, not through res.send, where the other Graph answers get their OData-Version (graph-odata.ts).
    await sendInParts(res.type('application/json').set(ODATA_VERSION_HEADER), responses);
  });
  refuseOtherMethods(router, '/$batch', 'POST');
  router.use(graphErrorHandler(options.log));
  return router;
}

/** A response of the batch as its answer holds it: its status, and its JSON. */
interface WrittenResponse {
  status: number;
  text: string;
  /** The text's length in UTF-8. */
  bytes: number;
}

/**
 * `{"responses":[…]}`, written a response at a time, letting other requests in between once
 * the turn has run long (loop-turns.ts): joined and encoded whole, twenty photos' 3.6 MB held
 * the event loop in one piece. A client gone meanwhile is let go: nobody is left to answer.
 */
async function sendInParts(res: ServerResponse, responses: readonly WrittenResponse[]): Promise<void> {
  const opening = '{"responses":[';
  const closing = ']}';
  const commas = Math.max(0, responses.length - 1);
  res.setHeader('content-length', opening.length + responses.reduce((sum, response) => sum + response.bytes, commas) + closing.length);
  try {
    await writeChunk(res, opening);
    for (const [i, response] of responses.entries()) {
      await writeChunk(res, i === 0 ? response.text : `,${response.text}`);
      const pause = pauseIfLong();
      if (pause) await pause;
    }
    res.end(closing);
  } catch {
    res.destroy();
  }
}

/** The batch's answer as its responses come: the bytes they take, up to BATCH_MAX_ANSWER_BYTES. */
class BatchAnswer {
  private bytes = 0;
  private responses = 0;
  /** Whether a response has not fitted: the requests not yet run are not run, but answered 429, as their answers would likely be thrown away too. */
  private overflowed = false;

  /** `requestId`: the batch's, which the errors it writes itself name. */
  constructor(private readonly requestId: string) {}

  /** Whether no more but the short error of answerTooLarge fits. */
  full(): boolean {
    return this.overflowed || this.bytes >= BATCH_MAX_ANSWER_BYTES;
  }

  /** The response written, or (past the limit, and not the first) its 429 in its place. */
  fitted(response: BatchResponse): WrittenResponse {
    let text = written(response);
    // Bytes as sent (UTF-8), not characters: a page of CJK names is three times its length.
    let bytes = Buffer.byteLength(text);
    if (this.responses > 0 && this.bytes + bytes > BATCH_MAX_ANSWER_BYTES) {
      this.overflowed = true;
      response = answerTooLarge(response.id, this.requestId);
      text = written(response);
      bytes = Buffer.byteLength(text);
    }
    this.responses++;
    this.bytes += bytes;
    return { status: response.status, text, bytes };
  }
}

function answerTooLarge(id: string, requestId: string): BatchResponse {
  const failure = graphFailure(
    id,
    429,
    'TooManyRequests',
    `The answers of this batch are over ${BATCH_MAX_ANSWER_BYTES / 1024 / 1024} MB: ask this request again on its own or in another batch.`,
    requestId,
  );
  return { ...failure, headers: { ...failure.headers, 'Retry-After': '1' } };
}

/** Every request run, at most BATCH_CONCURRENCY at once; the answers in the requests' order. */
async function inTurns(requests: BatchRequest[], run: (request: BatchRequest) => Promise<WrittenResponse>): Promise<WrittenResponse[]> {
  const responses: WrittenResponse[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < requests.length; i = next++) responses[i] = await run(requests[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, requests.length) }, worker));
  return responses;
}

/** Every request run in turn, but those whose dependency failed: `failed` answers them (424). */
async function inSequence(
  requests: BatchRequest[],
  run: (request: BatchRequest) => Promise<WrittenResponse>,
  failed: (request: BatchRequest) => WrittenResponse,
): Promise<WrittenResponse[]> {
  const done = new Map<string, WrittenResponse>();
  for (const request of requests) {
    const dependencyFailed = request.dependsOn.some((id) => done.get(id.toLowerCase())!.status >= 400);
    done.set(request.id.toLowerCase(), dependencyFailed ? failed(request) : await run(request));
  }
  return [...done.values()];
}

/**
 * One request of the batch, answered as it would be alone. What node:http will not send
 * (a header value with a line break) is that request's 400; anything else that fails it
 * is its 500: the batch's other answers stand either way.
 */
async function runOne(request: BatchRequest, batch: IncomingMessage, options: GraphBatchRouteOptions): Promise<Answered> {
  // Checked first, as the front door does (request-target.ts): the fields it has, and the batch's login and addressing it would carry alone.
  const tooMany = tooManyHeaderFields(
    request.fieldNames.length + INHERITED_HEADERS.filter((name) => name in batch.headers && !request.fieldNames.includes(name)).length,
  );
  if (tooMany) return answeredHere(graphFailure(request.id, tooMany.httpStatus, tooMany.responseCode, tooMany.message, contextOf(batch).requestId));
  return BATCHED_METHODS.has(request.method) ? sent(request, batch, options) : answeredHere(await refusedMethod(request, batch, options));
}

/**
 * A method a batch does not take (it changes no photo), answered as the path answers a method
 * it does not take: 405 with Allow — RFC 9110 §15.5.6 — naming the methods of the path's own
 * (its answer to OPTIONS) that a batch takes, and the headers of Graph's errors. A path the
 * bridge does not have is the 400 or 404 it is whatever the method.
 */
async function refusedMethod(request: BatchRequest, batch: IncomingMessage, options: GraphBatchRouteOptions): Promise<BatchResponse> {
  // The client sent no OPTIONS: its line is left unwritten, the refused request's written instead.
  const { response: asked } = await sent({ ...request, method: 'OPTIONS', body: undefined }, batch, options);
  if (asked.status !== 200) return asked;
  const allow = (asked.headers.Allow ?? '')
    .split(',')
    .map((method) => method.trim())
    .filter((method) => BATCHED_METHODS.has(method));
  const failure = graphFailure(
    request.id,
    405,
    'Request_BadRequest',
    'Specified HTTP method is not allowed for the request target.',
    contextOf(batch).requestId,
  );
  return { ...failure, headers: { ...failure.headers, Allow: allow.join(', ') } };
}

/** A request sent through the front door, in memory, and its answer as a batch writes it, its access line held for the batch to write. */
async function sent(request: BatchRequest, batch: IncomingMessage, { send, log }: GraphBatchRouteOptions): Promise<Answered> {
  const { requestId } = contextOf(batch);
  let answer: InProcessAnswer;
  try {
    answer = await send({
      method: request.method,
      path: pathOf(request, batch),
      headers: { ...acceptOf(batch.headers), ...request.headers, ...inherited(batch.headers) },
      body: request.body,
      remoteAddress: batch.socket.remoteAddress ?? '127.0.0.1',
      localAddress: batch.socket.localAddress,
      localPort: batch.socket.localPort,
      loggedBySender: true,
    });
  } catch (error) {
    // Refused before it was sent (node:http's client checks the header values it writes): the front door never heard it.
    if ((error as { code?: unknown }).code === 'ERR_INVALID_CHAR')
      return answeredHere(graphFailure(request.id, 400, 'BadRequest', 'A header of this request has a character HTTP does not allow.', requestId));
    log.error({ reqId: requestId, err: error }, 'a request of a batch failed');
    return answeredHere(graphFailure(request.id, 500, 'generalException', `internal error (request ${requestId})`, requestId));
  }
  // node:http wrote its status alone (a request head over its 16 KiB: 414): written here as the bridge's own errors are, for a client that reads the error JSON.
  if (answer.unread) {
    const status = answer.status;
    const message = `The request could not be read: ${STATUS_CODES[status] ?? 'unreadable'}.`;
    return { response: graphFailure(request.id, status, 'ErrorInvalidRequest', message, requestId), line: 'unread' };
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined && !DROPPED_ANSWER_HEADERS.has(name)) headers[headerName(name)] = String(value);
  }
  return {
    response: { id: request.id, status: answer.status, headers, ...bodyOf(answer.body, String(answer.headers['content-type'] ?? '')) },
    line: answer.line,
  };
}

/** The path and query a request of the batch is sent to: its URL under the batch's version, unless it names one. */
function pathOf(request: BatchRequest, batch: IncomingMessage): string {
  return VERSIONED.test(request.url) ? request.url : `${(batch as Request).baseUrl}${request.url}`;
}

/**
 * The access line of a request of the batch, one each, with the status its client got (a 429
 * in the place of an answer that did not fit) and the batch's login, which it ran with even
 * where it was refused before its own was read (a NUL in its target): the front door's, held
 * for this; for one the front door did not hear (a 424, a method a batch does not take), the
 * request as its client sent it, with the batch's request id, which its error's innerError names.
 */
function logOne(log: Logger, batch: IncomingMessage, request: BatchRequest, line: Answered['line'], status: number, startedAt: number): void {
  if (line === 'unread') return;
  const { requestId, clientAddress, principal } = contextOf(batch);
  if (line) logRequest(line.log, { ...line.context, principal: line.context.principal ?? principal }, status, line.endedAt);
  else
    logRequest(
      log,
      { requestId, clientAddress, startedAt, principal, attemptedUser: undefined, req: { method: request.method, url: pathOf(request, batch) } },
      status,
    );
}

/**
 * The batch's Accept, for a request without one of its own: "Requests within a batch that don't
 * include the Accept header inherit the acceptable formats of the overall batch request"
 * (OData 4.01 Part 1, §8.2.1), `odata.metadata=none` too.
 */
function acceptOf(headers: IncomingHttpHeaders): Record<string, string> {
  return headers.accept === undefined ? {} : { accept: headers.accept };
}

function inherited(headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of INHERITED_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') kept[name] = value;
  }
  return kept;
}

/** A body as Graph writes it in a batch: JSON as itself, text as a string, bytes in base64; none when empty. */
function bodyOf(bytes: Buffer, contentType: string): { body?: unknown; json?: string } {
  if (bytes.length === 0) return {};
  if (JSON_TYPE.test(contentType)) return { json: bytes.toString('utf8') };
  if (/^text\//i.test(contentType)) return { body: bytes.toString('utf8') };
  return { body: bytes.toString('base64') };
}

/** `content-type` → `Content-Type`, as Graph names the headers in a batch (clients read `headers['Content-Type']`). */
function headerName(name: string): string {
  return SPELLED_OTHERWISE.get(name) ?? name.replace(/(^|-)([a-z])/g, (_all, dash: string, letter: string) => dash + letter.toUpperCase());
}

/** The headers Graph spells otherwise than with a capital after each dash. */
const SPELLED_OTHERWISE = new Map([
  ['etag', 'ETag'],
  ['odata-version', 'OData-Version'],
]);

function failedDependency(id: string, requestId: string): BatchResponse {
  return graphFailure(id, 424, 'FailedDependency', 'A request this one depends on failed.', requestId);
}

/**
 * An error the batch writes for one of its requests itself, as every Graph error alone is
 * (graph-errors.ts): a client reads a batch's answers as it reads those. Its innerError names
 * the batch's request id, the one its access line has.
 */
function graphFailure(id: string, status: number, code: string, message: string, requestId: string): BatchResponse {
  return {
    id,
    status,
    headers: { 'Content-Type': 'application/json', 'OData-Version': ODATA_VERSION_HEADER['odata-version'] },
    body: graphErrorJson(code, message, requestId),
  };
}

/** The batch as its body has it, checked as Graph checks it: a malformed batch is 400 as a whole. */
function readBatch(body: unknown): BatchRequest[] {
  const requests = (body as { requests?: unknown } | null)?.requests;
  if (!Array.isArray(requests) || requests.length === 0) throw invalidBatch('a batch needs a non-empty "requests" array');
  if (requests.length > BATCH_MAX_REQUESTS) throw invalidBatch(`a batch takes at most ${BATCH_MAX_REQUESTS} requests`);
  const seen = new Set<string>();
  return requests.map((entry: unknown) => {
    const request = readRequest(entry);
    const key = request.id.toLowerCase();
    if (seen.has(key)) throw invalidBatch(`the id '${request.id.slice(0, 40)}' is used twice`);
    if (request.dependsOn.some((id) => !seen.has(id.toLowerCase()))) throw invalidBatch(`request '${request.id.slice(0, 40)}' depends on one not before it`);
    seen.add(key);
    return request;
  });
}

function readRequest(entry: unknown): BatchRequest {
  const { id, method, url, headers = {}, dependsOn = [], body } = (entry ?? {}) as Record<string, unknown>;
  if (typeof id !== 'string' || id === '' || id.length > 64 || hasLoneSurrogate(id)) {
    throw invalidBatch('every request needs an "id": a string of 1 to 64 characters');
  }
  if (typeof method !== 'string' || !/^[A-Za-z]{1,16}$/.test(method)) throw invalidBatch(`request '${id}' needs a "method"`);
  if (typeof url !== 'string' || url === '' || /^[a-z][a-z0-9+.-]*:|^\/\/|\\|\$batch/i.test(url) || /(^|\/)\.\.?(\/|$|\?)/.test(url)) {
    throw invalidBatch(`request '${id}' needs a relative "url" under the version (/users/…/photo/$value)`);
  }
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers) || !Object.values(headers).every((value) => typeof value === 'string')) {
    throw invalidBatch(`request '${id}' has "headers" that are not an object of strings`);
  }
  if (!Array.isArray(dependsOn) || !dependsOn.every((other) => typeof other === 'string'))
    throw invalidBatch(`request '${id}' has a "dependsOn" that is not a list of ids`);
  const passed: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers as Record<string, string>)) {
    if (PASSED_HEADERS.has(name.toLowerCase())) passed[name.toLowerCase()] = value;
  }
  return {
    id,
    method: method.toUpperCase(),
    url: requestTarget(id, url.startsWith('/') ? url : `/${url}`),
    headers: passed,
    fieldNames: Object.keys(headers).map((name) => name.toLowerCase()),
    body: body === undefined ? undefined : bodyBytes(id, body, passed['content-type']),
    dependsOn,
  };
}

/**
 * A request's body as the batch carries it (https://learn.microsoft.com/en-us/graph/json-batching):
 * with a Content-Type, "required when a body is specified"; JSON as JSON, any other type a
 * base64 string.
 */
function bodyBytes(id: string, body: unknown, contentType: string | undefined): Buffer {
  if (contentType === undefined) throw invalidBatch(`request '${id}' has a "body" but no Content-Type header`);
  if (JSON_TYPE.test(contentType)) return Buffer.from(JSON.stringify(body));
  if (typeof body !== 'string' || !BASE64_TEXT.test(body)) throw invalidBatch(`request '${id}' has a "body" of ${contentType.slice(0, 64)} that is not base64`);
  return Buffer.from(body, 'base64');
}

/**
 * A URL as a request target may carry it: spaces and other characters outside printable
 * ASCII percent-encoded (Graph's own batch example filters `city eq null`), as a client
 * sending the request alone would have written them.
 */
function requestTarget(id: string, url: string): string {
  try {
    return url.replace(/[^\x21-\x7e]+/g, (run) => encodeURIComponent(run));
  } catch {
    throw invalidBatch(`request '${id}' has a "url" that is not text (a lone surrogate)`);
  }
}

function invalidBatch(reason: string): BridgeError {
  return new BridgeError('BadRequest', 400, `Invalid batch payload format: ${reason}.`);
}
