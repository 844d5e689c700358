import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { samplePhoto } from '../support/sample-images.js';
import { envelope, parseSoap } from '../support/soap.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const photoRequest = envelope('<m:GetUserPhoto><m:Email>alex@contoso.example</m:Email><m:SizeRequested>HR48x48</m:SizeRequested></m:GetUserPhoto>');
const resolveRequest = envelope('<m:ResolveNames ReturnFullContactData="true"><m:UnresolvedEntry>alex</m:UnresolvedEntry></m:ResolveNames>');

/**
 * POSTs `body` in chunks (no Content-Length), as a streaming client does, on a connection of
 * its own; the answer's status, once the bridge has closed that connection (a refused body's
 * unread rest would otherwise be read as the next request).
 */
async function postChunkedUntilClosed(t: TestBridge, body: string): Promise<number> {
  const server = t.bridge.server.listening ? t.bridge.server : t.bridge.server.listen(0, '127.0.0.1');
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const req = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/EWS/Exchange.asmx', agent: false, headers: { 'content-type': 'text/xml' } });
  req.on('error', () => {}); // the bridge may close before the last chunk is out
  for (let at = 0; at < body.length; at += 4096) req.write(body.slice(at, at + 4096));
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  res.resume();
  await once(res.socket, 'close');
  return res.statusCode ?? 0;
}

describe('who may call which EWS operation', () => {
  describe('with anonymous read on: photos only', () => {
    let t: TestBridge;
    before(async () => {
      t = await startTestBridge({ BRIDGE_ANONYMOUS_READ: 'true' });
      await t.store.upsertUsers([{ email: 'alex@contoso.example', displayName: 'Alex', title: 'Secret Title', refs: {} }]);
      await t.bridge.photos.setPhoto(userOwner('alex@contoso.example'), await samplePhoto(100, 100), 'test');
    });
    after(() => t.close());
    const post = (body: string) => request(t.bridge.server).post('/EWS/Exchange.asmx').set('Content-Type', 'text/xml; charset=utf-8').send(body);

    it('serves GetUserPhoto without credentials, ignoring any Authorization header', async () => {
      for (const authorization of [undefined, 'Basic bm9ib2R5Om5vdGhpbmc=']) {
        const req = post(photoRequest);
        const res = await (authorization ? req.set('Authorization', authorization) : req);
        expect(res.status).to.equal(200);
        expect((await parseSoap(res.text)).Envelope.Body.GetUserPhotoResponse.ResponseCode).to.equal('NoError');
      }
    });

    it('still asks for a login for ResolveNames, GetItem, GetAttachment and unknown operations, and shows no directory data', async () => {
      for (const body of [
        resolveRequest,
        envelope('<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="x"/></m:ItemIds></m:GetItem>'),
        envelope('<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="x"/></m:AttachmentIds></m:GetAttachment>'),
        envelope('<m:constructor/>'),
      ]) {
        const res = await post(body);
        expect(res.status).to.equal(401);
        expect(res.headers['www-authenticate']).to.match(/^Basic realm=/);
        expect(res.text).to.not.include('Secret Title');
      }
      const res = await post(resolveRequest).set('Authorization', basic(READER));
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Secret Title');
    });

    it('reads no more of a caller without a login than a photo read needs: a larger body is a 401, declared or sent in chunks', async () => {
      // 20 KiB of blanks inside the envelope: well-formed, larger than any GetUserPhoto.
      const padded = photoRequest.replace('<m:GetUserPhoto>', `<m:GetUserPhoto>${' '.repeat(20 * 1024)}`);
      const declared = await post(padded);
      expect(declared.status).to.equal(401);
      expect(declared.headers['www-authenticate']).to.match(/^Basic realm=/);

      expect(await postChunkedUntilClosed(t, padded)).to.equal(401);

      // A wrong login is ignored for the photo, and the body is held to the same limit.
      expect((await post(padded).set('Authorization', 'Basic bm9ib2R5Om5vdGhpbmc=')).status).to.equal(401);
      expect((await post(photoRequest).set('Authorization', 'Basic bm9ib2R5Om5vdGhpbmc=')).status).to.equal(200);
    });

    it('reads a logged-in caller’s larger body as always', async () => {
      const padded = resolveRequest.replace('<m:ResolveNames', `${' '.repeat(20 * 1024)}<m:ResolveNames`);
      const res = await post(padded).set('Authorization', basic(READER));
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Secret Title');
    });
  });

  describe('with anonymous read on, a stale password on GetUserPhoto', () => {
    let t: TestBridge;
    before(async () => {
      t = await startTestBridge({
        BRIDGE_ANONYMOUS_READ: 'true',
        BRIDGE_TRUSTED_PROXIES: '127.0.0.1, ::1',
        BRIDGE_LOGIN_MAX_FAILURES: '2',
        BRIDGE_LOGIN_BACKOFF_SECONDS: '30',
      });
      await t.store.upsertUsers([{ email: 'alex@contoso.example', displayName: 'Alex', title: 'Secret Title', refs: {} }]);
      await t.bridge.photos.setPhoto(userOwner('alex@contoso.example'), await samplePhoto(100, 100), 'test');
    });
    after(() => t.close());
    const stale = basic({ username: READER.username, password: 'last year’s password' });
    const post = (body: string, authorization: string, from: string) =>
      request(t.bridge.server)
        .post('/EWS/Exchange.asmx')
        .set('Content-Type', 'text/xml; charset=utf-8')
        .set('X-Forwarded-For', from)
        .set('Authorization', authorization)
        .send(body);

    it('is ignored, as the REST URL ignores it: photos served, no hash, no failed login, the account not held back', async () => {
      for (let i = 0; i < 10; i++) {
        const res = await post(photoRequest, stale, '203.0.113.5');
        expect(res.status).to.equal(200);
        const photo = (await parseSoap(res.text)).Envelope.Body.GetUserPhotoResponse;
        expect(photo.ResponseCode).to.equal('NoError');
        expect(photo.PictureData.length).to.be.greaterThan(100);
      }
      expect(t.bridge.auth.stats).to.include({ basicFailures: 0, throttled: 0, passwordChecks: 0 });
      // The right password, from elsewhere, is not held back by them.
      expect((await post(resolveRequest, basic(READER), '198.51.100.7')).status).to.equal(200);
    });

    it('is checked for a photo read that names an account to act as (ExchangeImpersonation, as exchangelib sends its own)', async () => {
      const actingAs = (name: string) =>
        envelope(
          '<m:GetUserPhoto><m:Email>alex@contoso.example</m:Email><m:SizeRequested>HR48x48</m:SizeRequested></m:GetUserPhoto>',
          `<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>${name}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>`,
        );
      const res = await post(actingAs(ADMIN.username), basic(ADMIN), '198.51.100.8');
      expect(res.status).to.equal(200);
      expect((await parseSoap(res.text)).Envelope.Body.GetUserPhotoResponse.ResponseCode).to.equal('NoError');
      expect((await post(actingAs(ADMIN.username), basic({ ...ADMIN, password: 'wrong' }), '198.51.100.9')).status).to.equal(401);
    });

    it('is still checked for every other operation: ResolveNames with it is a 401', async () => {
      const failures = t.bridge.auth.stats.basicFailures;
      const res = await post(resolveRequest, stale, '203.0.113.5');
      expect(res.status).to.equal(401);
      expect(res.text).to.not.include('Secret Title');
      expect(t.bridge.auth.stats.basicFailures).to.equal(failures + 1);
    });
  });

  describe('with logins required (the default)', () => {
    let t: TestBridge;
    before(async () => {
      t = await startTestBridge({ BRIDGE_LOGIN_MAX_FAILURES: '2', BRIDGE_LOGIN_BACKOFF_SECONDS: '30' });
    });
    after(() => t.close());
    const post = (authorization: string) =>
      request(t.bridge.server).post('/EWS/Exchange.asmx').set('Content-Type', 'text/xml').set('Authorization', authorization).send(resolveRequest);

    it('asks a stranger to log in before it reads the body: a malformed or oversized envelope without a login is a 401, not a fault', async () => {
      const anonymous = (body: string) => request(t.bridge.server).post('/EWS/Exchange.asmx').set('Content-Type', 'text/xml').send(body);
      for (const body of ['<not-xml', envelope(`<m:ResolveNames>${'<a/>'.repeat(5000)}</m:ResolveNames>`)]) {
        expect((await anonymous(body)).status).to.equal(401);
      }
    });

    it('answers a throttled login as Exchange answers a busy server: a fault with ErrorServerBusy, BackOffMilliseconds and Retry-After', async () => {
      const wrong = basic({ username: READER.username, password: 'wrong' });
      expect((await post(wrong)).status).to.equal(401);
      expect((await post(wrong)).status).to.equal(401);
      const throttled = await post(wrong);
      // HTTP 500, as Exchange's throttling faults: exchangelib reads a fault on no other status.
      expect(throttled.status).to.equal(500);
      const retryAfter = Number(throttled.headers['retry-after']);
      expect(retryAfter).to.be.greaterThan(0);
      const fault = (await parseSoap(throttled.text)).Envelope.Body.Fault;
      expect(fault.faultcode._ ?? fault.faultcode).to.match(/:ErrorServerBusy$/);
      expect(fault.detail.ResponseCode._ ?? fault.detail.ResponseCode).to.equal('ErrorServerBusy');
      expect(fault.detail.MessageXml.Value._).to.equal(String(retryAfter * 1000));
      expect(fault.detail.MessageXml.Value.$.Name).to.equal('BackOffMilliseconds');
    });
  });
});
