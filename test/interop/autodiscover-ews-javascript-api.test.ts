import { expect } from 'chai';
import {
  AutodiscoverErrorCode,
  AutodiscoverResponseException,
  AutodiscoverService,
  DomainSettingName,
  ExchangeVersion,
  Uri,
  UserSettingName,
  WebCredentials,
  type GetUserSettingsResponse,
} from 'ews-javascript-api';
import { basic, READER } from '../support/test-bridge.js';
import { imageInfo, startInteropBridge, type InteropWorld } from './js-client-fixture.js';

/**
 * The bridge as ews-javascript-api 0.15.3's AutodiscoverService (a port of the EWS Managed
 * API's) sees it, over real HTTP: GetUserSettings for one and several users, the photo
 * fetched from the ExternalPhotosUrl it returns, and GetDomainSettings.
 */
describe('interop: ews-javascript-api AutodiscoverService', function () {
  this.timeout(60_000);
  let world: InteropWorld;
  let service: AutodiscoverService;
  let origin: string;

  const serviceFor = (credentials: { username: string; password: string }) => {
    const s = new AutodiscoverService(new Uri(`${origin}/autodiscover/autodiscover.svc`), ExchangeVersion.Exchange2013);
    s.Credentials = new WebCredentials(credentials.username, credentials.password);
    return s;
  };
  const setting = (response: GetUserSettingsResponse, name: UserSettingName): unknown => response.Settings.get(name);

  before(async () => {
    world = await startInteropBridge();
    origin = `http://127.0.0.1:${world.address.port}`;
    service = serviceFor(READER);
  });
  after(() => world?.close());

  it("reads a directory user's settings: display name, EWS and photo URLs, schemas, CAS version", async () => {
    const response = await service.GetUserSettings('alex.wilber@contoso.com', [
      UserSettingName.UserDisplayName,
      UserSettingName.ExternalEwsUrl,
      UserSettingName.InternalEwsUrl,
      UserSettingName.ExternalPhotosUrl,
      UserSettingName.InternalPhotosUrl,
      UserSettingName.EwsSupportedSchemas,
      UserSettingName.CasVersion,
    ]);
    expect(response.ErrorCode).to.equal(AutodiscoverErrorCode.NoError);
    expect(setting(response, UserSettingName.UserDisplayName)).to.equal('Alex Wilber');
    expect(setting(response, UserSettingName.ExternalEwsUrl)).to.equal(world.ewsUrl);
    expect(setting(response, UserSettingName.InternalEwsUrl)).to.equal(world.ewsUrl);
    expect(setting(response, UserSettingName.ExternalPhotosUrl)).to.equal(`${world.ewsUrl}/s`);
    expect(setting(response, UserSettingName.InternalPhotosUrl)).to.equal(`${world.ewsUrl}/s`);
    expect(setting(response, UserSettingName.EwsSupportedSchemas)).to.match(/Exchange2013_SP1, Exchange2016$/);
    expect(setting(response, UserSettingName.CasVersion)).to.equal('15.01.2507.006');
    expect(response.Settings.Count).to.equal(7);
    expect(response.UserSettingErrors).to.have.length(0);
    expect(service.ServerInfo.MajorVersion).to.equal(15);
  });

  it('fetches the photo from ExternalPhotosUrl + /GetUserPhoto?email=…&size=…, as MS-OXWSPHOTO tells clients to', async () => {
    const response = await service.GetUserSettings('alex.wilber@contoso.com', [UserSettingName.ExternalPhotosUrl]);
    const photosUrl = setting(response, UserSettingName.ExternalPhotosUrl) as string;
    const photo = await fetch(`${photosUrl}/GetUserPhoto?email=alex.wilber@contoso.com&size=HR240x240`, { headers: { authorization: basic(READER) } });
    expect(photo.status).to.equal(200);
    expect(photo.headers.get('content-type')).to.equal('image/jpeg');
    const { format, width, height } = await imageInfo(Buffer.from(await photo.arrayBuffer()));
    expect(format).to.equal('jpeg');
    expect(Math.max(width ?? 0, height ?? 0), 'the long side is the size asked for').to.equal(240);
  });

  it("answers several users at once, in order: InvalidUser for an unknown address, the caller's own mailbox too", async () => {
    const responses = await service.GetUsersSettings(
      ['diego.siciliani@contoso.com', 'nobody@contoso.com', READER.username],
      UserSettingName.UserDisplayName,
      UserSettingName.AutoDiscoverSMTPAddress,
    );
    expect(responses.Count).to.equal(3);
    const [diego, nobody, reader] = [0, 1, 2].map((index) => responses.__thisIndexer(index));
    expect(diego!.ErrorCode).to.equal(AutodiscoverErrorCode.NoError);
    expect(setting(diego!, UserSettingName.UserDisplayName)).to.equal('Diego Siciliani');
    expect(nobody!.ErrorCode).to.equal(AutodiscoverErrorCode.InvalidUser);
    expect(nobody!.SmtpAddress).to.equal('nobody@contoso.com');
    expect(reader!.ErrorCode).to.equal(AutodiscoverErrorCode.NoError);
    expect(setting(reader!, UserSettingName.AutoDiscoverSMTPAddress)).to.equal(READER.username);
  });

  it('reports settings the bridge cannot give as UserSettingErrors and still returns the others', async () => {
    const response = await service.GetUserSettings('alex.wilber@contoso.com', [UserSettingName.ExternalOABUrl, UserSettingName.UserDisplayName]);
    expect(response.ErrorCode).to.equal(AutodiscoverErrorCode.NoError);
    expect(setting(response, UserSettingName.UserDisplayName)).to.equal('Alex Wilber');
    expect(response.UserSettingErrors.map((error) => [error.SettingName, error.ErrorCode])).to.deep.equal([
      ['ExternalOABUrl', AutodiscoverErrorCode.SettingIsNotAvailable],
    ]);
  });

  it('reads the domain settings', async () => {
    const response = await service.GetDomainSettings(
      'contoso.com',
      ExchangeVersion.Exchange2013,
      DomainSettingName.ExternalEwsUrl,
      DomainSettingName.ExternalEwsVersion,
    );
    expect(response.ErrorCode).to.equal(AutodiscoverErrorCode.NoError);
    expect(response.Settings.get(DomainSettingName.ExternalEwsUrl)).to.equal(world.ewsUrl);
    expect(response.Settings.get(DomainSettingName.ExternalEwsVersion)).to.equal('15.01.2507.006');
  });

  it('gets no settings with a wrong password', async () => {
    let failure: unknown;
    try {
      await serviceFor({ ...READER, password: 'wrong' }).GetUserSettings('alex.wilber@contoso.com', [UserSettingName.UserDisplayName]);
    } catch (error) {
      failure = error;
    }
    expect(failure, 'the call must fail').to.exist;
    expect(failure).not.to.be.instanceOf(AutodiscoverResponseException);
    // The client hands on the 401's body: the bridge's one-line reason, no settings.
    expect(String(failure)).to.contain('wrong user name or password').and.not.contain('Alex');
  });
});
