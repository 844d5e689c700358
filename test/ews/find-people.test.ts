import { expect } from 'chai';
import request from 'supertest';
import { EWS_MIN_ANSWER_BYTES } from '../../src/config.js';
import { envelope, parseSoap, postEws } from '../support/soap.js';
import { ADMIN, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

describe('FindPeople', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([
      {
        email: 'megan.bowen@contoso.com',
        displayName: 'Megan Bowen',
        givenName: 'Megan',
        surname: 'Bowen',
        title: 'Marketing Manager',
        department: 'Marketing',
        company: 'Contoso',
        businessPhone: '+1 425 555 0109',
        sipAddress: 'sip:megan.bowen@contoso.com',
        refs: {},
      },
      { email: 'meg.hidden@contoso.com', displayName: 'Meg Hidden', hiddenFromAddressLists: true, refs: {} },
      ...Array.from({ length: 12 }, (_, i) => ({ email: `member${i}@contoso.com`, displayName: `Member ${String(i).padStart(2, '0')}`, refs: {} })),
    ]);
    await t.store.addContacts(READER.username, [
      { displayName: 'Zed Contact', givenName: 'Zed', emailAddresses: ['zed@x.example', 'zed2@x.example'], phones: { mobile: '+1 555 0100' }, refs: {} },
      { displayName: 'Meg Private', emailAddresses: ['meg@x.example'], phones: {}, refs: {} },
      { displayName: 'Anna Contact', emailAddresses: [], phones: {}, refs: {} },
    ]);
    await t.store.addContacts(ADMIN.username, [{ displayName: 'Meg Of Admin', emailAddresses: ['admin-meg@x.example'], phones: {}, refs: {} }]);
  });
  after(() => t.close());

  const view = (max = 100, offset = 0, basePoint = 'Beginning') =>
    `<m:IndexedPageItemView MaxEntriesReturned="${max}" Offset="${offset}" BasePoint="${basePoint}"/>`;
  const folder = (id: string) => `<m:ParentFolderId><t:DistinguishedFolderId Id="${id}"/></m:ParentFolderId>`;
  /** A Restriction of one test: its element's name (and attributes) and what it holds. */
  const restricted = (test: string, inner: string) => `<m:Restriction><t:${test}>${inner}</t:${test.split(' ')[0]}></m:Restriction>`;
  const findPeople = async (inner: string, as = READER) => {
    const res = await postEws(t.bridge.server, `<m:FindPeople>${inner}</m:FindPeople>`, as);
    expect(res.status).to.equal(200);
    const response = (await parseSoap(res.text)).Envelope.Body.FindPeopleResponse;
    const people = [response.People?.Persona ?? []].flat();
    return { text: res.text, response, people, names: people.map((persona: any) => persona.DisplayName) };
  };

  it("lists the caller's Contacts folder in display-name order, each Persona in schema order with its id that GetItem reads", async () => {
    const { response, people, names, text } = await findPeople(
      `<m:PersonaShape><t:BaseShape>Default</t:BaseShape></m:PersonaShape>${view()}${folder('contacts')}`,
    );
    expect(response.$.ResponseClass).to.equal('Success');
    expect(response.ResponseCode).to.equal('NoError');
    expect([response.TotalNumberOfPeopleInView, response.FirstMatchingRowIndex, response.FirstLoadedRowIndex]).to.deep.equal(['3', '0', '0']);
    expect(names).to.deep.equal(['Anna Contact', 'Meg Private', 'Zed Contact']);
    // Without a surname, the name in either order is the display name.
    expect(people[2]).to.deep.include({ DisplayNameFirstLast: 'Zed Contact', DisplayNameLastFirst: 'Zed Contact', FileAs: 'Zed Contact', FileAsId: 'None' });
    expect(people[2]).to.deep.include({ PersonaType: 'Person', GivenName: 'Zed', PhoneNumber: { Number: '+1 555 0100', Type: 'Mobile' } });
    // To the second, as GetItem writes a contact's times (it had its milliseconds).
    expect(people[2].CreationTime).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(people[2].EmailAddress).to.deep.equal({ Name: 'Zed Contact', EmailAddress: 'zed@x.example', RoutingType: 'SMTP', MailboxType: 'Contact' });
    expect([people[2].EmailAddresses.Address].flat().map((address: any) => address.EmailAddress)).to.deep.equal(['zed@x.example', 'zed2@x.example']);
    // Persona's own children in order (the parts of an address and a phone number taken out).
    const zed = text
      .slice(text.lastIndexOf('<t:Persona>'), text.lastIndexOf('</t:Persona>'))
      .replace(/<t:(Name|EmailAddress|RoutingType|MailboxType|Number|Type)>[^<]*<\/t:\1>/g, '');
    expect([...zed.matchAll(/<t:(\w+)[ >/]/g)].map((m) => m[1])).to.deep.equal([
      'Persona',
      'PersonaId',
      'PersonaType',
      'CreationTime',
      'DisplayName',
      'DisplayNameFirstLast',
      'DisplayNameLastFirst',
      'FileAs',
      'FileAsId',
      'GivenName',
      'EmailAddress',
      'EmailAddresses',
      'Address',
      'Address',
      'PhoneNumber',
    ]);

    const got = await postEws(
      t.bridge.server,
      `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${people[2].PersonaId.$.Id}"/></m:ItemIds></m:GetItem>`,
      READER,
    );
    const contact = (await parseSoap(got.text)).Envelope.Body.GetItemResponse.ResponseMessages.GetItemResponseMessage.Items.Contact;
    expect(contact.DisplayName).to.equal('Zed Contact');
    // CompleteName is in a contact's default properties (Learn, "Property sets and response shapes in EWS").
    expect(contact.CompleteName).to.deep.equal({ FirstName: 'Zed', FullName: 'Zed Contact' });
  });

  it("lists the Contacts folder restricted and sorted by a persona's properties, or a contact's, as exchangelib names them", async () => {
    const contains = (uri: string, value: string) =>
      restricted('Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"', `<t:FieldURI FieldURI="${uri}"/><t:Constant Value="${value}"/>`);
    const descending = (uri: string) => `<m:SortOrder><t:FieldOrder Order="Descending"><t:FieldURI FieldURI="${uri}"/></t:FieldOrder></m:SortOrder>`;
    const found = await findPeople(`${view()}${contains('persona:DisplayName', 'CONTACT')}${descending('persona:DisplayName')}${folder('contacts')}`);
    expect([found.names, found.response.TotalNumberOfPeopleInView]).to.deep.equal([['Zed Contact', 'Anna Contact'], '2']);
    expect((await findPeople(`${view()}${contains('contacts:GivenName', 'ze')}${folder('contacts')}`)).names).to.deep.equal(['Zed Contact']);
    // A persona's addresses are any of the contact's: the second of Zed's, and whoever has one.
    expect((await findPeople(`${view()}${contains('persona:EmailAddresses', 'ZED2@')}${folder('contacts')}`)).names).to.deep.equal(['Zed Contact']);
    const withAddress = restricted('Exists', '<t:FieldURI FieldURI="persona:EmailAddress"/>');
    expect((await findPeople(`${view()}${withAddress}${folder('contacts')}`)).names).to.deep.equal(['Meg Private', 'Zed Contact']);
    expect((await findPeople(`${view(1)}${descending('contacts:DisplayName')}${folder('contacts')}`)).names).to.deep.equal(['Zed Contact']);
  });

  it('pages the folder from the beginning or the end, and gives ids alone for IdOnly', async () => {
    expect((await findPeople(`${view(2, 1)}${folder('contacts')}`)).names).to.deep.equal(['Meg Private', 'Zed Contact']);
    expect((await findPeople(`${view(1, 0, 'End')}${folder('contacts')}`)).names).to.deep.equal(['Zed Contact']);
    const { people } = await findPeople(`<m:PersonaShape><t:BaseShape>IdOnly</t:BaseShape></m:PersonaShape>${view()}${folder('contacts')}`);
    expect(people.map((persona: any) => Object.keys(persona))).to.deep.equal([['PersonaId'], ['PersonaId'], ['PersonaId']]);
  });

  it("gives the id and the properties AdditionalProperties name for IdOnly, as Learn's example asks them; others the bridge does not know are ignored", async () => {
    const additional = ['persona:DisplayName', 'persona:Title', 'persona:Bogus', 'item:Subject'].map((uri) => `<t:FieldURI FieldURI="${uri}"/>`).join('');
    const shape = `<m:PersonaShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>${additional}</t:AdditionalProperties></m:PersonaShape>`;
    const { people } = await findPeople(`${shape}${view()}${folder('directory')}<m:QueryString>megan</m:QueryString>`);
    expect(people).to.have.length(1);
    expect(Object.keys(people[0])).to.deep.equal(['PersonaId', 'DisplayName', 'Title']);
    expect([people[0].DisplayName, people[0].Title]).to.deep.equal(['Megan Bowen', 'Marketing Manager']);
    // Under the Default shape, AdditionalProperties add to what it carries, which is all the bridge keeps.
    const whole = await findPeople(`${shape.replace('IdOnly', 'Default')}${view()}${folder('directory')}<m:QueryString>megan</m:QueryString>`);
    expect(Object.keys(whole.people[0])).to.include.members(['PersonaId', 'PersonaType', 'DisplayName', 'Title', 'EmailAddress', 'ImAddress']);
  });

  it("searches the caller's contacts by a QueryString, then the directory (the hidden left out), and never another mailbox's", async () => {
    const search = `${view()}${folder('contacts')}<m:QueryString>meg</m:QueryString>`;
    expect((await findPeople(search)).names).to.deep.equal(['Meg Private', 'Megan Bowen']);
    expect((await findPeople(search, ADMIN)).names).to.deep.equal(['Meg Of Admin', 'Megan Bowen']);
  });

  it('searches the directory by a QueryString, best match first, the hidden left out; as ResolveNames finds', async () => {
    const { people, response } = await findPeople(`${view()}${folder('directory')}<m:QueryString>meg</m:QueryString>`);
    expect(people.map((persona: any) => persona.DisplayName)).to.deep.equal(['Megan Bowen']);
    expect(response.TotalNumberOfPeopleInView).to.equal('1');
    expect(people[0]).to.deep.include({
      PersonaType: 'Person',
      DisplayName: 'Megan Bowen',
      DisplayNameFirstLast: 'Megan Bowen',
      DisplayNameLastFirst: 'Bowen Megan',
      FileAs: 'Megan Bowen',
      FileAsId: 'None',
      GivenName: 'Megan',
      Surname: 'Bowen',
      Title: 'Marketing Manager',
      Department: 'Marketing',
      CompanyName: 'Contoso',
      PhoneNumber: { Number: '+1 425 555 0109', Type: 'Business' },
      ImAddress: 'sip:megan.bowen@contoso.com',
    });
    expect(people[0].EmailAddress).to.deep.equal({ Name: 'Megan Bowen', EmailAddress: 'megan.bowen@contoso.com', RoutingType: 'SMTP', MailboxType: 'Mailbox' });
    // The same person has the same id in every answer.
    const again = await findPeople(`${view()}${folder('directory')}<m:QueryString>bowen</m:QueryString>`);
    expect(again.people[0].PersonaId.$.Id).to.equal(people[0].PersonaId.$.Id);
    expect((await findPeople(`${view()}${folder('directory')}<m:QueryString>smtp:meg.hidden</m:QueryString>`)).names).to.deep.equal([]);
  });

  it('pages a directory search and counts the matches up to one past the page', async () => {
    const first = await findPeople(`${view(5, 0)}${folder('directory')}<m:QueryString>member</m:QueryString>`);
    expect(first.names).to.deep.equal(['Member 00', 'Member 01', 'Member 02', 'Member 03', 'Member 04']);
    expect(first.response.TotalNumberOfPeopleInView).to.equal('6');
    const last = await findPeople(`${view(5, 10)}${folder('directory')}<m:QueryString>member</m:QueryString>`);
    expect([last.names, last.response.TotalNumberOfPeopleInView, last.response.FirstLoadedRowIndex]).to.deep.equal([['Member 10', 'Member 11'], '12', '10']);
  });

  it('answers errors on the response itself: the directory without a query, another mailbox, parts it cannot answer', async () => {
    const error = async (inner: string) => {
      const { response, people } = await findPeople(inner);
      expect(people).to.deep.equal([]);
      return [response.$.ResponseClass, response.ResponseCode];
    };
    expect(await error(`${view()}${folder('directory')}`)).to.deep.equal(['Error', 'ErrorInvalidRequest']);
    expect(
      await error(
        `${view()}<m:ParentFolderId><t:DistinguishedFolderId Id="contacts"><t:Mailbox><t:EmailAddress>${ADMIN.username}</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:ParentFolderId>`,
      ),
    ).to.deep.equal(['Error', 'ErrorFolderNotFound']);
    expect(await error(`${view()}${folder('inbox')}`)).to.deep.equal(['Error', 'ErrorFolderNotFound']);
    const sorted = `<m:SortOrder><t:FieldOrder Order="Ascending"><t:FieldURI FieldURI="persona:DisplayName"/></t:FieldOrder></m:SortOrder>`;
    expect(await error(`${view()}${sorted}${folder('contacts')}<m:QueryString>zed</m:QueryString>`)).to.deep.equal(['Error', 'ErrorInvalidRequest']);
    expect(
      await error(`${view()}${restricted('Exists', '<t:FieldURI FieldURI="persona:DisplayName"/>')}${folder('directory')}<m:QueryString>m</m:QueryString>`),
    ).to.deep.equal(['Error', 'ErrorInvalidRequest']);
    expect(
      await error(
        `${view()}<m:AggregationRestriction><t:Exists><t:FieldURI FieldURI="persona:DisplayName"/></t:Exists></m:AggregationRestriction>${folder('contacts')}`,
      ),
    ).to.deep.equal(['Error', 'ErrorInvalidRequest']);
    expect(await error(`${view()}${restricted('Exists', '<t:FieldURI FieldURI="persona:Title"/>')}${folder('contacts')}`)).to.deep.equal([
      'Error',
      'ErrorUnsupportedPathForQuery',
    ]);
    // Without a part FindPeople's schema requires (its view, its folder), or with a view the schema does not have, it fails
    // Exchange's schema check, rather than paging from the start.
    for (const inner of [folder('contacts'), view(), `<m:FractionalPageItemView MaxEntriesReturned="1" Numerator="1" Denominator="2"/>${folder('contacts')}`]) {
      const refused = await postEws(t.bridge.server, `<m:FindPeople>${inner}</m:FindPeople>`, READER);
      expect([refused.status, /<faultcode[^>]*>a:ErrorSchemaValidation</.test(refused.text)], inner).to.deep.equal([500, true]);
    }
    // The folders above Contacts hold no one.
    const root = await findPeople(`${view()}${folder('msgfolderroot')}`);
    expect([root.response.ResponseCode, root.people, root.response.TotalNumberOfPeopleInView]).to.deep.equal(['NoError', [], '0']);
  });

  it("GetPersona answers one of FindPeople's people by its id; another mailbox's contact, a hidden mailbox, a forged id and an unknown address are errors", async () => {
    const getPersona = async (id: string, as = READER) => {
      const res = await postEws(t.bridge.server, `<m:GetPersona><m:PersonaId Id="${id}"/></m:GetPersona>`, as);
      expect(res.status).to.equal(200);
      const message = (await parseSoap(res.text)).Envelope.Body.GetPersonaResponseMessage;
      return { code: message.ResponseCode, persona: message.Persona };
    };
    const [zed] = (await findPeople(`${view()}${folder('contacts')}<m:QueryString>zed</m:QueryString>`)).people;
    const [megan] = (await findPeople(`${view()}${folder('directory')}<m:QueryString>megan</m:QueryString>`)).people;
    const contact = await getPersona(zed.PersonaId.$.Id);
    expect([contact.code, contact.persona.DisplayName, contact.persona.EmailAddress.EmailAddress]).to.deep.equal(['NoError', 'Zed Contact', 'zed@x.example']);
    const user = await getPersona(megan.PersonaId.$.Id);
    expect([user.code, user.persona.DisplayName, user.persona.Title]).to.deep.equal(['NoError', 'Megan Bowen', 'Marketing Manager']);
    expect((await getPersona(zed.PersonaId.$.Id, ADMIN)).code).to.equal('ErrorItemNotFound');
    expect((await getPersona(`${zed.PersonaId.$.Id.slice(0, -4)}AAAA`)).code).to.equal('ErrorInvalidIdMalformed');
    expect((await getPersona(Buffer.from('SMTP:nobody@contoso.com').toString('base64'))).code).to.equal('ErrorItemNotFound');
    expect((await getPersona(Buffer.from('SMTP:meg.hidden@contoso.com').toString('base64'))).code).to.equal('ErrorItemNotFound');
    expect((await getPersona(Buffer.from('SMTP:not an address').toString('base64'))).code).to.equal('ErrorItemNotFound');
  });

  it('GetFolder answers the directory as a folder of its own, outside the hierarchy, and FindPeople takes its FolderId', async () => {
    const got = await postEws(
      t.bridge.server,
      '<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="directory"/></m:FolderIds></m:GetFolder>',
      READER,
    );
    const folder = (await parseSoap(got.text)).Envelope.Body.GetFolderResponse.ResponseMessages.GetFolderResponseMessage.Folders.Folder;
    expect(folder).to.deep.include({ DisplayName: 'Directory', TotalCount: '0', ChildFolderCount: '0' });
    expect(folder.ParentFolderId).to.equal(undefined);
    const byId = await findPeople(
      `${view()}<m:ParentFolderId><t:FolderId Id="${folder.FolderId.$.Id}"/></m:ParentFolderId><m:QueryString>megan</m:QueryString>`,
    );
    expect(byId.names).to.deep.equal(['Megan Bowen']);
  });

  it('asks for a login', async () => {
    const res = await request(t.bridge.server)
      .post('/EWS/Exchange.asmx')
      .set('Content-Type', 'text/xml')
      .send(envelope(`<m:FindPeople>${view()}${folder('contacts')}</m:FindPeople>`));
    expect(res.status).to.equal(401);
  });

  describe('GetPersona by EmailAddress (Exchange 2016’s request type)', () => {
    const getPersona = async (inner: string, as = READER) => {
      const res = await postEws(t.bridge.server, `<m:GetPersona>${inner}</m:GetPersona>`, as);
      const message = (await parseSoap(res.text)).Envelope.Body.GetPersonaResponseMessage;
      return { status: res.status, code: message?.ResponseCode, persona: message?.Persona };
    };
    const byAddress = (address: string, parent = '') => getPersona(`<m:EmailAddress><t:EmailAddress>${address}</t:EmailAddress></m:EmailAddress>${parent}`);

    it("finds the caller's contact by any of its addresses, in any ASCII case, and a directory user by theirs, as the PersonaId would", async () => {
      const contact = await byAddress('ZED2@x.example');
      expect([contact.status, contact.code, contact.persona.DisplayName, contact.persona.EmailAddress.MailboxType]).to.deep.equal([
        200,
        'NoError',
        'Zed Contact',
        'Contact',
      ]);
      const byId = await getPersona(`<m:PersonaId Id="${contact.persona.PersonaId.$.Id}"/>`);
      expect(byId.persona).to.deep.equal(contact.persona);
      const user = await byAddress('megan.bowen@contoso.com');
      expect([user.code, user.persona.DisplayName, user.persona.EmailAddress.MailboxType, user.persona.Title]).to.deep.equal([
        'NoError',
        'Megan Bowen',
        'Mailbox',
        'Marketing Manager',
      ]);
    });

    it('looks only in the folder a ParentFolderId names; another mailbox’s contact, a hidden mailbox and no address are not found', async () => {
      expect((await byAddress('zed@x.example', folder('directory'))).code).to.equal('ErrorItemNotFound');
      expect((await byAddress('megan.bowen@contoso.com', folder('contacts'))).code).to.equal('ErrorItemNotFound');
      expect((await byAddress('megan.bowen@contoso.com', folder('directory'))).persona.DisplayName).to.equal('Megan Bowen');
      expect((await byAddress('meg@x.example', folder('msgfolderroot'))).code).to.equal('ErrorItemNotFound');
      for (const hidden of ['admin-meg@x.example', 'meg.hidden@contoso.com', 'not an address', '']) {
        expect(await byAddress(hidden), hidden).to.deep.include({ status: 200, code: 'ErrorItemNotFound' });
      }
    });

    it('without a PersonaId or an EmailAddress fails schema validation', async () => {
      const res = await postEws(t.bridge.server, '<m:GetPersona/>', READER);
      expect([res.status, (await parseSoap(res.text)).Envelope.Body.Fault.detail.ResponseCode._]).to.deep.equal([500, 'ErrorSchemaValidation']);
    });
  });
});

describe('FindPeople held to the answer byte limit', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge({ BRIDGE_EWS_MAX_ANSWER_BYTES: String(EWS_MIN_ANSWER_BYTES) });
    const long = 'x'.repeat(1000);
    await t.store.addContacts(
      READER.username,
      Array.from({ length: 1000 }, (_, i) => ({ displayName: `Long ${i} ${long}`, emailAddresses: [`a${i}.${long}@x.example`], phones: {}, refs: {} })),
    );
  });
  after(() => t.close());

  it('answers a page past the limit with ErrorMessageSizeExceeded, and a smaller page in full', async () => {
    const page = async (max: number) => {
      const res = await postEws(
        t.bridge.server,
        `<m:FindPeople><m:IndexedPageItemView MaxEntriesReturned="${max}" Offset="0" BasePoint="Beginning"/><m:ParentFolderId><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderId></m:FindPeople>`,
        READER,
      );
      const response = (await parseSoap(res.text)).Envelope.Body.FindPeopleResponse;
      return [res.status, response.ResponseCode, [response.People?.Persona ?? []].flat().length, Buffer.byteLength(res.text) <= EWS_MIN_ANSWER_BYTES];
    };
    expect(await page(1000)).to.deep.equal([200, 'ErrorMessageSizeExceeded', 0, true]);
    expect(await page(200)).to.deep.equal([200, 'NoError', 200, true]);
  });
});
