import { z } from 'zod';
import { httpUrl } from '../http-url.js';
import { withoutTrailingSlashes } from '../domain/plain-text.js';
import { outboundRequest, type OutboundResponse } from './outbound-http.js';
import {
  CredentialsRefusedError,
  InconclusiveAnswerError,
  MisconfiguredSourceError,
  NO_PHOTO,
  PermanentSourceError,
  type PhotoReference,
  type PhotoSource,
  type SourceAnswer,
} from './photo-source.js';
import { httpFailure, upstreamPolicy } from './upstream-http.js';
import { quotedUpstream } from './blank-secrets.js';
import { whatsappCheck } from './whatsapp-check.js';
import { linkSettings, photoLinkFetcher, type LinkResult } from './whatsapp-link.js';
import { countrySetting, gatewayDigits, placePhone } from './whatsapp-phone.js';
import { upstreamJson } from './upstream-json.js';

/** A gateway's base URL as configured, without a trailing slash. */
export function baseUrlSetting(fallback: string) {
  return httpUrl().default(fallback).transform(withoutTrailingSlashes);
}

/** Settings every WhatsApp gateway source has: where its numbers are, and how its photo links are fetched. */
export const gatewaySettings = {
  /** ISO 3166 code of the country of numbers written without a country code; without it they are refused. */
  defaultCountry: countrySetting.optional(),
  ...linkSettings,
};

type GatewaySettings = z.output<z.ZodObject<typeof gatewaySettings>>;

/** What differs between WhatsApp gateways: where their endpoints are and how they are authenticated. */
interface GatewayAccess {
  /** The gateway's name in messages: "Z-API", "PlugChat". */
  gateway: string;
  /** The URL of one of the gateway's endpoints: `profile-picture` or `status`. */
  endpoint(path: 'profile-picture' | 'status'): string;
  headers: Record<string, string>;
  /** The settings that hold the credentials, named when the gateway refuses them. */
  credentials: string;
  /** Never repeated in a message: Z-API echoes a wrong Client-Token in its refusal. */
  secrets: readonly string[];
  /** Beyond 401 and 403: an answer that means the credentials were refused. */
  refusesCredentials?(status: number, said: string | undefined): boolean;
}

/** The steps of one lookup, each on its own so `sources check` can say which one failed. */
export interface GatewayLookup {
  /** The reference's phone as the gateway wants it (DDI DDD number, digits), or a PermanentSourceError saying why not. */
  phone(reference: PhotoReference): string;
  /** The gateway's current profile-picture link for a phone; null when the contact has no photo. */
  link(phone: string, signal: AbortSignal): Promise<string | null>;
  /** The bytes behind a link, or "dead" when WhatsApp's CDN says the link expired. */
  bytes(link: string, signal: AbortSignal): Promise<LinkResult>;
  /** `GET …/status`: whether the WhatsApp number is connected. */
  status(signal: AbortSignal): Promise<GatewayStatus>;
}

/** What the gateway's status endpoint says, its explanation quoted as every gateway answer is (gatewaySaid). */
export interface GatewayStatus {
  connected: boolean;
  said?: string;
}

/**
 * A WhatsApp gateway (Z-API, PlugChat) as a photo source: ask the gateway for the
 * contact's profile-picture link, then fetch the link from WhatsApp's CDN. A link lives
 * 48 hours; one found dead is asked for afresh once, since the gateway may have handed
 * out one it had kept.
 */
export function whatsappGatewaySource(name: string, access: GatewayAccess, settings: GatewaySettings): PhotoSource {
  const lookup = gatewayLookup(access, settings);

  const fetch = async (reference: PhotoReference, signal: AbortSignal): Promise<SourceAnswer> => {
    const phone = lookup.phone(reference);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const link = await lookup.link(phone, signal);
      if (!link) return NO_PHOTO;
      const result = await lookup.bytes(link, signal);
      if (result.kind === 'photo') return result;
    }
    throw new PermanentSourceError(`${access.gateway} handed out a dead photo link twice in a row`);
  };

  return {
    name,
    accepts: (reference) => Boolean(reference.whatsappPhone?.trim()),
    fetch,
    check: (sample, signal) => whatsappCheck(access.gateway, lookup, sample, signal),
  };
}

function gatewayLookup(access: GatewayAccess, settings: GatewaySettings): GatewayLookup {
  const policy = upstreamPolicy([access.endpoint('status')]);
  const ask = (url: string, signal: AbortSignal): Promise<OutboundResponse> =>
    // PlugChat (and Z-API's older pages) document a 415 for requests without a JSON Content-Type, even on GET.
    outboundRequest(url, policy, { headers: { ...access.headers, accept: 'application/json', 'content-type': 'application/json' }, signal });
  const status = async (signal: AbortSignal): Promise<GatewayStatus> => {
    const body = bodyOf(await ask(access.endpoint('status'), signal), access);
    return { connected: (body as { connected?: unknown } | undefined)?.connected === true, said: explanationOf(body, access.secrets) };
  };

  return {
    phone(reference) {
      const placement = placePhone(reference.whatsappPhone ?? '', settings.defaultCountry);
      if (!placement.placed) throw new PermanentSourceError(`whatsappPhone ${placement.reason}`);
      return gatewayDigits(placement.e164);
    },
    async link(phone, signal) {
      const response = await ask(`${access.endpoint('profile-picture')}?phone=${phone}`, signal);
      if (response.status === 404) {
        // Z-API answers 404 both for "contact not found or without a photo" and for an unknown
        // instance: the status endpoint, whose 404 means only the latter, tells them apart. A
        // number not connected to WhatsApp cannot say whose photo there is: not "no photo"
        // (which drops a stored one), but unknown for now.
        if (!(await status(signal)).connected) throw new InconclusiveAnswerError(`${access.gateway} answered 404 while its WhatsApp number is not connected`);
        return null;
      }
      return linkOf(bodyOf(response, access), access.gateway);
    },
    bytes: photoLinkFetcher(settings),
    status,
  };
}

/** The JSON of a 200 answer (undefined for an empty one); every other status as the error it means. */
function bodyOf(response: OutboundResponse, access: GatewayAccess): unknown {
  const { gateway, credentials } = access;
  const { status } = response;
  if (status === 200) {
    // Z-API: a contact without a photo may get an empty answer.
    if (response.body.toString('utf8').trim() === '') return undefined;
    try {
      return upstreamJson(response.body);
    } catch {
      throw new Error(`${gateway} answered 200 with something other than JSON`);
    }
  }
  const said = gatewaySaid(response.body, access.secrets);
  const why = said ? `: ${said}` : '';
  // Before the credentials: a 405 "Method Not Allowed" from a baseUrl that is not the gateway's read as refused
  // credentials, and the source was paused as for those.
  if (status === 405 || status === 415) {
    throw new MisconfiguredSourceError(`${gateway} refused the request's method or content type (${status}${why}); check that baseUrl is ${gateway}'s API`);
  }
  if (status === 401 || status === 403 || access.refusesCredentials?.(status, said)) {
    throw new CredentialsRefusedError(`${gateway} refused the credentials (${status}${why}); check ${credentials}`);
  }
  if (status === 404) throw new MisconfiguredSourceError(`${gateway} has no such endpoint or instance (404${why}); check baseUrl and ${credentials}`);
  throw httpFailure(gateway, response, said);
}

/** `[{"link": …}]` or `{"link": …}`; null, "null", empty or no entry at all mean "no photo". */
function linkOf(body: unknown, gateway: string): string | null {
  const entry: unknown = Array.isArray(body) ? body[0] : body;
  if (entry === undefined) return null;
  if (!entry || typeof entry !== 'object' || !('link' in entry)) throw new Error(`${gateway} answered without a link`);
  const { link } = entry;
  if (link === null) return null;
  if (typeof link !== 'string') throw new Error(`${gateway} answered a link that is not text`);
  const trimmed = link.trim();
  if (trimmed === '' || trimmed === 'null') return null;
  if (!URL.canParse(trimmed)) throw new PermanentSourceError(`${gateway} answered a link that is not a URL`);
  return trimmed;
}

/** The gateway's own short explanation in an answer's body, for the operator; undefined when the body is no JSON. */
function gatewaySaid(body: Buffer, secrets: readonly string[]): string | undefined {
  try {
    return explanationOf(upstreamJson(body), secrets);
  } catch {
    return undefined;
  }
}

/**
 * The `error` or `message` of a gateway's JSON, with the credentials blanked out and cut
 * short: Z-API echoes a wrong Client-Token, and a status `error` of any length was printed whole.
 */
function explanationOf(body: unknown, secrets: readonly string[]): string | undefined {
  const { error, message } = (body ?? {}) as { error?: unknown; message?: unknown };
  const text = typeof error === 'string' ? error : typeof message === 'string' ? message : '';
  return quotedUpstream(text, secrets, 200) || undefined;
}
