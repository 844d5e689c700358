import { z } from 'zod';
import { credentialSteps, sampleStep } from './check-steps.js';
import { outboundRequest, type OutboundResponse } from './outbound-http.js';
import { NO_PHOTO, PermanentSourceError, type CheckStep, type PhotoReference, type PhotoSource, type SourceAnswer } from './photo-source.js';
import { httpFailure, upstreamPolicy } from './upstream-http.js';
import { photoLinkFetcher, type LinkSettings } from './whatsapp-link.js';
import { whatsappDigits } from './whatsapp-phone.js';

/** A gateway's base URL as configured, without a trailing slash. */
export function baseUrlSetting(fallback: string) {
  return z
    .url({ protocol: /^https?$/ })
    .default(fallback)
    .transform((url) => url.replace(/\/+$/, ''));
}

/** What differs between WhatsApp gateways: where their endpoints are and how they are authenticated. */
export interface GatewayAccess {
  /** The gateway's name in messages: "Z-API", "PlugChat". */
  gateway: string;
  /** The URL of one of the gateway's endpoints: `profile-picture` or `status`. */
  endpoint(path: 'profile-picture' | 'status'): string;
  headers: Record<string, string>;
  /** The settings that hold the credentials, named when the gateway refuses them. */
  credentials: string;
}

/**
 * A WhatsApp gateway (Z-API, PlugChat) as a photo source: ask the gateway for the
 * contact's profile-picture link, then fetch the link from WhatsApp's CDN. A link lives
 * 48 hours; one found dead is asked for afresh once, since the gateway may have handed
 * out one it had kept.
 */
export function whatsappGatewaySource(name: string, access: GatewayAccess, settings: LinkSettings): PhotoSource {
  const policy = upstreamPolicy([access.endpoint('status')]);
  const fetchLink = photoLinkFetcher(settings);

  const ask = (url: string, signal: AbortSignal): Promise<OutboundResponse> =>
    // The gateways document a 415 for requests without a JSON Content-Type, even on GET.
    outboundRequest(url, policy, { headers: { ...access.headers, accept: 'application/json', 'content-type': 'application/json' }, signal });

  const currentLink = async (phone: string, signal: AbortSignal): Promise<string | null> =>
    linkOf(bodyOf(await ask(`${access.endpoint('profile-picture')}?phone=${phone}`, signal), access), access.gateway);

  const fetch = async (reference: PhotoReference, signal: AbortSignal): Promise<SourceAnswer> => {
    const phone = whatsappDigits(reference.whatsappPhone ?? '');
    for (let attempt = 1; attempt <= 2; attempt++) {
      const link = await currentLink(phone, signal);
      if (!link) return NO_PHOTO;
      const result = await fetchLink(link, signal);
      if (result.kind === 'photo') return result;
    }
    throw new PermanentSourceError(`${access.gateway} handed out a dead photo link twice in a row`);
  };

  return {
    name,
    accepts: (reference) => Boolean(reference.whatsappPhone?.trim()),
    fetch,
    async check(sample, signal) {
      let status: unknown;
      const steps = await credentialSteps(access.gateway, async () => {
        status = bodyOf(await ask(access.endpoint('status'), signal), access);
        return `${access.gateway} accepted the credentials`;
      });
      if (steps.some((step) => !step.ok)) return steps;
      return [...steps, connectedStep(status), ...(await sampleStep(fetch, sample, signal))];
    },
  };
}

/** A gateway is only as good as the WhatsApp session behind it (`GET …/status`). */
function connectedStep(status: unknown): CheckStep {
  const { connected, error } = (status ?? {}) as { connected?: unknown; error?: unknown };
  if (connected === true) return { step: 'connected', ok: true, detail: 'the WhatsApp number is connected' };
  return { step: 'connected', ok: false, detail: `the WhatsApp number is not connected${typeof error === 'string' && error ? `: ${error}` : ''}` };
}

/** The JSON of a 200 answer; every other status as the error it means. */
function bodyOf(response: OutboundResponse, { gateway, credentials }: GatewayAccess): unknown {
  const { status } = response;
  if (status === 200) {
    try {
      return JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new Error(`${gateway} answered 200 with something other than JSON`);
    }
  }
  const said = gatewaySaid(response.body);
  const why = said ? `: ${said}` : '';
  if (status === 404) throw new PermanentSourceError(`${gateway} has no such endpoint or instance (404${why}); check baseUrl and ${credentials}`);
  if (status === 405 || status === 415) {
    throw new PermanentSourceError(`${gateway} refused the request's method or content type (${status}${why}); check that baseUrl is ${gateway}'s API`);
  }
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

/** The gateway's own short explanation (`error` or `message`), for the operator. */
function gatewaySaid(body: Buffer): string | undefined {
  try {
    const { error, message } = JSON.parse(body.toString('utf8')) as { error?: unknown; message?: unknown };
    const text = typeof error === 'string' ? error : typeof message === 'string' ? message : '';
    return text.slice(0, 200) || undefined;
  } catch {
    return undefined;
  }
}
