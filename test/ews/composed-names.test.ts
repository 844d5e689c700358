import { expect } from 'chai';
import { importContacts } from '../../src/import/import-contacts.js';
import { readContactFile } from '../../src/import/read-contact-file.js';
import { imageLimitsOf } from '../../src/photos/image-limits.js';
import { parseSoap, postEws } from '../support/soap.js';
import { READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const DECOMPOSED = 'Rene\u0301e Dubois';
const COMPOSED = 'Ren\u00e9e Dubois';

/**
 * A name written decomposed (NFD: a CSV saved on a Mac, "e" + U+0301) and the same name
 * composed (NFC: "é") are one text; an exact Restriction told them apart, in both directions.
 */
describe('names composed or decomposed alike (FindItem Contains Exact)', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    const csv = `displayName,givenName,email1\n${DECOMPOSED},Rene\u0301e,renee@fabrikam.com\n`;
    const { added } = await importContacts(t.store, READER.username, readContactFile(csv, 'csv'), imageLimitsOf(t.config));
    expect(added).to.have.length(1);
    await t.store.addContacts(READER.username, [{ displayName: 'Jos\u00e9 N\u00fa\u00f1ez', emailAddresses: [], phones: {}, refs: {} }]);
  });
  after(() => t.close());

  const findItem = async (restriction: string) => {
    const res = await postEws(
      t.bridge.server,
      `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:Restriction>${restriction}</m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds></m:FindItem>`,
      READER,
    );
    expect(res.status).to.equal(200);
    const message = (await parseSoap(res.text)).Envelope.Body.FindItemResponse.ResponseMessages.FindItemResponseMessage;
    expect(message.ResponseCode, message.MessageText).to.equal('NoError');
    return [message.RootFolder.Items?.Contact ?? []].flat().map((c: { DisplayName: string }) => c.DisplayName);
  };
  const contains = (mode: string, uri: string, value: string) =>
    `<t:Contains ContainmentMode="${mode}" ContainmentComparison="Exact"><t:FieldURI FieldURI="${uri}"/><t:Constant Value="${value}"/></t:Contains>`;

  it('finds a name imported decomposed by its composed form, and answers it composed', async () => {
    expect(await findItem(contains('FullString', 'contacts:DisplayName', COMPOSED))).to.deep.equal([COMPOSED]);
    expect(await findItem(contains('Prefixed', 'contacts:GivenName', 'Ren\u00e9'))).to.deep.equal([COMPOSED]);
  });

  it('finds a name stored composed by its decomposed form', async () => {
    expect(await findItem(contains('FullString', 'contacts:DisplayName', 'Jose\u0301 Nu\u0301n\u0303ez'))).to.deep.equal(['Jos\u00e9 N\u00fa\u00f1ez']);
    expect(await findItem(contains('Substring', 'contacts:DisplayName', 'u\u0301n\u0303'))).to.deep.equal(['Jos\u00e9 N\u00fa\u00f1ez']);
    // Each form finds the decomposed import too: the two are one text.
    expect(await findItem(contains('FullString', 'contacts:DisplayName', DECOMPOSED))).to.deep.equal([COMPOSED]);
  });

  it('stores what an import gave decomposed composed', async () => {
    const [contact] = (await t.store.listContacts(READER.username)).filter((c) => c.emailAddresses[0] === 'renee@fabrikam.com');
    expect([contact?.displayName, contact?.givenName]).to.deep.equal([COMPOSED, 'Ren\u00e9e']);
  });
});
