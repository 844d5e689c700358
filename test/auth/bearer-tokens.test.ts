import { expect } from 'chai';
import { generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import { createLogger } from '../../src/logger.js';
import { BearerTokens } from '../../src/auth/bearer-tokens.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { AUDIENCE, createTestIssuer, ISSUER, type TestIssuer } from '../support/jwt-issuer.js';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';

/** A well-formed token for the expected issuer and audience, signed with whatever algorithm and key. */
async function foreignToken(alg: string, key: Parameters<SignJWT['sign']>[0]): Promise<string> {
  return new SignJWT({ preferred_username: 'reader@contoso.com' })
    .setProtectedHeader({ alg })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime('5m')
    .sign(key);
}

describe('bearer tokens whose algorithm or key type does not match the configured RSA key', () => {
  let issuer: TestIssuer;
  let t: TestBridge;
  const logged: Record<string, unknown>[] = [];

  before(async () => {
    issuer = await createTestIssuer();
    // The default algorithms, RS256,ES256, with an RSA key: ES256 is allowed but the key cannot check it.
    t = await startTestBridge(issuer.env, createLogger('info', { write: (line: string) => logged.push(JSON.parse(line) as Record<string, unknown>) }));
  });
  after(async () => {
    await t.close();
    issuer.close();
  });

  const me = (token: string) => request(t.bridge.server).get('/api/me').set('Authorization', `Bearer ${token}`);

  it('refuse an ES256 token with 401 and a reason, logging no error or stack', async () => {
    const res = await me(await foreignToken('ES256', (await generateKeyPair('ES256')).privateKey)).expect(401);
    expect(res.text).to.match(/cannot verify ES256/);
    // RFC 6750 §3: the token's refusal in the Bearer challenge, a description without quotes in it.
    expect(res.headers['www-authenticate']).to.match(
      /^Basic realm="[^"]+", Bearer realm="[^"]+", error="invalid_token", error_description="bearer token refused: the configured key cannot verify ES256 signatures"$/,
    );
    const refused = await me(await foreignToken('PS256', (await generateKeyPair('PS256')).privateKey)).expect(401);
    expect(refused.headers['www-authenticate']).to.include(`error_description="bearer token refused: 'alg' (Algorithm) Header Parameter value not allowed"`);
    // No token, no error: the bare challenges.
    expect((await request(t.bridge.server).get('/api/me').expect(401)).headers['www-authenticate']).to.match(/^Basic realm="[^"]+", Bearer realm="[^"]+"$/);
    expect(logged.filter((line) => Number(line.level) >= 50)).to.deep.equal([]);
    expect(JSON.stringify(logged)).to.not.match(/"stack"/);
  });

  it('refuse algorithms that are not listed, and still accept the right one', async () => {
    const refused = await me(await foreignToken('PS256', (await generateKeyPair('PS256')).privateKey)).expect(401);
    // What failed, in words, without the library's error code.
    expect(refused.text).to.include('bearer token refused: "alg" (Algorithm) Header Parameter value not allowed').and.not.include('ERR_');
    await me(await foreignToken('HS256', new TextEncoder().encode('a shared secret of thirty-two bytes'))).expect(401);
    expect((await me(await issuer.sign()).expect(200)).body.username).to.equal('reader@contoso.com');
  });

  it('refuse an HS256 token when HS256 is listed next to RS256, instead of failing in the crypto layer', async () => {
    const settings = loadConfig({ ...issuer.env, BRIDGE_JWT_ALGORITHMS: 'RS256,HS256' });
    const tokens = (await BearerTokens.fromSettings(settings))!;
    const verdict = await tokens.verify(await foreignToken('HS256', new TextEncoder().encode(await issuer.sign())));
    expect(verdict).to.deep.include({ ok: false });
    expect(verdict.ok ? '' : verdict.reason).to.match(/cannot verify HS256/);
    expect(await tokens.verify(await issuer.sign())).to.deep.include({ ok: true });
  });

  it('refuse a token naming the mailbox "anonymous", no address, rather than take it for an anonymous read', async () => {
    const token = await issuer.sign({ preferred_username: 'anonymous' });
    expect((await me(token).expect(401)).text).to.include('is not an address');
    await request(t.bridge.server).get('/v1.0/me/contacts').set('Authorization', `Bearer ${token}`).expect(401);
  });

  it('refuse to start when the key fits none of the listed algorithms, or its file cannot be read, as a setting to mend', async () => {
    const refusal = (env: Record<string, string>) =>
      BearerTokens.fromSettings(loadConfig({ ...issuer.env, ...env })).then(
        () => undefined,
        (e: unknown) => e,
      );
    const unfit = await refusal({ BRIDGE_JWT_ALGORITHMS: 'ES256,HS256' });
    expect(unfit).to.be.instanceOf(ConfigError);
    expect(String(unfit)).to.match(/fits none of BRIDGE_JWT_ALGORITHMS \(ES256, HS256\)/);
    const missing = await refusal({ BRIDGE_JWT_PUBLIC_KEY_FILE: '/nonexistent/key.pem' });
    expect(missing).to.be.instanceOf(ConfigError);
    expect((missing as ConfigError).message).to.include('BRIDGE_JWT_PUBLIC_KEY_FILE: cannot read /nonexistent/key.pem: no such file');
  });
});

describe('the mailbox a bearer token names', () => {
  let issuer: TestIssuer;
  let tokens: BearerTokens;
  before(async () => {
    issuer = await createTestIssuer();
    tokens = (await BearerTokens.fromSettings(loadConfig(issuer.env)))!;
  });
  after(() => issuer.close());

  const usernameOf = async (claim: string) => {
    const verdict = await tokens.verify(await issuer.sign({ preferred_username: claim }));
    return verdict.ok ? verdict.principal.username : verdict.reason;
  };

  it('is the name a Basic login with that address acts as: NFC and Unicode lower case, as addresses compare', async () => {
    expect(await usernameOf('E\u0301MILE.STRASSE@Contoso.com')).to.equal('\u00e9mile.strasse@contoso.com');
    expect(await usernameOf('Émile.Straße@contoso.com')).to.equal('\u00e9mile.straße@contoso.com');
  });

  it('refuses a mailbox that is no address: a control character in it, a plain name', async () => {
    for (const claim of ['reader@contoso.com\n{"level":60}', 'reader\u0000@contoso.com', 'not an address', 'signed-out']) {
      expect(await usernameOf(claim), JSON.stringify(claim)).to.equal("the token's mailbox (preferred_username) is not an address");
    }
  });
});

describe('refused bearer tokens and the login throttle', () => {
  let issuer: TestIssuer;
  let t: TestBridge;
  before(async () => {
    issuer = await createTestIssuer();
    t = await startTestBridge({ ...issuer.env, BRIDGE_LOGIN_MAX_FAILURES: '3', BRIDGE_LOGIN_BACKOFF_SECONDS: '30' });
  });
  after(async () => {
    await t.close();
    issuer.close();
  });

  it('count against the client address: after a few, 429 with Retry-After, even for a good token', async () => {
    const me = (token: string) => request(t.bridge.server).get('/api/me').set('Authorization', `Bearer ${token}`);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await me(`not.a.token${i}`)).status);
    expect(statuses).to.deep.equal([401, 401, 401, 429, 429]);
    const good = await me(await issuer.sign());
    expect(good.status).to.equal(429);
    expect(Number(good.headers['retry-after'])).to.be.greaterThan(0);
  });
});
