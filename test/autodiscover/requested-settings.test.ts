import { expect } from 'chai';
import request from 'supertest';
import { AUTODISCOVER_MAX_BODY_BYTES } from '../../src/autodiscover/autodiscover-endpoint.js';
import { MAX_INVALID_SETTING_ANSWERS, MAX_SETTING_NAME, MAX_SETTINGS_PER_REQUEST } from '../../src/autodiscover/soap-operation.js';
import { EXCHANGE_USER_SETTINGS as USER_SETTING_NAMES, getUserSettings, unknownSettings } from '../abuse/hostile-bodies.js';
import { parseSoap } from '../support/soap.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

/** Every setting is answered for every user: the product is what these bounds keep small. */
const USERS = new Array<string>(100).fill('alex.wilber@contoso.example');

/** The settings the bridge has a value for, in the catalogue's order (the README lists them). */
const SERVED = [
  'UserDisplayName',
  'UserDN',
  'AutoDiscoverSMTPAddress',
  'MailboxDN',
  'InternalMailboxServer',
  'InternalEwsUrl',
  'ExternalEwsUrl',
  'InternalPhotosUrl',
  'ExternalPhotosUrl',
  'EwsSupportedSchemas',
  'CasVersion',
  'ExternalEwsVersion',
];

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

  it('reads a body of 64 KiB and refuses one a byte longer (Autodiscover requests are small) with 413, unread', async () => {
    // The README's bound, so that raising the constant is a change a test sees.
    expect(AUTODISCOVER_MAX_BODY_BYTES).to.equal(64 * 1024);
    // Blanks after the root element are allowed (XML 1.0, "Misc"): one small request, padded to the limit.
    const atLimit = getUserSettings(USERS.slice(0, 1), ['UserDisplayName']).padEnd(AUTODISCOVER_MAX_BODY_BYTES, ' ');
    const read = await post(atLimit);
    expect(read.status).to.equal(200);
    expect((await responseOf(read.text)).ErrorCode).to.equal('NoError');
    expect((await post(`${atLimit} `)).status).to.equal(413);
  });

  it("answers a body refused unread on autodiscover.svc as EWS's endpoint does: an s:Client fault on 413 (too large) or 415 (a content coding)", async () => {
    const body = getUserSettings(USERS.slice(0, 1), ['UserDisplayName']);
    const answers = [];
    for (const res of [await post(body.padEnd(AUTODISCOVER_MAX_BODY_BYTES + 1, ' ')), await post(body).set('Content-Encoding', 'gzip')]) {
      const fault = (await parseSoap(res.text)).Envelope.Body.Fault;
      answers.push([res.status, res.headers['content-type'], fault.faultcode, fault.faultstring._]);
    }
    expect(answers).to.deep.equal([
      [413, 'text/xml; charset=utf-8', 's:Client', `the request body is larger than ${AUTODISCOVER_MAX_BODY_BYTES} bytes`],
      [415, 'text/xml; charset=utf-8', 's:Client', "the request body is sent with Content-Encoding 'gzip'; send it without one"],
    ]);
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

  it(`answers 100 users × every setting Exchange defines, each once (duplicates asked are counted once): the ${USER_SETTING_NAMES.length} names, ${SERVED.length} of them values`, async () => {
    const res = await post(getUserSettings(USERS, [...SERVED, ...USER_SETTING_NAMES]));
    expect(res.status).to.equal(200);
    const response = await responseOf(res.text);
    expect(response.ErrorCode).to.equal('NoError');
    const users = response.UserResponses.UserResponse;
    expect(users).to.have.length(100);
    const counts = new Set(
      users.map((user: any) => `${user.ErrorCode} ${user.UserSettings.UserSetting.length} ${user.UserSettingErrors.UserSettingError.length}`),
    );
    expect([...counts]).to.deep.equal([`NoError ${SERVED.length} ${USER_SETTING_NAMES.length - SERVED.length}`]);
    expect(users[99].UserSettings.UserSetting.map((setting: any) => setting.Name)).to.deep.equal(SERVED);
  });

  it(`refuses more than ${MAX_INVALID_SETTING_ANSWERS} InvalidSetting answers in all (users × names Exchange does not define) as a whole, each bound met on its own`, async () => {
    const answers = [];
    for (const settings of [unknownSettings(MAX_SETTINGS_PER_REQUEST, MAX_SETTING_NAME), [...SERVED, ...unknownSettings(11, 8)]]) {
      const res = await post(getUserSettings(USERS, settings));
      const response = await responseOf(res.text);
      answers.push([res.status, response.ErrorCode, response.ErrorMessage, res.text.length < 2048]);
    }
    const refusal = (invalid: number) =>
      `The request asks for ${invalid} settings Autodiscover does not define, of 100 users: at most ${MAX_INVALID_SETTING_ANSWERS} such answers in all.`;
    expect(answers).to.deep.equal([
      [200, 'InvalidRequest', refusal(MAX_SETTINGS_PER_REQUEST), true],
      [200, 'InvalidRequest', refusal(11), true],
    ]);
  });

  it('answers the most a request may ask (users × the longest unknown names, up to the bound) in a few hundred KiB, each setting an InvalidSetting', async () => {
    const users = USERS.slice(0, Math.floor(MAX_INVALID_SETTING_ANSWERS / MAX_SETTINGS_PER_REQUEST));
    const res = await post(getUserSettings(users, unknownSettings(MAX_SETTINGS_PER_REQUEST, MAX_SETTING_NAME)));
    expect(res.status).to.equal(200);
    const response = await responseOf(res.text);
    expect(response.ErrorCode).to.equal('NoError');
    expect(response.UserResponses.UserResponse).to.have.length(users.length);
    expect(response.UserResponses.UserResponse.at(-1).UserSettingErrors.UserSettingError).to.have.length(MAX_SETTINGS_PER_REQUEST);
    expect(Buffer.byteLength(res.text)).to.be.below(384 * 1024);
  });

  it('answers the most 100 users may ask (every name Exchange defines and the longest unknown names up to the bound) in 2.5 MB', async () => {
    const unknown = unknownSettings(MAX_INVALID_SETTING_ANSWERS / 100, MAX_SETTING_NAME);
    const res = await post(getUserSettings(USERS, [...USER_SETTING_NAMES, ...unknown]));
    const response = await responseOf(res.text);
    expect(response.ErrorCode).to.equal('NoError');
    expect(response.UserResponses.UserResponse.at(-1).UserSettingErrors.UserSettingError).to.have.length(
      USER_SETTING_NAMES.length - SERVED.length + unknown.length,
    );
    expect(Buffer.byteLength(res.text)).to.be.below(2_500_000);
  });

  it('answers GetDomainSettings under the same bounds', async () => {
    const body = getUserSettings(['x'], unknownSettings(MAX_SETTINGS_PER_REQUEST + 1, 8))
      .replaceAll('GetUserSettingsRequestMessage', 'GetDomainSettingsRequestMessage')
      .replace('<a:Users><a:User><a:Mailbox>x</a:Mailbox></a:User></a:Users>', '<a:Domains><a:Domain>contoso.example</a:Domain></a:Domains>');
    const res = await post(body);
    expect((await parseSoap(res.text)).Envelope.Body.GetDomainSettingsResponseMessage.Response.ErrorCode).to.equal('InvalidRequest');
    const domains = Array.from({ length: 100 }, () => '<a:Domain>contoso.example</a:Domain>').join('');
    const many = getUserSettings(['x'], unknownSettings(11, 8))
      .replaceAll('GetUserSettingsRequestMessage', 'GetDomainSettingsRequestMessage')
      .replace('<a:Users><a:User><a:Mailbox>x</a:Mailbox></a:User></a:Users>', `<a:Domains>${domains}</a:Domains>`);
    const response = (await parseSoap((await post(many)).text)).Envelope.Body.GetDomainSettingsResponseMessage.Response;
    expect(response.ErrorMessage).to.equal(
      `The request asks for 11 settings Autodiscover does not define, of 100 domains: at most ${MAX_INVALID_SETTING_ANSWERS} such answers in all.`,
    );
    const defined = getUserSettings(['x'], ['ExternalEwsUrl', 'ExternalEwsVersion', ...unknownSettings(10, 8)])
      .replaceAll('GetUserSettingsRequestMessage', 'GetDomainSettingsRequestMessage')
      .replace('<a:Users><a:User><a:Mailbox>x</a:Mailbox></a:User></a:Users>', `<a:Domains>${domains}</a:Domains>`);
    const answered = (await parseSoap((await post(defined)).text)).Envelope.Body.GetDomainSettingsResponseMessage.Response;
    expect([
      answered.ErrorCode,
      answered.DomainResponses.DomainResponse.length,
      answered.DomainResponses.DomainResponse[99].DomainSettings.DomainSetting.length,
    ]).to.deep.equal(['NoError', 100, 2]);
  });
});
