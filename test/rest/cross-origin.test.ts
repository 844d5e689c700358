import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey } from 'jose';
import request from 'supertest';
import { BearerTokens } from '../../src/auth/bearer-tokens.js';
import { loadConfig } from '../../src/config.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { AUDIENCE, createTestIssuer, ISSUER, type TestIssuer } from '../support/jwt-issuer.js';
import { publicJwk } from '../support/generated-keys.js';
import { connectTo, listenOnLoopback, received } from '../support/raw-socket.js';
import { samplePhoto } from '../support/sample-images.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const ADDIN_ORIGIN = 'https://addin.example.com';
const PHOTO = '/ews/exchange.asmx/s/GetUserPhoto?email=megan@contoso.com&size=HR64x64';

async function seed(t: TestBridge): Promise<void> {
  await t.store.upsertUsers([{ email: 'megan@contoso.com', displayName: 'Megan Bowen', refs: {} }]);
  await t.bridge.photos.setPhoto(userOwner('megan@contoso.com'), await samplePhoto(100, 100), 'test');
}

describe('Outlook add-in access: CORS allow-list and bearer JWTs', () => {
  let t: TestBridge;
  let issuer: TestIssuer;
  const bearer = (token: string) => `Bearer ${token}`;
  const get = (path: string, authorization?: string) => {
    const req = request(t.bridge.server).get(path);
    return authorization ? req.set('Authorization', authorization) : req;
  };

  before(async () => {
    issuer = await createTestIssuer();
    t = await startTestBridge({
      ...issuer.env,
      // Written as an operator might: the browser sends it lower case, without the default port.
      BRIDGE_CORS_ORIGINS: `${ADDIN_ORIGIN.toUpperCase().replace('HTTPS', 'https')}:443, https://other.example.com/`,
      BRIDGE_JWT_CLOCK_SKEW_SECONDS: '30',
    });
    await seed(t);
  });
  after(async () => {
    await t.close();
    issuer.close();
  });

  it('accepts a valid token on the REST photo URL and on /api, as the mailbox its claim names', async () => {
    const token = bearer(await issuer.sign());
    await get(PHOTO, token).expect(200).expect('content-type', 'image/jpeg');
    await get(PHOTO, token).expect(200); // now answered from the verified-token cache
    expect((await get('/api/me', token).expect(200)).body).to.deep.equal({ username: 'reader@contoso.com', role: 'user', maxUploadBytes: 10 * 1024 * 1024 });
    await get('/api/people?q=megan', token).expect(200);
  });

  it('falls back to the upn claim', async () => {
    const token = await issuer.sign({ preferred_username: undefined, upn: 'upn.user@contoso.com' });
    expect((await get('/api/me', bearer(token)).expect(200)).body.username).to.equal('upn.user@contoso.com');
  });

  it('refuses expired tokens, other audiences and issuers, unsigned tokens and foreign keys with 401', async () => {
    const past = Math.floor(Date.now() / 1000) - 120;
    const refused = [
      await issuer.sign({}, { expiresIn: past }),
      await issuer.sign({}, { audience: 'api://someone-else' }),
      await issuer.sign({}, { issuer: 'https://evil.example.com' }),
      new UnsecuredJWT({ preferred_username: 'reader@contoso.com' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('10m').encode(),
      await issuer.sign({}, { key: (await generateKeyPair('RS256')).privateKey }),
      'not-a-jwt',
    ];
    for (const token of refused) {
      const res = await get(PHOTO, bearer(token)).expect(401);
      // Both challenges, the Bearer one saying the token was refused and why (RFC 6750 §3).
      expect(res.headers['www-authenticate']).to.match(
        /^Basic realm="ews-photo-bridge", Bearer realm="ews-photo-bridge", error="invalid_token", error_description="[^"]+"$/,
      );
      await get('/api/me', bearer(token)).expect(401);
    }
  });

  it('tolerates expiry within the configured clock skew', async () => {
    const justExpired = Math.floor(Date.now() / 1000) - 10;
    await get(PHOTO, bearer(await issuer.sign({}, { expiresIn: justExpired }))).expect(200);
  });

  it('never lets a bearer token act as an administrator', async () => {
    const token = bearer(await issuer.sign({ preferred_username: ADMIN.username }));
    await request(t.bridge.server).delete('/admin/users/megan@contoso.com/photo').set('Authorization', token).expect(403);
  });

  it('answers a preflight from an allowed origin, on the hot path and on /api', async () => {
    for (const path of [PHOTO, '/api/people?q=m']) {
      const res = await request(t.bridge.server)
        .options(path)
        .set('Origin', ADDIN_ORIGIN)
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'authorization')
        .expect(204);
      expect(res.headers['access-control-allow-origin']).to.equal(ADDIN_ORIGIN);
      expect(res.headers['access-control-allow-methods']).to.equal('GET, HEAD');
      // Content-Type too: PnPjs sends it on every request, GETs included.
      expect(res.headers['access-control-allow-headers']).to.equal(
        'Authorization, Content-Type, If-None-Match, Prefer, client-request-id, return-client-request-id, SdkVersion, ConsistencyLevel',
      );
      expect(res.headers['access-control-allow-credentials']).to.equal(undefined);
      expect(res.headers.vary).to.match(/Origin/);
    }
  });

  it("answers a preflight for Graph's $batch with POST and Content-Type", async () => {
    const res = await request(t.bridge.server)
      .options('/v1.0/$batch')
      .set('Origin', ADDIN_ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type')
      .expect(204);
    expect([res.headers['access-control-allow-methods'], res.headers['access-control-allow-headers']]).to.deep.equal([
      'POST',
      'Authorization, Content-Type, If-None-Match, Prefer, client-request-id, return-client-request-id, SdkVersion, ConsistencyLevel',
    ]);
    const token = bearer(await issuer.sign());
    const batch = await request(t.bridge.server)
      .post('/v1.0/$batch')
      .set('Origin', ADDIN_ORIGIN)
      .set('Authorization', token)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ requests: [{ id: '1', method: 'GET', url: '/users/megan@contoso.com/photos/64x64/$value' }] }))
      .expect(200);
    expect(batch.headers['access-control-allow-origin']).to.equal(ADDIN_ORIGIN);
    expect((batch.body as { responses: { status: number }[] }).responses.map((answer) => answer.status)).to.deep.equal([200]);
  });

  it('answers a preflight for translateExchangeIds with POST, as an add-in turns its EWS ids into Graph ids; other paths GET and HEAD', async () => {
    const preflight = (path: string) =>
      request(t.bridge.server)
        .options(path)
        .set('Origin', ADDIN_ORIGIN)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization,content-type')
        .expect(204);
    for (const path of ['/v1.0/me/translateExchangeIds', '/beta/Me/translateexchangeids', "/v1.0/users('megan@contoso.com')/translateExchangeIds"]) {
      expect((await preflight(path)).headers['access-control-allow-methods'], path).to.equal('POST');
    }
    for (const path of ['/v1.0/me/contacts', '/v1.0/users/a/b/translateExchangeIds', '/v1.0/me/translateExchangeIds/x']) {
      expect((await preflight(path)).headers['access-control-allow-methods'], path).to.equal('GET, HEAD');
    }
    const translated = await request(t.bridge.server)
      .post('/v1.0/me/translateExchangeIds')
      .set('Origin', ADDIN_ORIGIN)
      .set('Authorization', bearer(await issuer.sign()))
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ inputIds: ['x'], sourceIdType: 'ewsId', targetIdType: 'restId' }))
      .expect(200);
    expect(translated.headers['access-control-allow-origin']).to.equal(ADDIN_ORIGIN);
    expect((translated.body as { value: { errorDetails: { code: string } }[] }).value[0]!.errorDetails.code).to.equal('ErrorInvalidIdMalformed');
  });

  it('refuses a preflight from an origin not on the list, with no CORS headers', async () => {
    const res = await request(t.bridge.server).options(PHOTO).set('Origin', 'https://evil.example.com').set('Access-Control-Request-Method', 'GET').expect(403);
    expect(Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))).to.deep.equal([]);
    expect(res.headers.vary).to.match(/Origin/);
  });

  it('adds CORS headers to the answers themselves only for allowed origins', async () => {
    const token = bearer(await issuer.sign());
    const allowed = await get(PHOTO, token).set('Origin', 'https://other.example.com').expect(200);
    expect(allowed.headers['access-control-allow-origin']).to.equal('https://other.example.com');
    expect(allowed.headers['access-control-expose-headers']).to.match(/ETag/);
    expect(allowed.headers.vary).to.match(/Origin/);
    const refused = await get(PHOTO, token).set('Origin', 'https://evil.example.com').expect(200);
    expect(refused.headers['access-control-allow-origin']).to.equal(undefined);
    const failed = await get(PHOTO).set('Origin', ADDIN_ORIGIN).expect(401);
    expect(failed.headers['access-control-allow-origin']).to.equal(ADDIN_ORIGIN);
    const sameOrigin = await get(PHOTO, token).expect(200);
    expect(sameOrigin.headers['access-control-allow-origin']).to.equal(undefined);
    // Without Origin too: a browser that cached this answer must not give it to a cross-origin fetch of the URL.
    expect(sameOrigin.headers.vary).to.match(/Origin/);
    expect((await get('/api/people?q=m', token).expect(200)).headers.vary).to.match(/Origin/);
    expect(allowed.headers['access-control-expose-headers']).to.equal('ETag, Request-Id, Client-Request-Id, Retry-After, WWW-Authenticate');
  });

  it("adds them to the front door's refusals too (414, a bad Host, 431, 501), which a browser without them reads as an opaque failure", async () => {
    const port = t.bridge.server.listening ? (t.bridge.server.address() as AddressInfo).port : await listenOnLoopback(t.bridge.server);
    const fillers = Array.from({ length: 100 }, (_, i) => `A${i}: a\r\n`).join('');
    for (const [head, status] of [
      [`GET /v1.0/me?x=${'x'.repeat(4100)} HTTP/1.1\r\nHost: localhost\r\n`, 414],
      ['GET /v1.0/me HTTP/1.1\r\nHost: a@b\r\n', 400],
      [`GET /v1.0/me HTTP/1.1\r\nHost: localhost\r\n${fillers}`, 431],
      ['POST /v1.0/$batch HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n', 501],
      [`OPTIONS ${PHOTO}&x=${'x'.repeat(4100)} HTTP/1.1\r\nHost: localhost\r\nAccess-Control-Request-Method: GET\r\n`, 414],
    ] as const) {
      const socket = await connectTo(port);
      try {
        socket.write(`${head}Origin: ${ADDIN_ORIGIN}\r\nConnection: close\r\n\r\n`);
        const answer = (await received(socket)).toLowerCase();
        expect(answer, head.slice(0, 40)).to.match(new RegExp(`^http/1\\.1 ${status} `));
        expect(answer, head.slice(0, 40)).to.include(`\r\naccess-control-allow-origin: ${ADDIN_ORIGIN}\r\n`);
        expect(answer, head.slice(0, 40)).to.match(/\r\nvary: origin\r\n/);
      } finally {
        socket.destroy();
      }
    }
  });

  it('adds no Vary: Origin where no origin may call (BRIDGE_CORS_ORIGINS empty, the default)', async () => {
    const plain = await startTestBridge();
    try {
      await plain.store.upsertUsers([{ email: 'megan@contoso.com', displayName: 'Megan Bowen', refs: {} }]);
      await plain.bridge.photos.setPhoto(userOwner('megan@contoso.com'), await samplePhoto(100, 100), 'test');
      const res = await request(plain.bridge.server).get(PHOTO).set('Authorization', basic(READER)).expect(200);
      expect(res.headers.vary).to.equal('Accept');
    } finally {
      await plain.close();
    }
  });
});

describe('bearer token settings', () => {
  it('refuse a key without an issuer and audience to check, and an issuer without a key; are off without either', async () => {
    const issuer = await createTestIssuer();
    try {
      const config = loadConfig({ BRIDGE_JWT_PUBLIC_KEY_FILE: issuer.env.BRIDGE_JWT_PUBLIC_KEY_FILE!, BRIDGE_JWT_AUDIENCE: AUDIENCE });
      const error = await BearerTokens.fromSettings(config).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String(error)).to.match(/BRIDGE_JWT_ISSUER and BRIDGE_JWT_AUDIENCE/);
      expect(await BearerTokens.fromSettings(loadConfig({}))).to.equal(undefined);
      const keyless = await BearerTokens.fromSettings(loadConfig({ BRIDGE_JWT_ISSUER: 'https://login.example/', BRIDGE_JWT_AUDIENCE: AUDIENCE })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String(keyless)).to.match(/need BRIDGE_JWT_JWKS_URL or BRIDGE_JWT_PUBLIC_KEY_FILE/);
    } finally {
      issuer.close();
    }
  });
});

describe('bearer JWTs verified against a JWKS URL', () => {
  let t: TestBridge;
  let jwks: Server;
  let privateKey: CryptoKey;

  before(async () => {
    const keys = await generateKeyPair('ES256');
    privateKey = keys.privateKey;
    const body = JSON.stringify({ keys: [{ ...(await publicJwk(keys.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] });
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as AddressInfo;
    t = await startTestBridge({
      BRIDGE_JWT_JWKS_URL: `http://127.0.0.1:${port}/keys`,
      BRIDGE_JWT_ISSUER: ISSUER,
      BRIDGE_JWT_AUDIENCE: AUDIENCE,
      BRIDGE_JWT_ALGORITHMS: 'ES256',
    });
    await seed(t);
  });
  after(async () => {
    await t.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  it('accepts a token signed by a key in the set, and refuses every other algorithm', async () => {
    const token = (alg: string, key: CryptoKey) =>
      new SignJWT({ preferred_username: 'reader@contoso.com' })
        .setProtectedHeader({ alg, kid: 'k1' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime('5m')
        .sign(key);
    await request(t.bridge.server)
      .get(PHOTO)
      .set('Authorization', `Bearer ${await token('ES256', privateKey)}`)
      .expect(200);
    const rsa = await token('RS256', (await generateKeyPair('RS256')).privateKey);
    await request(t.bridge.server).get(PHOTO).set('Authorization', `Bearer ${rsa}`).expect(401);
  });

  it('still takes Basic credentials', async () => {
    await request(t.bridge.server).get(PHOTO).set('Authorization', basic(ADMIN)).expect(200);
  });
});
