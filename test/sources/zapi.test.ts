import { expect } from 'chai';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import request from 'supertest';
import { contactOwner } from '../../src/domain/photo-owner.js';
import type { ImageLimits } from '../../src/photos/image-limits.js';
import { CredentialsRefusedError, MisconfiguredSourceError, PermanentSourceError } from '../../src/sources/photo-source.js';
import { resilient } from '../../src/sources/resilient-source.js';
import { startWhatsappCdn, type WhatsappCdn } from '../simulators/whatsapp-cdn.js';
import type { GatewaySimulator } from '../simulators/whatsapp-gateway.js';
import { CLIENT_TOKEN_NOT_CONFIGURED, startZapi, ZAPI } from '../simulators/zapi.js';
import { rejectionOf } from '../support/rejection.js';
import { envelope, parseSoap } from '../support/soap.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { buildSource, colouredPhoto, contactWithPhone, expectColour, expectNoCredentials, failure, zapiSettings } from '../support/whatsapp.js';

const GREEN = [30, 160, 90];
const BLUE = [40, 70, 200];

describe('Z-API source', () => {
  let cdn: WhatsappCdn;
  let zapi: GatewaySimulator;
  before(async () => {
    cdn = await startWhatsappCdn();
    zapi = await startZapi(cdn);
    cdn.photos.set('5511999990000', await colouredPhoto(GREEN[0]!, GREEN[1]!, GREEN[2]!));
  });
  after(async () => {
    expectNoCredentials(cdn.requests);
    await zapi.close();
    await cdn.close();
  });

  describe('against its simulator', () => {
    beforeEach(() => {
      zapi.calls.length = 0;
      zapi.connected = true;
      zapi.fault = undefined;
    });

    it('asks GET /instances/{instance}/token/{token}/profile-picture?phone= with the Client-Token header and a JSON Content-Type (get-profile-picture.md: 415 without one)', async () => {
      const source = buildSource('zapi', zapiSettings(zapi, cdn, { baseUrl: `${zapi.baseUrl}/` }));
      expect((await source.fetch(contactWithPhone('+55 (11) 99999-0000'), AbortSignal.timeout(5000))).kind).to.equal('photo');
      const [call] = zapi.calls;
      expect(call?.path).to.equal(`/instances/${ZAPI.instance}/token/${ZAPI.token}/profile-picture?phone=5511999990000`);
      expect(call?.headers).to.include({ 'client-token': ZAPI.clientToken, 'content-type': 'application/json' });
    });

    it('says which settings to check when Z-API refuses them, without repeating a credential', async () => {
      const wrongClientToken = await failure(
        buildSource('zapi', zapiSettings(zapi, cdn, { clientToken: 'nope' })).fetch(contactWithPhone('+5511999990000'), AbortSignal.timeout(5000)),
      );
      expect(wrongClientToken).to.be.instanceOf(PermanentSourceError);
      expect(wrongClientToken.message).to.equal('Z-API refused the credentials (403: Client-Token … not allowed); check instance, token and clientToken');
      const wrongToken = await failure(
        buildSource('zapi', zapiSettings(zapi, cdn, { token: 'nope' })).fetch(contactWithPhone('+5511999990000'), AbortSignal.timeout(5000)),
      );
      expect(wrongToken).to.be.instanceOf(PermanentSourceError);
      expect(wrongToken.message).to.equal('Z-API has no such endpoint or instance (404: Not Found); check baseUrl and instance, token and clientToken');
      for (const error of [wrongClientToken, wrongToken]) expect(error.message).to.not.include(ZAPI.token);
    });

    it('blanks a credential the gateway echoes upper-cased, URL-encoded or cut short', async () => {
      const echoed = `${ZAPI.clientToken.toUpperCase()} ${encodeURIComponent(ZAPI.token)} (${ZAPI.clientToken.slice(0, -1)}) ${ZAPI.instance.toLowerCase()}`;
      zapi.fault = { status: 403, body: { error: `refused: ${echoed}` } };
      try {
        const refused = await failure(buildSource('zapi', zapiSettings(zapi, cdn)).fetch(contactWithPhone('+5511999990000'), AbortSignal.timeout(5000)));
        expect(refused.message).to.equal('Z-API refused the credentials (403: refused: … … (…) …); check instance, token and clientToken');
      } finally {
        zapi.fault = undefined;
      }
    });

    it("sends no Client-Token when none is set: an account whose security token is off (Z-API's default) takes it, one that activated it refuses", async () => {
      const { clientToken: _none, ...withoutClientToken } = zapiSettings(zapi, cdn);
      const tokenOff = await startZapi(cdn, { securityToken: false });
      try {
        const source = buildSource('zapi', { ...withoutClientToken, baseUrl: tokenOff.baseUrl });
        expect((await source.fetch(contactWithPhone('+5511999990000'), AbortSignal.timeout(5000))).kind).to.equal('photo');
        expect(tokenOff.calls[0]?.headers).to.not.have.property('client-token');
      } finally {
        await tokenOff.close();
      }
      const refused = await failure(buildSource('zapi', withoutClientToken).fetch(contactWithPhone('+5511999990000'), AbortSignal.timeout(5000)));
      expect(refused).to.be.instanceOf(PermanentSourceError);
      expect(refused.message).to.equal('Z-API refused the credentials (400: null not allowed); check instance, token and clientToken');
    });

    it('takes a 405 or a 4xx that only says "not allowed" for what it is, not refused credentials', async () => {
      const source = buildSource('zapi', zapiSettings(zapi, cdn));
      const cases = [
        // A baseUrl that is not Z-API's API: the method refused (get-profile-picture.md lists 405).
        [
          { status: 405, body: { error: 'Method Not Allowed' } },
          MisconfiguredSourceError,
          "Z-API refused the request's method or content type (405: Method Not Allowed); check that baseUrl is Z-API's API",
        ],
        [
          { status: 400, body: { error: 'phone not allowed for this account' } },
          PermanentSourceError,
          'Z-API answered 400: phone not allowed for this account',
        ],
      ] as const;
      try {
        for (const [fault, kind, message] of cases) {
          zapi.fault = fault;
          const error = await failure(source.fetch(contactWithPhone('+5511999990000'), AbortSignal.timeout(5000)));
          expect([error.constructor.name, error.message], String(fault.status)).to.deep.equal([kind.name, message]);
          expect(error).to.not.be.instanceOf(CredentialsRefusedError);
        }
      } finally {
        zapi.fault = undefined;
      }
    });

    it('takes 400 "your client-token is not configured" as refused credentials: reported, not retried', async () => {
      zapi.fault = { status: 400, body: CLIENT_TOKEN_NOT_CONFIGURED };
      try {
        const source = resilient(buildSource('zapi', zapiSettings(zapi, cdn)), { timeoutMs: 5000, retries: 3, breakerThreshold: 100, breakerHalfOpenMs: 1000 });
        const error = await failure(source.fetch(contactWithPhone('+5511999990000'), AbortSignal.timeout(5000)));
        expect(error).to.be.instanceOf(PermanentSourceError);
        expect(error.message).to.equal('Z-API refused the credentials (400: your client-token is not configured); check instance, token and clientToken');
        expect(zapi.pictureCalls).to.equal(1);
        const steps = await source.check(contactWithPhone('+5511999990000'), AbortSignal.timeout(5000));
        expect(steps.at(-1)).to.deep.equal({ step: 'authenticated', ok: false, detail: error.message });
      } finally {
        zapi.fault = undefined;
      }
    });

    it('`sources check` names the step that failed: credentials, connection, phone number, profile picture or photo link', async () => {
      const source = buildSource('zapi', zapiSettings(zapi, cdn));
      const summary = async (settings = source, phone = '+55 11 99999-0000') =>
        (await settings.check(contactWithPhone(phone), AbortSignal.timeout(5000))).map(({ step, ok }) => `${ok ? 'ok' : 'FAIL'} ${step}`);
      const allGood = ['ok reachable', 'ok authenticated', 'ok connected', 'ok phone number', 'ok profile picture', 'ok photo link'];
      expect(await summary()).to.deep.equal(allGood);
      expect(await summary(buildSource('zapi', zapiSettings(zapi, cdn, { defaultCountry: 'BR' })), '(11) 99999-0000')).to.deep.equal(allGood);

      const phoneStep = (await source.check(contactWithPhone('(11) 99999-0000'), AbortSignal.timeout(5000))).at(-1);
      expect(phoneStep).to.deep.include({ step: 'phone number', ok: false });
      expect(phoneStep?.detail).to.match(/has no country code .* or set defaultCountry$/);

      cdn.fault = 'dead';
      try {
        expect((await source.check(contactWithPhone('+5511999990000'), AbortSignal.timeout(5000))).at(-1)).to.deep.equal({
          step: 'photo link',
          ok: false,
          detail: 'WhatsApp says the photo link just handed out has expired',
        });
      } finally {
        cdn.fault = undefined;
      }
      expect((await source.check(contactWithPhone('+55 21 3333-0000'), AbortSignal.timeout(5000))).at(-1)).to.deep.equal({
        step: 'profile picture',
        ok: true,
        detail: 'Z-API says 552133330000 has no profile photo',
      });

      zapi.connected = false;
      const steps = await source.check(undefined, AbortSignal.timeout(5000));
      expect(steps.at(-1)).to.deep.equal({ step: 'connected', ok: false, detail: 'the WhatsApp number is not connected: You are not connected.' });
      expect(await summary(buildSource('zapi', zapiSettings(zapi, cdn, { clientToken: 'nope' })))).to.deep.equal(['ok reachable', 'FAIL authenticated']);
      expect(await summary(buildSource('zapi', zapiSettings(zapi, cdn, { baseUrl: 'http://127.0.0.1:9' })))).to.deep.equal(['FAIL reachable']);
    });

    it("`sources check` quotes the status endpoint's explanation as every gateway answer is: credentials blanked, cut to 200 characters", async () => {
      // A gateway (misconfigured, hostile) whose status echoes the credentials at length.
      const echo = `Client-Token ${ZAPI.clientToken} is not valid for ${ZAPI.instance} (token ${ZAPI.token})`;
      zapi.fault = { status: 200, body: { connected: false, error: `${echo}${' pad'.repeat(5000)}`, smartphoneConnected: false } };
      const steps = await buildSource('zapi', zapiSettings(zapi, cdn)).check(undefined, AbortSignal.timeout(5000));
      const quoted = `Client-Token … is not valid for … (token …)${' pad'.repeat(5000)}`.slice(0, 200);
      expect(steps.at(-1)).to.deep.equal({ step: 'connected', ok: false, detail: `the WhatsApp number is not connected: ${quoted}` });
    });

    it('refuses a defaultCountry that is not an ISO 3166 code', () => {
      expect(() => buildSource('zapi', zapiSettings(zapi, cdn, { defaultCountry: 'XX' }))).to.throw(/ISO 3166 country code/);
      expect(() => buildSource('zapi', zapiSettings(zapi, cdn, { defaultCountry: 'Brazil' }))).to.throw(/ISO 3166 country code/);
    });
  });

  describe('end to end: a contact whose photo comes from WhatsApp', () => {
    let t: TestBridge;
    let dir: string;
    const ids: Record<string, number> = {};
    const reader = basic(READER);

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'epb-zapi-'));
      const configFile = join(dir, 'bridge.json');
      writeFileSync(
        configFile,
        JSON.stringify({ sources: [{ name: 'whatsapp', type: 'zapi', ...zapiSettings(zapi, cdn) }], sourceOrder: { users: [], contacts: ['whatsapp'] } }),
      );
      t = await startTestBridge({
        BRIDGE_CONFIG: configFile,
        BRIDGE_SOURCE_TIMEOUT_MS: '2000',
        BRIDGE_SOURCE_RETRIES: '0',
        BRIDGE_SOURCE_BREAKER_THRESHOLD: '1000',
        BRIDGE_NO_PHOTO_TTL_SECONDS: '0',
      });
      const people = [
        ['Maria Silva', '+55 (11) 99999-0000'],
        ['Joao Souza', '+55 21 98888-7777'],
      ] as const;
      const added = await t.store.addContacts(
        READER.username,
        people.map(([displayName, whatsappPhone]) => ({ displayName, emailAddresses: [], phones: { mobile: whatsappPhone }, refs: { whatsappPhone } })),
      );
      people.forEach(([name], i) => (ids[name] = added[i]!));
      cdn.photos.set('5521988887777', await colouredPhoto(GREEN[0]!, GREEN[1]!, GREEN[2]!));
    });
    after(async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
      zapi.fault = undefined;
    });

    const photoOf = (name: string) =>
      request(t.bridge.server)
        .get(`/api/people/photo?name=${encodeURIComponent(name)}`)
        .set('Authorization', reader)
        .buffer(true);

    it('ResolveNames (AllProperties) carries the WhatsApp photo as t:Photo', async () => {
      const before = zapi.pictureCalls;
      const res = await request(t.bridge.server)
        .post('/EWS/Exchange.asmx')
        .set('Authorization', reader)
        .set('Content-Type', 'text/xml; charset=utf-8')
        .send(
          envelope(
            '<m:ResolveNames ReturnFullContactData="true" ContactDataShape="AllProperties"><m:UnresolvedEntry>Maria</m:UnresolvedEntry></m:ResolveNames>',
          ),
        )
        .expect(200);
      const { Mailbox, Contact } = (await parseSoap(res.text)).Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage.ResolutionSet
        .Resolution;
      expect(Mailbox).to.deep.include({ Name: 'Maria Silva', MailboxType: 'Contact' });
      expect(Contact.HasPicture).to.equal('true');
      const photo = Buffer.from(Contact.Photo, 'base64');
      expect(await sharp(photo).metadata()).to.include({ format: 'jpeg', width: 96, height: 96 });
      await expectColour(photo, GREEN);
      expect(zapi.pictureCalls - before).to.equal(1);
      expect((await t.store.getPhotoInfo(contactOwner(ids['Maria Silva']!)))?.source).to.equal('whatsapp');
    });

    it('the REST facade serves the same photo as JPEG bytes, from the store', async () => {
      const before = zapi.pictureCalls;
      const res = await photoOf('Maria').expect(200).expect('content-type', 'image/jpeg');
      await expectColour(res.body as Buffer, GREEN);
      expect(zapi.pictureCalls).to.equal(before);
    });

    it('makes one gateway call for 50 concurrent requests for an uncached contact', async () => {
      const [calls, fetches] = [zapi.pictureCalls, cdn.requests.length];
      const answers = await Promise.all(Array.from({ length: 50 }, () => photoOf('Joao')));
      expect(answers.map((res) => res.status)).to.deep.equal(Array(50).fill(200));
      expect(zapi.pictureCalls - calls).to.equal(1);
      expect(cdn.requests.length - fetches).to.equal(1);
    });

    it('fetches a photo while uploads hold every decode slot and fill the queue: fetched photos decode in slots of their own', async () => {
      const [id] = await t.store.addContacts(READER.username, [
        { displayName: 'Ana Lima', emailAddresses: [], phones: { mobile: '+55 31 97777-6666' }, refs: { whatsappPhone: '+55 31 97777-6666' } },
      ]);
      cdn.photos.set('5531977776666', await colouredPhoto(GREEN[0]!, GREEN[1]!, GREEN[2]!));
      // The uploads' slots, reached through the photo service: every one held, and the queue full behind them.
      const uploads = (t.bridge.photos as unknown as { limits: ImageLimits }).limits.decodes!;
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const holders = Array.from({ length: t.config.photoDecodes + t.config.photoDecodeQueue }, () => uploads.run(() => gate));
      try {
        expect(await rejectionOf(uploads.run(() => Promise.resolve()))).to.include({ responseCode: 'ErrorServerBusy' });
        await expectColour((await photoOf('Ana Lima').expect(200)).body as Buffer, GREEN);
        expect((await t.store.getPhotoInfo(contactOwner(id!)))?.source).to.equal('whatsapp');
      } finally {
        open();
        await Promise.all(holders);
      }
    });

    it('fetches again once the stored bytes are older than BRIDGE_SOURCE_REFRESH_SECONDS, and serves them stale while Z-API is down', async () => {
      const mariaId = ids['Maria Silva']!;
      const ageStoredPhoto = () => {
        const db = new Database(t.databasePath);
        db.prepare('UPDATE contact_photos SET updated_at = ? WHERE contact_id = ?').run(
          new Date(Date.now() - (t.config.sourceRefreshSeconds + 60) * 1000).toISOString(),
          mariaId,
        );
        db.close();
        t.bridge.photos.forget(contactOwner(mariaId));
      };
      cdn.photos.set('5511999990000', await colouredPhoto(BLUE[0]!, BLUE[1]!, BLUE[2]!));
      ageStoredPhoto();
      const calls = zapi.pictureCalls;
      await expectColour((await photoOf('Maria').expect(200)).body as Buffer, BLUE);
      expect(zapi.pictureCalls - calls).to.equal(1);

      ageStoredPhoto();
      zapi.fault = { status: 500 };
      await expectColour((await photoOf('Maria').expect(200)).body as Buffer, BLUE);
      expect(t.bridge.photos.stats.staleServed).to.equal(1);
    });

    it('while the gateway fails and nothing was stored: the photo is "try again", the contact itself is found and read without it', async () => {
      await t.store.addContacts(READER.username, [
        { displayName: 'Rita Souza', emailAddresses: [], phones: { mobile: '+55 41 96666-5555' }, refs: { whatsappPhone: '+55 41 96666-5555' } },
      ]);
      zapi.fault = { status: 500 };
      const photo = await photoOf('Rita').expect(503);
      expect(photo.headers['retry-after']).to.match(/^[1-9]\d*$/);
      const soap = async (body: string) => {
        const res = await request(t.bridge.server)
          .post('/EWS/Exchange.asmx')
          .set('Authorization', reader)
          .set('Content-Type', 'text/xml; charset=utf-8')
          .send(envelope(body))
          .expect(200);
        return (await parseSoap(res.text)).Envelope.Body;
      };
      const resolution = (
        await soap('<m:ResolveNames ReturnFullContactData="true" ContactDataShape="AllProperties"><m:UnresolvedEntry>Rita</m:UnresolvedEntry></m:ResolveNames>')
      ).ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage.ResolutionSet.Resolution;
      expect([resolution.Mailbox.Name, resolution.Contact.HasPicture, resolution.Contact.Photo]).to.deep.equal(['Rita Souza', 'false', undefined]);
      const itemId = resolution.Mailbox.ItemId.$.Id as string;
      const read = (
        await soap(
          `<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${itemId}"/></m:ItemIds></m:GetItem>`,
        )
      ).GetItemResponse.ResponseMessages.GetItemResponseMessage;
      expect([read.ResponseCode, read.Items.Contact.DisplayName, read.Items.Contact.HasPicture]).to.deep.equal(['NoError', 'Rita Souza', 'false']);
    });
  });
});
