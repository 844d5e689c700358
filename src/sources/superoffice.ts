import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { httpUrl } from '../http-url.js';
import { withoutTrailingSlashes } from '../domain/plain-text.js';
import { credentialSteps, sampleStep } from './check-steps.js';
import { outboundRequest, type OutboundResponse } from './outbound-http.js';
import { MisconfiguredSourceError, NO_PHOTO, PermanentSourceError, type CheckStep, type PhotoReference, type SourceAnswer } from './photo-source.js';
import type { SourceType } from './registry.js';
import { loginUrlOf, superOfficeAuthSchema, SuperOfficeCredentials } from './superoffice-credentials.js';
import { environmentOf, environmentUrls, fixedEndpoint, ONLINE_HOSTS, stateApiEndpoint } from './superoffice-tenant.js';
import { httpFailure, upstreamPolicy } from './upstream-http.js';
import { upstreamJson } from './upstream-json.js';

/** In SuperOffice a person is a Person; a company is a Contact. */
const ENTITIES = { person: 'Person', company: 'Contact' } as const;
const entityKind = z.enum(['person', 'company']);

const serviceUrl = httpUrl().transform(withoutTrailingSlashes);

const schema = z.strictObject({
  /** Up to the tenant: `https://online.superoffice.com/Cust12345`, or an on-site `https://crm.example.com/SuperOffice`. */
  baseUrl: serviceUrl,
  auth: superOfficeAuthSchema,
  /** SuperOffice Online's state API, which says where the tenant's API is now. Default: the one of `baseUrl`'s environment. */
  stateUrl: serviceUrl.optional(),
  /** What a `superOfficeId` names, for directory users and for mailbox contacts: a person unless the operator says otherwise. */
  superOfficeIdOf: z
    .strictObject({ users: entityKind.default('person'), contacts: entityKind.default('person') })
    .default({ users: 'person', contacts: 'person' }),
});

type Settings = z.output<typeof schema>;

/**
 * SuperOffice CRM: `GET /api/v1/Person/{id}/Image` for a person, `Contact/{id}/Image` for a
 * company, by the `superOfficeId` reference read as `superOfficeIdOf` says. SuperOffice
 * converts the picture itself when asked (`type`); it would scale it to `w` and `h` too, but
 * the docs do not say whether it keeps its shape, so the bridge sizes it itself (a portrait
 * scaled to 648×648 would be stretched and stored so); without `ifBlank`
 * it answers 404 for "no picture" (docs.superoffice.com, GET Person/{id}/Image).
 */
export const superOfficeSource: SourceType<Settings> = {
  schema,
  create(name, settings) {
    const { baseUrl, auth } = settings;
    const contextIdentifier = /\/(Cust\d+)$/i.exec(baseUrl)?.[1];
    const stateUrl = auth.scheme === 'basic' ? undefined : (settings.stateUrl ?? environmentUrls(baseUrl).state);
    const hosts = auth.scheme === 'basic' ? [baseUrl] : [baseUrl, loginUrlOf(auth, baseUrl), ...(stateUrl ? [stateUrl] : [])];
    const allowed = upstreamPolicy(hosts);
    // The state API may send the bridge to any of SuperOffice Online's hosts (online2, app, sod3).
    const policy = environmentOf(baseUrl) ? { ...allowed, allowedHosts: [...allowed.allowedHosts, ONLINE_HOSTS] } : allowed;
    const credentials = new SuperOfficeCredentials(auth, { baseUrl, contextIdentifier }, policy);
    const tenant = stateUrl && contextIdentifier ? stateApiEndpoint({ stateUrl, contextIdentifier, baseUrl }, policy) : fixedEndpoint(baseUrl);

    const request = (root: string, path: string, accept: string, headers: Record<string, string>, signal: AbortSignal) =>
      outboundRequest(`${root}/api/v1/${path}`, policy, { headers: { ...headers, accept }, signal });

    /** A tenant that moved since the state API was asked answers 421 Misdirected Request: where it is now is asked, once. */
    const send = async (path: string, accept: string, headers: Record<string, string>, signal: AbortSignal) => {
      const root = await tenant.current();
      const response = await request(root, path, accept, headers, signal);
      if (response.status !== 421) return response;
      tenant.moved(root);
      return request(await tenant.current(), path, accept, headers, signal);
    };

    /** A refused Online credential (the ticket lapsed, the token expired) is renewed once before giving up. */
    const get = async (path: string, accept: string, signal: AbortSignal): Promise<OutboundResponse> => {
      const headers = await credentials.get();
      const response = await send(path, accept, headers, signal);
      if (response.status !== 401 || !credentials.renewable) return response;
      credentials.refuse(headers);
      return send(path, accept, await credentials.get(), signal);
    };

    /**
     * Whether a 404 is SuperOffice's "no picture": any 404 was, so a baseUrl off the API (a
     * wrong path, a proxy's own 404 page, a tenant host that answers 404) was "no photo" for
     * everyone, and a refresh dropped every stored photo. The API's own User/currentPrincipal
     * answering at that root shows it is the API; known for five minutes once shown.
     */
    let apiShownUntil = 0;
    const noPicture = async (signal: AbortSignal): Promise<SourceAnswer> => {
      if (performance.now() < apiShownUntil) return NO_PHOTO;
      const response = await get('User/currentPrincipal', 'application/json', signal);
      if (response.status !== 200) {
        throw new MisconfiguredSourceError(`SuperOffice answered 404 for a picture and ${response.status} for User/currentPrincipal: check baseUrl`);
      }
      apiShownUntil = performance.now() + API_SHOWN_MS;
      return NO_PHOTO;
    };

    const fetch = async (reference: PhotoReference, signal: AbortSignal): Promise<SourceAnswer> => {
      const id = reference.superOfficeId?.trim() ?? '';
      if (!/^\d{1,10}$/.test(id)) throw new PermanentSourceError(`'${id}' is not a SuperOffice id (digits only)`);
      const entity = ENTITIES[reference.kind === 'user' ? settings.superOfficeIdOf.users : settings.superOfficeIdOf.contacts];
      const response = await get(`${entity}/${id}/Image?type=JPEG`, 'image/jpeg', signal);
      if (response.status === 200) return { kind: 'photo', bytes: response.body };
      if (response.status === 404) return noPicture(signal);
      throw httpFailure('SuperOffice', response);
    };

    const principal = async (signal: AbortSignal) => {
      const response = await get('User/currentPrincipal', 'application/json', signal);
      if (response.status !== 200) throw httpFailure('SuperOffice', response);
      return `signed in as ${principalName(response.body)}`;
    };

    return {
      name,
      accepts: (reference) => Boolean(reference.superOfficeId?.trim()),
      fetch,
      async check(sample, signal) {
        const signedIn = await credentialSteps('SuperOffice', () => principal(signal));
        if (signedIn.some((step) => !step.ok)) return signedIn;
        const renewed = credentials.renewable ? await renewalStep(credentials, () => principal(signal)) : [];
        if (renewed.some((step) => !step.ok)) return [...signedIn, ...renewed];
        return [...signedIn, ...renewed, ...(await sampleStep(fetch, sample, signal))];
      },
    };
  },
};

/** How long the API's root, once it answered, is taken to be SuperOffice's for a 404's sake. */
const API_SHOWN_MS = 5 * 60_000;

/** Throws the credential away and signs in again, as when a ticket lapses, so a broken renewal shows before it is needed. */
async function renewalStep(credentials: SuperOfficeCredentials, signIn: () => Promise<string>): Promise<CheckStep[]> {
  credentials.refuse(await credentials.get());
  try {
    await signIn();
    return [{ step: 'renewal', ok: true, detail: 'new credentials were issued and accepted' }];
  } catch (error) {
    return [{ step: 'renewal', ok: false, detail: error instanceof Error ? error.message : String(error) }];
  }
}

/** The principal's full name or login name, from User/currentPrincipal's JSON. */
function principalName(body: Buffer): string {
  try {
    const principal = upstreamJson(body) as { FullName?: unknown; Associate?: unknown };
    const name = typeof principal.FullName === 'string' && principal.FullName ? principal.FullName : principal.Associate;
    return typeof name === 'string' && name ? name : 'an unnamed user';
  } catch {
    return 'an unnamed user';
  }
}
