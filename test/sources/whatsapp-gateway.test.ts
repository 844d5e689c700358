import { expect } from 'chai';
import type { CountryCode } from 'libphonenumber-js';
import { createLogger } from '../../src/logger.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { UpstreamPhotos } from '../../src/photos/upstream-photos.js';
import { InconclusiveAnswerError, PermanentSourceError, type PhotoSource } from '../../src/sources/photo-source.js';
import { gatewayDigits, phoneForImport, placePhone } from '../../src/sources/whatsapp-phone.js';
import { startPlugchat } from '../simulators/plugchat.js';
import { startWhatsappCdn, type WhatsappCdn } from '../simulators/whatsapp-cdn.js';
import type { GatewaySimulator } from '../simulators/whatsapp-gateway.js';
import { startZapi } from '../simulators/zapi.js';
import { buildSource, colouredPhoto, contactWithPhone, expectNoCredentials, failure, plugchatSettings, zapiSettings } from '../support/whatsapp.js';

const PHONE = '5511999990000';
const WRITTEN = '+55 (11) 99999-0000';
const LIMITS = { maxInputBytes: 10_000_000, maxInputPixels: 40_000_000, jpegQuality: 85 };

describe('WhatsApp gateway sources', () => {
  let cdn: WhatsappCdn;
  let photo: Buffer;
  before(async () => {
    cdn = await startWhatsappCdn();
    photo = await colouredPhoto(30, 160, 90);
  });
  after(() => cdn.close());
  beforeEach(() => {
    cdn.photos.clear();
    cdn.photos.set(PHONE, photo);
    cdn.requests.length = 0;
    cdn.fault = undefined;
  });
  afterEach(() => expectNoCredentials(cdn.requests));

  describe('phone numbers', () => {
    const placed = (written: string, country?: CountryCode) => placePhone(written, country);

    it('are placed in E.164 by their own country code, else by defaultCountry', () => {
      expect(placed('+55 (11) 99999-0000')).to.deep.equal({ placed: true, e164: '+5511999990000' });
      expect(placed('(11) 99999-0000', 'BR')).to.deep.equal({ placed: true, e164: '+5511999990000' });
      expect(placed('011 99999-0000', 'BR')).to.deep.equal({ placed: true, e164: '+5511999990000' });
      expect(placed('5511999990000', 'BR')).to.deep.equal({ placed: true, e164: '+5511999990000' });
      expect(placed('+1 415 555 0100', 'BR')).to.deep.equal({ placed: true, e164: '+14155550100' });
      expect(placed(' +44 20 7946 0958 ')).to.deep.equal({ placed: true, e164: '+442079460958' });
      expect(gatewayDigits('+5511999990000')).to.equal('5511999990000');
    });

    it("keep the WhatsApp ids their country's plan has since changed: Brazil's 8-digit mobiles, Mexico's 52 1", () => {
      expect(placed('551199999999', 'BR')).to.deep.equal({ placed: true, e164: '+551199999999' });
      expect(placed('+55 44 9999-9999')).to.deep.equal({ placed: true, e164: '+554499999999' });
      expect(placed('(44) 8888-1234', 'BR')).to.deep.equal({ placed: true, e164: '+554488881234' });
      expect(placed('+52 1 55 1234 5678')).to.deep.equal({ placed: true, e164: '+5215512345678' });
      expect(phoneForImport('+559999999999')).to.deep.equal({ stored: '+559999999999' });
      // A Brazilian fixed line keeps its 8 digits and is valid as such.
      expect(placed('+55 11 3333-4444')).to.deep.equal({ placed: true, e164: '+551133334444' });
    });

    it('are refused, never guessed, when they cannot be placed', () => {
      for (const [written, country, why] of [
        ['(11) 99999-0000', undefined, /has no country code \(\+CC\) and the source has no defaultCountry/],
        ['5511999990000', undefined, /has no country code/],
        ['+55 11 1234-0000', undefined, /is not a valid number for BR; check its digits/],
        ['+52 1 00 1234 5678', undefined, /is not a valid number for MX/],
        ['(11) 1234-0000', 'BR', /is not a valid number for BR \(the defaultCountry\); write it with its country code/],
        ['11999990000', 'US', /is not a valid number for US/],
        ['+999 1234 5678', undefined, /names no country that exists/],
        ['+55 11 9999-ABCD', undefined, /characters other than digits/],
        ['tel:+5511999990000', undefined, /characters other than digits/],
        ['5511999990000@s.whatsapp.net', 'BR', /characters other than digits/],
        ['+55 11 99999-0000 ext 12', undefined, /characters other than digits/],
        ['+55 11 99999-0000 12345', undefined, /more than 15 digits/],
        ['', 'BR', /characters other than digits/],
      ] as const) {
        const placement = placed(written, country);
        expect(placement.placed, written).to.equal(false);
        if (!placement.placed)
          expect(placement.reason, written)
            .to.match(why)
            .and.match(/e\.g\. \+55 11 99999-0000/);
      }
    });

    it('at import: with a country code checked and stored as E.164, without one kept as written for the source to place', () => {
      expect(phoneForImport('+55 (11) 99999-0000')).to.deep.equal({ stored: '+5511999990000' });
      expect(phoneForImport(' (11) 99999-0000 ')).to.deep.equal({ stored: '(11) 99999-0000' });
      expect(phoneForImport('+55 11 1234-0000'))
        .to.have.property('refused')
        .that.matches(/not a valid number for BR/);
      expect(phoneForImport('tel:11999990000'))
        .to.have.property('refused')
        .that.matches(/characters other than digits/);
    });
  });

  // `misplaced`: settings that point at an instance or API the gateway does not have.
  const gateways = [
    { type: 'zapi', start: startZapi, settings: zapiSettings, misplaced: () => ({ token: 'NOPE0TOKEN' }) },
    { type: 'plugchat', start: startPlugchat, settings: plugchatSettings, misplaced: (gateway: GatewaySimulator) => ({ baseUrl: `${gateway.baseUrl}/v2` }) },
  ] as const;

  for (const { type, start, settings, misplaced } of gateways) {
    describe(`${type}: the profile-picture answer`, () => {
      let gateway: GatewaySimulator;
      let source: PhotoSource;
      const fetch = (phone = WRITTEN) => source.fetch(contactWithPhone(phone), AbortSignal.timeout(5000));
      before(async () => {
        gateway = await start(cdn);
        source = buildSource(type, settings(gateway, cdn));
      });
      after(() => gateway.close());
      beforeEach(() => {
        gateway.calls.length = 0;
        gateway.fault = undefined;
        gateway.shape = 'array';
        gateway.noPhoto = 'not-found';
      });

      it('asks for the phone as digits and returns the bytes behind the link', async () => {
        const answer = await fetch();
        expect(answer).to.deep.equal({ kind: 'photo', bytes: photo });
        expect(gateway.calls.map((call) => call.phone)).to.deep.equal([PHONE]);
        expect(cdn.requests).to.have.length(1);
      });

      it('places a number written without a country code by defaultCountry, and refuses it without one before asking', async () => {
        const brazil = buildSource(type, settings(gateway, cdn, { defaultCountry: 'br' }));
        expect(await brazil.fetch(contactWithPhone('(11) 99999-0000'), AbortSignal.timeout(5000))).to.deep.equal({ kind: 'photo', bytes: photo });
        expect(gateway.calls.map((call) => call.phone)).to.deep.equal([PHONE]);
        gateway.calls.length = 0;
        const error = await failure(fetch('(11) 99999-0000'));
        expect(error).to.be.instanceOf(PermanentSourceError);
        expect(error.message).to.equal(
          'whatsappPhone "(11) 99999-0000" has no country code (+CC) and the source has no defaultCountry; write it with its country code, e.g. +55 11 99999-0000 or set defaultCountry',
        );
        expect(gateway.calls).to.have.length(0);
      });

      it('takes a 404 for a contact without a photo as "no photo" once the status endpoint confirms the instance', async () => {
        cdn.photos.clear();
        expect(await fetch()).to.deep.equal({ kind: 'none' });
        expect(gateway.calls.map((call) => call.endpoint)).to.deep.equal(['profile-picture', 'status']);
        for (const noPhoto of ['empty', 'null-link'] as const) {
          gateway.noPhoto = noPhoto;
          expect(await fetch(), noPhoto).to.deep.equal({ kind: 'none' });
        }
        expect(cdn.requests).to.have.length(0);
      });

      it('takes that 404 as unknown, not "no photo", while the WhatsApp number is not connected', async () => {
        cdn.photos.clear();
        gateway.connected = false;
        try {
          const error = await failure(fetch());
          expect(error).to.be.instanceOf(InconclusiveAnswerError);
          expect(error.message).to.match(/answered 404 while its WhatsApp number is not connected$/);
        } finally {
          gateway.connected = true;
        }
      });

      it('reports a 404 from an instance or API the gateway does not have as a configuration problem, not as "no photo"', async () => {
        const error = await failure(buildSource(type, settings(gateway, cdn, misplaced(gateway))).fetch(contactWithPhone(WRITTEN), AbortSignal.timeout(5000)));
        expect(error).to.be.instanceOf(PermanentSourceError);
        expect(error.message).to.match(/has no such endpoint or instance \(404: Not Found\); check baseUrl and /);
        expect(error.message).to.not.include('NOPE0TOKEN');
      });

      it('reads a bare {"link": …} as well as [{"link": …}]', async () => {
        gateway.shape = 'object';
        expect((await fetch()).kind).to.equal('photo');
      });

      it('takes null, "null", empty and no entry at all as "no photo", without touching the CDN', async () => {
        for (const body of [[{ link: null }], [{ link: 'null' }], [{ link: '' }], [{ link: '  ' }], { link: null }, { link: 'null' }, []]) {
          gateway.answers.set(PHONE, body);
          expect(await fetch(), JSON.stringify(body)).to.deep.equal({ kind: 'none' });
        }
        expect(cdn.requests).to.have.length(0);
      });

      it('says only that it accepts references with a WhatsApp phone', () => {
        expect(source.accepts(contactWithPhone(WRITTEN))).to.equal(true);
        expect(source.accepts({ kind: 'user', emails: ['a@b.c'] })).to.equal(false);
        expect(source.accepts(contactWithPhone(' '))).to.equal(false);
      });

      it('refuses a malformed phone before asking the gateway', async () => {
        const error = await failure(fetch('+55 11 9999-ABCD'));
        expect(error).to.be.instanceOf(PermanentSourceError);
        expect(error.message).to.match(/whatsappPhone "\+55 11 9999-ABCD"/);
        expect(gateway.calls).to.have.length(0);
      });

      it('treats documented 401/404/405/415 and observed 400/403 as permanent, 5xx/429/garbage as worth a retry', async () => {
        const permanent: [number, RegExp][] = [
          [400, /answered 400: simulated 400/],
          [401, /refused the credentials \(401: simulated 401\); check /],
          [403, /refused the credentials \(403/],
          [404, /no such endpoint or instance \(404/],
          [405, /method or content type \(405/],
          [415, /method or content type \(415/],
          [422, /answered 422/],
        ];
        for (const [status, message] of permanent) {
          gateway.fault = { status };
          const error = await failure(fetch());
          expect(error, String(status)).to.be.instanceOf(PermanentSourceError);
          expect(error.message).to.match(message);
        }
        for (const fault of [{ status: 500 }, { status: 503 }, { status: 429, headers: { 'retry-after': '1' } }, 'garbage'] as const) {
          gateway.fault = fault;
          const error = await failure(fetch());
          expect(error, JSON.stringify(fault)).to.not.be.instanceOf(PermanentSourceError);
        }
      });

      it('reads no JSON answer past 128 KB: a megabyte nested half a million deep is refused unparsed, as worth a retry', async () => {
        gateway.fault = 'nested';
        const error = await failure(fetch());
        expect(error).to.not.be.instanceOf(PermanentSourceError);
        expect(error.message).to.match(/ answered 200 with something other than JSON$/);
      });

      it("gives up on a slow gateway when the call's time is up", async () => {
        gateway.fault = 'slow';
        const error = await failure(source.fetch(contactWithPhone(WRITTEN), AbortSignal.timeout(200)));
        expect(error).to.not.be.instanceOf(PermanentSourceError);
      });

      it('asks the gateway once more when its link has expired, and takes the fresh one', async () => {
        const stale = cdn.linkFor(PHONE);
        cdn.expireLinks();
        gateway.answers.set(PHONE, [{ link: stale }]);
        expect(await fetch()).to.deep.equal({ kind: 'photo', bytes: photo });
        expect(gateway.pictureCalls).to.equal(2);
        expect(cdn.requests).to.have.length(2);
      });

      it('stops after a second dead link instead of asking forever', async () => {
        cdn.fault = 'dead';
        const error = await failure(fetch());
        expect(error).to.be.instanceOf(PermanentSourceError);
        expect(error.message).to.match(/dead photo link twice/);
        expect(gateway.pictureCalls).to.equal(2);
      });
    });
  }

  describe('the link, fetched as untrusted', () => {
    let gateway: GatewaySimulator;
    let lab: PhotoSource;
    const fetchWith = (source: PhotoSource) => source.fetch(contactWithPhone(WRITTEN), AbortSignal.timeout(5000));
    before(async () => {
      gateway = await startZapi(cdn);
      lab = buildSource('zapi', zapiSettings(gateway, cdn));
    });
    after(() => gateway.close());
    beforeEach(() => {
      gateway.fault = undefined;
    });

    const refused = async (source: PhotoSource, link: string | undefined, reason: RegExp) => {
      if (link) gateway.answers.set(PHONE, [{ link }]);
      const error = await failure(fetchWith(source));
      expect(error, link).to.be.instanceOf(PermanentSourceError);
      expect(error.message).to.match(reason);
    };

    it('by default refuses anything but https to *.whatsapp.net at a public address', async () => {
      const strict = buildSource('zapi', zapiSettings(gateway, cdn, { linkHosts: undefined, allowPrivateLinkAddresses: undefined }));
      await refused(strict, undefined, /host 127\.0\.0\.1 is not allowed/);
      await refused(strict, 'http://pps.whatsapp.net/v/t61.24694-24/1_n.jpg', /http: URLs are not allowed/);
      await refused(strict, 'https://evil.example.com/v/t61.24694-24/1_n.jpg', /host evil\.example\.com is not allowed/);
      await refused(strict, 'https://pps.whatsapp.net.evil.example.com/x.jpg', /is not allowed/);
      await refused(strict, 'ftp://pps.whatsapp.net/x.jpg', /ftp: URLs are not allowed/);
      expect(cdn.requests).to.have.length(0);
    });

    it('refuses loopback even for an allowed host unless the lab switch is on', async () => {
      const port = new URL(cdn.origin).port;
      const allowed = buildSource('zapi', zapiSettings(gateway, cdn, { linkHosts: ['127.0.0.1', 'localhost'], allowPrivateLinkAddresses: false }));
      await refused(allowed, `https://127.0.0.1:${port}/v/t61.24694-24/${PHONE}_n.jpg?oe=999`, /127\.0\.0\.1 is not a public address/);
      await refused(allowed, `https://localhost:${port}/v/t61.24694-24/${PHONE}_n.jpg?oe=999`, /localhost resolves to .*not a public address/);
      expect(cdn.requests).to.have.length(0);
    });

    it('does not follow a redirect, not even to the CDN itself', async () => {
      cdn.fault = 'redirect';
      await refused(lab, undefined, /redirects \(302\)/);
      expect(cdn.requests.map((request) => request.path))
        .to.have.length(1)
        .and.not.include('/internal/metadata');
    });

    it('stops reading a body larger than maxPhotoBytes', async () => {
      cdn.fault = 'huge';
      await refused(lab, undefined, /larger than 200000 bytes/);
    });

    it("gives up on a slow CDN when the call's time is up", async () => {
      cdn.fault = 'slow';
      const error = await failure(lab.fetch(contactWithPhone(WRITTEN), AbortSignal.timeout(300)));
      expect(error).to.not.be.instanceOf(PermanentSourceError);
    });

    it('hands garbage and image bombs to the image checks, which count them as the source failing', async () => {
      const upstream = new UpstreamPhotos({ user: [], contact: [lab] }, (bytes) => normalizePhoto(bytes, LIMITS), createLogger('silent'));
      for (const fault of ['garbage', 'bomb'] as const) {
        cdn.fault = fault;
        expect(await upstream.find(contactWithPhone(WRITTEN)), fault).to.deep.equal({ kind: 'failed', failure: 'permanent' });
      }
      cdn.fault = undefined;
      expect((await upstream.find(contactWithPhone(WRITTEN))).kind).to.equal('photo');
      expect(upstream.stats).to.deep.equal({ upstreamCalls: 3, upstreamFailures: 2 });
    });
  });
});
