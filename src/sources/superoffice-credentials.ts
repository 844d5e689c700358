import { z } from 'zod';
import { httpUrl } from '../http-url.js';
import { withoutTrailingSlashes } from '../domain/plain-text.js';
import { quotedErrorCode, quotedUpstream } from './blank-secrets.js';
import { SingleFlight } from '../single-flight.js';
import { outboundRequest, type OutboundPolicy } from './outbound-http.js';
import { noUsableToken, renewalTime, usableToken } from './token-renewal.js';
import { CredentialsRefusedError, MisconfiguredSourceError } from './photo-source.js';
import { systemUserTicket } from './superoffice-system-user.js';
import { upstreamJsonObject } from './upstream-json.js';
import { environmentUrls } from './superoffice-tenant.js';
import { signInFailure } from './upstream-http.js';

const loginUrl = httpUrl().transform(withoutTrailingSlashes).optional();

/**
 * How the bridge signs in: Basic on-site (the WebAPI takes 'Basic', 'SoTicket' and 'Bearer'
 * "depending on installation type"); SuperOffice Online through the system user flow
 * (SOTicket + SO-AppToken) or an OAuth refresh token (Bearer). Online credentials are
 * short-lived, so those two are renewed — never typed in as fixed strings.
 */
export const superOfficeAuthSchema = z.discriminatedUnion('scheme', [
  z.strictObject({ scheme: z.literal('basic'), username: z.string().min(1), password: z.string().min(1) }),
  z.strictObject({
    scheme: z.literal('systemUser'),
    clientSecret: z.string().min(1),
    systemUserToken: z.string().min(1),
    privateKeyFile: z.string().min(1),
    /** Default: the tenant at the end of `baseUrl`. */
    contextIdentifier: z
      .string()
      .regex(/^[\w-]+$/)
      .optional(),
    /** Default: the login service of `baseUrl`'s environment (`https://online.superoffice.com/login`). */
    loginUrl,
  }),
  z.strictObject({
    scheme: z.literal('oauth'),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    refreshToken: z.string().min(1),
    redirectUri: z.url().optional(),
    loginUrl,
  }),
]);

type SuperOfficeAuth = z.output<typeof superOfficeAuthSchema>;

interface Credential {
  headers: Record<string, string>;
  renewAt: number;
}

/**
 * The headers that sign a request in, shared by every lookup. A renewable credential is
 * obtained when first needed, again shortly before it expires when SuperOffice says when
 * (access tokens), and again when the API refuses it (a lapsed ticket): however many
 * lookups notice at once, one renewal is made.
 */
export class SuperOfficeCredentials {
  private current?: Credential;
  private readonly renewals = new SingleFlight<Credential>();
  /** Whether a refused credential is worth renewing (Basic: it is not). */
  readonly renewable: boolean;

  constructor(
    private readonly auth: SuperOfficeAuth,
    private readonly tenant: { baseUrl: string; contextIdentifier: string | undefined },
    private readonly policy: OutboundPolicy,
  ) {
    this.renewable = auth.scheme !== 'basic';
  }

  async get(): Promise<Record<string, string>> {
    if (this.current && Date.now() < this.current.renewAt) return this.current.headers;
    return (await this.renewals.run('credential', () => this.obtain())).headers;
  }

  /** Forgets headers the API refused — unless another lookup has already renewed them. */
  refuse(headers: Record<string, string>): void {
    if (this.current?.headers === headers) this.current = undefined;
  }

  private async obtain(): Promise<Credential> {
    this.current = await credentialFor(this.auth, this.tenant, this.policy);
    return this.current;
  }
}

/** The login service's base: an explicit `loginUrl`, else the one of the tenant's environment (online2.superoffice.com → online.superoffice.com/login). */
export function loginUrlOf(auth: { loginUrl?: string | undefined }, baseUrl: string): string {
  return auth.loginUrl ?? environmentUrls(baseUrl).login;
}

async function credentialFor(
  auth: SuperOfficeAuth,
  tenant: { baseUrl: string; contextIdentifier: string | undefined },
  policy: OutboundPolicy,
): Promise<Credential> {
  switch (auth.scheme) {
    case 'basic':
      return { headers: { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` }, renewAt: Infinity };
    case 'systemUser': {
      const contextIdentifier = auth.contextIdentifier ?? tenant.contextIdentifier;
      if (!contextIdentifier) throw new MisconfiguredSourceError('no SuperOffice tenant: set auth.contextIdentifier (Cust12345)');
      const ticket = await systemUserTicket({ ...auth, contextIdentifier, loginUrl: loginUrlOf(auth, tenant.baseUrl) }, policy);
      // The system user flow's page gives the ticket 6 hours, sliding with use, and asks for a new one
      // only when needed, "when a request results in a 401": it is kept until the API refuses it.
      return { headers: { authorization: `SOTicket ${ticket}`, 'so-apptoken': auth.clientSecret }, renewAt: Infinity };
    }
    case 'oauth':
      return refreshedAccessToken(auth, loginUrlOf(auth, tenant.baseUrl), policy);
  }
}

/** OAuth 2.0 refresh token grant at SuperOffice's token endpoint ("Authentication API": /login/common/oauth/tokens). */
async function refreshedAccessToken(auth: Extract<SuperOfficeAuth, { scheme: 'oauth' }>, login: string, policy: OutboundPolicy): Promise<Credential> {
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: auth.clientId,
    client_secret: auth.clientSecret,
    refresh_token: auth.refreshToken,
  });
  if (auth.redirectUri) form.set('redirect_uri', auth.redirectUri);
  const response = await outboundRequest(`${login}/common/oauth/tokens`, policy, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
  });
  const body = upstreamJsonObject(response.body);
  const token = response.status === 200 ? usableToken(body.access_token) : undefined;
  if (token !== undefined) return { headers: { authorization: `Bearer ${token}` }, renewAt: renewalTime(body.expires_in) };
  if (response.status === 400 || response.status === 401) {
    const error = quotedErrorCode(body.error, [auth.clientSecret, auth.refreshToken]) ?? String(response.status);
    const said = typeof body.error_description === 'string' ? quotedUpstream(body.error_description, [auth.clientSecret, auth.refreshToken]) : '';
    const description = said ? `: ${said}` : '';
    throw new CredentialsRefusedError(`SuperOffice refused the refresh token (${error}${description})`);
  }
  if (response.status === 200) throw noUsableToken('the SuperOffice token endpoint');
  throw signInFailure('the SuperOffice token endpoint', response, 'loginUrl');
}
