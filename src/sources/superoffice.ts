import { z } from 'zod';
import { LARGEST_PHOTO_SIZE } from '../domain/size-code.js';
import { credentialSteps, sampleStep } from './check-steps.js';
import { outboundRequest } from './outbound-http.js';
import { NO_PHOTO, PermanentSourceError, type PhotoReference, type SourceAnswer } from './photo-source.js';
import type { SourceType } from './registry.js';
import { httpFailure, upstreamPolicy } from './upstream-http.js';

/** The three schemes the SuperOffice WebAPI takes in `Authorization`, depending on the installation. */
const authSchema = z.discriminatedUnion('scheme', [
  z.strictObject({ scheme: z.literal('basic'), username: z.string().min(1), password: z.string().min(1) }),
  z.strictObject({ scheme: z.literal('soticket'), ticket: z.string().min(1) }),
  z.strictObject({ scheme: z.literal('bearer'), token: z.string().min(1) }),
]);

const schema = z.strictObject({
  /** Up to the tenant: `https://online.superoffice.com/Cust12345`, or an on-site `https://crm.example.com/SuperOffice`. */
  baseUrl: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, '')),
  auth: authSchema,
  /** The partner application's secret, sent as `SO-AppToken` (SuperOffice Online, with a ticket). */
  appToken: z.string().min(1).optional(),
});

type Settings = z.output<typeof schema>;

/**
 * SuperOffice CRM: `GET /api/v1/Contact/{id}/Image` for a contact, `Person/{id}/Image`
 * for a directory user, by the `superOfficeId` reference. SuperOffice scales and
 * converts the picture itself when asked (`w`, `h`, `type`); without `ifBlank` it
 * answers 404 for "no picture".
 */
export const superOfficeSource: SourceType<Settings> = {
  schema,
  create(name, settings) {
    const policy = upstreamPolicy([settings.baseUrl]);
    const headers: Record<string, string> = { authorization: authorizationOf(settings.auth) };
    if (settings.appToken) headers['so-apptoken'] = settings.appToken;
    const get = (path: string, accept: string, signal: AbortSignal) =>
      outboundRequest(`${settings.baseUrl}/api/v1/${path}`, policy, { headers: { ...headers, accept }, signal });

    const fetch = async (reference: PhotoReference, signal: AbortSignal): Promise<SourceAnswer> => {
      const id = reference.superOfficeId?.trim() ?? '';
      if (!/^\d{1,10}$/.test(id)) throw new PermanentSourceError(`'${id}' is not a SuperOffice id (digits only)`);
      const entity = reference.kind === 'contact' ? 'Contact' : 'Person';
      const size = LARGEST_PHOTO_SIZE;
      const response = await get(`${entity}/${id}/Image?w=${size}&h=${size}&type=JPEG`, 'image/jpeg', signal);
      if (response.status === 200) return { kind: 'photo', bytes: response.body };
      if (response.status === 404) return NO_PHOTO;
      throw httpFailure('SuperOffice', response);
    };

    return {
      name,
      accepts: (reference) => Boolean(reference.superOfficeId?.trim()),
      fetch,
      async check(sample, signal) {
        const signedIn = await credentialSteps('SuperOffice', async () => {
          const response = await get('User/currentPrincipal', 'application/json', signal);
          if (response.status !== 200) throw httpFailure('SuperOffice', response);
          return `signed in as ${principalName(response.body)}`;
        });
        if (signedIn.some((step) => !step.ok)) return signedIn;
        return [...signedIn, ...(await sampleStep(fetch, sample, signal))];
      },
    };
  },
};

function authorizationOf(auth: Settings['auth']): string {
  switch (auth.scheme) {
    case 'basic':
      return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    case 'soticket':
      return `SOTicket ${auth.ticket}`;
    case 'bearer':
      return `Bearer ${auth.token}`;
  }
}

/** The principal's full name or login name, from User/currentPrincipal's JSON. */
function principalName(body: Buffer): string {
  try {
    const principal = JSON.parse(body.toString('utf8')) as { FullName?: unknown; Associate?: unknown };
    const name = typeof principal.FullName === 'string' && principal.FullName ? principal.FullName : principal.Associate;
    return typeof name === 'string' && name ? name : 'an unnamed user';
  } catch {
    return 'an unnamed user';
  }
}
