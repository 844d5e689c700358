import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { createLogger } from '../../src/logger.js';
import { startWhatsappCdn, type WhatsappCdn } from '../simulators/whatsapp-cdn.js';
import type { GatewaySimulator } from '../simulators/whatsapp-gateway.js';
import { startZapi } from '../simulators/zapi.js';
import { startBridgeWithSources } from '../support/bridge-with-sources.js';
import { connectTo, listenOnLoopback, received } from '../support/raw-socket.js';
import { samplePhoto } from '../support/sample-images.js';
import { envelope } from '../support/soap.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { colouredPhoto, zapiSettings } from '../support/whatsapp.js';

const PHOTO_URL = '/ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber@contoso.com&size=HR64x64';
const TOKEN = 'a-long-metrics-scrape-token';

/** The value of one sample of the exposition text, by its name and labels as written; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(t: TestBridge): Promise<string> {
  const res = await request(t.bridge.server).get('/metrics').expect(200);
  expect(res.headers['content-type']).to.equal('text/plain; version=0.0.4; charset=utf-8');
  return res.text;
}

describe('metrics', () => {
  describe('what /metrics counts', () => {
    let t: TestBridge;

    before(async () => {
      t = await startTestBridge({ BRIDGE_LOGIN_MAX_FAILURES: '1' });
      await t.store.upsertUsers([{ email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} }]);
      await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(200, 200), 'test');
    });
    after(() => t.close());

    it('counts photo answers by door, route and status, with their latency, and the rendition cache', async () => {
      for (let i = 0; i < 3; i++) await request(t.bridge.server).get(PHOTO_URL).set('Authorization', basic(READER)).expect(200);
      await request(t.bridge.server)
        .get('/owa/service.svc/s/GetPersonaPhoto?email=alex.wilber@contoso.com&size=HR64x64')
        .set('Authorization', basic(READER))
        .expect(200);
      await request(t.bridge.server).get(PHOTO_URL.replace('alex.wilber', 'nobody')).set('Authorization', basic(READER)).expect(404);
      const text = await scrape(t);
      expect(sample(text, 'ews_photo_bridge_requests_total{door="photo",route="ews-rest",status="200"}')).to.equal(3);
      expect(sample(text, 'ews_photo_bridge_requests_total{door="photo",route="ews-rest",status="404"}')).to.equal(1);
      expect(sample(text, 'ews_photo_bridge_requests_total{door="photo",route="owa",status="200"}')).to.equal(1);
      expect(sample(text, 'ews_photo_bridge_request_duration_seconds_count{door="photo",route="ews-rest"}')).to.equal(4);
      expect(sample(text, 'ews_photo_bridge_request_duration_seconds_bucket{door="photo",route="ews-rest",le="+Inf"}')).to.equal(4);
      expect(sample(text, 'ews_photo_bridge_request_duration_seconds_bucket{door="photo",route="ews-rest",le="10"}')).to.be.at.most(4);
      // The first request rendered the 64-pixel photo; the later ones (OWA's too: the same photo and size) were served from memory.
      expect(sample(text, 'ews_photo_bridge_rendition_cache_misses_total')).to.equal(1);
      expect(sample(text, 'ews_photo_bridge_rendition_cache_hits_total')).to.equal(3);
      expect(sample(text, 'ews_photo_bridge_rendition_cache_entries')).to.equal(1);
      expect(sample(text, 'ews_photo_bridge_rendition_cache_bytes')).to.be.above(100);
      expect(sample(text, 'ews_photo_bridge_rendition_cache_evictions_total')).to.equal(0);
    });

    it('names EWS requests by operation and Express requests by route pattern, never by the URL asked', async () => {
      await request(t.bridge.server)
        .post('/EWS/Exchange.asmx')
        .set('Authorization', basic(READER))
        .set('Content-Type', 'text/xml')
        .send(envelope('<m:GetUserPhoto><m:Email>alex.wilber@contoso.com</m:Email><m:SizeRequested>HR64x64</m:SizeRequested></m:GetUserPhoto>'))
        .expect(200);
      await request(t.bridge.server).get('/healthz').expect(200);
      await request(t.bridge.server).get('/no/such/page/zq-never-a-route').expect(404);
      await request(t.bridge.server).get('/autodiscover/autodiscover.json/v1.0/alex.wilber@contoso.com?Protocol=EWS').expect(200);
      await request(t.bridge.server).get('/autodiscover/messages.xsd').set('Authorization', basic(READER)).expect(200);
      // The directory page's files: one route, not `unmatched` (a 404 among them as well).
      await request(t.bridge.server).get('/web/directory.js').set('Authorization', basic(READER)).expect(200);
      await request(t.bridge.server).get('/web/zq-no-such-file.js').set('Authorization', basic(READER)).expect(404);
      // Express matches a mount in any case: the client's spelling makes no series of its own.
      for (const version of ['/v1.0', '/V1.0', '/beta', '/BeTa']) {
        await request(t.bridge.server).get(`${version}/me/contacts`).set('Authorization', basic(READER)).expect(200);
      }
      const text = await scrape(t);
      expect(sample(text, 'ews_photo_bridge_requests_total{door="rest",route="/v1.0/me/contacts",status="200"}')).to.equal(2);
      expect(sample(text, 'ews_photo_bridge_requests_total{door="rest",route="/beta/me/contacts",status="200"}')).to.equal(2);
      expect(text).to.not.match(/\/V1\.0|\/BeTa/);
      expect(sample(text, 'ews_photo_bridge_requests_total{door="ews",route="GetUserPhoto",status="200"}')).to.equal(1);
      expect(sample(text, 'ews_photo_bridge_requests_total{door="rest",route="/healthz",status="200"}')).to.equal(1);
      expect(sample(text, 'ews_photo_bridge_requests_total{door="rest",route="unmatched",status="404"}')).to.equal(1);
      expect(sample(text, 'ews_photo_bridge_requests_total{door="rest",route="/web/:file",status="200"}')).to.equal(1);
      expect(sample(text, 'ews_photo_bridge_requests_total{door="rest",route="/web/:file",status="404"}')).to.equal(1);
      expect(sample(text, 'ews_photo_bridge_requests_total{door="autodiscover",route="json",status="200"}')).to.equal(1);
      expect(sample(text, 'ews_photo_bridge_requests_total{door="autodiscover",route="contract",status="200"}')).to.equal(1);
      expect(text).to.not.include('zq-never-a-route');
    });

    it("names a route declared for several paths by its first: Graph's photo metadata of a user, in either shape, and the caller's own", async () => {
      for (const path of [
        '/v1.0/users/alex.wilber@contoso.com/photo',
        "/v1.0/users('alex.wilber@contoso.com')/photo",
        '/v1.0/users/alex.wilber@contoso.com/photos',
      ]) {
        await request(t.bridge.server).get(path).set('Authorization', basic(READER)).expect(200);
      }
      // A route declared by a regular expression (a bound function, in each of its spellings): by the path it stands for.
      for (const path of ['/v1.0/me/contacts/delta', '/v1.0/me/contacts/microsoft.graph.delta()']) {
        await request(t.bridge.server).get(path).set('Authorization', basic(READER)).expect(200);
      }
      // The reader has no photo: Graph's ImageNotFound.
      await request(t.bridge.server).get('/v1.0/me/photo').set('Authorization', basic(READER)).expect(404);
      const text = await scrape(t);
      expect(
        [
          'route="/v1.0/users/:id/photo",status="200"',
          'route="/v1.0/users/:id/photo",status="404"',
          'route="/v1.0/users/:id/photos",status="200"',
          'route="/v1.0/me/contacts/delta",status="200"',
          'route="unmatched",status="200"',
        ].map((labels) => sample(text, `ews_photo_bridge_requests_total{door="rest",${labels}}`)),
      ).to.deep.equal([2, 1, 1, 2, undefined]);
    });

    it('counts the requests node:http refuses unread (a head too large, a request line too long) under one route of the front door', async () => {
      const port = await listenOnLoopback(t.bridge.server);
      const answerTo = async (bytes: string) => {
        const socket = await connectTo(port);
        const answer = received(socket);
        socket.write(bytes);
        return answer;
      };
      try {
        expect(await answerTo(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`)).to.match(/^HTTP\/1\.1 431 /);
        for (let i = 0; i < 2; i++) expect(await answerTo(`GET /zq-long?${'q'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)).to.match(/^HTTP\/1\.1 414 /);
        const text = await scrape(t);
        expect(sample(text, 'ews_photo_bridge_requests_total{door="front",route="unread",status="431"}')).to.equal(1);
        expect(sample(text, 'ews_photo_bridge_requests_total{door="front",route="unread",status="414"}')).to.equal(2);
        expect(text).to.not.include('zq-long');
      } finally {
        t.bridge.server.close();
      }
    });

    it('counts failed and throttled logins', async () => {
      const wrong = basic({ username: 'mallory@example.com', password: 'guess' });
      await request(t.bridge.server).get(PHOTO_URL).set('Authorization', wrong).expect(401);
      await request(t.bridge.server).get(PHOTO_URL).set('Authorization', wrong).expect(429);
      const text = await scrape(t);
      expect(sample(text, 'ews_photo_bridge_login_failures_total{kind="basic"}')).to.equal(1);
      expect(sample(text, 'ews_photo_bridge_login_throttled_total')).to.equal(1);
    });

    it("carries Node's process metrics", async () => {
      const text = await scrape(t);
      expect(text).to.match(/^process_resident_memory_bytes \d+/m);
      expect(text).to.match(/^nodejs_eventloop_lag_seconds /m);
    });
  });

  describe('photo sources', () => {
    let cdn: WhatsappCdn;
    let zapi: GatewaySimulator;
    let t: TestBridge;

    before(async () => {
      cdn = await startWhatsappCdn();
      zapi = await startZapi(cdn);
      cdn.photos.set('5511999990000', await colouredPhoto(30, 160, 90));
      t = await startBridgeWithSources(
        [{ name: 'wa', type: 'zapi', ...zapiSettings(zapi, cdn) }],
        { users: ['wa'] },
        { BRIDGE_SOURCE_BREAKER_THRESHOLD: '1', BRIDGE_SOURCE_RETRIES: '0' },
      );
      await t.store.upsertUsers([
        { email: 'ana@contoso.com', displayName: 'Ana', refs: { whatsappPhone: '+5511999990000' } },
        { email: 'bia@contoso.com', displayName: 'Bia', refs: { whatsappPhone: '+5511999990001' } },
      ]);
    });
    after(async () => {
      await t.close();
      await zapi.close();
      await cdn.close();
    });

    it('counts calls by source and outcome, and shows the breaker open after failures', async () => {
      await request(t.bridge.server)
        .get('/ews/exchange.asmx/s/GetUserPhoto?email=ana@contoso.com&size=HR64x64')
        .set('Authorization', basic(READER))
        .expect(200);
      zapi.fault = { status: 500, body: { error: 'down' } };
      await request(t.bridge.server)
        .get('/ews/exchange.asmx/s/GetUserPhoto?email=bia@contoso.com&size=HR64x64')
        .set('Authorization', basic(READER))
        .expect(503);
      const text = await scrape(t);
      expect(sample(text, 'ews_photo_bridge_upstream_calls_total{source="wa",outcome="photo"}')).to.equal(1);
      expect(sample(text, 'ews_photo_bridge_upstream_calls_total{source="wa",outcome="failed"}')).to.equal(1);
      expect(sample(text, 'ews_photo_bridge_source_breaker_state{source="wa",state="open"}')).to.equal(1);
      expect(sample(text, 'ews_photo_bridge_source_breaker_state{source="wa",state="closed"}')).to.equal(0);
      expect(sample(text, 'ews_photo_bridge_stale_photos_served_total')).to.equal(0);
    });
  });

  describe('who may read them', () => {
    it('on the public port: loopback by default; others only with the token; forwarded requests from an unknown proxy are refused', async () => {
      const t = await startTestBridge({ BRIDGE_METRICS_TOKEN: TOKEN });
      try {
        await request(t.bridge.server).get('/metrics').expect(200);
        const proxied = await request(t.bridge.server).get('/metrics').set('X-Forwarded-For', '203.0.113.5').expect(403);
        expect(proxied.text).to.match(/BRIDGE_METRICS_ALLOW/);
        // A proxy on the same host that says whose request it is in another header only (nginx's X-Real-IP recipe).
        for (const header of [
          'X-Real-IP',
          'True-Client-IP',
          'CF-Connecting-IP',
          'Fastly-Client-IP',
          'X-Envoy-External-Address',
          'X-Original-Forwarded-For',
          'X-Forwarded',
          'Forwarded-For',
        ]) {
          await request(t.bridge.server).get('/metrics').set(header, '203.0.113.5').expect(403);
        }
        await request(t.bridge.server).get('/metrics').set('X-Forwarded-For', '203.0.113.5').set('Authorization', `Bearer ${TOKEN}`).expect(200);
      } finally {
        await t.close();
      }
      const closed = await startTestBridge({ BRIDGE_METRICS_ALLOW: 'none', BRIDGE_METRICS_TOKEN: TOKEN });
      try {
        const none = await request(closed.bridge.server).get('/metrics').expect(403);
        expect(none.headers['www-authenticate']).to.equal(undefined);
        // A token refused is RFC 6750 §3.1's invalid_token: 401, and the challenge says so.
        const wrong = await request(closed.bridge.server).get('/metrics').set('Authorization', 'Bearer not-the-token-at-all').expect(401);
        expect(wrong.headers['www-authenticate']).to.equal('Bearer error="invalid_token"');
        expect(wrong.text).to.equal('the bearer token is not BRIDGE_METRICS_TOKEN\n');
        await request(closed.bridge.server).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
        // The scheme in any case, as RFC 9110 §11.1 has it; the token as it is.
        await request(closed.bridge.server).get('/metrics').set('Authorization', `bearer ${TOKEN}`).expect(200);
        await request(closed.bridge.server).get('/metrics').set('Authorization', `Bearer ${TOKEN.toUpperCase()}`).expect(401);
        // Another scheme is no token: refused as a request without one.
        await request(closed.bridge.server).get('/metrics').set('Authorization', basic(READER)).expect(403);
      } finally {
        await closed.close();
      }
      // Where no token is set, any token presented is one refused.
      const tokenless = await startTestBridge({ BRIDGE_METRICS_ALLOW: 'none' });
      try {
        const res = await request(tokenless.bridge.server).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(401);
        expect(res.headers['www-authenticate']).to.equal('Bearer error="invalid_token"');
      } finally {
        await tokenless.close();
      }
    });

    it('behind a trusted proxy: by the client it names in the header the bridge reads, never as the proxy when it names one in another', async () => {
      const status = async (t: TestBridge, headers: Record<string, string>) => (await request(t.bridge.server).get('/metrics').set(headers)).status;
      const byForwardedFor = await startTestBridge({ BRIDGE_TRUSTED_PROXIES: '127.0.0.1, ::1' });
      const byRealIp = await startTestBridge({ BRIDGE_TRUSTED_PROXIES: '127.0.0.1, ::1', BRIDGE_FORWARDED_HEADER: 'x-real-ip' });
      const byForwarded = await startTestBridge({ BRIDGE_TRUSTED_PROXIES: '127.0.0.1, ::1', BRIDGE_FORWARDED_HEADER: 'forwarded' });
      try {
        expect(await status(byForwardedFor, { 'X-Forwarded-For': '8.8.8.8' })).to.equal(403);
        expect(await status(byForwardedFor, { 'X-Forwarded-For': '127.0.0.1' })).to.equal(200);
        // nginx's X-Real-IP recipe in front of a bridge reading X-Forwarded-For: the client is not the proxy's loopback.
        expect(await status(byForwardedFor, { 'X-Real-IP': '8.8.8.8' })).to.equal(403);
        expect(await status(byForwardedFor, { 'X-Real-IP': '127.0.0.1' })).to.equal(403);
        expect(await status(byRealIp, { 'X-Real-IP': '8.8.8.8' })).to.equal(403);
        expect(await status(byRealIp, { 'X-Real-IP': '127.0.0.1' })).to.equal(200);
        expect(await status(byRealIp, { 'X-Forwarded-For': '8.8.8.8', 'X-Real-IP': '127.0.0.1' })).to.equal(403);
        expect(await status(byRealIp, {})).to.equal(200);
        // The header read, naming no client it can tell: the client is not the proxy's loopback either.
        expect(await status(byRealIp, { 'X-Real-IP': '' })).to.equal(403);
        expect(await status(byForwardedFor, { 'X-Forwarded-For': 'unknown, 127.0.0.1' })).to.equal(403);
        expect(await status(byForwardedFor, { 'X-Forwarded-For': '8.8.8.8, 127.0.0.1' })).to.equal(403);
        expect(await status(byForwardedFor, { 'X-Forwarded-For': 'unknown, 8.8.8.8, ::1' })).to.equal(403);
        for (const forwarded of ['for=unknown', 'for=_hidden', 'for=_hidden, for=127.0.0.1', '']) {
          expect(await status(byForwarded, { Forwarded: forwarded }), forwarded).to.equal(403);
        }
        expect(await status(byForwarded, { Forwarded: 'for=127.0.0.1' })).to.equal(200);
      } finally {
        await Promise.all([byForwardedFor.close(), byRealIp.close(), byForwarded.close()]);
      }
    });

    it('on a listener of their own (BRIDGE_METRICS_LISTEN): served there only, and gone from the public port', async () => {
      const t = await startTestBridge({ BRIDGE_METRICS_LISTEN: '127.0.0.1:0' });
      try {
        await t.bridge.listen();
        const metricsServer = t.bridge.metricsServer!;
        const text = (await request(metricsServer).get('/metrics').expect(200)).text;
        expect(text).to.include('# TYPE ews_photo_bridge_requests_total counter');
        await request(metricsServer).get('/healthz').expect(404);
        await request(t.bridge.server).get('/metrics').expect(404);
      } finally {
        await t.close();
      }
    });

    it('on a listener of their own: each request there has its access line and is counted, under a route of its own', async () => {
      const written: string[] = [];
      const t = await startTestBridge(
        { BRIDGE_METRICS_LISTEN: '127.0.0.1:0', BRIDGE_ACCESS_LOG: 'true' },
        createLogger('info', { write: (line: string) => written.push(line) }),
      );
      try {
        await t.bridge.listen();
        const metricsServer = t.bridge.metricsServer!;
        const answers = [
          await request(metricsServer).get('/metrics').expect(200),
          await request(metricsServer).get('/healthz').expect(404),
          await request(metricsServer).post('/metrics').expect(405),
        ];
        const text = (await request(metricsServer).get('/metrics').expect(200)).text;
        const lines = written.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'request');
        expect(
          answers.map((res) => lines.filter((line) => line.reqId === res.headers['request-id']).map(({ method, path, status }) => ({ method, path, status }))),
        ).to.deep.equal([
          [{ method: 'GET', path: '/metrics', status: 200 }],
          [{ method: 'GET', path: '/healthz', status: 404 }],
          [{ method: 'POST', path: '/metrics', status: 405 }],
        ]);
        expect(
          [200, 404, 405].map((status) => sample(text, `ews_photo_bridge_requests_total{door="front",route="metrics-listener",status="${status}"}`)),
        ).to.deep.equal([1, 1, 1]);
        // One node:http refuses unread: counted and logged as on the public port.
        const port = (metricsServer.address() as AddressInfo).port;
        const socket = await connectTo(port);
        const answer = received(socket);
        socket.write(`GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`);
        expect(await answer).to.match(/^HTTP\/1\.1 431 /);
        const after = (await request(metricsServer).get('/metrics').expect(200)).text;
        expect(sample(after, 'ews_photo_bridge_requests_total{door="front",route="unread",status="431"}')).to.equal(1);
        expect(written.filter((line) => line.includes('request refused unread') && line.includes('"status":431'))).to.have.length(1);
      } finally {
        await t.close();
      }
    });
  });
});
