import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { outboundRequest, type OutboundPolicy } from './outbound-http.js';
import { quotedUpstream } from './blank-secrets.js';
import { CredentialsRefusedError, MisconfiguredSourceError } from './photo-source.js';
import { signInFailure } from './upstream-http.js';
import { upstreamJsonObject } from './upstream-json.js';

interface SystemUser {
  /** `https://online.superoffice.com/login` (sod, qaonline: the other environments). */
  loginUrl: string;
  /** The tenant, `Cust12345`. */
  contextIdentifier: string;
  /** The application's client secret ("application token"). */
  clientSecret: string;
  /** The `system_token` claim an administrator's consent gave the application, `Application Name-abc123`. */
  systemUserToken: string;
  /** The application's RSA private key, PEM or the RSAKeyValue XML the developer portal hands out. */
  privateKeyFile: string;
}

const TICKET_CLAIM = 'http://schemes.superoffice.net/identity/ticket';
const CONTEXT_CLAIM = 'http://schemes.superoffice.net/identity/ctx';

/**
 * SuperOffice Online's system user flow: the system user token, signed with the
 * application's private key, is exchanged at PartnerSystemUser/Authenticate for a JWT
 * whose `ticket` claim is a short-lived SOTicket credential. The JWT is validated with
 * the keys of SuperOffice's JWKS endpoint (issuer "SuperOffice AS", this tenant) before
 * its ticket is trusted. Sources: docs.superoffice.com, "System user flow",
 * "How to sign a system user token", "How to get a system user ticket credential",
 * "Validate security tokens".
 */
export async function systemUserTicket(user: SystemUser, policy: OutboundPolicy): Promise<string> {
  const signedToken = signed(user.systemUserToken, await privateKeyOf(user.privateKeyFile));
  const response = await outboundRequest(`${user.loginUrl}/api/PartnerSystemUser/Authenticate`, policy, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      SignedSystemToken: signedToken,
      ApplicationToken: user.clientSecret,
      ContextIdentifier: user.contextIdentifier,
      ReturnTokenType: 'JWT',
    }),
  });
  if (response.status !== 200) throw signInFailure('the SuperOffice system user service', response, 'loginUrl');
  const answer = upstreamJsonObject(response.body);
  if (answer.IsSuccessful !== true || typeof answer.Token !== 'string') {
    // Its message may quote what was sent: "Invalid application token <token> … signed <signed token>".
    const why =
      typeof answer.ErrorMessage === 'string' && answer.ErrorMessage
        ? quotedUpstream(answer.ErrorMessage, [user.clientSecret, user.systemUserToken, signedToken])
        : 'no reason given';
    throw new CredentialsRefusedError(`SuperOffice refused the system user token (${why})`);
  }
  return ticketOf(answer.Token, user, policy);
}

/** `token.yyyyMMddHHmm.signature`: the token and the UTC minute, signed with RSA-SHA256, base64. */
function signed(systemUserToken: string, key: KeyObject, now = new Date()): string {
  const minute = now.toISOString().slice(0, 16).replace(/[-T:]/g, '');
  const data = `${systemUserToken}.${minute}`;
  return `${data}.${sign('sha256', Buffer.from(data, 'utf8'), key).toString('base64')}`;
}

async function privateKeyOf(file: string): Promise<KeyObject> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new MisconfiguredSourceError(`cannot read the SuperOffice private key file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return text.includes('<RSAKeyValue>') ? createPrivateKey({ key: jwkOfRsaXml(text), format: 'jwk' }) : createPrivateKey(text);
  } catch {
    throw new MisconfiguredSourceError(`the SuperOffice private key file ${file} holds no RSA private key (PEM or RSAKeyValue XML)`);
  }
}

/** .NET's RSAKeyValue XML (base64 big-endian numbers) as the JWK Node reads. */
function jwkOfRsaXml(xml: string): Record<string, string> {
  const field = (name: string) => Buffer.from(new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1]?.trim() ?? '', 'base64').toString('base64url');
  return {
    kty: 'RSA',
    n: field('Modulus'),
    e: field('Exponent'),
    d: field('D'),
    p: field('P'),
    q: field('Q'),
    dp: field('DP'),
    dq: field('DQ'),
    qi: field('InverseQ'),
  };
}

async function ticketOf(jwt: string, user: SystemUser, policy: OutboundPolicy): Promise<string> {
  const keys = await outboundRequest(`${user.loginUrl}/.well-known/jwks`, policy, { headers: { accept: 'application/json' } });
  if (keys.status !== 200) throw signInFailure('the SuperOffice JWKS endpoint', keys, 'loginUrl');
  try {
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(upstreamJsonObject(keys.body) as unknown as JSONWebKeySet), { issuer: 'SuperOffice AS' });
    const ticket = payload[TICKET_CLAIM];
    if (payload[CONTEXT_CLAIM] !== user.contextIdentifier) throw new Error(`it is for ${String(payload[CONTEXT_CLAIM])}, not ${user.contextIdentifier}`);
    if (typeof ticket !== 'string' || !ticket) throw new Error('it carries no ticket');
    return ticket;
  } catch (error) {
    throw new MisconfiguredSourceError(`SuperOffice's system user answer failed validation: ${error instanceof Error ? error.message : String(error)}`);
  }
}
