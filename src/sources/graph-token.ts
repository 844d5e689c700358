import { performance } from 'node:perf_hooks';
import { SingleFlight } from '../single-flight.js';
import { quotedErrorCode, quotedUpstream } from './blank-secrets.js';
import { outboundRequest, type OutboundPolicy } from './outbound-http.js';
import { CredentialsRefusedError } from './photo-source.js';
import { noUsableToken, renewalTime, usableToken } from './token-renewal.js';
import { signInFailure } from './upstream-http.js';
import { upstreamJsonObject } from './upstream-json.js';

interface ClientCredentials {
  authorityUrl: string;
  tenant: string;
  clientId: string;
  clientSecret: string;
  scope: string;
}

/**
 * An app-only access token from Microsoft Entra ID (OAuth 2.0 client credentials grant),
 * kept until shortly before it expires. However many lookups need a token at once, one
 * request fetches it.
 */
export class ClientCredentialsToken {
  private cached?: { token: string; renewAt: number };
  private readonly requests = new SingleFlight<string>();

  /** `now`: milliseconds on a clock that only moves forward, as UCWA's token has; performance.now unless a test moves time itself. */
  constructor(
    private readonly credentials: ClientCredentials,
    private readonly policy: OutboundPolicy,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(): Promise<string> {
    if (this.cached && this.now() < this.cached.renewAt) return Promise.resolve(this.cached.token);
    return this.requests.run('token', () => this.request());
  }

  /** The token held now, if any: what the API's answers must not quote back. */
  held(): string | undefined {
    return this.cached?.token;
  }

  /** Forgets a token the API refused — unless another caller has already replaced it. */
  refuse(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  // Not tied to any one caller's signal: the request is shared by everyone waiting for it.
  private async request(): Promise<string> {
    const { authorityUrl, tenant, clientId, clientSecret, scope } = this.credentials;
    const response = await outboundRequest(`${authorityUrl}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`, this.policy, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret, scope, grant_type: 'client_credentials' }).toString(),
    });
    const body = upstreamJsonObject(response.body);
    const token = response.status === 200 ? usableToken(body.access_token) : undefined;
    if (token !== undefined) {
      this.cached = { token, renewAt: renewalTime(body.expires_in, this.now()) };
      return token;
    }
    if (response.status === 400 || response.status === 401) {
      throw new CredentialsRefusedError(
        `Microsoft Entra ID refused the client credentials (${quotedErrorCode(body.error, [clientSecret]) ?? response.status}: ${firstLine(body.error_description, [clientSecret])})`,
      );
    }
    if (response.status === 200) throw noUsableToken('the Microsoft Entra ID token endpoint');
    throw signInFailure('the Microsoft Entra ID token endpoint', response, 'authorityUrl');
  }
}

/** AADSTS descriptions go on with trace and correlation ids; the first line says what is wrong. */
function firstLine(text: unknown, secrets: readonly string[]): string {
  return typeof text === 'string' ? quotedUpstream(text.split(/\r?\n/)[0] ?? '', secrets) : 'no description';
}
