import { expect } from 'chai';
import { AUTODISCOVER_NS } from '../../src/autodiscover/namespaces.js';
import { ACTION_BASE, AUTODISCOVER_OPERATIONS } from '../../src/autodiscover/soap-autodiscover.js';
import { readWsdlContract } from '../../src/ews/wsdl-contract.js';
import { AUTODISCOVER_CONTRACT } from '../../src/ews/wsdl-documents.js';
import { READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { ALEX, seedInteropFixture } from './python/fixture.js';
import { pythonScript, runPythonClient } from './python/run-python.js';

interface Answer<Response> {
  header: { ServerVersionInfo: { MajorVersion: number; MinorVersion: number; Version: string } };
  body: { Response: Response };
}
interface Setting {
  Name: string;
  Value: string;
}
interface SettingError {
  ErrorCode: string;
  SettingName: string;
}
interface UserResponse {
  ErrorCode: string;
  ErrorMessage: string;
  UserSettingErrors: { UserSettingError: SettingError[] } | null;
  UserSettings: { UserSetting: Setting[] } | null;
}
interface DomainResponse {
  ErrorCode: string;
  DomainSettings: { DomainSetting: Setting[] } | null;
}

/**
 * zeep (Debian's python3-zeep) in strict mode against the bridge's SOAP Autodiscover, from the
 * WSDL the bridge serves at /autodiscover/services.wsdl (Learn's "SOAP Autodiscover XML
 * elements": authenticated users browse to it): each request built from it, each answer parsed
 * against it — it was a 404, so a client generated from the contract could not be made.
 */
describe('interop: zeep against SOAP Autodiscover, from its WSDL', function () {
  this.timeout(120_000);
  let t: TestBridge;
  let ewsUrl: string;
  let observed: {
    wsdl_without_credentials: number;
    user_settings: Answer<{ ErrorCode: string; UserResponses: { UserResponse: UserResponse[] } }>;
    domain_settings: Answer<{ ErrorCode: string; DomainResponses: { DomainResponse: DomainResponse[] } }>;
  };

  before(async () => {
    t = await startTestBridge();
    ewsUrl = (await seedInteropFixture(t)).endpoint;
    const origin = ewsUrl.replace(/\/EWS\/Exchange\.asmx$/, '');
    observed = (await runPythonClient(
      pythonScript('zeep_autodiscover.py'),
      [`${origin}/autodiscover/services.wsdl`, READER.username, READER.password, ALEX.email, 'nobody@contoso.com', 'contoso.com'],
      110_000,
    )) as typeof observed;
  });
  after(() => t?.close());

  it('asks for a login to read the contract, as for the service', () => {
    expect(observed.wsdl_without_credentials).to.equal(401);
  });

  it('reads GetUserSettings: the settings of a user, an error for a setting Autodiscover does not define, InvalidUser for an unknown address', () => {
    const { header, body } = observed.user_settings;
    expect([header.ServerVersionInfo.MajorVersion, header.ServerVersionInfo.Version]).to.deep.equal([15, 'Exchange2015']);
    expect(body.Response.ErrorCode).to.equal('NoError');
    const [alex, unknown] = body.Response.UserResponses.UserResponse;
    expect(alex!.ErrorCode).to.equal('NoError');
    expect(alex!.UserSettings!.UserSetting.map((setting) => [setting.Name, setting.Value])).to.deep.equal([
      ['UserDisplayName', ALEX.displayName],
      ['ExternalEwsUrl', ewsUrl],
    ]);
    expect(alex!.UserSettingErrors!.UserSettingError.map((error) => [error.SettingName, error.ErrorCode])).to.deep.equal([['NoSuchSetting', 'InvalidSetting']]);
    expect(unknown!.ErrorCode).to.equal('InvalidUser');
  });

  it('reads GetDomainSettings: the EWS URL and version of a domain, InvalidDomain for what is no domain', () => {
    const [domain, invalid] = observed.domain_settings.body.Response.DomainResponses.DomainResponse;
    expect(domain!.DomainSettings!.DomainSetting.map((setting) => setting.Name)).to.deep.equal(['ExternalEwsUrl', 'ExternalEwsVersion']);
    expect(domain!.DomainSettings!.DomainSetting[0]!.Value).to.equal(ewsUrl);
    expect(invalid!.ErrorCode).to.equal('InvalidDomain');
  });

  it('describes exactly the operations the endpoint answers, with the Actions and request messages it dispatches on', async () => {
    const described = await readWsdlContract(AUTODISCOVER_CONTRACT);
    expect(described.map((operation) => operation.name).sort()).to.deep.equal([...AUTODISCOVER_OPERATIONS.keys()].sort());
    for (const operation of described) {
      expect(operation.soapAction, operation.name).to.equal(`${ACTION_BASE}${operation.name}`);
      expect(operation.requestElement, operation.name).to.deep.equal({ local: `${operation.name}RequestMessage`, ns: AUTODISCOVER_NS });
    }
  });
});
