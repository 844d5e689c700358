import { expect } from 'chai';
import {
  BasePropertySet,
  Contact,
  ExchangeService,
  ExchangeVersion,
  ItemView,
  OffsetBasePoint,
  PropertySet,
  ServiceResult,
  Uri,
  WebCredentials,
  WellKnownFolderName,
} from 'ews-javascript-api';
import { hashPassword } from '../../src/auth/password-hash.js';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { pythonScript, runPythonClient } from './python/run-python.js';

/** Past the 250 a page and an id list held before: clients ask up to Exchange's EWSFindCountLimit, 1,000, at once. */
const CONTACTS = 300;
const OWNER = { username: 'many.contacts@example.com', password: 'many contacts secret' };

describe('interop: a Contacts folder of 300 contacts, listed and fetched whole', function () {
  this.timeout(120_000);
  let t: TestBridge;
  let ewsUrl: string;
  before(async () => {
    t = await startTestBridge();
    await t.store.putAccount(OWNER.username, await hashPassword(OWNER.password), 'user');
    await t.store.addContacts(
      OWNER.username,
      Array.from({ length: CONTACTS }, (_, i) => ({
        displayName: `Member ${String(i).padStart(3, '0')}`,
        emailAddresses: [`member${i}@x.example`],
        phones: {},
        refs: {},
      })),
    );
    ewsUrl = `http://127.0.0.1:${(await t.bridge.listen()).port}/EWS/Exchange.asmx`;
  });
  after(() => t?.close());

  it('ews-javascript-api: FindItems of 1,000 gives all 300, and LoadPropertiesForItems binds them in one GetItem', async () => {
    const service = new ExchangeService(ExchangeVersion.Exchange2013);
    service.Credentials = new WebCredentials(OWNER.username, OWNER.password);
    service.Url = new Uri(ewsUrl);
    const found = await service.FindItems(WellKnownFolderName.Contacts, new ItemView(1000));
    expect([found.Items.length, found.TotalCount, found.MoreAvailable]).to.deep.equal([CONTACTS, CONTACTS, false]);
    const loaded = await service.LoadPropertiesForItems(found.Items, new PropertySet(BasePropertySet.FirstClassProperties));
    expect(loaded.Count).to.equal(CONTACTS);
    expect(loaded.OverallResult).to.equal(ServiceResult.Success);
  });

  it('ews-javascript-api: FindItems from the end, page after page while MoreAvailable, gives all 300 once, backward', async () => {
    const service = new ExchangeService(ExchangeVersion.Exchange2013);
    service.Credentials = new WebCredentials(OWNER.username, OWNER.password);
    service.Url = new Uri(ewsUrl);
    const names: string[] = [];
    let offset = 0;
    for (let pages = 0; pages < 10; pages++) {
      const found = await service.FindItems(WellKnownFolderName.Contacts, new ItemView(120, offset, OffsetBasePoint.End));
      // Each page in name order, the pages from the last back to the first.
      names.unshift(...found.Items.map((item) => (item as Contact).DisplayName));
      if (!found.MoreAvailable) break;
      offset = found.NextPageOffset!;
    }
    expect(names).to.deep.equal(Array.from({ length: CONTACTS }, (_, i) => `Member ${String(i).padStart(3, '0')}`));
  });

  it('exchangelib: people().count() (one FindPeople it does not page), all().count(), and one fetch of every id', async () => {
    const observed = await runPythonClient(pythonScript('exchangelib_count.py'), [ewsUrl, OWNER.username, OWNER.password, OWNER.username], 90_000);
    expect(observed).to.deep.equal({ people: CONTACTS, items: CONTACTS, fetched: CONTACTS, distinct: CONTACTS });
  });
});
