import { expect } from 'chai';
import { hashPassword } from '../../src/auth/password-hash.js';
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
  /** The Contacts folder's total_count in the mailbox found, or the error it failed with. */
  contacts: number | string;
  unknown: { type: string; message: string } | null;
}

/**
 * Python exchangelib 4.9.0 (Debian's python3-exchangelib) discovering the bridge with its
 * own SOAP and POX Autodiscover code: the 401 probe, GetUserSettings with the six settings
 * it always asks for (and fails on any error among them), the POX answer it parses, the
 * EWS Account built from what it found, and "no such mailbox" for an unknown address.
 */

/** A login that is a directory user's other address (john.doe@'s), not their primary one. */
const J_DOE = { username: 'j.doe@contoso.com', password: 'j.doe secret' };

describe('interop: exchangelib autodiscover (SOAP and POX)', function () {
  this.timeout(120_000);
  let t: TestBridge;
  let observed: { client: string; soap: Discovered; pox: Discovered };
  /** Discovered by a login that is another address of a directory user's (J_DOE), naming that address. */
  let bySecondary: typeof observed;
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
    await t.store.upsertUsers([{ email: 'john.doe@contoso.com', otherAddresses: [J_DOE.username], displayName: 'John Doe', refs: {} }]);
    await t.store.putAccount(J_DOE.username, await hashPassword(J_DOE.password), 'user');
    await t.store.addContacts(J_DOE.username, [{ displayName: 'A Contact', emailAddresses: [], phones: {}, refs: {} }]);
    bySecondary = (await runPythonClient(
      pythonScript('exchangelib_autodiscover.py'),
      [origin, J_DOE.username, J_DOE.password, J_DOE.username, 'nobody@contoso.com'],
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

      it("opens the caller's own Contacts folder by the primary address it found for a login that is another address of the user's, and no one else's", () => {
        expect([bySecondary[kind].primary_smtp_address, bySecondary[kind].contacts, observed[kind].contacts]).to.deep.equal([
          'john.doe@contoso.com',
          1,
          'ErrorFolderNotFound',
        ]);
      });
    });
  }
});
