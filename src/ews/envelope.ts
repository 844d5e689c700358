// Imported, not the global: node's global Buffer is a getter, a generic lookup on every use in optimised code.
import { Buffer } from 'node:buffer';
import type { ServerResponse } from 'node:http';
import type { BridgeError } from '../domain/errors.js';
import { endWithBody } from '../http/end-with-body.js';
import { writeChunk } from '../http/write-chunk.js';
import type { SoapAnswer } from './ews-operation.js';
import { MESSAGES_NS, SERVER_VERSION_INFO, SOAP_ENVELOPE_NS, TYPES_NS } from './namespaces.js';
import type { MalformedEnvelope } from './soap-reader.js';
import { escapeXml } from './xml.js';

const HEAD =
  `<?xml version="1.0" encoding="utf-8"?>` +
  `<s:Envelope xmlns:s="${SOAP_ENVELOPE_NS}" xmlns:m="${MESSAGES_NS}" xmlns:t="${TYPES_NS}">` +
  `<s:Header>${SERVER_VERSION_INFO}</s:Header><s:Body>`;
const TAIL = '</s:Body></s:Envelope>';
/** Bytes of the envelope around a Body's content: an answer's byte limit holds them too. */
export const ENVELOPE_BYTES = Buffer.byteLength(HEAD) + Buffer.byteLength(TAIL);

/** A complete SOAP 1.1 response around a Body's content, encoded. */
export function encodedEnvelope(body: string): Buffer {
  return Buffer.from(HEAD + body + TAIL);
}

/** A SOAP 1.1 fault (the Body's content): for a request that is not a readable envelope. No stack, ever. */
export function soapFault(faultCode: MalformedEnvelope['faultCode'] | 'Server', reason: string): string {
  return `<s:Fault><faultcode>s:${faultCode}</faultcode><faultstring xml:lang="en-US">${escapeXml(reason)}</faultstring></s:Fault>`;
}

/**
 * A request-level EWS error as Exchange sends it (throttling, a busy server): a fault
 * whose detail carries the ResponseCode and, for busy answers, BackOffMilliseconds —
 * exchangelib reads both from there.
 */
export function ewsErrorFault(error: BridgeError): string {
  const e = `xmlns:e="${ERRORS_NS}"`;
  const backOff =
    error.retryAfterSeconds === undefined ? '' : `<t:MessageXml><t:Value Name="BackOffMilliseconds">${error.retryAfterSeconds * 1000}</t:Value></t:MessageXml>`;
  return (
    `<s:Fault><faultcode xmlns:a="${TYPES_NS}">a:${error.responseCode}</faultcode>` +
    `<faultstring xml:lang="en-US">${escapeXml(error.message)}</faultstring>` +
    `<detail><e:ResponseCode ${e}>${error.responseCode}</e:ResponseCode><e:Message ${e}>${escapeXml(error.message)}</e:Message>${backOff}</detail></s:Fault>`
  );
}
const ERRORS_NS = 'http://schemas.microsoft.com/exchange/services/2006/errors';

const CONTENT_TYPE = 'text/xml; charset=utf-8';
/**
 * Every SOAP answer is one login's (its mailbox's contacts, photos, settings) and no client
 * reads it twice, so none is kept anywhere, the browser's disk cache included (RFC 9111
 * §5.2.2.5). Exchange's ASP.NET sends `private`, which keeps shared caches out but not
 * that one. GetUserPhoto's `ETag` and `Expires` stay: the EWS Managed API reads them as values.
 */
const NO_STORE = 'no-store';

/**
 * The one writer of SOAP answers. A body made in fragments is streamed (chunked), with
 * back-pressure, so a large answer is never held whole; a string body goes out in one write.
 */
export function writeSoapAnswer(res: ServerResponse, answer: SoapAnswer, requestId: string, headers: Record<string, string> = NONE): Promise<void> | undefined {
  const { body } = answer;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const bytes = Buffer.isBuffer(body) ? body : encodedEnvelope(body);
    res.writeHead(answer.status, headLines(requestId, headers, answer.headers, bytes.length));
    // A remembered answer is sent again and again: a small one is joined to the head, as its text made once.
    if (bytes === body) endWithBody(res, bytes);
    else res.end(bytes);
    return undefined;
  }
  res.writeHead(answer.status, headLines(requestId, headers, answer.headers));
  return stream(res, body);
}
const NONE: Record<string, string> = {};

/**
 * The response head as the flat name, value list writeHead also takes: merging header
 * records by spreading them cost this hot path more than the rest of a cached answer, and
 * the request id, on every answer, is no record of its own.
 */
function headLines(requestId: string, front: Record<string, string>, own: Record<string, string>, contentLength?: number): string[] {
  const lines =
    contentLength === undefined
      ? ['content-type', CONTENT_TYPE, 'cache-control', NO_STORE, 'request-id', requestId]
      : ['content-type', CONTENT_TYPE, 'cache-control', NO_STORE, 'content-length', String(contentLength), 'request-id', requestId];
  for (const name in front) lines.push(name, front[name]!);
  for (const name in own) lines.push(name, own[name]!);
  return lines;
}

async function stream(res: ServerResponse, fragments: AsyncIterable<string>): Promise<void> {
  await writeChunk(res, HEAD);
  for await (const fragment of fragments) await writeChunk(res, fragment);
  res.end(TAIL);
}
