import { z } from 'zod';
import { LARGEST_PHOTO_SIZE, PHOTO_SIZES } from '../domain/size-code.js';
import { credentialSteps, sampleStep } from './check-steps.js';
import type { OutboundResponse } from './outbound-http.js';
import { NO_PHOTO, PermanentSourceError, type PhotoReference, type PhotoSource, type SourceAnswer } from './photo-source.js';
import type { SourceType } from './registry.js';
import { linkOf, readJson, UcwaClient, ucwaFailure, type UcwaApplication, type UcwaResource } from './ucwa-client.js';
import { upstreamPolicy } from './upstream-http.js';

const schema = z
  .strictObject({
    /** The SIP domain: autodiscover is `https://lyncdiscover.<domain>/`. */
    domain: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/i, 'a DNS domain such as contoso.com').optional(),
    /** Instead of `domain`: where autodiscover answers (`https://lyncdiscoverinternal.contoso.com/`, a lab). */
    autodiscoverUrl: z.url({ protocol: /^https?$/ }).optional(),
    username: z.string().min(1),
    password: z.string().min(1),
    /** Hosts the discovered links may lead to; by default the autodiscover domain and its subdomains. */
    allowedHosts: z.array(z.string().min(1)).min(1).optional(),
    /** The EWS size asked of contactPhoto; the bridge makes the smaller ones itself. */
    photoSize: z.literal([...PHOTO_SIZES]).default(LARGEST_PHOTO_SIZE),
  })
  .refine((s) => (s.domain === undefined) !== (s.autodiscoverUrl === undefined), 'give either domain or autodiscoverUrl, not both');

export type UcwaSettings = z.output<typeof schema>;

const SEARCH_LIMIT = 10;
const SIP_URI = /^sip:[^\s/?#@]+@[^\s/?#@]+$/i;

/**
 * Skype for Business Server through UCWA 2.0: a person's contactPhoto, found by SIP URI
 * (the `ucwaPerson` reference, else the directory's SIP address) or, failing both, by
 * searching the address book for the email address. 403 on a photo means the
 * administrator turned photos off: no photo, not a failure.
 */
export const ucwaSource: SourceType<UcwaSettings> = {
  schema,
  create(name, settings): PhotoSource {
    const autodiscoverUrl = settings.autodiscoverUrl ?? `https://lyncdiscover.${settings.domain}/`;
    const client = new UcwaClient({
      autodiscoverUrl,
      username: settings.username,
      password: settings.password,
      policy: {
        ...upstreamPolicy([autodiscoverUrl]),
        allowedHosts: settings.allowedHosts ?? defaultHosts(new URL(autodiscoverUrl).hostname),
        // Once the operator chose https, no discovered link may downgrade it (the password travels).
        httpsOnly: autodiscoverUrl.startsWith('https:'),
      },
    });
    const photoSize = `HR${settings.photoSize}X${settings.photoSize}`;

    const getJson = (url: string, signal: AbortSignal) => client.request(url, { headers: { Accept: 'application/json' } }, signal);

    const contactBySip = async (application: UcwaApplication, sip: string, signal: AbortSignal) => {
      const url = `${application.people}/${sip}`;
      const response = await getJson(url, signal);
      if (response.status === 404) return undefined;
      return found(response, url, 'contact');
    };

    const contactByEmail = async (application: UcwaApplication, email: string, signal: AbortSignal) => {
      const url = new URL(application.search);
      url.search = new URLSearchParams({ query: email, limit: String(SEARCH_LIMIT) }).toString();
      const { resource } = found(await getJson(url.href, signal), url.href, 'people search');
      const wanted = email.toLowerCase();
      // A search matches names and parts of addresses; only the person with this exact address will do.
      const contact = ([] as UcwaResource[])
        .concat((resource._embedded?.contact as UcwaResource | UcwaResource[] | undefined) ?? [])
        .find(
          (candidate) =>
            (Array.isArray(candidate.emailAddresses) && candidate.emailAddresses.some((address) => String(address).toLowerCase() === wanted)) ||
            String(candidate.uri ?? '').toLowerCase() === `sip:${wanted}`,
        );
      return contact && { resource: contact, url: url.href };
    };

    const fetch = async (reference: PhotoReference, signal: AbortSignal): Promise<SourceAnswer> => {
      const sip = sipOf(reference);
      const email = reference.emails[0];
      return client.withApplication(signal, async (application) => {
        const contact = sip ? await contactBySip(application, sip, signal) : await contactByEmail(application, email!, signal);
        const photoLink = contact && linkOf(contact.resource, 'contactPhoto', contact.url);
        if (!photoLink) return NO_PHOTO;
        const url = new URL(photoLink);
        url.searchParams.set('size', photoSize);
        const response = await client.request(url.href, { headers: { Accept: 'image/jpeg' } }, signal);
        if (response.status === 403 || response.status === 404) return NO_PHOTO;
        if (response.status !== 200) throw ucwaFailure(response, 'contactPhoto');
        return response.body.length > 0 ? { kind: 'photo', bytes: response.body } : NO_PHOTO;
      });
    };

    return {
      name,
      accepts: (reference) => Boolean(reference.ucwaPerson || reference.sipAddress || reference.emails.length > 0),
      fetch,
      async check(sample, signal) {
        const steps = await credentialSteps(`UCWA autodiscover at ${autodiscoverUrl}`, async () => {
          const application = await client.currentApplication(signal);
          return `signed in as ${settings.username}; application ${application.self}`;
        });
        return steps.every((step) => step.ok) ? [...steps, ...(await sampleStep(fetch, sample, signal))] : steps;
      },
    };
  },
};

function found(response: OutboundResponse, url: string, what: string): { resource: UcwaResource; url: string } {
  if (response.status !== 200) throw ucwaFailure(response, what);
  return { resource: readJson(response, what), url };
}

/**
 * The SIP URI to look up: `ucwaPerson` first (the operator's explicit word for this
 * system), then the directory's SIP address. A bare `user@domain` gets its `sip:`.
 */
function sipOf(reference: PhotoReference): string | undefined {
  const given = reference.ucwaPerson || reference.sipAddress;
  if (!given) return undefined;
  const sip = /^sip:/i.test(given) ? `sip:${given.slice(4)}` : `sip:${given}`;
  if (!SIP_URI.test(sip)) throw new PermanentSourceError(`'${given}' is not a SIP address (sip:user@domain)`);
  return sip;
}

/** `lyncdiscover.contoso.com` → contoso.com and its subdomains, where the pools' web services live. */
function defaultHosts(autodiscoverHost: string): string[] {
  const domain = /^lyncdiscover(?:internal)?\.(.+)$/i.exec(autodiscoverHost)?.[1];
  return domain ? [domain, `*.${domain}`] : [autodiscoverHost];
}
