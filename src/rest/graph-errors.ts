import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Router } from 'express';
import { BridgeError } from '../domain/errors.js';
import { allowOnly, type RoutePaths } from '../http/allowed-methods.js';
import { fromHttpClientError } from '../http/client-errors.js';
import { contextOf } from '../http/request-context.js';
import { answerFailure, type FailureWriter } from '../http/failure-answer.js';
import { endErrorAnswer } from '../http/send-error.js';
import type { Logger } from '../logger.js';
import { ODATA_VERSION_HEADER } from './graph-odata.js';

/*
 * Errors of the Graph-compatible API, written as Microsoft Graph writes them
 * (https://learn.microsoft.com/en-us/graph/errors): status code, `application/json`,
 * `{"error":{"code","message","innerError":{"date","request-id"}}}`. The Graph JS client
 * makes `GraphError.code` from that body only when it is JSON (ews-wire G1).
 *
 * Graph's photo API is Exchange's, and answers Exchange's codes (ErrorAccessDenied,
 * ErrorItemNotFound, …), which are the codes a BridgeError carries already; what Graph
 * says differently is named here.
 */

/** What Graph answers for a user without a photo (its message names the exception, as Graph's does). */
export function imageNotFound(): BridgeError {
  return new BridgeError('ImageNotFound', 404, "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown.");
}

/** What Graph (Entra ID) answers for a user id it does not know. */
export function resourceNotFound(id: string): BridgeError {
  return new BridgeError(
    'Request_ResourceNotFound',
    404,
    `Resource '${id.slice(0, 80)}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

/**
 * What Graph answers for `users/$…`: a segment starting with `$` is OData's own, not a key.
 * Get user (https://learn.microsoft.com/en-us/graph/api/user-get): "When the userPrincipalName
 * begins with a `$` character, the GET request URL syntax `/users/$x@y.com` fails with a
 * `400 Bad Request` error code"; the message as Graph writes it (msgraph-sdk-dotnet#2635).
 */
export function dollarUserSegment(): BridgeError {
  return new BridgeError(
    'BadRequest',
    400,
    "The request URI is not valid. Since the segment 'users' refers to a collection, this must be the last segment in the request URI or it must be followed by an function or action that can be bound to it otherwise all intermediate segments must refer to a single resource.",
  );
}

/** A path Graph does not have, as Graph answers one. */
export function unknownSegment(segment: string): BridgeError {
  return new BridgeError('BadRequest', 400, `Resource not found for the segment '${segment.slice(0, 80)}'.`);
}

function methodNotAllowed(): BridgeError {
  return new BridgeError('Request_BadRequest', 405, 'Specified HTTP method is not allowed for the request target.');
}

/** Makes `paths` take only the methods `allow` names, another refused with Graph's 405 (allowed-methods.ts). */
export function refuseOtherMethods(router: Router, paths: RoutePaths, allow: string): void {
  allowOnly(router, paths, allow, methodNotAllowed);
}

/** Graph checks the token before the request reaches Exchange, so a refused login carries the gateway's code. */
function graphCodeOf(error: BridgeError): string {
  return error.httpStatus === 401 ? 'InvalidAuthenticationToken' : error.responseCode;
}

/**
 * The Graph counterpart of `sendError` (same signature, so a photo door can use either):
 * a BridgeError's status and message in Graph's error JSON, with Retry-After when it has
 * one; anything else a 500 `generalException`, its details only in the log.
 */
export function sendGraphError(res: ServerResponse, error: unknown, log: Logger, requestId: string, extraHeaders: Record<string, string> = {}): void {
  answerFailure(res, error, log, requestId, extraHeaders, writeGraphError);
}

const writeGraphError: FailureWriter = (res, known, log, requestId, headers) => {
  const clientRequestId = clientRequestIdOf(res);
  const body = JSON.stringify(
    graphErrorJson(
      known ? graphCodeOf(known) : 'generalException',
      known ? known.message : `internal error (request ${requestId})`,
      requestId,
      clientRequestId,
    ),
  );
  endErrorAnswer(
    res,
    known ? known.httpStatus : 500,
    {
      ...headers,
      ...(clientRequestId ? { 'client-request-id': clientRequestId } : {}),
      'content-type': 'application/json',
      ...ODATA_VERSION_HEADER,
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      ...(known && known.retryAfterSeconds !== undefined ? { 'retry-after': String(known.retryAfterSeconds) } : {}),
    },
    body,
    log,
    requestId,
  );
};

/** Graph's error JSON: its code and message, and the innerError that says when and which request (the client's id of it too, when it gave one). */
export function graphErrorJson(code: string, message: string, requestId: string, clientRequestId?: string) {
  return {
    error: {
      code,
      message,
      innerError: { date: new Date().toISOString(), 'request-id': requestId, ...(clientRequestId ? { 'client-request-id': clientRequestId } : {}) },
    },
  };
}

/**
 * The id a client gave its request (the Graph JS client sends one with every request), as
 * Graph's errors carry it back ("Client request Id as sent by the client application");
 * only a plain token, so nothing a client writes reaches the answer unchecked.
 */
function clientRequestIdOf(res: ServerResponse): string | undefined {
  const id = res.req.headers['client-request-id'];
  return typeof id === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(id) ? id : undefined;
}

/** The last handler of a Graph router: every error as Graph writes it. */
export function graphErrorHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    sendGraphError(res, fromHttpClientError(error), log, contextOf(req).requestId);
  };
}
