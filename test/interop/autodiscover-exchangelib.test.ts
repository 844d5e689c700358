import { expect } from 'chai';
import { READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { ALEX, seedInteropFixture } from './python/fixture.js';
import { pythonScript, runPythonClient } from './python/run-python.js';

/** What test/interop/python/exchangelib_autodiscover.py prints for each of SOAP and POX. */
interface Discovered {
  auth_type: string;
  ews_url: string;
  api_version: string;
  primary_smtp_address: string;
  resolved: (string | null)[];
  unknown: { type: string; message: string } | null;
}

/**
 * Python exchangelib 4.9.0 (Debian's python3-exchangelib) discovering the bridge with its
 * own SOAP and POX Autodiscover code: the 401 probe, GetUserSettings with the six settings
 * it always asks for (and fails on any error among them), the POX answer it parses, the
 * EWS Account built from what it found, and "no such mailbox" for an unknown address.
 */
describe('interop: exchangelib autodiscover (SOAP and POX)', function () {
  this.timeout(120_000);
  let t: TestBridge;
  let observed: { client: string; soap: Discovered; pox: Discovered };
  let ewsUrl: string;

  before(async () => {
    t = await startTestBridge();
    ewsUrl = (await seedInteropFixture(t)).endpoint;
    const origin = ewsUrl.replace(/\/EWS\/Exchange\.asmx$/, '');
    observed = (await runPythonClient(
      pythonScript('exchangelib_autodiscover.py'),
      [origin, READER.username, READER.password, ALEX.email, 'nobody@contoso.com'],
      110_000,
    )) as typeof observed;
  });
  after(() => t?.close());

  for (const kind of ['soap', 'pox'] as const) {
    describe(kind === 'soap' ? 'SOAP (autodiscover.svc)' : 'POX (autodiscover.xml)', () => {
      it('finds Basic auth from the 401 challenge and the EWS URL of the bridge', () => {
        expect(observed[kind].auth_type).to.equal('basic');
        expect(observed[kind].ews_url).to.equal(ewsUrl);
        expect(observed[kind].primary_smtp_address).to.equal(ALEX.email);
      });

      it('knows the EWS version it found and uses the account it built', () => {
        expect(observed[kind].api_version).to.equal('Exchange2016');
        expect(observed[kind].resolved).to.include(ALEX.email);
      });

      it('reports an unknown address as a mailbox that does not exist', () => {
        expect(observed[kind].unknown?.type).to.equal('ErrorNonExistentMailbox');
      });
    });
  }
});
