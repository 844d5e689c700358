import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { contactOwner } from '../../src/domain/photo-owner.js';
import { PermanentSourceError } from '../../src/sources/photo-source.js';
import { PLUGCHAT_TOKEN, startPlugchat } from '../simulators/plugchat.js';
import { startWhatsappCdn, type WhatsappCdn } from '../simulators/whatsapp-cdn.js';
import type { GatewaySimulator } from '../simulators/whatsapp-gateway.js';
import { startZapi } from '../simulators/zapi.js';
import { envelope, parseSoap } from '../support/soap.js';
import { basic, READER, startTestBridge } from '../support/test-bridge.js';
import {
  buildSource,
  colouredPhoto,
  contactWithPhone,
  expectColour,
  expectNoCredentials,
  failure,
  plugchatSettings,
  zapiSettings,
} from '../support/whatsapp.js';

const ORANGE = [230, 120, 20];
const PHONE = '5511999990000';

describe('PlugChat source', () => {
  let cdn: WhatsappCdn;
  let bare: GatewaySimulator;
  before(async () => {
    cdn = await startWhatsappCdn();
    bare = await startPlugchat(cdn);
    cdn.photos.set(PHONE, await colouredPhoto(ORANGE[0]!, ORANGE[1]!, ORANGE[2]!));
  });
  after(async () => {
    expectNoCredentials(cdn.requests);
    await bare.close();
    await cdn.close();
  });
  const lookup = (settings: Record<string, unknown>) =>
    buildSource('plugchat', settings).fetch(contactWithPhone('+55 11 99999-0000'), AbortSignal.timeout(5000));

  it('asks GET {baseUrl}/profile-picture?phone= with the bare token in Authorization, as every page of its docs shows it', async () => {
    expect((await lookup(plugchatSettings(bare, cdn))).kind).to.equal('photo');
    expect(bare.calls[0]?.path).to.equal(`/api/whatsapp/profile-picture?phone=${PHONE}`);
    expect(bare.calls[0]?.headers.authorization).to.equal(PLUGCHAT_TOKEN);
  });

  it('fails permanently, without the token in the message, when the token is wrong', async () => {
    const error = await failure(lookup(plugchatSettings(bare, cdn, { token: 'nope' })));
    expect(error).to.be.instanceOf(PermanentSourceError);
    expect(error.message).to.equal('PlugChat refused the credentials (401: unauthorized); check token');
  });

  it("reports reachable, authenticated, connected, then the sample's phone number, profile picture and photo link for `sources check`", async () => {
    const summary = async (settings: Record<string, unknown>) =>
      (await buildSource('plugchat', settings).check(contactWithPhone(`+${PHONE}`), AbortSignal.timeout(5000))).map(
        ({ step, ok }) => `${ok ? 'ok' : 'FAIL'} ${step}`,
      );
    expect(await summary(plugchatSettings(bare, cdn))).to.deep.equal([
      'ok reachable',
      'ok authenticated',
      'ok connected',
      'ok phone number',
      'ok profile picture',
      'ok photo link',
    ]);
    expect(await summary(plugchatSettings(bare, cdn, { token: 'nope' }))).to.deep.equal(['ok reachable', 'FAIL authenticated']);
  });

  it('sends the documented JSON Content-Type even on GET, since PlugChat answers 415 without it', async () => {
    const res = await fetch(`${bare.baseUrl}/profile-picture?phone=${PHONE}`, { headers: { authorization: PLUGCHAT_TOKEN } });
    expect(res.status).to.equal(415);
    bare.calls.length = 0;
    expect((await lookup(plugchatSettings(bare, cdn))).kind).to.equal('photo');
    expect(bare.calls[0]?.headers['content-type']).to.equal('application/json');
  });

  it('end to end: answers ResolveNames t:Photo and the REST facade when Z-API, asked first, is down', async () => {
    const zapi = await startZapi(cdn);
    zapi.fault = { status: 503 };
    const dir = mkdtempSync(join(tmpdir(), 'epb-plugchat-'));
    const configFile = join(dir, 'bridge.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        sources: [
          { name: 'zapi', type: 'zapi', ...zapiSettings(zapi, cdn) },
          { name: 'plugchat', type: 'plugchat', ...plugchatSettings(bare, cdn) },
        ],
        sourceOrder: { contacts: ['zapi', 'plugchat'] },
      }),
    );
    const t = await startTestBridge({ BRIDGE_CONFIG: configFile, BRIDGE_SOURCE_RETRIES: '0', BRIDGE_SOURCE_TIMEOUT_MS: '2000' });
    try {
      const [id] = await t.store.addContacts(READER.username, [
        { displayName: 'Paula Lima', emailAddresses: [], phones: {}, refs: { whatsappPhone: '+55 11 99999-0000' } },
      ]);
      const res = await request(t.bridge.server)
        .post('/EWS/Exchange.asmx')
        .set('Authorization', basic(READER))
        .set('Content-Type', 'text/xml; charset=utf-8')
        .send(
          envelope(
            '<m:ResolveNames ReturnFullContactData="true" ContactDataShape="AllProperties"><m:UnresolvedEntry>Paula</m:UnresolvedEntry></m:ResolveNames>',
          ),
        )
        .expect(200);
      const contact = (await parseSoap(res.text)).Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage.ResolutionSet.Resolution
        .Contact;
      await expectColour(Buffer.from(contact.Photo, 'base64'), ORANGE);
      const jpeg = await request(t.bridge.server)
        .get('/api/people/photo?name=Paula')
        .set('Authorization', basic(READER))
        .buffer(true)
        .expect(200)
        .expect('content-type', 'image/jpeg');
      await expectColour(jpeg.body as Buffer, ORANGE);
      expect(zapi.pictureCalls).to.equal(1);
      expect((await t.store.getPhotoInfo(contactOwner(id!)))?.source).to.equal('plugchat');
    } finally {
      await t.close();
      await zapi.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
