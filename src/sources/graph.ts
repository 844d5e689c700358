import { z } from 'zod';
import { LARGEST_PHOTO_SIZE } from '../domain/size-code.js';
import { credentialSteps, sampleStep } from './check-steps.js';
import { ClientCredentialsToken } from './graph-token.js';
import { outboundRequest, type OutboundResponse } from './outbound-http.js';
import { NO_PHOTO, type PhotoReference, type SourceAnswer } from './photo-source.js';
import type { SourceType } from './registry.js';
import { httpFailure, upstreamPolicy } from './upstream-http.js';

const urlSetting = (fallback: string) =>
  z
    .url({ protocol: /^https?$/ })
    .default(fallback)
    .transform((value) => value.replace(/\/+$/, ''));

const schema = z.strictObject({
  /** The tenant's id or one of its domains (`contoso.onmicrosoft.com`). */
  tenant: z.string().regex(/^[\w.-]+$/, 'a tenant id or domain'),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  /** Where tokens come from; another for national clouds. */
  authorityUrl: urlSetting('https://login.microsoftonline.com'),
  /** Where Graph answers; another for national clouds. The token is asked for this resource. */
  graphUrl: urlSetting('https://graph.microsoft.com'),
});

/** Graph's error codes for "this user has no photo" (and "no such user", which has none either). */
const NO_PHOTO_CODES: ReadonlySet<string> = new Set(['ImageNotFound', 'ErrorItemNotFound', 'Request_ResourceNotFound']);

/**
 * Microsoft Graph with an app-only token (ProfilePhoto.Read.All): a user's photo at
 * 648x648, the largest Microsoft 365 keeps, or — for a photo uploaded smaller — the
 * largest there is. Users are looked up by `graphId`, else by their email address.
 */
export const graphSource: SourceType<z.output<typeof schema>> = {
  schema,
  create(name, settings) {
    const policy = upstreamPolicy([settings.authorityUrl, settings.graphUrl]);
    const tokens = new ClientCredentialsToken({ ...settings, scope: `${new URL(settings.graphUrl).origin}/.default` }, policy);

    const send = (path: string, token: string, signal: AbortSignal) =>
      outboundRequest(`${settings.graphUrl}/v1.0/${path}`, policy, { headers: { authorization: `Bearer ${token}` }, signal });

    /** A refused token (revoked, or the app's secret rotated) is renewed once. */
    const get = async (path: string, signal: AbortSignal): Promise<OutboundResponse> => {
      const token = await tokens.get();
      const response = await send(path, token, signal);
      if (response.status !== 401) return response;
      tokens.refuse(token);
      return send(path, await tokens.get(), signal);
    };

    const fetch = async (reference: PhotoReference, signal: AbortSignal): Promise<SourceAnswer> => {
      const user = encodeURIComponent(reference.graphId?.trim() || reference.emails[0]!);
      const size = LARGEST_PHOTO_SIZE;
      const sized = await get(`users/${user}/photos/${size}x${size}/$value`, signal);
      if (sized.status === 200) return { kind: 'photo', bytes: sized.body };
      if (sized.status !== 404) throw graphFailure(sized);
      // A photo uploaded smaller than 648 px has no 648x648 size; the largest it has will do.
      const largest = await get(`users/${user}/photo/$value`, signal);
      if (largest.status === 200) return { kind: 'photo', bytes: largest.body };
      if (largest.status === 404 && NO_PHOTO_CODES.has(errorCodeOf(largest))) return NO_PHOTO;
      throw graphFailure(largest);
    };

    return {
      name,
      accepts: (reference) => Boolean(reference.graphId?.trim() || reference.emails[0]),
      fetch,
      async check(sample, signal) {
        const signedIn = await credentialSteps('Microsoft Entra ID', async () => {
          await tokens.get();
          return `the app ${settings.clientId} has a token for ${settings.tenant}`;
        });
        if (signedIn.some((step) => !step.ok)) return signedIn;
        return [...signedIn, ...(await sampleStep(fetch, sample, signal))];
      },
    };
  },
};

function graphFailure(response: OutboundResponse): Error {
  return httpFailure('Microsoft Graph', response, errorCodeOf(response) || undefined);
}

/** `error.code` of Graph's JSON error body; empty when the body is not one. */
function errorCodeOf(response: OutboundResponse): string {
  try {
    const code: unknown = (JSON.parse(response.body.toString('utf8')) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : '';
  } catch {
    return '';
  }
}
