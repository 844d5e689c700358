import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { hostAllowed, isPublicUnicast, OutboundRefused, outboundRequest } from '../../src/sources/outbound-http.js';
import { failureOf } from '../../src/sources/photo-source.js';
import { upstreamPolicy } from '../../src/sources/upstream-http.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';

/**
 * Every IPv6 form that carries an IPv4 address, each with carried addresses that are not
 * public (loopback, private) and one that is. Layouts from RFC 4291 §2.5.5 (compatible,
 * mapped), RFC 6145 (translated), RFC 6052 §2.2 (NAT64), RFC 8215 (local-use NAT64),
 * RFC 3056 (6to4) and RFC 4380 §4 (Teredo: server address, then the client's inverted).
 */
const FORMS: { form: string; notPublic: string[]; public: string }[] = [
  { form: 'IPv4-mapped ::ffff:a.b.c.d', notPublic: ['::ffff:127.0.0.1', '::ffff:10.1.2.3'], public: '::ffff:8.8.8.8' },
  { form: 'IPv4-compatible ::a.b.c.d', notPublic: ['::127.0.0.1', '::192.168.1.1'], public: '::8.8.8.8' },
  { form: 'IPv4-translated ::ffff:0:a.b.c.d', notPublic: ['::ffff:0:127.0.0.1', '::ffff:0:172.16.0.1'], public: '::ffff:0:8.8.8.8' },
  { form: 'NAT64 64:ff9b::/96', notPublic: ['64:ff9b::127.0.0.1', '64:ff9b::192.168.1.1'], public: '64:ff9b::8.8.8.8' },
  {
    form: 'NAT64 local-use 64:ff9b:1::/48',
    // 127.0.0.1 where a /48 prefix puts it (bytes 6–7 and 9–10); 10.0.0.1 where a /96 prefix does.
    notPublic: ['64:ff9b:1:7f00:0:100::', '64:ff9b:1::10.0.0.1'],
    // 8.8.8.8 wherever a /48…/96 prefix would put it.
    public: '64:ff9b:1:808:8:808:808:808',
  },
  { form: '6to4 2002::/16', notPublic: ['2002:7f00:1::1', '2002:c0a8:101::1'], public: '2002:808:808::1' },
  {
    form: 'Teredo 2001::/32',
    notPublic: [
      '2001:0:a00:1:8000:63bf:f7f7:f7f7', // server 10.0.0.1, client 8.8.8.8
      '2001:0:4136:e378:8000:63bf:80ff:fffe', // server 65.54.227.120, client 127.0.0.1
      '2001:0:4136:e378:8000:63bf:3f57:fefe', // server 65.54.227.120, client 192.168.1.1
    ],
    public: '2001:0:4136:e378:8000:63bf:f7f7:f7f7', // server 65.54.227.120, client 8.8.8.8
  },
];

/** The address as a URL carries it: bracketed, and rewritten to WHATWG's canonical form (::127.0.0.1 → ::7f00:1). */
const hostOfUrl = (address: string) => new URL(`https://[${address}]/photo`).hostname.replace(/^\[|\]$/g, '');

describe('outbound guard: which addresses are public', () => {
  for (const { form, notPublic, public: reachable } of FORMS) {
    describe(form, () => {
      for (const address of notPublic) {
        it(`${address} is judged by the IPv4 address it carries: not public, written plainly or in a URL`, () => {
          expect(isPublicUnicast(address)).to.equal(false);
          expect(isPublicUnicast(hostOfUrl(address))).to.equal(false);
        });

        it(`https://[${address}]/ is refused before anything is sent`, async () => {
          const url = `https://[${address}]/photo`;
          const failure = await outboundRequest(url, { allowedHosts: [hostOfUrl(address)], publicAddressesOnly: true, maxBytes: 1024, timeoutMs: 1000 }).then(
            () => expect.fail('the request should have been refused'),
            (error: unknown) => error,
          );
          expect(failure).to.be.instanceOf(OutboundRefused);
          expect((failure as Error).message).to.match(/is not a public address/);
        });
      }

      it(`${reachable} carries a public address: public, written plainly or in a URL`, () => {
        expect(isPublicUnicast(reachable)).to.equal(true);
        expect(isPublicUnicast(hostOfUrl(reachable))).to.equal(true);
      });
    });
  }

  it('judges other addresses by their own range', () => {
    expect(['8.8.8.8', '2606:4700:4700::1111'].map(isPublicUnicast)).to.deep.equal([true, true]);
    expect(
      ['127.0.0.1', '10.0.0.1', '169.254.169.254', '::', '::1', 'fc00::1', 'fe80::1', 'ff02::1', '2001:db8::1', 'not an address'].map(isPublicUnicast),
    ).to.deep.equal(Array(10).fill(false));
  });
});

describe('outbound answers are held to the byte limit', () => {
  const LIMIT = 64 * 1024;
  let server: Server;
  let base: string;
  /** The bytes of the last answer's body the server wrote before its connection closed. */
  let lastWritten: Promise<number> = Promise.resolve(0);

  before(async () => {
    server = createServer((req, res) => {
      let sent = 0;
      const send = (length: number, declared: boolean) => {
        res.writeHead(200, declared ? { 'content-length': String(length) } : {});
        const piece = Buffer.alloc(16 * 1024, 0x41);
        const more = () => {
          while (sent < length) {
            sent += piece.length;
            if (!res.write(piece)) return void res.once('drain', more);
          }
          res.end();
        };
        lastWritten = new Promise((resolve) => res.on('close', () => resolve(sent)));
        more();
      };
      if (req.url === '/gzipped') {
        // 10 KB of gzip that are 10 MB of zeros: an answer the bridge did not ask to be encoded.
        res.writeHead(200, { 'content-encoding': 'gzip' });
        return void res.end(gzipSync(Buffer.alloc(10 * 1024 * 1024)));
      }
      if (req.url === '/in-small-pieces') {
        // 2,000 chunks of 8 bytes: 16 KB, within the limit, in more pieces than 64 KiB may come in.
        res.writeHead(200);
        for (let i = 0; i < 2000; i++) res.write('pieces. ');
        return void res.end();
      }
      if (req.url === '/declared-too-large') send(100 * 1024 * 1024, true);
      else if (req.url === '/chunked-too-large') send(100 * 1024 * 1024, false);
      else send(LIMIT, false);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const fetchOf = (path: string) => outboundRequest(`${base}${path}`, { allowedHosts: ['127.0.0.1'], maxBytes: LIMIT, timeoutMs: 5000 });

  it('takes a body of exactly the limit', async () => {
    expect((await fetchOf('/at-the-limit')).body.length).to.equal(LIMIT);
  });

  it('refuses an answer with a Content-Encoding, unread, saying so (it was logged as over the size limit)', async () => {
    const failure = await fetchOf('/gzipped').then(
      () => expect.fail('the answer should have been refused'),
      (error: unknown) => error,
    );
    expect([failure instanceof OutboundRefused, (failure as Error).message]).to.deep.equal([
      true,
      "the answer is sent with Content-Encoding 'gzip', which the bridge neither asks for nor reads",
    ]);
  });

  it('refuses an answer in too many small pieces as a failure worth asking again later, not as too large', async () => {
    const failure = await fetchOf('/in-small-pieces').then(
      () => expect.fail('the answer should have been refused'),
      (error: unknown) => error,
    );
    expect([(failure as Error).message, failureOf(failure)]).to.deep.equal(['the upstream sent its answer in too many small pieces', 'transient']);
  });

  for (const path of ['/declared-too-large', '/chunked-too-large']) {
    it(`refuses ${path.slice(1).replace(/-/g, ' ')} and stops reading it`, async () => {
      const failure = await fetchOf(path).then(
        () => expect.fail('the answer should have been refused'),
        (error: unknown) => error,
      );
      expect(failure).to.be.instanceOf(OutboundRefused);
      expect((failure as Error).message).to.equal(`response larger than ${LIMIT} bytes`);
      // The server stopped far short of its 100 MiB: the client hung up.
      expect(await lastWritten).to.be.below(10 * 1024 * 1024);
    });
  }
});

describe('outbound guard: IPv6 literal hosts', () => {
  it('allows the host of a configured URL that is an IPv6 literal, whichever side writes the brackets', () => {
    const url = 'https://[2606:4700:4700::1111]:8443/api';
    expect(upstreamPolicy([url]).allowedHosts).to.deep.equal(['[2606:4700:4700::1111]']);
    expect(hostAllowed(new URL(url).hostname, upstreamPolicy([url]).allowedHosts)).to.equal(true);
    expect(hostAllowed('2606:4700:4700::1111', ['[2606:4700:4700::1111]'])).to.equal(true);
    expect(hostAllowed('[2606:4700:4700::1111]', ['2606:4700:4700::1111'])).to.equal(true);
    expect(hostAllowed('[2606:4700:4700::1112]', ['[2606:4700:4700::1111]'])).to.equal(false);
  });

  it('reaches a source configured at http://[::1]:port/ (it was refused as a host not allowed)', async () => {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"connected":true}'));
    await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
    try {
      const base = `http://[::1]:${(server.address() as AddressInfo).port}`;
      const response = await outboundRequest(`${base}/status`, upstreamPolicy([base]));
      expect([response.status, response.body.toString()]).to.deep.equal([200, '{"connected":true}']);
    } finally {
      server.close();
    }
  });
});

describe("outbound requests are held to the policy's timeout", () => {
  /** Pieces a dripping answer sends, one every 100 ms, before it ends. */
  const PIECES = 40;
  let server: Server;
  let base: string;
  let written: Promise<number>;

  before(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let sent = 0;
      const drip = setInterval(() => {
        res.write('.');
        if (++sent === PIECES) res.end();
      }, 100);
      written = new Promise((resolve) => res.on('close', () => resolve(sent)));
      res.on('close', () => clearInterval(drip));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it("ends a dripping answer at the timeout while a caller's signal is given too, whatever the garbage collector takes meanwhile", async () => {
    // gc without --expose-gc, as Jest's leak detection gets it: the flag set, then read in a new context.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const caller = new AbortController();
    const collecting = setInterval(gc, 20);
    try {
      const failure = await outboundRequest(base, { allowedHosts: ['127.0.0.1'], maxBytes: 1024, timeoutMs: 300 }, { signal: caller.signal }).then(
        (answer) => answer,
        (error: unknown) => error,
      );
      expect([(failure as Error).name, failureOf(failure), caller.signal.aborted]).to.deep.equal(['AbortError', 'transient', false]);
      expect(await written, 'the bridge hung up before the answer ended').to.be.below(PIECES);
    } finally {
      clearInterval(collecting);
    }
  });
});
