import { isSmtpAddress } from '../domain/email.js';
import type { AdvertisedUrls } from './exchange-server.js';

/**
 * The protocols the JSON form answers, by the lower-cased value of `Protocol`: those of
 * Exchange Online's list (`Rest,ActiveSync,Ews,…,AutodiscoverV1,…`, as its InvalidProtocol
 * answer gives it: github.com/Gerenios/AADInternals/issues/31) the bridge serves. `Rest` is the
 * Outlook REST API's root, where add-ins ask photos.
 */
const PROTOCOLS: ReadonlyMap<string, { name: string; url: (urls: AdvertisedUrls) => string }> = new Map([
  ['ews', { name: 'EWS', url: (urls: AdvertisedUrls) => urls.ews }],
  ['autodiscoverv1', { name: 'AutodiscoverV1', url: (urls: AdvertisedUrls) => urls.autodiscoverXml }],
  ['rest', { name: 'Rest', url: (urls: AdvertisedUrls) => urls.rest }],
]);
const SUPPORTED = [...PROTOCOLS.values()].map((protocol) => protocol.name).join(',');

interface JsonAnswer {
  status: number;
  body: string;
}

/**
 * Autodiscover v2: `GET /autodiscover/autodiscover.json/v1.0/{email}?Protocol=EWS` (or
 * `…/autodiscover.json?Email=…&Protocol=…`) → `{"Protocol":"EWS","Url":…}`. Like
 * Exchange's, it needs no login and looks nothing up: every mailbox of the bridge has
 * the same URLs, so the answer tells a stranger nothing about who exists. An unknown
 * protocol is Exchange's 400 `InvalidProtocol`; an email that is no address at all gets
 * the same shape with `InvalidUser` (the bridge's choice: Exchange documents none).
 */
export function answerJsonAutodiscover(email: string, protocol: string, urls: AdvertisedUrls): JsonAnswer {
  const known = PROTOCOLS.get(protocol.toLowerCase());
  if (!known) {
    return jsonFailure('InvalidProtocol', `The given protocol value '${protocol.slice(0, 64)}' is invalid. Supported values are '${SUPPORTED}'`);
  }
  if (!isSmtpAddress(email)) return jsonFailure('InvalidUser', `'${email.slice(0, 320)}' is not an email address.`);
  return { status: 200, body: JSON.stringify({ Protocol: known.name, Url: known.url(urls) }) };
}

/** Exchange's JSON error shape, status 400. */
export const jsonFailure = (code: string, message: string): JsonAnswer => ({ status: 400, body: JSON.stringify({ ErrorCode: code, ErrorMessage: message }) });
