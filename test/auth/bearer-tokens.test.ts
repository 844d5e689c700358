import { createServer } from 'node:http';
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

/** A key set's host on a free local port: it counts the reads and answers as `answer` says (the key set, an error status, far more than a key set, no JSON). */
interface KeySetHost {
  url: string;
  reads: number;
  answer: 'keys' | 'down' | 'huge' | 'html';
  /** A token for the expected issuer and audience, signed by the key set's key (kid k1) or, named another kid, by that same key under a name the set lacks. */
  sign(kid?: string): Promise<string>;
  close(): void;
}

async function startKeySetHost(): Promise<KeySetHost> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const keySet = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] });
  const server = createServer((_req, res) => {
    keyHost.reads++;
    if (keyHost.answer === 'down') res.writeHead(500).end();
    else if (keyHost.answer === 'html') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
    else if (keyHost.answer === 'huge') res.writeHead(200, { 'content-type': 'application/json' }).end(`{"keys":[],"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`);
    else res.writeHead(200, { 'content-type': 'application/json' }).end(keySet);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const keyHost: KeySetHost = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`,
    reads: 0,
    answer: 'down',
    sign: (kid = 'k1') =>
      new SignJWT({ preferred_username: 'reader@contoso.com' })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime('5m')
        .sign(privateKey),
    close: () => server.close(),
  };
  return keyHost;
}

describe('bearer tokens whose key set host fails', () => {
  let t: TestBridge;
  let keyHost: KeySetHost;

  before(async () => {
    keyHost = await startKeySetHost();
    t = await startTestBridge({
      BRIDGE_JWT_JWKS_URL: keyHost.url,
      BRIDGE_JWT_ISSUER: ISSUER,
      BRIDGE_JWT_AUDIENCE: AUDIENCE,
      BRIDGE_JWT_ALGORITHMS: 'ES256',
      BRIDGE_LOGIN_MAX_FAILURES: '3',
      BRIDGE_LOGIN_BACKOFF_SECONDS: '30',
    });
  });
  after(async () => {
    await t.close();
    keyHost.close();
  });

  it('answers 503 + Retry-After, asking the host once, not counted as failed logins: the same address logs in with a password afterwards', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await request(t.bridge.server)
        .get('/api/me')
        .set('Authorization', `Bearer ${await keyHost.sign()}`);
      expect([res.status, res.headers['retry-after']]).to.deep.equal([503, '30']);
      expect(res.text).to.match(/the key set at 127\.0\.0\.1:\d+ cannot be read: its host answered 500/);
    }
    expect(keyHost.reads).to.equal(1);
    await request(t.bridge.server).get('/api/me').set('Authorization', basic(ADMIN)).expect(200);
  });
});

describe("the key set's host, while it fails, judged on a clock the test moves", () => {
  let keyHost: KeySetHost;
  /** The clock the key set's rest reads. */
  let now = 0;
  let tokens: BearerTokens;

  before(async () => {
    keyHost = await startKeySetHost();
    const settings = {
      jwtJwksUrl: keyHost.url,
      jwtPublicKeyFile: '',
      jwtIssuer: ISSUER,
      jwtAudience: AUDIENCE,
      jwtAlgorithms: 'ES256',
      jwtClockSkewSeconds: 60,
      jwtMailboxClaim: 'preferred_username',
    };
    tokens = (await BearerTokens.fromSettings(settings, () => now))!;
  });
  after(() => keyHost.close());

  /** How each token was judged: ok, refused, or not judged and why (the key set unavailable). */
  const judged = async (...tokensToJudge: string[]) =>
    (await Promise.all(tokensToJudge.map((token) => tokens.verify(token)))).map((result) =>
      result.ok ? 'ok' : result.unavailable ? result.reason : 'refused',
    );

  it('asks the host once, then not again for 30 s however many tokens come, at once or one after another, whatever its failure', async () => {
    const token = await keyHost.sign();
    const reasons = {
      down: 'its host answered 500',
      huge: 'it is larger than 1048576 bytes',
      html: 'it is not JSON',
    };
    for (const [answer, reason] of Object.entries(reasons)) {
      keyHost.answer = answer as KeySetHost['answer'];
      const reads = keyHost.reads;
      const results = await judged(...Array<string>(20).fill(token));
      for (let i = 0; i < 20; i++) results.push(...(await judged(token)));
      now += 29_000;
      results.push(...(await judged(token)));
      expect(new Set(results), answer).to.deep.equal(new Set([`the key set at ${new URL(keyHost.url).host} cannot be read: ${reason}`]));
      expect(keyHost.reads - reads, `${answer}: read once in 29 s`).to.equal(1);
      now += 1_000;
    }
    keyHost.answer = 'keys';
    expect(await judged(token), 'read again 30 s after the last failure').to.deep.equal(['ok']);
    expect(keyHost.reads).to.equal(4);
  });

  it('goes on with the last key set it read once that is older than jose keeps it, while its host is down', async () => {
    keyHost.answer = 'down';
    const reads = keyHost.reads;
    // jose's key set is fresh for ten minutes (cacheMaxAge), read on Date.now: past them it asks the host again.
    const realNow = Date.now;
    Date.now = () => realNow() + 11 * 60_000;
    try {
      expect(await judged(await keyHost.sign(), await keyHost.sign())).to.deep.equal(['ok', 'ok']);
      expect(keyHost.reads - reads).to.equal(1);
    } finally {
      Date.now = realNow;
    }
  });

  it('asks the host once for tokens of keys not in the last key set (anyone may name one): they are refused, the known key still verifies', async () => {
    now += 30_000;
    const reads = keyHost.reads;
    // Past jose's own 30 s between reads after a good one (read on Date.now), so that an unknown kid asks the host again.
    const realNow = Date.now;
    Date.now = () => realNow() + 11 * 60_000;
    try {
      const results: string[] = [];
      for (let i = 0; i < 20; i++) results.push(...(await judged(await keyHost.sign(`stranger${i}`))));
      expect(results).to.deep.equal(Array(20).fill('refused'));
      expect(await judged(await keyHost.sign())).to.deep.equal(['ok']);
      expect(keyHost.reads - reads).to.equal(1);
    } finally {
      Date.now = realNow;
    }
  });
});
