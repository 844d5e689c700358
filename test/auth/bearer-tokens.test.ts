import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import { createLogger } from '../../src/logger.js';
import { BearerTokens } from '../../src/auth/bearer-tokens.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { AUDIENCE, createTestIssuer, ISSUER, type TestIssuer } from '../support/jwt-issuer.js';
import { ADMIN, basic, startTestBridge, type TestBridge } from '../support/test-bridge.js';

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

  it('refuses a mailbox that is no address: a control character in it, blanks around it, a plain name', async () => {
    for (const claim of [
      'reader@contoso.com\n{"level":60}',
      'reader\u0000@contoso.com',
      'reader@contoso.com\n',
      ' READER@contoso.com',
      'not an address',
      'signed-out',
    ]) {
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

  const me = (authorization: string) => request(t.bridge.server).get('/api/me').set('Authorization', authorization);

  it('are not held back: from one address, junk and expired tokens are each 401 invalid_token, and then a valid token is let in, a password login too', async () => {
    const expired = await issuer.sign({}, { expiresIn: Math.floor(Date.now() / 1000) - 3600 });
    const refused: [number, string | undefined][] = [];
    for (let i = 0; i < 4; i++) {
      for (const token of ['x.y.z', `not.a.token${i}`, expired]) {
        const res = await me(`Bearer ${token}`);
        refused.push([res.status, /error="invalid_token"/.exec(res.headers['www-authenticate'] ?? '')?.[0]]);
      }
    }
    expect(refused).to.deep.equal(Array(12).fill([401, 'error="invalid_token"']));
    expect((await me(`Bearer ${await issuer.sign()}`)).status, 'a valid token').to.equal(200);
    expect((await me(basic(ADMIN))).status, 'a password login').to.equal(200);
  });

  it('let a valid token in from an address that password failures hold back', async () => {
    const wrong = basic({ username: ADMIN.username, password: 'wrong password' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await me(wrong)).status);
    expect(statuses).to.deep.equal([401, 401, 401, 429, 429]);
    expect((await me(`Bearer ${await issuer.sign({ preferred_username: 'other@contoso.com' })}`)).status).to.equal(200);
  });
});

describe('bearer tokens whose key set host fails', () => {
  let t: TestBridge;
  let host: Server;
  /** What the key set's host answers next: the key set, an error status, or far more than a key set. */
  let answer: 'keys' | 'down' | 'huge' | 'html' = 'down';
  let keySet = '';
  let sign: () => Promise<string>;

  before(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    keySet = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] });
    sign = () =>
      new SignJWT({ preferred_username: 'reader@contoso.com' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime('5m')
        .sign(privateKey);
    host = createServer((_req, res) => {
      if (answer === 'down') res.writeHead(503).end();
      else if (answer === 'html') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
      else if (answer === 'huge') res.writeHead(200, { 'content-type': 'application/json' }).end(`{"keys":[],"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`);
      else res.writeHead(200, { 'content-type': 'application/json' }).end(keySet);
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    t = await startTestBridge({
      BRIDGE_JWT_JWKS_URL: `http://127.0.0.1:${(host.address() as AddressInfo).port}/keys`,
      BRIDGE_JWT_ISSUER: ISSUER,
      BRIDGE_JWT_AUDIENCE: AUDIENCE,
      BRIDGE_JWT_ALGORITHMS: 'ES256',
      BRIDGE_LOGIN_MAX_FAILURES: '3',
      BRIDGE_LOGIN_BACKOFF_SECONDS: '30',
    });
  });
  after(async () => {
    await t.close();
    host.close();
  });

  const me = async () =>
    request(t.bridge.server)
      .get('/api/me')
      .set('Authorization', `Bearer ${await sign()}`);

  it('answers 503 + Retry-After, not counted as failed logins: the same address logs in with a password afterwards', async () => {
    for (const state of ['down', 'huge', 'html'] as const) {
      answer = state;
      for (let i = 0; i < 4; i++) {
        const res = await me();
        expect([res.status, res.headers['retry-after']], state).to.deep.equal([503, '30']);
        expect(res.text, state).to.match(
          /the key set at 127\.0\.0\.1:\d+ cannot be read: (its host answered 503|it is larger than 1048576 bytes|it is not JSON)/,
        );
      }
    }
    await request(t.bridge.server).get('/api/me').set('Authorization', basic(ADMIN)).expect(200);
  });

  it('goes on with the last key set it read once that is older than jose keeps it, while its host is down', async () => {
    answer = 'keys';
    expect(((await (await me()).body) as { username: string }).username).to.equal('reader@contoso.com');
    answer = 'down';
    // jose's key set is fresh for ten minutes (cacheMaxAge): past them it asks the host again.
    const realNow = Date.now;
    Date.now = () => realNow() + 11 * 60_000;
    try {
      // Another token (another Authorization), so no remembered login answers for it.
      expect(((await (await me()).body) as { username: string }).username).to.equal('reader@contoso.com');
    } finally {
      Date.now = realNow;
    }
  });
});
