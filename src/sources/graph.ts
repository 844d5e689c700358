import { z } from 'zod';
import { httpUrl } from '../http-url.js';
import { LARGEST_PHOTO_SIZE } from '../domain/size-code.js';
import { withoutTrailingSlashes } from '../domain/plain-text.js';
import type { Logger } from '../logger.js';
import { quotedErrorCode } from './blank-secrets.js';
import { credentialSteps, sampleStep } from './check-steps.js';
import { ClientCredentialsToken } from './graph-token.js';
import { outboundRequest, type OutboundResponse } from './outbound-http.js';
import { GraphUserDirectory } from './graph-users.js';
import { NO_PHOTO, type CheckStep, type PhotoReference, type PhotoSource, type SourceAnswer } from './photo-source.js';
import type { SourceType } from './registry.js';
import { httpFailure, upstreamPolicy } from './upstream-http.js';
import { upstreamJson } from './upstream-json.js';

const urlSetting = (fallback: string) => httpUrl().default(fallback).transform(withoutTrailingSlashes);

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

/** Entra ID's codes for "no such user" (the directory's, and Graph's generic one): no other size is worth asking for. */
const NO_USER_CODES: ReadonlySet<string> = new Set(['Request_ResourceNotFound', 'ResourceNotFound']);

/**
 * Microsoft Graph with an app-only token (ProfilePhoto.Read.All or User.Read.All): a user's
 * photo at 648x648, the largest Microsoft 365 keeps, or — for a photo uploaded smaller — the
 * largest there is. Users are addressed as Graph documents it, by id or user principal name:
 * `graphId` (either one) when set, else the user found once by the email address.
 */
export const graphSource = {
  schema,
  /** `now` is for tests, which move time instead of waiting for a token to age; the registry never passes it. */
  create(name: string, settings: z.output<typeof schema>, _log?: Logger, now?: () => number): PhotoSource {
    const policy = upstreamPolicy([settings.authorityUrl, settings.graphUrl]);
    const tokens = new ClientCredentialsToken({ ...settings, scope: `${new URL(settings.graphUrl).origin}/.default` }, policy, now);

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
    const failure = (response: OutboundResponse) => graphFailure(response, [settings.clientSecret, tokens.held() ?? '']);
    const directory = new GraphUserDirectory(get, failure);

    /** The photo of the user Graph knows as `user` (an id or a UPN). */
    const photoOf = async (user: string, signal: AbortSignal): Promise<SourceAnswer> => {
      const size = LARGEST_PHOTO_SIZE;
      const path = userPath(user);
      const sized = await get(`${path}/photos/${size}x${size}/$value`, signal);
      if (sized.status === 200) return { kind: 'photo', bytes: sized.body };
      if (sized.status !== 404) throw failure(sized);
      if (NO_USER_CODES.has(errorCodeOf(sized))) return NO_PHOTO;
      // A photo uploaded smaller than 648 px has no 648x648 size; the largest it has will do.
      const largest = await get(`${path}/photo/$value`, signal);
      if (largest.status === 200) return { kind: 'photo', bytes: largest.body };
      // profilephoto-get.md: "If no photo exists, the operation returns 404 Not Found", whatever
      // its body: ImageNotFound, ErrorItemNotFound, ErrorEntityNotFound, itemNotFound,
      // ConsumerPhotoIsNotSupported, or a text/plain one (microsoft-graph-docs-contrib#7908).
      if (largest.status === 404) return NO_PHOTO;
      throw failure(largest);
    };

    const fetch = async (reference: PhotoReference, signal: AbortSignal): Promise<SourceAnswer> => {
      const named = reference.graphId?.trim();
      if (named) return photoOf(named, signal);
      const address = reference.emails[0]!;
      const remembered = directory.remembered(address);
      const id = remembered ?? (await directory.lookUp(address, signal));
      if (!id) return NO_PHOTO;
      const answer = await photoOf(id, signal);
      if (answer.kind === 'photo' || !remembered) return answer;
      // The photo service answers an id it does not know as it answers a user without a photo
      // (ImageNotFound: Microsoft Q&A 2079017, "… or if user does not exist"), so a remembered
      // id's 404 may be a user deleted and re-created under a new id: the address is asked once more.
      const current = await directory.lookUp(address, signal);
      return current && current !== id ? photoOf(current, signal) : NO_PHOTO;
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
        return [...signedIn, ...(await userStep(sample, directory, signal)), ...(await sampleStep(fetch, sample, signal))];
      },
    };
  },
} satisfies SourceType<z.output<typeof schema>>;

/**
 * For a sample known only by its email address: whether Graph finds the user behind it,
 * in words, so that "no photo" is never mistaken for "no such user".
 */
async function userStep(sample: PhotoReference | undefined, directory: GraphUserDirectory, signal: AbortSignal): Promise<CheckStep[]> {
  const address = sample?.emails[0];
  if (!sample || sample.graphId?.trim() || !address) return [];
  try {
    const id = await directory.idOf(address, signal);
    return [
      {
        step: 'user lookup',
        ok: Boolean(id),
        detail: id ? `${address} is the Graph user ${id}` : `no Graph user has ${address} as UPN, mail or proxy address`,
      },
    ];
  } catch (error) {
    return [{ step: 'user lookup', ok: false, detail: error instanceof Error ? error.message : String(error) }];
  }
}

/**
 * Graph's error codes are names (graph/errors: `accessDenied`, `generalException`;
 * `Request_ResourceNotFound`, `Authorization_RequestDenied`, `ErrorItemNotFound`, `ImageNotFound`):
 * only a code of that shape is quoted, its secrets blanked too. One that echoed the request
 * (`Denied:Bearer <token>`, or 100 KB with the token in it) put the access token in the log.
 */
const GRAPH_ERROR_CODE = /^[A-Za-z][\w.]{0,63}$/;

function graphFailure(response: OutboundResponse, secrets: readonly string[]): Error {
  const code = errorCodeOf(response);
  return httpFailure('Microsoft Graph', response, GRAPH_ERROR_CODE.test(code) ? quotedErrorCode(code, secrets) : undefined);
}

/** `error.code` of Graph's JSON error body; empty when the body is not one. */
function errorCodeOf(response: OutboundResponse): string {
  try {
    const code: unknown = (upstreamJson(response.body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : '';
  } catch {
    return '';
  }
}

/**
 * `users/{id | userPrincipalName}`; a UPN that begins with `$` in the key form, as user-get
 * has it: "the GET request URL syntax `/users/$x@y.com` fails with a `400 Bad Request` …
 * enclose the userPrincipalName in parentheses and single quotes".
 */
function userPath(user: string): string {
  if (!user.startsWith('$')) return `users/${encodeURIComponent(user)}`;
  const literal = encodeURIComponent(user.replaceAll("'", "''")).replaceAll('%24', '$').replaceAll('%40', '@');
  return `users('${literal}')`;
}
