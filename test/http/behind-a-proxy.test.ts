import type { IncomingMessage } from 'node:http';
import { expect } from 'chai';
import request from 'supertest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { AddressList } from '../../src/http/address-list.js';
import { TrustedProxies } from '../../src/http/trusted-proxy.js';
import { createLogger } from '../../src/logger.js';
import { LONG_RUN } from '../support/long-run.js';
import { samplePhoto } from '../support/sample-images.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const WSDL_ADDRESS = /<soap:address location="([^"]*)"/;
const PHOTO_URL = '/ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber@contoso.com&size=HR64x64';

/** supertest connects from loopback: as a trusted proxy, that is the proxy in front of the bridge. */
const LOOPBACK = '127.0.0.1, ::1';

async function wsdlAddress(t: TestBridge, headers: Record<string, string> = {}): Promise<string | undefined> {
  const res = await request(t.bridge.server).get('/EWS/Exchange.asmx?wsdl').set('Authorization', basic(READER)).set(headers).expect(200);
  return WSDL_ADDRESS.exec(res.text)?.[1];
}

async function jsonAutodiscoverUrl(t: TestBridge, headers: Record<string, string> = {}): Promise<unknown> {
  const res = await request(t.bridge.server).get('/autodiscover/autodiscover.json/v1.0/alex.wilber@contoso.com?Protocol=EWS').set(headers).expect(200);
  return (res.body as { Url: unknown }).Url;
}

/** Fails logins as a new account name each time, so only the client address can add up to a throttle. */
async function failedLoginStatuses(t: TestBridge, attempts: number, headers: Record<string, string>): Promise<number[]> {
  const statuses: number[] = [];
  for (let attempt = 0; attempt < attempts; attempt++) {
    const res = await request(t.bridge.server)
      .get(PHOTO_URL)
      .set('Authorization', basic({ username: `guess${attempt}-${Math.random()}@example.com`, password: 'wrong' }))
      .set(headers);
    statuses.push(res.status);
  }
  return statuses;
}

/**
 * A bridge whose proxy (supertest's loopback) is trusted, reading `header`, with Alex's photo;
 * `clientLogged` is the client of the access line of a request id. Two failed logins from one
 * client throttle it.
 */
function bridgeBehindTrustedProxy(header?: string): {
  bridge: () => TestBridge;
  clientLogged: (requestId: string) => Promise<unknown>;
  warnings: () => string[];
} {
  let t: TestBridge | undefined;
  const logged: string[] = [];
  before(async () => {
    t = await startTestBridge(
      {
        BRIDGE_TRUSTED_PROXIES: LOOPBACK,
        ...(header ? { BRIDGE_FORWARDED_HEADER: header } : {}),
        BRIDGE_LOGIN_MAX_FAILURES: '2',
        BRIDGE_LOGIN_BACKOFF_SECONDS: '30',
        BRIDGE_ACCESS_LOG: 'true',
      },
      createLogger('info', { write: (line: string) => logged.push(line) }),
    );
    await t.store.upsertUsers([{ email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} }]);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(100, 100), 'test');
  });
  after(() => t?.close());
  const lines = () => logged.map((text) => JSON.parse(text) as Record<string, unknown>);
  return {
    bridge: () => t!,
    warnings: () => lines().flatMap((entry) => (entry.level === 40 ? [String(entry.msg)] : [])),
    async clientLogged(requestId) {
      for (let attempt = 0; attempt < 100; attempt++) {
        const line = lines().find((entry) => entry.msg === 'request' && entry.reqId === requestId);
        if (line) return line.client;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`no access line for ${requestId}`);
    },
  };
}

describe('behind a reverse proxy', () => {
  describe('the address list of BRIDGE_TRUSTED_PROXIES and BRIDGE_METRICS_ALLOW', () => {
    it('matches addresses and CIDR blocks, IPv4 also in its IPv4-mapped IPv6 form', () => {
      const list = new AddressList('10.0.0.5, 192.168.0.0/16, 2001:db8::/32');
      expect(['10.0.0.5', '::ffff:10.0.0.5', '192.168.44.1', '2001:db8::17'].map((address) => list.includes(address))).to.deep.equal([true, true, true, true]);
      expect(['10.0.0.6', '172.16.0.1', '2001:db9::1', 'unknown', ''].map((address) => list.includes(address))).to.deep.equal([
        false,
        false,
        false,
        false,
        false,
      ]);
    });

    it('refuses an entry that is no address or CIDR, naming it', () => {
      expect(() => loadConfig({ BRIDGE_TRUSTED_PROXIES: '10.0.0.1, proxy.example.com' })).to.throw(
        ConfigError,
        /BRIDGE_TRUSTED_PROXIES: 'proxy.example.com' is not an IP address/,
      );
      expect(() => loadConfig({ BRIDGE_TRUSTED_PROXIES: '10.0.0.0/33' })).to.throw(ConfigError, /'10.0.0.0\/33'/);
      expect(() => loadConfig({ BRIDGE_FORWARDED_HEADER: 'x-client-ip' })).to.throw(ConfigError, /BRIDGE_FORWARDED_HEADER/);
      expect(() => loadConfig({ BRIDGE_PUBLIC_URL: 'ftp://photos.example.com' })).to.throw(ConfigError, /BRIDGE_PUBLIC_URL/);
      // The URL parser takes it, but it is written into every URL as given: `https:photos.example.com/EWS/Exchange.asmx`.
      expect(() => loadConfig({ BRIDGE_PUBLIC_URL: 'https:photos.example.com' })).to.throw(ConfigError, /BRIDGE_PUBLIC_URL: must start with https:\/\//);
      expect(() => loadConfig({ BRIDGE_PUBLIC_URL: 'https://photos.example.com/?x=1' })).to.throw(ConfigError, /no query or fragment/);
      expect(loadConfig({ BRIDGE_PUBLIC_URL: 'https://photos.example.com/bridge/' }).publicUrl).to.equal('https://photos.example.com/bridge');
    });

    it('writes BRIDGE_PUBLIC_URL as a URI, as the URL Standard serialises it: scheme and host lower-cased, A-labels, no default port, a space and non-ASCII percent-encoded', () => {
      const written = [
        'HTTPS://Photos.Example.COM:443/',
        'http://photos.example.com:80/my bridge/',
        'https://bücher.example/fotos/é',
        'https://photos.example.com:8443/Bridge',
      ];
      expect(written.map((url) => loadConfig({ BRIDGE_PUBLIC_URL: url }).publicUrl)).to.deep.equal([
        'https://photos.example.com',
        'http://photos.example.com/my%20bridge',
        'https://xn--bcher-kva.example/fotos/%C3%A9',
        'https://photos.example.com:8443/Bridge',
      ]);
    });
  });

  describe('with the proxy trusted (BRIDGE_TRUSTED_PROXIES), reading X-Forwarded-For (the default)', () => {
    const proxied = bridgeBehindTrustedProxy();
    let t: TestBridge;
    before(() => (t = proxied.bridge()));

    it('says once, as a warning, that a trusted proxy names its clients in another header than the one read, and which setting reads it', async () => {
      for (let i = 0; i < 3; i++)
        await request(t.bridge.server).get(PHOTO_URL).set('Authorization', basic(READER)).set('X-Real-IP', '198.51.100.90').expect(200);
      expect(proxied.warnings().filter((message) => message.startsWith('a trusted proxy'))).to.deep.equal([
        'a trusted proxy (127.0.0.1) sent x-real-ip but no x-forwarded-for, the header read (BRIDGE_FORWARDED_HEADER): its clients are all taken for the proxy; if that proxy sets it, BRIDGE_FORWARDED_HEADER=x-real-ip',
      ]);
    });

    it("advertises the URL the client used, from X-Forwarded-Proto and X-Forwarded-Host, in the WSDL's soap:address and Autodiscover", async () => {
      const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'photos.contoso.example', 'X-Forwarded-For': '203.0.113.9' };
      expect(await wsdlAddress(t, forwarded)).to.equal('https://photos.contoso.example/EWS/Exchange.asmx');
      expect(await jsonAutodiscoverUrl(t, forwarded)).to.equal('https://photos.contoso.example/EWS/Exchange.asmx');
    });

    it("reads no Forwarded or X-Real-IP, which a proxy that sets X-Forwarded-For (HAProxy's option forwardfor) passes on as the client wrote them", async () => {
      const written = { Forwarded: 'for=127.0.0.1;host=evil.example;proto=http', 'X-Real-IP': '127.0.0.1', Host: 'bridge.internal:8080' };
      const res = await request(t.bridge.server).get(PHOTO_URL).set('Authorization', basic(READER)).set(written).set('X-Forwarded-For', '198.51.100.40');
      expect([res.status, await proxied.clientLogged(res.headers['request-id'] as string)]).to.deep.equal([200, '198.51.100.40']);
      expect(await jsonAutodiscoverUrl(t, written)).to.equal('http://bridge.internal:8080/EWS/Exchange.asmx');
      // A new address in Forwarded per attempt does not dodge the throttle of the forwarded client.
      const statuses = [];
      for (const address of ['203.0.113.71', '203.0.113.72', '203.0.113.73']) {
        statuses.push(...(await failedLoginStatuses(t, 1, { Forwarded: `for=${address}`, 'X-Forwarded-For': '198.51.100.41' })));
      }
      expect(statuses).to.deep.equal([401, 401, 429]);
    });

    it('takes the scheme and host from the entry of the proxy that faced the client, never from one left of it, which the client wrote', async () => {
      const forged: Record<string, string>[] = [
        { 'X-Forwarded-Host': 'evil.example, photos.contoso.com', 'X-Forwarded-Proto': 'http, https', 'X-Forwarded-For': '6.6.6.6, 203.0.113.5' },
        // Host entries the client added, without addresses: the last is the proxy's.
        { 'X-Forwarded-Host': 'evil.example, photos.contoso.com', 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.5' },
      ];
      for (const headers of forged) {
        expect(await jsonAutodiscoverUrl(t, headers), JSON.stringify(headers)).to.equal('https://photos.contoso.com/EWS/Exchange.asmx');
      }
    });

    it('keeps a forwarded host that is no plain host[:port] out of the URLs', async () => {
      expect(await wsdlAddress(t, { 'X-Forwarded-Proto': 'gopher', 'X-Forwarded-Host': 'evil.example/"><x', Host: 'bridge.internal:8080' })).to.equal(
        'http://bridge.internal:8080/EWS/Exchange.asmx',
      );
    });

    it('throttles logins by the client the proxy forwarded, not by the proxy', async () => {
      expect(await failedLoginStatuses(t, 3, { 'X-Forwarded-For': '198.51.100.20' })).to.deep.equal([401, 401, 429]);
      // Another client behind the same proxy is not held back by the first one's failures.
      expect(await failedLoginStatuses(t, 1, { 'X-Forwarded-For': '198.51.100.21' })).to.deep.equal([401]);
      // The chain is walked back past trusted hops: the proxy itself in the list does not become the client.
      expect(await failedLoginStatuses(t, 1, { 'X-Forwarded-For': '198.51.100.20, 127.0.0.1' })).to.deep.equal([429]);
    });

    it("keeps the request id the proxy sent, as the answer's request-id and the log's", async () => {
      const res = await request(t.bridge.server).get(PHOTO_URL).set('Authorization', basic(READER)).set('X-Request-Id', 'proxy-trace-42').expect(200);
      expect(res.headers['request-id']).to.equal('proxy-trace-42');
      expect(await proxied.clientLogged('proxy-trace-42')).to.be.a('string');
    });

    it('logs the forwarded client address', async () => {
      const res = await request(t.bridge.server).get(PHOTO_URL).set('Authorization', basic(READER)).set('X-Forwarded-For', '192.0.2.44').expect(200);
      expect(await proxied.clientLogged(res.headers['request-id'] as string)).to.equal('192.0.2.44');
    });
  });

  describe('with the proxy trusted, reading Forwarded (BRIDGE_FORWARDED_HEADER=forwarded)', () => {
    const proxied = bridgeBehindTrustedProxy('forwarded');
    let t: TestBridge;
    before(() => (t = proxied.bridge()));

    it('reads RFC 7239 Forwarded (quoted IPv6, ports, several elements), and no X-Forwarded-* beside it', async () => {
      const headers = {
        Forwarded: 'for="[2001:db8:cafe::17]:4711";proto=https;host=mail.contoso.example:8443, for=127.0.0.1',
        'X-Forwarded-Host': 'ignored.example',
        'X-Forwarded-For': '198.51.100.66',
      };
      expect(await wsdlAddress(t, headers)).to.equal('https://mail.contoso.example:8443/EWS/Exchange.asmx');
      const res = await request(t.bridge.server).get(PHOTO_URL).set('Authorization', basic(READER)).set(headers).expect(200);
      expect(await proxied.clientLogged(res.headers['request-id'] as string)).to.equal('2001:db8:cafe::17');
    });

    it('takes the scheme and host from the element of the proxy that faced the client, never from one left of it, which the client wrote', async () => {
      const forged = { Forwarded: 'for=6.6.6.6;host=evil.example;proto=http, for=203.0.113.5;host=photos.contoso.com;proto=https' };
      expect(await jsonAutodiscoverUrl(t, forged)).to.equal('https://photos.contoso.com/EWS/Exchange.asmx');
      // A quote the client leaves open does not run on into the proxy's element (its own header line, or after a comma).
      const unclosed = { Forwarded: 'for=1.1.1.1;host=evil.example;x=", proto=https;host="photos.contoso.com:443";for=203.0.113.5' };
      expect(await jsonAutodiscoverUrl(t, unclosed)).to.equal('https://photos.contoso.com/EWS/Exchange.asmx');
      // Two trusted proxies: the client's entry is the second from the right, and so is the host the first proxy wrote.
      const chained = { Forwarded: 'for=203.0.113.5;host=photos.contoso.com;proto=https, for=127.0.0.1;host=bridge.internal;proto=http' };
      expect(await jsonAutodiscoverUrl(t, chained)).to.equal('https://photos.contoso.com/EWS/Exchange.asmx');
    });

    it('reads Forwarded past a long token without =, as the bridge and a request of 15 KB of it', async () => {
      const proxies = new TrustedProxies(LOOPBACK, 'forwarded');
      const from = (forwarded: string) => proxies.clientAddress({ socket: { remoteAddress: '127.0.0.1' }, headers: { forwarded } } as IncomingMessage);
      expect(from(`${'a'.repeat(LONG_RUN)};for=192.0.2.60`)).to.equal('192.0.2.60');
      expect(from(`for=192.0.2.61;x-${'a'.repeat(LONG_RUN)}`)).to.equal('192.0.2.61');
      const res = await request(t.bridge.server)
        .get(PHOTO_URL)
        .set('Authorization', basic(READER))
        .set('Forwarded', `${'a'.repeat(15 * 1024)};for=192.0.2.62`)
        .expect(200);
      expect(await proxied.clientLogged(res.headers['request-id'] as string)).to.equal('192.0.2.62');
      // A client's open quote neither hides the proxy's entry nor makes the client's own address believed.
      expect(from('for=127.0.0.1;x=", for="[2001:db8::17]";proto=https')).to.equal('2001:db8::17');
      // Many open quotes, each in an element of its own: read in time linear in the header.
      expect(from(`${'x="a b="c '.repeat(2000)}, for=192.0.2.63`)).to.equal('192.0.2.63');
    });
  });

  describe('with the proxy trusted, reading X-Real-IP (BRIDGE_FORWARDED_HEADER=x-real-ip)', () => {
    const proxied = bridgeBehindTrustedProxy('x-real-ip');
    let t: TestBridge;
    before(() => (t = proxied.bridge()));

    it("throttles logins by the client a proxy names in X-Real-IP alone (nginx's recipe), and a correct login of another goes through", async () => {
      expect(await failedLoginStatuses(t, 3, { 'X-Real-IP': '203.0.113.66' })).to.deep.equal([401, 401, 429]);
      // An account not logged in to before: its password is checked, not a login remembered.
      await request(t.bridge.server).get(PHOTO_URL).set('Authorization', basic(ADMIN)).set('X-Real-IP', '198.51.100.7').expect(200);
      expect(await failedLoginStatuses(t, 1, { 'X-Real-IP': '198.51.100.8' })).to.deep.equal([401]);
      // An X-Forwarded-For or Forwarded beside it is the client's own words, passed on by the proxy: not read.
      expect(await failedLoginStatuses(t, 1, { 'X-Forwarded-For': '203.0.113.66', 'X-Real-IP': '198.51.100.9' })).to.deep.equal([401]);
      expect(await failedLoginStatuses(t, 1, { Forwarded: 'for=203.0.113.66', 'X-Real-IP': '198.51.100.10' })).to.deep.equal([401]);
    });

    it('reads X-Real-IP as one address: a list, a name or nothing leaves the proxy the client; from an untrusted peer it is not read', () => {
      const proxies = new TrustedProxies(LOOPBACK, 'x-real-ip');
      const from = (realIp: string, remoteAddress = '127.0.0.1') =>
        proxies.clientAddress({ socket: { remoteAddress }, headers: { 'x-real-ip': realIp } } as unknown as IncomingMessage);
      expect(['203.0.113.7', ' 2001:db8::7 ', '[2001:db8::8]:443', '127.0.0.1'].map((value) => from(value))).to.deep.equal([
        '203.0.113.7',
        '2001:db8::7',
        '2001:db8::8',
        '127.0.0.1',
      ]);
      expect(['203.0.113.7, 203.0.113.8', 'unknown', '', '203.0.113.999'].map((value) => from(value))).to.deep.equal(Array(4).fill('127.0.0.1'));
      expect(from('203.0.113.7', '192.0.2.1')).to.equal('192.0.2.1');
    });
  });

  describe('with the peer not trusted (the default)', () => {
    let t: TestBridge;

    before(async () => {
      t = await startTestBridge({ BRIDGE_LOGIN_MAX_FAILURES: '2', BRIDGE_LOGIN_BACKOFF_SECONDS: '30' });
    });
    after(() => t.close());

    it('ignores forwarded headers: the URLs come from Host, the client is the peer', async () => {
      const forged = {
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'attacker.example',
        Forwarded: 'host=attacker.example;proto=https',
        Host: 'bridge.internal:8080',
      };
      expect(await wsdlAddress(t, forged)).to.equal('http://bridge.internal:8080/EWS/Exchange.asmx');
      expect(await jsonAutodiscoverUrl(t, forged)).to.equal('http://bridge.internal:8080/EWS/Exchange.asmx');
      // Written as a URL's origin: the host in lower case, a default port left out.
      expect(await wsdlAddress(t, { Host: 'Bridge.INTERNAL:0080' })).to.equal('http://bridge.internal/EWS/Exchange.asmx');
      expect(await jsonAutodiscoverUrl(t, { Host: '[::1]:80' })).to.equal('http://[::1]/EWS/Exchange.asmx');
      // A made-up X-Forwarded-For per attempt does not dodge the throttle of the real peer.
      const statuses = [];
      for (const address of ['198.51.100.1', '198.51.100.2', '198.51.100.3'])
        statuses.push(...(await failedLoginStatuses(t, 1, { 'X-Forwarded-For': address })));
      expect(statuses).to.deep.equal([401, 401, 429]);
    });

    it("gives every request an id of its own: a client's X-Request-Id is not taken, so it cannot pass as another request", async () => {
      const res = await request(t.bridge.server).get('/healthz').set('X-Request-Id', 'someone-elses-id').expect(200);
      expect(res.headers['request-id']).to.be.a('string').and.not.equal('someone-elses-id');
    });
  });

  describe('with BRIDGE_PUBLIC_URL', () => {
    let t: TestBridge;

    before(async () => {
      t = await startTestBridge({ BRIDGE_PUBLIC_URL: 'https://photos.contoso.example/bridge/', BRIDGE_TRUSTED_PROXIES: LOOPBACK });
    });
    after(() => t.close());

    it('uses the configured URL, path prefix included, whatever the request says', async () => {
      const headers = { 'X-Forwarded-Host': 'other.example', Host: 'bridge.internal:8080' };
      expect(await wsdlAddress(t, headers)).to.equal('https://photos.contoso.example/bridge/EWS/Exchange.asmx');
      expect(await jsonAutodiscoverUrl(t, headers)).to.equal('https://photos.contoso.example/bridge/EWS/Exchange.asmx');
    });

    it("writes it into Graph's @odata.context too", async () => {
      await t.store.upsertUsers([{ email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} }]);
      await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(100, 100), 'test');
      const res = await request(t.bridge.server).get('/v1.0/users/alex.wilber@contoso.com/photo').set('Authorization', basic(READER)).expect(200);
      expect((res.body as Record<string, unknown>)['@odata.context']).to.match(/^https:\/\/photos\.contoso\.example\/bridge\/v1\.0\/\$metadata#/);
    });

    it('and into the paging link of the Graph contacts list', async () => {
      await t.store.addContacts(
        READER.username,
        [1, 2].map((i) => ({ displayName: `Contact ${i}`, emailAddresses: [], phones: {}, refs: {} })),
      );
      const res = await request(t.bridge.server).get('/v1.0/me/contacts?$top=1').set('Authorization', basic(READER)).expect(200);
      expect((res.body as Record<string, unknown>)['@odata.nextLink']).to.equal('https://photos.contoso.example/bridge/v1.0/me/contacts?$skip=1&$top=1');
    });
  });
});
