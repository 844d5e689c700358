import type { Server } from 'node:http';
import request from 'supertest';
import { parseStringPromise, processors } from 'xml2js';
import { basic } from './test-bridge.js';

export const MESSAGES_NS = 'http://schemas.microsoft.com/exchange/services/2006/messages';
const TYPES_NS = 'http://schemas.microsoft.com/exchange/services/2006/types';

/** A SOAP 1.1 request as EWS clients write it, with a RequestServerVersion header. */
export function envelope(body: string, header = '<t:RequestServerVersion Version="Exchange2013_SP1"/>'): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="${MESSAGES_NS}" xmlns:t="${TYPES_NS}">` +
    `<soap:Header>${header}</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

/** Parses a response with prefixes stripped, so assertions read by local names. */
export async function parseSoap(xml: string): Promise<Record<string, any>> {
  return parseStringPromise(xml, { tagNameProcessors: [processors.stripPrefix], attrNameProcessors: [processors.stripPrefix], explicitArray: false });
}

/** `body` in an envelope, posted to the bridge's EWS endpoint with `credentials`' Basic login, as EWS clients post it. */
export function postEws(server: Server, body: string, credentials: { username: string; password: string }): request.Test {
  return request(server).post('/EWS/Exchange.asmx').set('Authorization', basic(credentials)).set('Content-Type', 'text/xml').send(envelope(body));
}
