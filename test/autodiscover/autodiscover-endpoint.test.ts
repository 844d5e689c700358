import { expect } from 'chai';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { samplePhoto } from '../support/sample-images.js';
import { parseSoap, postEws } from '../support/soap.js';
import { ADMIN, basic, READER, ShareClock, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const ANS = 'http://schemas.microsoft.com/exchange/2010/Autodiscover';
const HOST = 'mail.contoso.example:8443';

/**
 * A SOAP Autodiscover request as exchangelib and ews-javascript-api write it: WS-Addressing headers, the `a:` prefix, and
 * as the EWS Managed API and exchangelib send it, WS-Addressing's Action (the Body's operation) and To marked mustUnderstand.
 */
function soapRequest(body: string, header = '', action = `${ANS}/Autodiscover/${/<a:(\w+)RequestMessage/.exec(body)?.[1]}`): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:a="${ANS}" xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">` +
    '<soap:Header><a:RequestedServerVersion>Exchange2013</a:RequestedServerVersion>' +
    `<wsa:Action soap:mustUnderstand="1">${action}</wsa:Action><wsa:To soap:mustUnderstand="1">http://${HOST}/autodiscover/autodiscover.svc</wsa:To>${header}</soap:Header>` +
    `<soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

function getUserSettings(users: string[], settings: string[]): string {
  const mailboxes = users.map((user) => `<a:User><a:Mailbox>${user}</a:Mailbox></a:User>`).join('');
  const names = settings.map((name) => `<a:Setting>${name}</a:Setting>`).join('');
  return soapRequest(
    `<a:GetUserSettingsRequestMessage xmlns:a="${ANS}"><a:Request><a:Users>${mailboxes}</a:Users><a:RequestedSettings>${names}</a:RequestedSettings></a:Request></a:GetUserSettingsRequestMessage>`,
  );
}

const OUTLOOK_RESPONSE_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';

function poxRequest(email: string, schema = OUTLOOK_RESPONSE_SCHEMA): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">' +
    `<Request><EMailAddress>${email}</EMailAddress><AcceptableResponseSchema>${schema}</AcceptableResponseSchema></Request></Autodiscover>`
  );
}

/** The other form of Learn's "Request (POX)": the mailbox named by its legacy DN. */
function poxLegacyDnRequest(legacyDn: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">' +
    `<Request><LegacyDN>${legacyDn}</LegacyDN><AcceptableResponseSchema>${OUTLOOK_RESPONSE_SCHEMA}</AcceptableResponseSchema></Request></Autodiscover>`
  );
}

/** An ActiveSync device's request, as MS-ASCMD 6.3 (Autodiscover request schema) and its examples write it. */
const MOBILESYNC_REQUEST =
  '<?xml version="1.0" encoding="utf-8"?>\n<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006">\n' +
  '  <Request>\n    <EMailAddress>alex.wilber@contoso.example</EMailAddress>\n' +
  '    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006</AcceptableResponseSchema>\n' +
  '  </Request>\n</Autodiscover>';

const asList = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

describe('Autodiscover front door', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([
      { email: 'alex.wilber@contoso.example', displayName: 'Alex Wilber', alias: 'alexw', refs: {} },
      { email: 'diego@contoso.example', displayName: 'Diego Siciliani', refs: {} },
    ]);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.example'), await samplePhoto(300, 200), 'test');
  });
  after(() => t.close());

  /** `null`: no Authorization header at all. */
  const post = (path: string, body: string, authorization: string | null = basic(READER)) => {
    const req = request(t.bridge.server).post(path).set('Host', HOST).set('Content-Type', 'text/xml; charset=utf-8');
    return (authorization ? req.set('Authorization', authorization) : req).send(body);
  };
  const userResponses = async (text: string) =>
    asList((await parseSoap(text)).Envelope.Body.GetUserSettingsResponseMessage.Response.UserResponses.UserResponse);
  const settingsOf = (response: any): Record<string, string> =>
    Object.fromEntries(asList(response.UserSettings?.UserSetting).map((setting: any) => [setting.Name, setting.Value]));

  describe('login', () => {
    for (const path of [
      '/autodiscover/autodiscover.svc',
      '/Autodiscover/Autodiscover.svc',
      '/autodiscover/autodiscover.xml',
      '/Autodiscover/Autodiscover.xml',
    ]) {
      it(`answers an unauthenticated POST to ${path} with 401 and the Basic challenge`, async () => {
        const body = path.endsWith('.svc') ? getUserSettings(['alex.wilber@contoso.example'], ['UserDisplayName']) : poxRequest('alex.wilber@contoso.example');
        const res = await post(path, body, null);
        expect(res.status).to.equal(401);
        expect(res.headers['www-authenticate']).to.match(/^Basic realm="/);
        expect(res.text).not.to.contain('Alex');
      });
    }

    it("says the SOAP endpoint is on in the 401 to a client's first unauthenticated GET, as the EWS Managed API's discovery reads it", async () => {
      const res = await request(t.bridge.server).get('/autodiscover/autodiscover.xml').expect(401);
      expect(res.headers['x-soap-enabled']).to.equal('True');
    });

    it('refuses a wrong password with 401 and tells nothing', async () => {
      const res = await post(
        '/autodiscover/autodiscover.svc',
        getUserSettings(['alex.wilber@contoso.example'], ['UserDisplayName']),
        basic({ ...READER, password: 'wrong' }),
      );
      expect(res.status).to.equal(401);
      expect(res.text).not.to.contain('Alex');
    });
  });

  describe('SOAP GetUserSettings', () => {
    it('returns exactly the settings asked for, in order, as StringSettings, with the URLs of the Host the client used', async () => {
      const asked = [
        'UserDisplayName',
        'ExternalEwsUrl',
        'InternalEwsUrl',
        'ExternalPhotosUrl',
        'InternalPhotosUrl',
        'EwsSupportedSchemas',
        'CasVersion',
        'AutoDiscoverSMTPAddress',
      ];
      const res = await post('/autodiscover/autodiscover.svc', getUserSettings(['Alex.Wilber@Contoso.example'], asked));
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('text/xml; charset=utf-8');
      const [user] = await userResponses(res.text);
      expect(user.ErrorCode).to.equal('NoError');
      const settings = asList(user.UserSettings.UserSetting);
      expect(settings.map((setting: any) => setting.Name)).to.deep.equal(asked);
      expect(settings.map((setting: any) => setting.$.type)).to.deep.equal(asked.map(() => 'StringSetting'));
      expect(settingsOf(user)).to.deep.equal({
        UserDisplayName: 'Alex Wilber',
        ExternalEwsUrl: `http://${HOST}/EWS/Exchange.asmx`,
        InternalEwsUrl: `http://${HOST}/EWS/Exchange.asmx`,
        ExternalPhotosUrl: `http://${HOST}/EWS/Exchange.asmx/s`,
        InternalPhotosUrl: `http://${HOST}/EWS/Exchange.asmx/s`,
        EwsSupportedSchemas: 'Exchange2007, Exchange2007_SP1, Exchange2010, Exchange2010_SP1, Exchange2010_SP2, Exchange2013, Exchange2013_SP1, Exchange2016',
        CasVersion: '15.01.2507.006',
        AutoDiscoverSMTPAddress: 'alex.wilber@contoso.example',
      });
      expect(user.UserSettingErrors).to.equal('');
    });

    it('carries ServerVersionInfo in the Autodiscover namespace and the WS-Addressing Action in the SOAP header', async () => {
      const res = await post('/autodiscover/autodiscover.svc', getUserSettings(['alex.wilber@contoso.example'], ['UserDisplayName']));
      expect(res.text).to.match(new RegExp(`<h:ServerVersionInfo xmlns:h="${ANS}"[^>]*><h:MajorVersion>15</h:MajorVersion><h:MinorVersion>1</h:MinorVersion>`));
      const header = (await parseSoap(res.text)).Envelope.Header;
      expect(header.Action._).to.equal(`${ANS}/Autodiscover/GetUserSettingsResponse`);
      expect(header.ServerVersionInfo.MajorBuildNumber).to.equal('2507');
    });

    it('answers the legacy DNs exchangelib asks for', async () => {
      const res = await post('/autodiscover/autodiscover.svc', getUserSettings(['alex.wilber@contoso.example'], ['UserDN', 'MailboxDN']));
      const settings = settingsOf((await userResponses(res.text))[0]);
      expect(settings.UserDN).to.match(/\/cn=Recipients\/cn=alexw$/);
      expect(settings.MailboxDN).to.match(/\/cn=Servers\/cn=mail\.contoso\.example\/cn=Microsoft Private MDB$/);
    });

    it('answers the other settings with UserSettingErrors: SettingIsNotAvailable for a real one, InvalidSetting for a made-up one', async () => {
      const res = await post(
        '/autodiscover/autodiscover.svc',
        getUserSettings(['alex.wilber@contoso.example'], ['ExternalOABUrl', 'UserDisplayName', 'NoSuchSetting']),
      );
      const [user] = await userResponses(res.text);
      expect(user.ErrorCode).to.equal('NoError');
      expect(settingsOf(user)).to.deep.equal({ UserDisplayName: 'Alex Wilber' });
      const errors = asList(user.UserSettingErrors.UserSettingError).map((error: any) => [error.SettingName, error.ErrorCode]);
      expect(errors).to.deep.equal([
        ['ExternalOABUrl', 'SettingIsNotAvailable'],
        ['NoSuchSetting', 'InvalidSetting'],
      ]);
    });

    it("answers several users in request order: a directory user, an unknown address (InvalidUser), the caller's own mailbox", async () => {
      const res = await post(
        '/autodiscover/autodiscover.svc',
        getUserSettings(['diego@contoso.example', 'nobody@contoso.example', 'not an address', READER.username], ['UserDisplayName']),
      );
      expect(res.status).to.equal(200);
      const users = await userResponses(res.text);
      expect(users.map((user: any) => user.ErrorCode)).to.deep.equal(['NoError', 'InvalidUser', 'InvalidUser', 'NoError']);
      expect(users[1].ErrorMessage).to.equal("Invalid user: 'nobody@contoso.example'");
      expect(settingsOf(users[0])).to.deep.equal({ UserDisplayName: 'Diego Siciliani' });
      expect(settingsOf(users[3])).to.deep.equal({ UserDisplayName: READER.username });
    });

    it('refuses a request that names no user as a whole, with InvalidRequest on HTTP 200', async () => {
      const res = await post('/autodiscover/autodiscover.svc', getUserSettings([], ['UserDisplayName']));
      expect(res.status).to.equal(200);
      expect((await parseSoap(res.text)).Envelope.Body.GetUserSettingsResponseMessage.Response.ErrorCode).to.equal('InvalidRequest');
    });

    it('refuses as a whole, with InvalidRequest, an element the schema has once given twice, and one in no namespace or another, where the first had been answered', async () => {
      const user = (mailbox: string) => `<a:User><a:Mailbox>${mailbox}</a:Mailbox></a:User>`;
      const request = (inner: string) => `<a:Request>${inner}</a:Request>`;
      const users = `<a:Users>${user('diego@contoso.example')}</a:Users>`;
      const settings = '<a:RequestedSettings><a:Setting>UserDisplayName</a:Setting></a:RequestedSettings>';
      const asked = (...inner: string[]) => soapRequest(`<a:GetUserSettingsRequestMessage>${inner.join('')}</a:GetUserSettingsRequestMessage>`);
      const answers = [];
      for (const body of [
        asked(request(users + settings)),
        asked(request(users + settings), request(users + settings)),
        asked(request(users + users + settings)),
        asked(request(users + settings + settings)),
        asked(
          request('<a:Users><a:User><a:Mailbox>diego@contoso.example</a:Mailbox><a:Mailbox>nobody@contoso.example</a:Mailbox></a:User></a:Users>' + settings),
        ),
        asked(request(`<a:Users><a:User><Mailbox xmlns="">diego@contoso.example</Mailbox></a:User></a:Users>${settings}`)),
        asked(request(`<Users xmlns="">${user('diego@contoso.example')}</Users>${settings}`)),
        asked(request(`${users}<a:RequestedSettings><x:Setting xmlns:x="urn:x">UserDisplayName</x:Setting></a:RequestedSettings>`)),
        asked(`<Request xmlns="">${users}${settings}</Request>`),
      ]) {
        const res = await post('/autodiscover/autodiscover.svc', body);
        answers.push([res.status, (await parseSoap(res.text)).Envelope.Body.GetUserSettingsResponseMessage.Response.ErrorCode]);
      }
      expect(answers).to.deep.equal([[200, 'NoError'], ...Array.from({ length: 8 }, () => [200, 'InvalidRequest'])]);
      const domains = await post(
        '/autodiscover/autodiscover.svc',
        soapRequest(
          `<a:GetDomainSettingsRequestMessage><a:Request><a:Domains><a:Domain>contoso.example</a:Domain></a:Domains><a:Domains><a:Domain>fabrikam.example</a:Domain></a:Domains>${settings.replace('UserDisplayName', 'ExternalEwsUrl')}</a:Request></a:GetDomainSettingsRequestMessage>`,
        ),
      );
      expect((await parseSoap(domains.text)).Envelope.Body.GetDomainSettingsResponseMessage.Response.ErrorCode).to.equal('InvalidRequest');
    });

    it('refuses as a whole, with InvalidRequest on HTTP 200, elements where the schema has text (Mailbox, Setting, Domain)', async () => {
      const settings = (setting: string) => `<a:RequestedSettings>${setting}</a:RequestedSettings>`;
      const userSettings = (users: string, setting: string) =>
        soapRequest(
          `<a:GetUserSettingsRequestMessage><a:Request><a:Users>${users}</a:Users>${settings(setting)}</a:Request></a:GetUserSettingsRequestMessage>`,
        );
      const answers = [];
      for (const body of [
        userSettings('<a:User><a:Mailbox><x>alex.wilber@contoso.example</x></a:Mailbox></a:User>', '<a:Setting>UserDisplayName</a:Setting>'),
        userSettings('<a:User><a:Mailbox>alex.wilber@contoso.example</a:Mailbox></a:User>', '<a:Setting><b>UserDisplayName</b></a:Setting>'),
        soapRequest(
          `<a:GetDomainSettingsRequestMessage><a:Request><a:Domains><a:Domain><b>x.com</b></a:Domain></a:Domains>${settings('<a:Setting>ExternalEwsUrl</a:Setting>')}</a:Request></a:GetDomainSettingsRequestMessage>`,
        ),
      ]) {
        const res = await post('/autodiscover/autodiscover.svc', body);
        const response = Object.values((await parseSoap(res.text)).Envelope.Body as Record<string, any>)[0].Response;
        answers.push([res.status, res.headers['content-type'], response.ErrorCode, response.ErrorMessage]);
      }
      expect(answers).to.deep.equal([
        [200, 'text/xml; charset=utf-8', 'InvalidRequest', 'The request failed schema validation: Mailbox holds elements where the schema has text'],
        [200, 'text/xml; charset=utf-8', 'InvalidRequest', 'The request failed schema validation: Setting holds elements where the schema has text'],
        [200, 'text/xml; charset=utf-8', 'InvalidRequest', 'The request failed schema validation: Domain holds elements where the schema has text'],
      ]);
    });

    it('refuses a User without its Mailbox with InvalidRequest; answers any RequestedVersion (clients send their own, Exchange2016 too) and passes over an undeclared element of its namespace', async () => {
      const settings = '<a:RequestedSettings><a:Setting>UserDisplayName</a:Setting></a:RequestedSettings>';
      const diego = '<a:User><a:Mailbox>diego@contoso.example</a:Mailbox></a:User>';
      const asked = (users: string, rest = '') =>
        soapRequest(`<a:GetUserSettingsRequestMessage><a:Request><a:Users>${users}</a:Users>${settings}${rest}</a:Request></a:GetUserSettingsRequestMessage>`);
      const domain = (rest: string) =>
        soapRequest(
          `<a:GetDomainSettingsRequestMessage><a:Request><a:Domains><a:Domain>contoso.example</a:Domain></a:Domains><a:RequestedSettings><a:Setting>ExternalEwsUrl</a:Setting></a:RequestedSettings>${rest}</a:Request></a:GetDomainSettingsRequestMessage>`,
        );
      const answers = [];
      for (const body of [
        asked('<a:User/>'),
        asked(`${diego}<a:User><a:Bogus>diego@contoso.example</a:Bogus></a:User>`),
        asked(diego, '<a:RequestedVersion>Bogus</a:RequestedVersion>'),
        domain('<a:RequestedVersion>Exchange2016</a:RequestedVersion>'),
        asked(diego, '<a:RequestedVersion>Exchange2013</a:RequestedVersion>'),
        asked(diego, '<a:RequestedVersion xsi:nil="true"/>'),
        domain('<a:RequestedVersion>Exchange2010_SP2</a:RequestedVersion>'),
        asked(`<a:User><a:Mailbox>diego@contoso.example</a:Mailbox><a:Bogus/></a:User>`, '<a:Bogus>x</a:Bogus>'),
      ]) {
        const res = await post('/autodiscover/autodiscover.svc', body);
        const response = Object.values((await parseSoap(res.text)).Envelope.Body as Record<string, any>)[0].Response;
        answers.push([res.status, response.ErrorCode, typeof response.ErrorMessage === 'string' ? response.ErrorMessage : '']);
      }
      expect(answers).to.deep.equal([
        [200, 'InvalidRequest', "The element 'User' has incomplete content. List of possible elements expected: 'Mailbox'."],
        [200, 'InvalidRequest', "The element 'User' has incomplete content. List of possible elements expected: 'Mailbox'."],
        [200, 'NoError', ''],
        [200, 'NoError', ''],
        [200, 'NoError', ''],
        [200, 'NoError', ''],
        [200, 'NoError', ''],
        [200, 'NoError', ''],
      ]);
    });

    it('hands out an ExternalPhotosUrl under which /GetUserPhoto?email=…&size=… is the photo', async () => {
      const res = await post('/autodiscover/autodiscover.svc', getUserSettings(['alex.wilber@contoso.example'], ['ExternalPhotosUrl']));
      const photos = new URL(settingsOf((await userResponses(res.text))[0]).ExternalPhotosUrl!);
      const photo = await request(t.bridge.server)
        .get(`${photos.pathname}/GetUserPhoto?email=alex.wilber@contoso.example&size=HR48x48`)
        .set('Authorization', basic(READER));
      expect(photo.status).to.equal(200);
      expect(photo.headers['content-type']).to.equal('image/jpeg');
      expect(photo.body.length).to.be.greaterThan(100);
    });
  });

  describe('the SOAP contract', () => {
    const get = (path: string, authorization: string | null = basic(READER)) => {
      const req = request(t.bridge.server).get(path).set('Host', HOST);
      return authorization ? req.set('Authorization', authorization) : req;
    };

    it('serves the WSDL to a user at services.wsdl and autodiscover.svc?wsdl, its service at the autodiscover.svc the client reached, and the schema it imports', async () => {
      for (const path of [
        '/autodiscover/services.wsdl',
        '/Autodiscover/Services.wsdl',
        '/autodiscover/autodiscover.svc?wsdl',
        '/Autodiscover/Autodiscover.svc?WSDL',
      ]) {
        const res = await get(path);
        expect([res.status, res.headers['content-type']], path).to.deep.equal([200, 'text/xml; charset=utf-8']);
        expect(res.text, path).to.include(`<soap:address location="http://${HOST}/autodiscover/autodiscover.svc"/>`);
      }
      const schema = await get('/autodiscover/messages.xsd');
      expect([schema.status, schema.text.includes('name="GetUserSettingsResponseMessage"')]).to.deep.equal([200, true]);
      expect((await get('/autodiscover/types.xsd')).status).to.equal(404);
    });

    it('asks for a login, takes GET and HEAD only, and still takes requests POSTed to autodiscover.svc?wsdl', async () => {
      const anonymous = await get('/autodiscover/services.wsdl', null);
      expect([anonymous.status, anonymous.headers['www-authenticate']]).to.deep.equal([401, 'Basic realm="ews-photo-bridge"']);
      const put = await request(t.bridge.server).put('/autodiscover/messages.xsd').set('Authorization', basic(READER));
      expect([put.status, put.headers.allow]).to.deep.equal([405, 'GET, HEAD']);
      const putService = await request(t.bridge.server).put('/autodiscover/autodiscover.svc?wsdl').set('Authorization', basic(READER));
      expect([putService.status, putService.headers.allow]).to.deep.equal([405, 'POST, GET, HEAD']);
      expect((await get('/autodiscover/services.wsdl')).headers['x-content-type-options']).to.equal('nosniff');
      const head = await request(t.bridge.server).head('/autodiscover/services.wsdl').set('Authorization', basic(READER));
      expect([head.status, head.text ?? '']).to.deep.equal([200, '']);
      const body = soapRequest(
        '<a:GetDomainSettingsRequestMessage><a:Request><a:Domains><a:Domain>contoso.example</a:Domain></a:Domains><a:RequestedSettings><a:Setting>ExternalEwsUrl</a:Setting></a:RequestedSettings></a:Request></a:GetDomainSettingsRequestMessage>',
      );
      const posted = await post('/autodiscover/autodiscover.svc?wsdl', body);
      expect((await parseSoap(posted.text)).Envelope.Body.GetDomainSettingsResponseMessage.Response.ErrorCode).to.equal('NoError');
    });
  });

  describe('SOAP GetDomainSettings and the rest', () => {
    it('answers ExternalEwsUrl and ExternalEwsVersion as DomainStringSettings, InvalidSetting for others, InvalidDomain for a non-domain', async () => {
      const body = soapRequest(
        `<a:GetDomainSettingsRequestMessage><a:Request><a:Domains><a:Domain>contoso.example</a:Domain><a:Domain>not a domain</a:Domain></a:Domains>` +
          '<a:RequestedSettings><a:Setting>ExternalEwsUrl</a:Setting><a:Setting>ExternalEwsVersion</a:Setting><a:Setting>UserDisplayName</a:Setting><a:Setting>Bogus</a:Setting></a:RequestedSettings></a:Request></a:GetDomainSettingsRequestMessage>',
      );
      const res = await post('/autodiscover/autodiscover.svc', body);
      expect(res.status).to.equal(200);
      const message = (await parseSoap(res.text)).Envelope.Body.GetDomainSettingsResponseMessage;
      const [domain, invalid] = asList(message.Response.DomainResponses.DomainResponse);
      const settings = asList(domain.DomainSettings.DomainSetting);
      expect(settings.map((setting: any) => [setting.$.type, setting.Name, setting.Value])).to.deep.equal([
        ['DomainStringSetting', 'ExternalEwsUrl', `http://${HOST}/EWS/Exchange.asmx`],
        ['DomainStringSetting', 'ExternalEwsVersion', '15.01.2507.006'],
      ]);
      expect(domain.DomainSettingErrors.DomainSettingError.map((error: any) => [error.ErrorCode, error.SettingName, error.ErrorMessage])).to.deep.equal([
        ['InvalidSetting', 'UserDisplayName', 'UserDisplayName is a user setting, not a domain setting.'],
        ['InvalidSetting', 'Bogus', 'Bogus is not a setting Autodiscover defines.'],
      ]);
      expect(invalid.ErrorCode).to.equal('InvalidDomain');
    });

    it('reads a domain as an address’s: in Unicode as in its A-labels, with an absolute domain’s final dot; InvalidDomain for what IDNA or the grammar refuses', async () => {
      const domains = [
        'bücher.example',
        'xn--bcher-kva.example',
        'BÜCHER.Example',
        'contoso.example.',
        'contoso.example..',
        'a%41.example',
        '🙂.example',
        'xn--zz.example',
        `${'x'.repeat(64)}.example`,
      ];
      const body = soapRequest(
        `<a:GetDomainSettingsRequestMessage><a:Request><a:Domains>${domains.map((domain) => `<a:Domain>${domain}</a:Domain>`).join('')}</a:Domains>` +
          '<a:RequestedSettings><a:Setting>ExternalEwsUrl</a:Setting></a:RequestedSettings></a:Request></a:GetDomainSettingsRequestMessage>',
      );
      const message = (await parseSoap((await post('/autodiscover/autodiscover.svc', body)).text)).Envelope.Body.GetDomainSettingsResponseMessage;
      expect(asList(message.Response.DomainResponses.DomainResponse).map((domain: any) => domain.ErrorCode)).to.deep.equal([
        'NoError',
        'NoError',
        'NoError',
        'NoError',
        'InvalidDomain',
        'InvalidDomain',
        'InvalidDomain',
        'InvalidDomain',
        'InvalidDomain',
      ]);
    });

    it("answers an operation it does not serve with WCF's ActionNotSupported fault, a broken envelope with a Client fault, and a SOAP 1.2 Envelope with VersionMismatch", async () => {
      const unknown = await post('/autodiscover/autodiscover.svc', soapRequest('<a:GetFederationInformationRequestMessage/>'));
      expect(unknown.status).to.equal(500);
      const fault = (await parseSoap(unknown.text)).Envelope.Body.Fault;
      expect(fault.faultcode._).to.equal('f:ActionNotSupported');
      expect(fault.faultstring._).to.contain('ContractFilter mismatch');
      const broken = await post('/autodiscover/autodiscover.svc', '<soap:Envelope');
      expect(broken.status).to.equal(500);
      expect((await parseSoap(broken.text)).Envelope.Body.Fault.faultcode).to.equal('s:Client');
      const body =
        '<a:GetDomainSettingsRequestMessage><a:Request><a:Domains><a:Domain>contoso.example</a:Domain></a:Domains></a:Request></a:GetDomainSettingsRequestMessage>';
      const soap12 = await post(
        '/autodiscover/autodiscover.svc',
        soapRequest(body).replaceAll('http://schemas.xmlsoap.org/soap/envelope/', 'http://www.w3.org/2003/05/soap-envelope'),
      );
      expect([soap12.status, (await parseSoap(soap12.text)).Envelope.Body.Fault.faultcode]).to.deep.equal([500, 's:VersionMismatch']);
    });

    it('answers a header marked mustUnderstand that Autodiscover does not define with the MustUnderstand fault (SOAP 1.1 §4.2.3)', async () => {
      const body =
        '<a:GetDomainSettingsRequestMessage><a:Request><a:Domains><a:Domain>contoso.example</a:Domain></a:Domains></a:Request></a:GetDomainSettingsRequestMessage>';
      const res = await post('/autodiscover/autodiscover.svc', soapRequest(body, '<o:Session xmlns:o="urn:other" soap:mustUnderstand="1">7</o:Session>'));
      const fault = (await parseSoap(res.text)).Envelope.Body.Fault;
      expect([res.status, fault.faultcode, fault.faultstring._]).to.deep.equal([
        500,
        's:MustUnderstand',
        "The header 'Session' from the namespace 'urn:other' was not understood by the recipient of this message.",
      ]);
    });

    it('dispatches on the WS-Addressing Action, as WCF does: the Body must hold its request message', async () => {
      const domains =
        '<a:Request><a:Domains><a:Domain>contoso.example</a:Domain></a:Domains><a:RequestedSettings><a:Setting>ExternalEwsUrl</a:Setting></a:RequestedSettings></a:Request>';
      const body = `<a:GetDomainSettingsRequestMessage>${domains}</a:GetDomainSettingsRequestMessage>`;
      const answered = async (request: string) => {
        const res = await post('/autodiscover/autodiscover.svc', request);
        const answer = (await parseSoap(res.text)).Envelope.Body;
        return [res.status, answer.Fault ? (answer.Fault.faultcode._ ?? answer.Fault.faultcode) : Object.keys(answer)[0], answer.Fault?.faultstring._];
      };
      expect(await answered(soapRequest(body))).to.deep.equal([200, 'GetDomainSettingsResponseMessage', undefined]);
      expect(await answered(soapRequest(body, '', `${ANS}/Autodiscover/GetUserSettings`))).to.deep.equal([
        500,
        's:Client',
        `The Action '${ANS}/Autodiscover/GetUserSettings' expects the Body to hold 'GetUserSettingsRequestMessage' in the namespace '${ANS}', not 'GetDomainSettingsRequestMessage'.`,
      ]);
      expect(await answered(soapRequest(body, '', `${ANS}/Autodiscover/GetFederationInformation`))).to.deep.equal([
        500,
        'f:ActionNotSupported',
        `The message with Action '${ANS}/Autodiscover/GetFederationInformation' cannot be processed at the receiver, due to a ContractFilter mismatch at the EndpointDispatcher.`,
      ]);
      const twice = soapRequest(body, `<wsa:Action>${ANS}/Autodiscover/GetDomainSettings</wsa:Action>`);
      expect(await answered(twice)).to.deep.equal([500, 's:Client', 'the message has more than one WS-Addressing Action header']);
      // Without an Action, the Body's element says which operation is asked.
      const bare = soapRequest(body).replace(/<wsa:Action[^>]*>[^<]*<\/wsa:Action>/, '');
      expect(bare).to.not.include('wsa:Action');
      expect(await answered(bare)).to.deep.equal([200, 'GetDomainSettingsResponseMessage', undefined]);
    });

    it('takes only POST at autodiscover.svc', async () => {
      const res = await request(t.bridge.server).get('/autodiscover/autodiscover.svc').set('Authorization', basic(READER));
      expect(res.status).to.equal(405);
      expect(res.headers.allow).to.equal('POST');
    });
  });

  describe('POX', () => {
    it('answers with the XML declaration first, responseschema/2006a, Action settings and EXCH and EXPR protocols carrying EwsUrl', async () => {
      const res = await post('/Autodiscover/Autodiscover.xml', poxRequest('alex.wilber@contoso.example'));
      expect(res.status).to.equal(200);
      expect(res.text.startsWith('<?xml')).to.equal(true);
      expect(res.text).to.contain(
        '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">',
      );
      const response = (await parseSoap(res.text)).Autodiscover.Response;
      expect(response.User.DisplayName).to.equal('Alex Wilber');
      expect(response.User.AutoDiscoverSMTPAddress).to.equal('alex.wilber@contoso.example');
      expect(response.Account.Action).to.equal('settings');
      const protocols = asList(response.Account.Protocol);
      expect(protocols.map((protocol: any) => [protocol.Type, protocol.EwsUrl])).to.deep.equal([
        ['EXCH', `http://${HOST}/EWS/Exchange.asmx`],
        ['EXPR', `http://${HOST}/EWS/Exchange.asmx`],
      ]);
    });

    it('answers an unknown address with Error 500 "The email address can\'t be found."', async () => {
      const res = await post('/autodiscover/autodiscover.xml', poxRequest('nobody@contoso.example'));
      expect(res.status).to.equal(200);
      expect(res.text.startsWith('<?xml')).to.equal(true);
      const error = (await parseSoap(res.text)).Autodiscover.Response.Error;
      expect([error.ErrorCode, error.Message]).to.deep.equal(['500', "The email address can't be found."]);
      // Learn's Error (POX): `<Error Time="" Id="">`, the time of day and the server, an unsigned integer (MS-ASCMD 2.2.3.63).
      expect(error.$.Time).to.match(/^\d\d:\d\d:\d\d\.\d+$/);
      expect(error.$.Id).to.match(/^\d{1,10}$/);
    });

    it("answers the caller's own address, another response schema (601), and what is no request (600)", async () => {
      const own = await post('/autodiscover/autodiscover.xml', poxRequest(READER.username));
      expect((await parseSoap(own.text)).Autodiscover.Response.User.AutoDiscoverSMTPAddress).to.equal(READER.username);
      const mobile = await post(
        '/autodiscover/autodiscover.xml',
        poxRequest('alex.wilber@contoso.example', 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006'),
      );
      expect((await parseSoap(mobile.text)).Autodiscover.Response.Error.ErrorCode).to.equal('601');
      // Two addresses (the first was looked up alone), an address holding an element, two Requests.
      const twice = poxRequest(`nobody@contoso.example</EMailAddress><EMailAddress>${READER.username}`);
      const nested = poxRequest(`<b>${READER.username}</b>`);
      const twoRequests = poxRequest(READER.username).replace('</Request>', '</Request><Request/>');
      for (const body of ['not xml', '<Autodiscover/>', twice, nested, twoRequests]) {
        const res = await post('/autodiscover/autodiscover.xml', body);
        expect(res.status).to.equal(200);
        expect((await parseSoap(res.text)).Autodiscover.Response.Error.ErrorCode).to.equal('600');
      }
      const get = await request(t.bridge.server).get('/autodiscover/autodiscover.xml').set('Authorization', basic(READER));
      expect((await parseSoap(get.text)).Autodiscover.Response.Error.ErrorCode).to.equal('600');
    });

    it('answers an ActiveSync device with 601 in the mobilesync response namespace', async () => {
      const res = await post('/autodiscover/autodiscover.xml', MOBILESYNC_REQUEST);
      expect(res.status).to.equal(200);
      expect(res.text).to.contain(
        '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"><Error ',
      );
      const error = (await parseSoap(res.text)).Autodiscover.Response.Error;
      expect([error.ErrorCode, error.Message]).to.deep.equal(['601', 'Provider is not available']);
    });

    it('finds the mailbox of a LegacyDN it handed out, case ignored, and answers another with Error 500', async () => {
      const legacyDnOf = async (body: string) =>
        (await parseSoap((await post('/autodiscover/autodiscover.xml', body)).text)).Autodiscover.Response.User?.LegacyDN;
      const addressOf = async (legacyDn: string) => {
        const response = (await parseSoap((await post('/autodiscover/autodiscover.xml', poxLegacyDnRequest(legacyDn))).text)).Autodiscover.Response;
        return response.User?.AutoDiscoverSMTPAddress ?? response.Error.ErrorCode;
      };
      const alex = await legacyDnOf(poxRequest('alex.wilber@contoso.example'));
      expect(alex).to.equal('/o=ExchangePhotoBridge/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alexw');
      expect(await addressOf(alex)).to.equal('alex.wilber@contoso.example');
      expect(await addressOf(alex.toUpperCase())).to.equal('alex.wilber@contoso.example');
      expect(await addressOf(await legacyDnOf(poxRequest('diego@contoso.example')))).to.equal('diego@contoso.example');
      expect(await addressOf(await legacyDnOf(poxRequest(READER.username)))).to.equal(READER.username);
      for (const unknown of [`${alex}x`, '/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alexw', 'alexw']) {
        expect(await addressOf(unknown), unknown).to.equal('500');
      }
      // An alias with a capital outside ASCII: lowered before the store's ASCII-only lower(), it was never found.
      await t.store.upsertUsers([{ email: 'oberg@contoso.example', displayName: 'Öla Berg', alias: 'ÖBerg', refs: {} }]);
      const oberg = await legacyDnOf(poxRequest('oberg@contoso.example'));
      expect(oberg).to.match(/\/cn=ÖBerg$/);
      expect(await addressOf(oberg)).to.equal('oberg@contoso.example');
      await t.store.removeUser('oberg@contoso.example');
    });

    it('finds a mailbox hidden from address lists by its LegacyDN too, and counts it among those sharing one', async () => {
      await t.store.upsertUsers([{ email: 'shared.desk@contoso.example', displayName: 'Shared Desk', hiddenFromAddressLists: true, refs: {} }]);
      const legacyDn = '/o=ExchangePhotoBridge/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=shared.desk';
      const answer = async () => (await parseSoap((await post('/autodiscover/autodiscover.xml', poxLegacyDnRequest(legacyDn))).text)).Autodiscover.Response;
      expect((await answer()).User.AutoDiscoverSMTPAddress).to.equal('shared.desk@contoso.example');
      await t.store.upsertUsers([{ email: 'shared.desk@fabrikam.example', displayName: 'Shared Desk', refs: {} }]);
      expect((await answer()).Error.ErrorCode).to.equal('500');
      await Promise.all(['shared.desk@contoso.example', 'shared.desk@fabrikam.example'].map((address) => t.store.removeUser(address)));
    });

    it('answers a LegacyDN two mailboxes would share with Error 500 rather than either of them', async () => {
      await t.store.upsertUsers([
        { email: 'twin@contoso.example', displayName: 'Twin One', alias: 'twin', refs: {} },
        { email: 'twin@fabrikam.example', displayName: 'Twin Two', refs: {} },
      ]);
      const res = await post(
        '/autodiscover/autodiscover.xml',
        poxLegacyDnRequest('/o=ExchangePhotoBridge/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=twin'),
      );
      expect((await parseSoap(res.text)).Autodiscover.Response.Error.ErrorCode).to.equal('500');
    });

    it('sees both bearers of a LegacyDN however many other mailboxes share its local part, in POX and in ResolveNames', async () => {
      const others = Array.from({ length: 10 }, (_, i) => `john@d${i}.example`);
      await t.store.upsertUsers([
        { email: 'xavier@contoso.example', displayName: 'Xavier', alias: 'john', refs: {} },
        ...others.map((email, i) => ({ email, displayName: `John ${i}`, alias: `john${i}`, refs: {} })),
        { email: 'john@dz.example', displayName: 'John Z', refs: {} },
      ]);
      const legacyDn = '/o=ExchangePhotoBridge/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=john';
      const pox = await parseSoap((await post('/autodiscover/autodiscover.xml', poxLegacyDnRequest(legacyDn))).text);
      const resolved = await postEws(
        t.bridge.server,
        `<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>EX:${legacyDn}</m:UnresolvedEntry></m:ResolveNames>`,
        READER,
      );
      expect([pox.Autodiscover.Response.Error?.ErrorCode, resolved.text.match(/<m:ResponseCode>(\w+)</)?.[1]]).to.deep.equal([
        '500',
        'ErrorNameResolutionNoResults',
      ]);
      await Promise.all(['xavier@contoso.example', ...others, 'john@dz.example'].map((address) => t.store.removeUser(address)));
    });
  });

  describe('JSON v2', () => {
    const get = (path: string) => request(t.bridge.server).get(path).set('Host', HOST);

    it('answers Protocol=EWS, AutodiscoverV1 and Rest without a login, paths and parameter names case-insensitive', async () => {
      const ews = await get('/autodiscover/autodiscover.json/v1.0/alex.wilber@contoso.example?Protocol=EWS');
      expect(ews.status).to.equal(200);
      expect(ews.headers['content-type']).to.equal('application/json; charset=utf-8');
      expect(ews.body).to.deep.equal({ Protocol: 'EWS', Url: `http://${HOST}/EWS/Exchange.asmx` });
      const v1 = await get('/Autodiscover/Autodiscover.json/v1.0/someone%40contoso.example?protocol=autodiscoverv1');
      expect(v1.body).to.deep.equal({ Protocol: 'AutodiscoverV1', Url: `http://${HOST}/autodiscover/autodiscover.xml` });
      const query = await get('/autodiscover/autodiscover.json?Email=alex.wilber@contoso.example&Protocol=Ews');
      expect(query.body).to.deep.equal({ Protocol: 'EWS', Url: `http://${HOST}/EWS/Exchange.asmx` });
      // The Outlook REST API's root, under which its photo URLs answer.
      const rest = await get('/autodiscover/autodiscover.json/v1.0/alex.wilber@contoso.example?Protocol=Rest');
      expect(rest.body).to.deep.equal({ Protocol: 'Rest', Url: `http://${HOST}/api` });
      await request(t.bridge.server)
        .get(`${new URL(rest.body.Url).pathname}/v2.0/me/photo`)
        .set('Host', HOST)
        .expect(401);
    });

    it('answers an unknown or missing protocol with 400 InvalidProtocol, and no address with 400 InvalidUser', async () => {
      for (const path of [
        '/autodiscover/autodiscover.json/v1.0/alex.wilber@contoso.example?Protocol=ActiveSync',
        '/autodiscover/autodiscover.json/v1.0/alex.wilber@contoso.example',
      ]) {
        const res = await get(path);
        expect(res.status).to.equal(400);
        expect(res.body.ErrorCode).to.equal('InvalidProtocol');
        expect(res.body.ErrorMessage).to.be.a('string').and.contain("Supported values are 'EWS,AutodiscoverV1,Rest'");
      }
      for (const path of [
        '/autodiscover/autodiscover.json/v1.0/nobody?Protocol=EWS',
        '/autodiscover/autodiscover.json/v1.0/alex.wilber@contoso.example/extra?Protocol=EWS',
      ]) {
        const noAddress = await get(path);
        expect([noAddress.status, noAddress.body.ErrorCode], path).to.deep.equal([400, 'InvalidUser']);
      }
    });

    it('answers a parameter given twice or in brackets with 400 InvalidRequest naming it, never one of the values picked', async () => {
      for (const [path, name] of [
        ['/autodiscover/autodiscover.json/v1.0/alex.wilber@contoso.example?Protocol=EWS&protocol=AutodiscoverV1', 'Protocol'],
        ['/autodiscover/autodiscover.json?Email=alex.wilber@contoso.example&EMAIL=mallory@contoso.example&Protocol=EWS', 'Email'],
        ['/autodiscover/autodiscover.json/v1.0/alex.wilber@contoso.example?Protocol[]=EWS', 'Protocol'],
      ] as const) {
        const res = await get(path);
        expect([res.status, res.body.ErrorCode], path).to.deep.equal([400, 'InvalidRequest']);
        expect(res.body.ErrorMessage, path).to.contain(`'${name}' parameter`);
      }
    });

    it('answers a query whose percent-escapes do not decode with 400 InvalidRequest, as every URL that reads one (it was read as written)', async () => {
      for (const path of [
        '/autodiscover/autodiscover.json?Email=alex.wilber%ZZ@contoso.example&Protocol=EWS',
        '/autodiscover/autodiscover.json/v1.0/a@contoso.example?Protocol=EW%C3%28',
      ]) {
        const res = await get(path);
        expect([res.status, res.body.ErrorCode, res.body.ErrorMessage], path).to.deep.equal([400, 'InvalidRequest', 'the URL is not validly percent-encoded']);
      }
    });

    it('refuses a Host header that names no host', async () => {
      const res = await request(t.bridge.server).get('/autodiscover/autodiscover.json/v1.0/a@contoso.example?Protocol=EWS').set('Host', 'evil.example/x?');
      expect(res.status).to.equal(400);
    });

    it('refuses, on every flavour, a Host that looks like a host but is no URL authority, and goes on serving', async () => {
      // Each once threw from the answer's URL building, outside any handler: the process exited.
      // The last, 64 labels of 63 letters (4,099 characters), made 9 MB Autodiscover answers.
      for (const host of ['h:99999', '[1]', '[1.2.3.4]', `${'a'.repeat(63).concat('.').repeat(64)}com`]) {
        const json = await request(t.bridge.server).get('/autodiscover/autodiscover.json/v1.0/a@contoso.example?Protocol=EWS').set('Host', host);
        const post = (path: string, body: string) =>
          request(t.bridge.server).post(path).set('Host', host).set('Authorization', basic(READER)).set('Content-Type', 'text/xml; charset=utf-8').send(body);
        const pox = await post('/autodiscover/autodiscover.xml', poxRequest('alex.wilber@contoso.example'));
        const soap = await post('/autodiscover/autodiscover.svc', getUserSettings(['alex.wilber@contoso.example'], ['UserDisplayName']));
        expect([json.status, pox.status, soap.status], host).to.deep.equal([400, 400, 400]);
      }
      expect((await request(t.bridge.server).get('/healthz')).status).to.equal(200);
    });
  });
});

describe("Autodiscover is charged to the login's share of the directory's time, as its searches are", () => {
  let t: TestBridge;
  const shares = new ShareClock();
  before(async () => {
    // The smallest share (20 ms in a burst): a few answers of 100 users outspend it.
    t = await startTestBridge({ BRIDGE_SEARCH_MS_PER_SECOND: '10' }, undefined, shares.now);
  });
  after(() => t.close());

  const post = (path: string, body: string, who = READER) =>
    request(t.bridge.server).post(path).set('Host', HOST).set('Authorization', basic(who)).set('Content-Type', 'text/xml; charset=utf-8').send(body);
  const users = Array.from({ length: 100 }, (_, i) => `user${i}@contoso.example`);
  const many = getUserSettings(users, ['UserDisplayName', 'UserDN', 'ExternalEwsUrl', 'InternalEwsUrl', 'EwsSupportedSchemas', 'MailboxDN']);

  it('sent back to back, GetUserSettings of 100 users is soon refused with 503 and Retry-After; POX too then; another login goes on', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 200 && !statuses.includes(503); i++) {
      last = await post('/autodiscover/autodiscover.svc', many);
      statuses.push(last.status);
    }
    expect(statuses[0], 'answered while the share lasts').to.equal(200);
    expect(statuses.at(-1)).to.equal(503);
    expect(statuses.slice(0, -1).every((status) => status === 200)).to.equal(true);
    expect(Number(last?.headers['retry-after'])).to.be.greaterThan(0);
    expect((await post('/autodiscover/autodiscover.xml', poxRequest('alex.wilber@contoso.example'))).status, 'POX, same login').to.equal(503);
    expect((await post('/autodiscover/autodiscover.svc', many, ADMIN)).status, "another login's share").to.equal(200);
    // A minute on, the share is paid back.
    shares.payBack();
    expect((await post('/autodiscover/autodiscover.svc', many)).status).to.equal(200);
  });
});
