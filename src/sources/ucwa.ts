import { z } from 'zod';
import { httpUrl } from '../http-url.js';
import { LARGEST_PHOTO_SIZE, PHOTO_SIZES } from '../domain/size-code.js';
import type { Logger } from '../logger.js';
import { NO_PHOTO, PermanentSourceError, type PhotoReference, type PhotoSource, type SourceAnswer } from './photo-source.js';
import type { SourceType } from './registry.js';
import { checkUcwa } from './ucwa-check.js';
import { linkOf, UcwaClient, isUcwaError, isUcwaNotFound, ucwaFailure, type UcwaClientOptions } from './ucwa-client.js';
import { personByEmail, personBySip, UcwaPeople, type UcwaContact, type UcwaPersonQuery } from './ucwa-people.js';
import { upstreamPolicy } from './upstream-http.js';

const schema = z
  .strictObject({
    /** The SIP domain: autodiscover is `https://lyncdiscoverinternal.<domain>/`, then `https://lyncdiscover.<domain>/`. */
    domain: z
      .string()
      .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/i, 'a DNS domain such as contoso.com')
      .optional(),
    /** Instead of `domain`: where autodiscover answers (a lab, a pool's own name), or several roots to try in order. */
    autodiscoverUrl: z.union([httpUrl(), z.array(httpUrl()).min(1).max(4)]).optional(),
    username: z.string().min(1),
    password: z.string().min(1),
    /** Hosts the discovered links may lead to; by default the autodiscover domain and its subdomains. */
    allowedHosts: z.array(z.string().min(1)).min(1).optional(),
    /** The EWS size asked of contactPhoto; the bridge makes the smaller ones itself. */
    photoSize: z.literal([...PHOTO_SIZES]).default(LARGEST_PHOTO_SIZE),
  })
  .refine((s) => (s.domain === undefined) !== (s.autodiscoverUrl === undefined), 'give either domain or autodiscoverUrl, not both');

export type UcwaSettings = z.output<typeof schema>;

const SIP_URI = /^sip:[^\s/?#@]+@[^\s/?#@]+$/i;

/**
 * Skype for Business Server through UCWA 2.0, following links only: sign-in, one
 * application, the people search it links to, the contact resource of the exact match,
 * and that contact's contactPhoto link. The person is named by SIP URI (the `ucwaPerson`
 * reference, else the directory's SIP address) or, failing both, by email address.
 */
export const ucwaSource = {
  schema,
  /** `clock` is for tests, which move time instead of waiting out a Retry-After; the registry never passes it. */
  create(name: string, settings: UcwaSettings, _log?: Logger, clock: Pick<UcwaClientOptions, 'now'> = {}): PhotoSource {
    const autodiscoverUrls = autodiscoverRoots(settings);
    const client = new UcwaClient({
      ...clock,
      autodiscoverUrls,
      username: settings.username,
      password: settings.password,
      policy: {
        ...upstreamPolicy(autodiscoverUrls),
        // No discovered link leaves https for http: the client refuses each such link as it is found (linkOf).
        allowedHosts: settings.allowedHosts ?? autodiscoverUrls.flatMap((url) => defaultHosts(new URL(url).hostname)),
      },
    });
    const people = new UcwaPeople(client);
    const photoSize = `HR${settings.photoSize}X${settings.photoSize}`;

    /** contactPhoto_ref: GET the link with the documented `size`; UCWA's own 403 means the administrator turned photos off. */
    const photoOf = async (contact: UcwaContact, signal: AbortSignal): Promise<SourceAnswer> => {
      const link = linkOf(contact.resource, 'contactPhoto', contact.url);
      if (!link) return NO_PHOTO;
      const url = new URL(link);
      url.searchParams.set('size', photoSize);
      const response = await client.request(url.href, { headers: { Accept: 'image/jpeg' } }, signal);
      if (response.status === 200) return response.body.length > 0 ? { kind: 'photo', bytes: response.body } : NO_PHOTO;
      // Only UCWA's own 403 and "the resource does not exist": a proxy's or firewall's 403 or 404 page says nothing
      // about the photo, and as "no photo" it dropped everyone's stored one (ErrorsAndInformationalMessages: intermediaries answer 4xx too).
      if (response.status === 403 && isUcwaError(response)) return NO_PHOTO;
      if (isUcwaNotFound(response)) return NO_PHOTO;
      throw ucwaFailure(response, 'contactPhoto');
    };

    const fetch = async (reference: PhotoReference, signal: AbortSignal): Promise<SourceAnswer> => {
      const person = personOf(reference);
      return client.withApplication(signal, async (application) => {
        const contact = await people.contactOf(application, person, signal);
        return contact ? photoOf(contact, signal) : NO_PHOTO;
      });
    };

    return {
      name,
      accepts: (reference) => Boolean(reference.ucwaPerson || reference.sipAddress || reference.emails.length > 0),
      fetch,
      check: (sample, signal) => checkUcwa({ autodiscoverUrls, username: settings.username, client, people, personOf, photoOf }, sample, signal),
    };
  },
} satisfies SourceType<UcwaSettings>;

/**
 * Where autodiscover is asked, in order. For a domain, the UCWA documentation's root URLs
 * ("Root URL"): LyncDiscoverInternal.<domain> inside the network, LyncDiscover.<domain>
 * outside, HTTPS preferred — the bridge runs inside, so the internal one first, as the
 * Skype for Business clients' lookup order has it (Lync Server 2013, "DNS summary -
 * Autodiscover": leaving lyncdiscoverinternal out sends internal clients the wrong answer).
 */
export function autodiscoverRoots(settings: Pick<UcwaSettings, 'domain' | 'autodiscoverUrl'>): string[] {
  if (settings.domain) return [`https://lyncdiscoverinternal.${settings.domain}/`, `https://lyncdiscover.${settings.domain}/`];
  return [settings.autodiscoverUrl ?? []].flat();
}

/**
 * The person to look up: `ucwaPerson` first (the operator's explicit word for this
 * system), then the directory's SIP address, then the first email address. A bare
 * `user@domain` SIP address gets its `sip:`.
 */
function personOf(reference: PhotoReference): UcwaPersonQuery {
  const given = reference.ucwaPerson || reference.sipAddress;
  if (!given) return personByEmail(reference.emails[0]!);
  const sip = /^sip:/i.test(given) ? `sip:${given.slice(4)}` : `sip:${given}`;
  if (!SIP_URI.test(sip)) throw new PermanentSourceError(`'${given}' is not a SIP address (sip:user@domain)`);
  return personBySip(sip);
}

/** `lyncdiscover.contoso.com` → contoso.com and its subdomains, where the pools' web services live. */
function defaultHosts(autodiscoverHost: string): string[] {
  const domain = /^lyncdiscover(?:internal)?\.(.+)$/i.exec(autodiscoverHost)?.[1];
  return domain ? [domain, `*.${domain}`] : [autodiscoverHost];
}
