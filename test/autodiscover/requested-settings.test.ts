import { expect } from 'chai';
import request from 'supertest';
import { MAX_SETTING_NAME, MAX_SETTINGS_PER_REQUEST } from '../../src/autodiscover/soap-operation.js';
import { getUserSettings, unknownSettings } from '../abuse/hostile-bodies.js';
import { parseSoap } from '../support/soap.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

/** Every setting is answered for every user: the product is what these bounds keep small. */
const USERS = new Array<string>(100).fill('alex.wilber@contoso.example');

describe('Autodiscover: how many settings, how long their names (answer size)', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([{ email: 'alex.wilber@contoso.example', displayName: 'Alex Wilber', refs: {} }]);
  });
  after(() => t.close());

  const post = (body: string) =>
    request(t.bridge.server)
      .post('/autodiscover/autodiscover.svc')
      .set('Content-Type', 'text/xml; charset=utf-8')
      .set('Authorization', basic(READER))
      .send(body);
  const responseOf = async (text: string) => (await parseSoap(text)).Envelope.Body.GetUserSettingsResponseMessage.Response;

  it('refuses a body over 64 KiB (Autodiscover requests are small) with 413, unread', async () => {
    const res = await post(getUserSettings(USERS, unknownSettings(1700, 400)));
    expect(res.status).to.equal(413);
  });

  it(`refuses more than ${MAX_SETTINGS_PER_REQUEST} settings as a whole: InvalidRequest, a short answer`, async () => {
    const res = await post(getUserSettings(USERS, unknownSettings(MAX_SETTINGS_PER_REQUEST + 72, 16)));
    expect(res.status).to.equal(200);
    const response = await responseOf(res.text);
    expect(response.ErrorCode).to.equal('InvalidRequest');
    expect(response.ErrorMessage).to.equal(`The request asks for more than ${MAX_SETTINGS_PER_REQUEST} settings.`);
    expect(res.text.length).to.be.below(2048);
  });

  it(`refuses a setting name longer than ${MAX_SETTING_NAME} characters`, async () => {
    const res = await post(getUserSettings(USERS, unknownSettings(1, MAX_SETTING_NAME + 1)));
    expect((await responseOf(res.text)).ErrorCode).to.equal('InvalidRequest');
    expect(res.text.length).to.be.below(2048);
  });

  it('answers the most a request may ask (100 users × the longest unknown names) in a few MiB, each setting an InvalidSetting', async () => {
    const res = await post(getUserSettings(USERS, unknownSettings(MAX_SETTINGS_PER_REQUEST, MAX_SETTING_NAME)));
    expect(res.status).to.equal(200);
    const response = await responseOf(res.text);
    expect(response.ErrorCode).to.equal('NoError');
    expect(response.UserResponses.UserResponse).to.have.length(100);
    expect(response.UserResponses.UserResponse[99].UserSettingErrors.UserSettingError).to.have.length(MAX_SETTINGS_PER_REQUEST);
    expect(Buffer.byteLength(res.text)).to.be.below(4 * 1024 * 1024);
  });

  it('answers GetDomainSettings under the same bounds', async () => {
    const body = getUserSettings(['x'], unknownSettings(MAX_SETTINGS_PER_REQUEST + 1, 8))
      .replaceAll('GetUserSettingsRequestMessage', 'GetDomainSettingsRequestMessage')
      .replace('<a:Users><a:User><a:Mailbox>x</a:Mailbox></a:User></a:Users>', '<a:Domains><a:Domain>contoso.example</a:Domain></a:Domains>');
    const res = await post(body);
    expect((await parseSoap(res.text)).Envelope.Body.GetDomainSettingsResponseMessage.Response.ErrorCode).to.equal('InvalidRequest');
  });
});
