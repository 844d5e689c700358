import { expect } from 'chai';
import request from 'supertest';
import { contactOwner } from '../../src/domain/photo-owner.js';
import { samplePhoto } from '../support/sample-images.js';
import { parseSoap, postEws } from '../support/soap.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

/**
 * A contact's department and job title, which exchangelib's `.filter(department=…)` and
 * `.order_by('job_title')` send and Graph's `$filter`/`$orderby` name, and its FileAs (its
 * display name), which `order_by('file_as')` sorts by, and whether it has a photo
 * (`.filter(has_picture=True)`): each was refused as a property the folder could not be
 * searched or sorted by.
 */
describe('contacts searched and sorted by department, job title, FileAs and HasPicture (FindItem, Graph /me/contacts)', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    const contact = (displayName: string, department?: string, jobTitle?: string) => ({
      displayName,
      department,
      jobTitle,
      emailAddresses: [],
      phones: {},
      refs: {},
    });
    const ids = await t.store.addContacts(READER.username, [
      contact('Ann Archer', 'Sales', 'Account Manager'),
      contact('Bob Baker', 'Engineering', 'Software Engineer'),
      contact('Carla Cruz', 'sales', 'Director'),
      contact('Dan Dunn'),
    ]);
    await t.bridge.photos.setPhoto(contactOwner(ids[1]!), await samplePhoto(64, 64), 'test');
  });
  after(() => t.close());

  const findItem = async (inner: string) => {
    const res = await postEws(
      t.bridge.server,
      `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>${inner}<m:ParentFolderIds><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds></m:FindItem>`,
      READER,
    );
    const message = (await parseSoap(res.text)).Envelope.Body.FindItemResponse.ResponseMessages.FindItemResponseMessage;
    expect(message.ResponseCode, message.MessageText).to.equal('NoError');
    return [message.RootFolder.Items?.Contact ?? []].flat().map((c: { DisplayName: string }) => c.DisplayName);
  };
  const equalTo = (uri: string, value: string) =>
    `<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="${uri}"/><t:FieldURIOrConstant><t:Constant Value="${value}"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>`;
  const sortedBy = (uri: string, order: string) => `<m:SortOrder><t:FieldOrder Order="${order}"><t:FieldURI FieldURI="${uri}"/></t:FieldOrder></m:SortOrder>`;
  const graph = async (query: string) =>
    (await request(t.bridge.server).get(`/v1.0/me/contacts?${query}`).set('Authorization', basic(READER)).expect(200)).body.value.map(
      (c: { displayName: string }) => c.displayName,
    );

  it('FindItem restricts by contacts:Department and contacts:JobTitle, and by contacts:FileAs as the display name', async () => {
    // ASCII case ignored, as every field but the display name is compared.
    expect(await findItem(equalTo('contacts:Department', 'SALES'))).to.deep.equal(['Ann Archer', 'Carla Cruz']);
    const engineers =
      '<m:Restriction><t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="contacts:JobTitle"/><t:Constant Value="engineer"/></t:Contains></m:Restriction>';
    expect(await findItem(engineers)).to.deep.equal(['Bob Baker']);
    expect(await findItem(equalTo('contacts:FileAs', 'Carla Cruz'))).to.deep.equal(['Carla Cruz']);
  });

  it('FindItem restricts by contacts:HasPicture, IsEqualTo or IsNotEqualTo true or false (exchangelib has_picture=True); Exists holds for all', async () => {
    expect(await findItem(equalTo('contacts:HasPicture', 'true'))).to.deep.equal(['Bob Baker']);
    expect(await findItem(equalTo('contacts:HasPicture', '0'))).to.deep.equal(['Ann Archer', 'Carla Cruz', 'Dan Dunn']);
    const notWithout =
      '<m:Restriction><t:IsNotEqualTo><t:FieldURI FieldURI="contacts:HasPicture"/><t:FieldURIOrConstant><t:Constant Value="false"/></t:FieldURIOrConstant></t:IsNotEqualTo></m:Restriction>';
    expect(await findItem(notWithout)).to.deep.equal(['Bob Baker']);
    expect(await findItem('<m:Restriction><t:Exists><t:FieldURI FieldURI="contacts:HasPicture"/></t:Exists></m:Restriction>')).to.have.length(4);
  });

  it('FindItem sorts by contacts:JobTitle (an unset one first going up) and by contacts:FileAs', async () => {
    expect(await findItem(sortedBy('contacts:JobTitle', 'Ascending'))).to.deep.equal(['Dan Dunn', 'Ann Archer', 'Carla Cruz', 'Bob Baker']);
    expect(await findItem(sortedBy('contacts:FileAs', 'Descending'))).to.deep.equal(['Dan Dunn', 'Carla Cruz', 'Bob Baker', 'Ann Archer']);
  });

  it("Graph filters by department and jobTitle and orders by them: $filter=department eq 'sales' (case ignored), $orderby=department desc", async () => {
    expect(await graph(`$filter=${encodeURIComponent("department eq 'sales'")}`)).to.deep.equal(['Ann Archer', 'Carla Cruz']);
    expect(await graph(`$filter=${encodeURIComponent("startswith(jobTitle,'dir')")}`)).to.deep.equal(['Carla Cruz']);
    // Case folded first, then as written: 'sales' after 'Sales' going up.
    expect(await graph('$orderby=department%20desc')).to.deep.equal(['Carla Cruz', 'Ann Archer', 'Bob Baker', 'Dan Dunn']);
  });
});
