import { expect } from 'chai';
import { EWS_MIN_ANSWER_BYTES } from '../../src/config.js';
import { parseSoap, postEws } from '../support/soap.js';
import { ADMIN, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const NAMES = ['Ann Archer', 'ann lower', 'Bob Baker', 'Carla Cruz', 'Dan Dunn'];

describe('GetFolder and FindItem on the Contacts folder', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    await t.store.addContacts(
      READER.username,
      NAMES.map((displayName, i) => ({ displayName, emailAddresses: [`c${i}@x.example`], phones: {}, refs: {} })),
    );
    await t.store.addContacts(ADMIN.username, [{ displayName: 'Admin Only', emailAddresses: [], phones: {}, refs: {} }]);
  });
  after(() => t.close());

  const post = (body: string, as = READER) => postEws(t.bridge.server, body, as);
  const call = async (body: string, as = READER) => {
    const res = await post(body, as);
    expect(res.status).to.equal(200);
    return { text: res.text, xml: await parseSoap(res.text) };
  };
  const contacts = '<m:ParentFolderIds><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds>';
  const findItem = async (inner: string, as = READER, traversal = 'Shallow') => {
    const { xml, text } = await call(
      `<m:FindItem Traversal="${traversal}"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>${inner}</m:FindItem>`,
      as,
    );
    const message = xml.Envelope.Body.FindItemResponse.ResponseMessages.FindItemResponseMessage;
    const root = message.RootFolder;
    return { message, text, root, names: root ? [root.Items?.Contact ?? []].flat().map((c: any) => c.DisplayName) : [] };
  };
  const view = (max: number, offset: number, basePoint = 'Beginning') =>
    `<m:IndexedPageItemView MaxEntriesReturned="${max}" Offset="${offset}" BasePoint="${basePoint}"/>`;
  const contains = (value: string, mode: string, comparison: string) =>
    `<m:Restriction><t:Contains ContainmentMode="${mode}" ContainmentComparison="${comparison}"><t:FieldURI FieldURI="contacts:DisplayName"/><t:Constant Value="${value}"/></t:Contains></m:Restriction>`;

  it('answers one GetFolder message per id, in order, in schema order, and ErrorFolderNotFound for others and for another mailbox', async () => {
    const ids = ['root', 'msgfolderroot', 'contacts', 'inbox', 'constructor'].map((id) => `<t:DistinguishedFolderId Id="${id}"/>`).join('');
    const foreign =
      '<t:DistinguishedFolderId Id="contacts"><t:Mailbox><t:EmailAddress>admin@example.com</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>';
    const own = `<t:DistinguishedFolderId Id="contacts"><t:Mailbox><t:EmailAddress>${READER.username.toUpperCase()}</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>`;
    const { xml, text } = await call(
      `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>${ids}${foreign}${own}</m:FolderIds></m:GetFolder>`,
    );
    const messages = [xml.Envelope.Body.GetFolderResponse.ResponseMessages.GetFolderResponseMessage].flat();
    expect(messages.map((m: any) => m.ResponseCode)).to.deep.equal([
      'NoError',
      'NoError',
      'NoError',
      'ErrorFolderNotFound',
      'ErrorFolderNotFound',
      'ErrorFolderNotFound',
      'NoError',
    ]);
    expect(messages[2].Folders.ContactsFolder).to.deep.include({
      DisplayName: 'Contacts',
      FolderClass: 'IPF.Contact',
      TotalCount: String(NAMES.length),
      ChildFolderCount: '0',
    });
    const contactsXml = text.slice(text.indexOf('<t:ContactsFolder>') + '<t:ContactsFolder>'.length, text.indexOf('</t:ContactsFolder>'));
    const order = [...contactsXml.matchAll(/<t:(\w+)/g)].map((m) => m[1]);
    expect(order).to.deep.equal(['FolderId', 'ParentFolderId', 'FolderClass', 'DisplayName', 'TotalCount', 'ChildFolderCount']);
  });

  const findFolder = async (traversal: string, parents: string, inner = '', as = READER) => {
    const { xml } = await call(
      `<m:FindFolder Traversal="${traversal}"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>${inner}<m:ParentFolderIds>${parents}</m:ParentFolderIds></m:FindFolder>`,
      as,
    );
    return [xml.Envelope.Body.FindFolderResponse.ResponseMessages.FindFolderResponseMessage].flat().map((message: any) =>
      message.RootFolder
        ? {
            code: message.ResponseCode,
            paging: message.RootFolder.$,
            folders: Object.entries(message.RootFolder.Folders || {}).flatMap(([kind, found]) =>
              [found].flat().map((f: any) => `${kind} ${f.DisplayName} ${f.TotalCount}`),
            ),
          }
        : { code: message.ResponseCode },
    );
  };
  const folder = (id: string) => `<t:DistinguishedFolderId Id="${id}"/>`;

  it('finds the folders under each parent asked: Shallow its children, Deep all, SoftDeleted none, paged, another mailbox not found', async () => {
    const all = { IndexedPagingOffset: '2', TotalItemsInView: '2', IncludesLastItemInRange: 'true' };
    expect(await findFolder('Deep', folder('root'))).to.deep.equal([
      { code: 'NoError', paging: all, folders: ['Folder Top of Information Store 0', `ContactsFolder Contacts ${NAMES.length}`] },
    ]);
    expect(await findFolder('Shallow', folder('root') + folder('msgfolderroot') + folder('contacts') + folder('inbox'))).to.deep.equal([
      {
        code: 'NoError',
        paging: { IndexedPagingOffset: '1', TotalItemsInView: '1', IncludesLastItemInRange: 'true' },
        folders: ['Folder Top of Information Store 0'],
      },
      {
        code: 'NoError',
        paging: { IndexedPagingOffset: '1', TotalItemsInView: '1', IncludesLastItemInRange: 'true' },
        folders: [`ContactsFolder Contacts ${NAMES.length}`],
      },
      { code: 'NoError', paging: { IndexedPagingOffset: '0', TotalItemsInView: '0', IncludesLastItemInRange: 'true' }, folders: [] },
      { code: 'ErrorFolderNotFound' },
    ]);
    expect(await findFolder('SoftDeleted', folder('root'))).to.deep.equal([
      { code: 'NoError', paging: { IndexedPagingOffset: '0', TotalItemsInView: '0', IncludesLastItemInRange: 'true' }, folders: [] },
    ]);
    const page = (offset: number, basePoint: string) => `<m:IndexedPageFolderView MaxEntriesReturned="1" Offset="${offset}" BasePoint="${basePoint}"/>`;
    expect(await findFolder('Deep', folder('root'), page(1, 'Beginning'))).to.deep.equal([
      { code: 'NoError', paging: all, folders: [`ContactsFolder Contacts ${NAMES.length}`] },
    ]);
    // Backward from the end: the folder before Contacts is left.
    expect(await findFolder('Deep', folder('root'), page(0, 'End'))).to.deep.equal([
      {
        code: 'NoError',
        paging: { IndexedPagingOffset: '1', TotalItemsInView: '2', IncludesLastItemInRange: 'false' },
        folders: [`ContactsFolder Contacts ${NAMES.length}`],
      },
    ]);
    const foreign = '<t:DistinguishedFolderId Id="root"><t:Mailbox><t:EmailAddress>admin@example.com</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>';
    expect(await findFolder('Deep', foreign)).to.deep.equal([{ code: 'ErrorFolderNotFound' }]);
  });

  it('finds folders by a Restriction on their name or class (exchangelib’s root // name, ews-javascript-api’s FolderClass filter)', async () => {
    const found = async (traversal: string, parent: string, expression: string) => {
      const [message] = await findFolder(traversal, folder(parent), `<m:Restriction>${expression}</m:Restriction>`);
      return message!.code === 'NoError' ? message!.folders : message!.code;
    };
    const equal = (uri: string, value: string, test = 'IsEqualTo') =>
      `<t:${test}><t:FieldURI FieldURI="${uri}"/><t:FieldURIOrConstant><t:Constant Value="${value}"/></t:FieldURIOrConstant></t:${test}>`;
    const named = (value: string, mode: string, comparison: string) =>
      contains(value, mode, comparison)
        .replace(/<\/?m:Restriction>/g, '')
        .replace('contacts:', 'folder:');
    const top = 'Folder Top of Information Store 0';
    const contactsFolder = `ContactsFolder Contacts ${NAMES.length}`;
    expect(await found('Shallow', 'root', equal('folder:DisplayName', 'Top of Information Store'))).to.deep.equal([top]);
    expect(await found('Shallow', 'msgfolderroot', equal('folder:DisplayName', 'CONTACTS'))).to.deep.equal([contactsFolder]);
    expect(await found('Shallow', 'root', equal('folder:DisplayName', 'Contacts'))).to.deep.equal([]);
    expect(await found('Deep', 'root', equal('folder:FolderClass', 'IPF.Contact'))).to.deep.equal([contactsFolder]);
    expect(await found('Deep', 'root', equal('folder:FolderClass', 'IPF.Contact', 'IsNotEqualTo'))).to.deep.equal([top]);
    expect(await found('Deep', 'root', named('con', 'Prefixed', 'IgnoreCase'))).to.deep.equal([contactsFolder]);
    expect(await found('Deep', 'root', named('con', 'Prefixed', 'Exact'))).to.deep.equal([]);
    expect(await found('Deep', 'root', named('info', 'PrefixOnWords', 'IgnoreCase'))).to.deep.equal([top]);
    const either = `<t:Or>${equal('folder:DisplayName', 'Contacts')}<t:Not>${equal('folder:FolderClass', 'IPF.Contact')}</t:Not></t:Or>`;
    expect(await found('Deep', 'root', either)).to.deep.equal([top, contactsFolder]);
    expect(await found('Deep', 'root', `<t:Exists><t:FieldURI FieldURI="folder:FolderClass"/></t:Exists>`)).to.deep.equal([top, contactsFolder]);
    expect(await found('Deep', 'root', equal('folder:TotalCount', '5'))).to.equal('ErrorUnsupportedPathForQuery');
    expect(await found('Deep', 'root', equal('folder:DisplayName', 'A', 'IsGreaterThan'))).to.equal('ErrorUnsupportedQueryFilter');
    const tooMany = `<t:Or>${equal('folder:DisplayName', 'x').repeat(128)}</t:Or>`;
    expect(await found('Deep', 'root', tooMany)).to.equal('ErrorRestrictionTooComplex');
  });

  it('counts the Contacts folder once per GetFolder, however often it is named', async () => {
    const store = t.store as { pageContacts: typeof t.store.pageContacts };
    const pageContacts = store.pageContacts;
    let counts = 0;
    store.pageContacts = (...args) => {
      counts++;
      return pageContacts.apply(t.store, args);
    };
    try {
      const ids = '<t:DistinguishedFolderId Id="contacts"/>'.repeat(3) + '<t:DistinguishedFolderId Id="root"/>';
      const { xml } = await call(
        `<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds>${ids}</m:FolderIds></m:GetFolder>`,
      );
      const messages = [xml.Envelope.Body.GetFolderResponse.ResponseMessages.GetFolderResponseMessage].flat();
      expect(messages.map((m: any) => m.ResponseCode)).to.deep.equal(['NoError', 'NoError', 'NoError', 'NoError']);
      expect(messages.slice(0, 3).map((m: any) => m.Folders.ContactsFolder.TotalCount)).to.deep.equal(Array<string>(3).fill(String(NAMES.length)));
      expect(counts).to.equal(1);
    } finally {
      store.pageContacts = pageContacts;
    }
  });

  it("reaches the same folder again by the FolderId it was given; another mailbox's FolderId is not found", async () => {
    const contactsId = async (as: typeof READER) => {
      const { xml } = await call(
        '<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="contacts"/></m:FolderIds></m:GetFolder>',
        as,
      );
      return xml.Envelope.Body.GetFolderResponse.ResponseMessages.GetFolderResponseMessage.Folders.ContactsFolder.FolderId.$.Id as string;
    };
    const own = await contactsId(READER);
    const { names } = await findItem(`<m:ParentFolderIds><t:FolderId Id="${own}"/></m:ParentFolderIds>`);
    expect(names).to.have.length(NAMES.length);
    const admins = await contactsId(ADMIN);
    expect(admins).to.not.equal(own);
    const foreign = await findItem(`<m:ParentFolderIds><t:FolderId Id="${admins}"/></m:ParentFolderIds>`);
    expect([foreign.message.ResponseCode, foreign.names]).to.deep.equal(['ErrorFolderNotFound', []]);
    expect((await findItem(`<m:ParentFolderIds><t:FolderId Id="${own}"/></m:ParentFolderIds>`, ADMIN)).message.ResponseCode).to.equal('ErrorFolderNotFound');
  });

  it('pages with IndexedPagingOffset, TotalItemsInView and IncludesLastItemInRange, from the beginning and from the end', async () => {
    const first = await findItem(view(2, 0) + contacts);
    // Case ignored, as Exchange lists a folder: 'ann lower' among the A's, not after Z.
    expect(first.names).to.deep.equal(['Ann Archer', 'ann lower']);
    expect(first.root.$).to.deep.equal({ IndexedPagingOffset: '2', TotalItemsInView: '5', IncludesLastItemInRange: 'false' });
    const last = await findItem(view(2, 4) + contacts);
    expect(last.names).to.deep.equal(['Dan Dunn']);
    expect(last.root.$).to.deep.equal({ IndexedPagingOffset: '5', TotalItemsInView: '5', IncludesLastItemInRange: 'true' });
    // From the end paging goes backward: the last entry in range is the first.
    const fromEnd = await findItem(view(2, 0, 'End') + contacts);
    expect(fromEnd.names).to.deep.equal(['Carla Cruz', 'Dan Dunn']);
    expect(fromEnd.root.$).to.deep.equal({ IndexedPagingOffset: '2', TotalItemsInView: '5', IncludesLastItemInRange: 'false' });
    const firstFromEnd = await findItem(view(2, 4, 'End') + contacts);
    expect(firstFromEnd.names).to.deep.equal(['Ann Archer']);
    expect(firstFromEnd.root.$).to.deep.equal({ IndexedPagingOffset: '5', TotalItemsInView: '5', IncludesLastItemInRange: 'true' });
  });

  it('counts a page from the end back, never past the first item nor over MaxEntriesReturned', async () => {
    const names = async (max: number, offset: number) => (await findItem(view(max, offset, 'End') + contacts)).names;
    expect(await names(1, 0)).to.deep.equal(['Dan Dunn']);
    expect(await names(1, 3)).to.deep.equal(['ann lower']);
    expect(await names(2, 4)).to.deep.equal(['Ann Archer']);
    // Past the first item: an empty page (a negative count once read as "no limit" and answered every contact).
    const past = await findItem(view(2, 7, 'End') + contacts);
    expect(past.names).to.deep.equal([]);
    expect(past.root.$).to.deep.equal({ IndexedPagingOffset: '7', TotalItemsInView: '5', IncludesLastItemInRange: 'true' });
    expect(await names(1, 1_000_000)).to.deep.equal([]);
  });

  it('refuses a page of no entries with ErrorInvalidPagingMaxRows (it would tell a client paging on "more, from this same offset" for ever), a negative one too, and a negative offset with ErrorInvalidIndexedPagingParameters', async () => {
    const none = await findItem(view(0, 0) + contacts);
    expect([none.message.ResponseCode, none.message.MessageText, none.names]).to.deep.equal([
      'ErrorInvalidPagingMaxRows',
      'MaxEntriesReturned must be at least 1',
      [],
    ]);
    // The EWS reference's ResponseCodeType: a negative maximum is ErrorInvalidPagingMaxRows too, a negative offset a code of its own.
    expect((await findItem(view(-1, 0) + contacts)).message.ResponseCode).to.equal('ErrorInvalidPagingMaxRows');
    expect((await findItem(view(1, -1) + contacts)).message.ResponseCode).to.equal('ErrorInvalidIndexedPagingParameters');
  });

  it("restricts by display name: prefix, substring, whole, with or without case; another mailbox's contacts never show", async () => {
    expect((await findItem(contains('Ann', 'Prefixed', 'Exact') + contacts)).names).to.deep.equal(['Ann Archer']);
    expect((await findItem(contains('ann', 'Prefixed', 'IgnoreCase') + contacts)).names).to.deep.equal(['Ann Archer', 'ann lower']);
    expect((await findItem(contains('a', 'Substring', 'Exact') + contacts)).names).to.deep.equal(['ann lower', 'Bob Baker', 'Carla Cruz', 'Dan Dunn']);
    expect((await findItem(contains('bob baker', 'FullString', 'IgnoreCase') + contacts)).names).to.deep.equal(['Bob Baker']);
    const equal =
      '<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="contacts:DisplayName"/><t:FieldURIOrConstant><t:Constant Value="CARLA CRUZ"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>';
    expect((await findItem(equal + contacts)).names).to.deep.equal(['Carla Cruz']);
    expect((await findItem(contains('Admin', 'Prefixed', 'IgnoreCase') + contacts)).names).to.deep.equal([]);
    expect((await findItem(contains('100%', 'Substring', 'IgnoreCase') + contacts)).names).to.deep.equal([]);
  });

  it('restricts by the start of a word (PrefixOnWords), and ignores accents with case; a comparison the schema has not is its fault', async () => {
    expect((await findItem(contains('Ar', 'PrefixOnWords', 'Exact') + contacts)).names).to.deep.equal(['Ann Archer']);
    expect((await findItem(contains('LOW', 'PrefixOnWords', 'IgnoreCase') + contacts)).names).to.deep.equal(['ann lower']);
    expect((await findItem(contains('ÀNN', 'Prefixed', 'IgnoreCaseAndNonSpacingCharacters') + contacts)).names).to.deep.equal(['Ann Archer', 'ann lower']);
    const banana = await post(
      `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>${contains('Ann', 'Prefixed', 'Banana')}${contacts}</m:FindItem>`,
    );
    expect([banana.status, /<faultcode[^>]*>a:ErrorSchemaValidation</.test(banana.text)], 'a value the schema has not').to.deep.equal([500, true]);
  });

  it('sorts by the SortOrder asked, paging in that order, with a restriction too; an unsortable property is ErrorUnsupportedPathForSortGroup', async () => {
    const sort = (...orders: [string, string][]) =>
      `<m:SortOrder>${orders.map(([uri, order]) => `<t:FieldOrder Order="${order}"><t:FieldURI FieldURI="${uri}"/></t:FieldOrder>`).join('')}</m:SortOrder>`;
    const descending = sort(['contacts:DisplayName', 'Descending']);
    expect((await findItem(descending + contacts)).names).to.deep.equal(['Dan Dunn', 'Carla Cruz', 'Bob Baker', 'ann lower', 'Ann Archer']);
    expect((await findItem(view(2, 2) + descending + contacts)).names).to.deep.equal(['Bob Baker', 'ann lower']);
    expect((await findItem(view(2, 0, 'End') + descending + contacts)).names).to.deep.equal(['ann lower', 'Ann Archer']);
    expect((await findItem(contains('a', 'Substring', 'Exact') + descending + contacts)).names).to.deep.equal([
      'Dan Dunn',
      'Carla Cruz',
      'Bob Baker',
      'ann lower',
    ]);
    expect((await findItem(sort(['contacts:DisplayName', 'Ascending']) + contacts)).names).to.deep.equal(NAMES);
    const unsortable = await findItem(sort(['contacts:DisplayName', 'Descending'], ['contacts:Birthday', 'Ascending']) + contacts);
    expect(unsortable.message.$.ResponseClass).to.equal('Error');
    expect(unsortable.message.ResponseCode).to.equal('ErrorUnsupportedPathForSortGroup');
    expect(unsortable.message.MessageText).to.match(/not contacts:Birthday$/);
    // Every FieldOrder is a key of the store's sort: more than there are sortable properties is refused before any query.
    const tooMany = await findItem(sort(...Array.from({ length: 10 }, (): [string, string] => ['contacts:Surname', 'Ascending'])) + contacts);
    expect([tooMany.message.ResponseCode, tooMany.message.MessageText]).to.deep.equal([
      'ErrorUnsupportedPathForSortGroup',
      'a SortOrder holds at most 9 FieldOrders',
    ]);
  });

  it('restricts by the times a contact was made and last changed (xs:dateTime, no zone UTC); refuses a time that is none, and Contains on one', async () => {
    const time = (uri: string, test: string, value: string) =>
      `<m:Restriction><t:${test}><t:FieldURI FieldURI="${uri}"/><t:FieldURIOrConstant><t:Constant Value="${value}"/></t:FieldURIOrConstant></t:${test}></m:Restriction>`;
    const names = async (restriction: string) => (await findItem(restriction + contacts)).names;
    expect(await names(time('item:LastModifiedTime', 'IsGreaterThan', '2000-01-01T00:00:00Z'))).to.deep.equal(NAMES);
    expect(await names(time('item:LastModifiedTime', 'IsLessThan', '2000-01-01T00:00:00'))).to.deep.equal([]);
    expect(await names(time('item:DateTimeCreated', 'IsLessThanOrEqualTo', '2100-01-01T01:00:00+01:00'))).to.deep.equal(NAMES);
    expect(await names(time('item:DateTimeCreated', 'IsNotEqualTo', '2000-01-01T00:00:00Z'))).to.deep.equal(NAMES);
    const code = async (restriction: string) => (await findItem(restriction + contacts)).message.ResponseCode;
    for (const value of ['yesterday', '2021-02-30T00:00:00Z']) {
      const refused = await post(
        `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>${time('item:LastModifiedTime', 'IsGreaterThan', value)}${contacts}</m:FindItem>`,
      );
      expect([refused.status, /<faultcode[^>]*>a:ErrorSchemaValidation</.test(refused.text)], value).to.deep.equal([500, true]);
    }
    expect(await code(contains('2021', 'Substring', 'IgnoreCase').replace('contacts:DisplayName', 'item:LastModifiedTime'))).to.equal(
      'ErrorUnsupportedQueryFilter',
    );
  });

  it('restricts by And, Or and Not of tests on the display name, its order and Exists, as exchangelib builds them; an empty Or fails the schema', async () => {
    const field = '<t:FieldURI FieldURI="contacts:DisplayName"/>';
    const compare = (test: string, value: string) =>
      `<t:${test}>${field}<t:FieldURIOrConstant><t:Constant Value="${value}"/></t:FieldURIOrConstant></t:${test}>`;
    const test = (expression: string) => `<m:Restriction>${expression}</m:Restriction>`;
    const names = async (expression: string) => (await findItem(test(expression) + contacts)).names;
    const clause = (value: string, mode: string, comparison = 'IgnoreCase') => contains(value, mode, comparison).replace(/<\/?m:Restriction>/g, '');
    // display_name__in=[…]: an Or of IsEqualTo, case ignored.
    expect(await names(`<t:Or>${compare('IsEqualTo', 'bob baker')}${compare('IsEqualTo', 'Dan Dunn')}${compare('IsEqualTo', 'Nobody')}</t:Or>`)).to.deep.equal([
      'Bob Baker',
      'Dan Dunn',
    ]);
    // exclude(display_name=…) is IsNotEqualTo; exclude(display_name__startswith=…) a Not around a Contains.
    expect(await names(compare('IsNotEqualTo', 'CARLA CRUZ'))).to.deep.equal(['Ann Archer', 'ann lower', 'Bob Baker', 'Dan Dunn']);
    expect(await names(`<t:Not>${clause('ann', 'Prefixed')}</t:Not>`)).to.deep.equal(['Bob Baker', 'Carla Cruz', 'Dan Dunn']);
    expect(await names(`<t:And>${clause('a', 'Substring')}<t:Not>${clause('ann', 'Prefixed')}</t:Not></t:And>`)).to.deep.equal([
      'Bob Baker',
      'Carla Cruz',
      'Dan Dunn',
    ]);
    // display_name__range=('b', 'Carla Cruz'): both ends in, case ignored, in the order the folder lists names.
    expect(await names(`<t:And>${compare('IsGreaterThanOrEqualTo', 'b')}${compare('IsLessThanOrEqualTo', 'Carla Cruz')}</t:And>`)).to.deep.equal([
      'Bob Baker',
      'Carla Cruz',
    ]);
    expect(await names(compare('IsLessThan', 'ANN LOWER'))).to.deep.equal(['Ann Archer']);
    expect(await names(compare('IsGreaterThan', 'carla cruz'))).to.deep.equal(['Dan Dunn']);
    // Every contact has a display name; display_name__exists=False is a Not around Exists.
    expect(await names(`<t:Exists>${field}</t:Exists>`)).to.deep.equal(NAMES);
    expect(await names(`<t:Not><t:Exists>${field}</t:Exists></t:Not>`)).to.deep.equal([]);
    expect(await names(`<t:Not><t:Not>${compare('IsEqualTo', 'dan dunn')}</t:Not></t:Not>`)).to.deep.equal(['Dan Dunn']);
    // Another property anywhere in the tree is refused, as a lone test on it is.
    const byBirthday = `<t:Or>${compare('IsEqualTo', 'Dan Dunn')}${compare('IsEqualTo', 'x').replace('contacts:DisplayName', 'contacts:Birthday')}</t:Or>`;
    expect((await findItem(test(byBirthday) + contacts)).message.ResponseCode).to.equal('ErrorUnsupportedPathForQuery');
    for (const malformed of ['<t:Or/>', `<t:Not>${compare('IsEqualTo', 'a')}${compare('IsEqualTo', 'b')}</t:Not>`, '']) {
      const refused = await post(
        `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>${test(malformed)}${contacts}</m:FindItem>`,
      );
      expect([refused.status, /<faultcode[^>]*>a:ErrorSchemaValidation</.test(refused.text)], malformed).to.deep.equal([500, true]);
    }
  });

  it('searches a QueryString as words that start a name, the company or an address (exchangelib’s .filter("text")), with a Restriction too', async () => {
    const query = async (text: string, restriction = '') => {
      const found = await findItem(`${restriction}${contacts}<m:QueryString>${text}</m:QueryString>`);
      return found.message.ResponseCode === 'NoError' ? found.names : [found.message.ResponseCode, found.message.MessageText];
    };
    expect(await query('ANN')).to.deep.equal(['Ann Archer', 'ann lower']);
    expect(await query('arch* AND ann')).to.deep.equal(['Ann Archer']);
    expect(await query('lower')).to.deep.equal(['ann lower']);
    expect(await query('"ann l"')).to.deep.equal(['ann lower']);
    expect(await query('c3@x')).to.deep.equal(['Carla Cruz']);
    expect(await query('Zoe')).to.deep.equal([]);
    expect(await query('a', contains('Bob', 'Prefixed', 'Exact'))).to.deep.equal([]);
    expect(await query('b', contains('Bob', 'Prefixed', 'Exact'))).to.deep.equal(['Bob Baker']);
    expect(await query('ann OR bob')).to.deep.equal([
      'ErrorUnsupportedQueryFilter',
      "'OR': a QueryString is searched as words (AND between them); AQS properties, OR, NOT and parentheses are not supported",
    ]);
    expect(await query('a b c d e')).to.deep.equal(['ErrorRestrictionTooComplex', 'a QueryString holds at most 4 words']);
  });

  it('evaluates a Restriction of up to 128 expressions, 16 tests when one reads every contact; more is ErrorRestrictionTooComplex, before any search', async () => {
    const compare = (test: string, field: string, value: string) =>
      `<t:${test}><t:FieldURI FieldURI="contacts:${field}"/><t:FieldURIOrConstant><t:Constant Value="${value}"/></t:FieldURIOrConstant></t:${test}>`;
    const equal = (value: string) => compare('IsEqualTo', 'DisplayName', value);
    const anyOf = (values: string[]) => `<m:Restriction><t:Or>${values.map(equal).join('')}</t:Or></m:Restriction>`;
    const many = Array.from({ length: 125 }, (_, i) => `Nobody ${i}`);
    expect((await findItem(anyOf([...many, 'Dan Dunn', 'ann lower']) + contacts)).names).to.deep.equal(['ann lower', 'Dan Dunn']);
    const tooMany = await findItem(anyOf([...many, 'Dan Dunn', 'ann lower', 'Bob Baker']) + contacts);
    expect([tooMany.message.ResponseCode, tooMany.message.MessageText, tooMany.names]).to.deep.equal([
      'ErrorRestrictionTooComplex',
      'a Restriction holds at most 128 expressions',
      [],
    ]);
    const parts = (count: number) =>
      Array.from({ length: count }, (_, i) => contains(`zz${i}`, 'Substring', 'IgnoreCase').replace(/<\/?m:Restriction>/g, '')).join('');
    const sixteen = await findItem(
      `<m:Restriction><t:Or>${parts(15)}${contains('dunn', 'Substring', 'IgnoreCase').replace(/<\/?m:Restriction>/g, '')}</t:Or></m:Restriction>${contacts}`,
    );
    expect(sixteen.names).to.deep.equal(['Dan Dunn']);
    const readsEveryContact = [
      'ErrorRestrictionTooComplex',
      "a Restriction holds at most 16 tests when one of them reads every contact (any but a whole display name's and its ordering comparisons, and any under a Not)",
    ];
    const seventeen = await findItem(`<m:Restriction><t:Or>${parts(17)}</t:Or></m:Restriction>${contacts}`);
    expect([seventeen.message.ResponseCode, seventeen.message.MessageText]).to.deep.equal(readsEveryContact);
    // Each compared the company of every contact: an Or of 127 held the event loop 700 ms in 20,000 contacts.
    const companies = (count: number) => Array.from({ length: count }, (_, i) => compare('IsGreaterThan', 'CompanyName', `zz${i}`)).join('');
    expect((await findItem(`<m:Restriction><t:Or>${companies(16)}</t:Or></m:Restriction>${contacts}`)).message.ResponseCode).to.equal('NoError');
    for (const restriction of [
      `<t:Or>${companies(17)}</t:Or>`,
      // The name index finds display names, but not beside a test that reads every contact, nor under a Not.
      `<t:Or>${many.slice(0, 16).map(equal).join('')}${compare('IsEqualTo', 'CompanyName', 'x')}</t:Or>`,
      `<t:Not><t:Or>${many.slice(0, 17).map(equal).join('')}</t:Or></t:Not>`,
    ]) {
      const refused = await findItem(`<m:Restriction>${restriction}</m:Restriction>${contacts}`);
      expect([refused.message.ResponseCode, refused.message.MessageText, refused.names]).to.deep.equal([...readsEveryContact, []]);
    }
  });

  it('compares with values of up to 1,024 characters; a longer one is ErrorInvalidRestriction, before any search', async () => {
    expect((await findItem(contains('a'.repeat(1024), 'Substring', 'IgnoreCase') + contacts)).message.ResponseCode).to.equal('NoError');
    // 60,000 characters were a LIKE pattern SQLite refused: an internal error, its stack logged.
    const long = await findItem(contains('a'.repeat(60_000), 'Substring', 'IgnoreCase') + contacts);
    expect(long.message.ResponseCode).to.equal('ErrorInvalidRestriction');
    expect(long.message.MessageText).to.equal('the Constant Value is longer than 1024 characters');
  });

  it('refuses what it cannot search by, and other folders, per message; finds nothing above Contacts; never answers attachments or photos', async () => {
    const byBirthday =
      '<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="contacts:Birthday"/><t:FieldURIOrConstant><t:Constant Value="x"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>';
    const refused = await findItem(byBirthday + contacts);
    expect([refused.message.ResponseCode, refused.message.MessageText]).to.deep.equal([
      'ErrorUnsupportedPathForQuery',
      'contacts can be searched by contacts:DisplayName, contacts:GivenName, contacts:Surname, contacts:CompanyName, contacts:Department, contacts:JobTitle, contacts:FileAs, ' +
        'contacts:EmailAddress (EmailAddress1, EmailAddress2, EmailAddress3), contacts:PhoneNumber (BusinessPhone, HomePhone, MobilePhone), contacts:HasPicture, item:LastModifiedTime, item:DateTimeCreated only, not contacts:Birthday',
    ]);
    const excludes = '<m:Restriction><t:Excludes><t:FieldURI FieldURI="contacts:DisplayName"/><t:Bitmask Value="1"/></t:Excludes></m:Restriction>';
    expect((await findItem(excludes + contacts)).message.ResponseCode).to.equal('ErrorUnsupportedQueryFilter');
    // AQS beyond words: refused, not read as words.
    const aqs = await findItem(`${contacts}<m:QueryString>displayname:ann</m:QueryString>`);
    expect([aqs.message.$.ResponseClass, aqs.message.ResponseCode, aqs.names]).to.deep.equal(['Error', 'ErrorUnsupportedQueryFilter', []]);
    for (const part of [
      '<m:FractionalPageItemView MaxEntriesReturned="2" Numerator="1" Denominator="2"/>',
      // Ignored, it answered every contact, its Condition and MaxEntriesReturned unread.
      '<m:SeekToConditionPageItemView MaxEntriesReturned="1" BasePoint="Beginning"><t:Condition><t:IsEqualTo><t:FieldURI FieldURI="contacts:DisplayName"/><t:FieldURIOrConstant><t:Constant Value="Bea"/></t:FieldURIOrConstant></t:IsEqualTo></t:Condition></m:SeekToConditionPageItemView>',
      '<m:ContactsView InitialName="B" FinalName="C"/>',
      '<m:CalendarView StartDate="2026-01-01T00:00:00Z" EndDate="2026-02-01T00:00:00Z"/>',
      '<m:GroupBy Order="Ascending"><t:FieldURI FieldURI="contacts:CompanyName"/><t:AggregateOn Aggregate="Minimum"><t:FieldURI FieldURI="contacts:DisplayName"/></t:AggregateOn></m:GroupBy>',
      '<m:DistinguishedGroupBy><t:StandardGroupBy>ConversationTopic</t:StandardGroupBy></m:DistinguishedGroupBy>',
    ]) {
      const refused = await findItem(part + contacts);
      expect([refused.message.ResponseCode, refused.names], part).to.deep.equal(['ErrorInvalidRequest', []]);
      expect(refused.message.MessageText).to.match(/is not supported; contacts are (paged by IndexedPageItemView|found ungrouped)$/);
    }
    expect((await findItem('<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds>')).message.ResponseCode).to.equal(
      'ErrorFolderNotFound',
    );
    // The folders above Contacts exist and hold no items (they were ErrorFolderNotFound: exchangelib's root.walk().filter() failed);
    // no folder holds deleted or associated items (those traversals were ErrorInvalidRequest).
    for (const [folder, traversal] of [
      ['root', 'Shallow'],
      ['msgfolderroot', 'Shallow'],
      ['contacts', 'SoftDeleted'],
      ['contacts', 'Associated'],
    ]) {
      const empty = await findItem(`<m:ParentFolderIds><t:DistinguishedFolderId Id="${folder}"/></m:ParentFolderIds>`, READER, traversal);
      expect([empty.message.$.ResponseClass, empty.root.$, empty.names], `${folder} ${traversal}`).to.deep.equal([
        'Success',
        { IndexedPagingOffset: '0', TotalItemsInView: '0', IncludesLastItemInRange: 'true' },
        [],
      ]);
    }
    const all = await call(
      `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent><t:AdditionalProperties><t:FieldURI FieldURI="contacts:Photo"/></t:AdditionalProperties></m:ItemShape>${contacts}</m:FindItem>`,
    );
    expect(all.text)
      .to.match(/<t:Contact>/)
      .and.not.match(/<t:(Attachments|Photo|MimeContent)[ >]/);
  });

  it("ResolveNames searches the contacts of the folders ParentFolderIds name: none in the folders above Contacts, another mailbox's folder not found", async () => {
    const resolve = async (folders: string) => {
      const { xml } = await call(
        `<m:ResolveNames ReturnFullContactData="false" SearchScope="Contacts">${folders}<m:UnresolvedEntry>ann</m:UnresolvedEntry></m:ResolveNames>`,
      );
      const message = xml.Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage;
      return { code: message.ResponseCode, names: [message.ResolutionSet?.Resolution ?? []].flat().map((r: any) => r.Mailbox.Name) };
    };
    const ids = (...folders: string[]) => `<m:ParentFolderIds>${folders.join('')}</m:ParentFolderIds>`;
    const found = { code: 'ErrorNameResolutionMultipleResults', names: ['Ann Archer', 'ann lower'] };
    expect(await resolve('')).to.deep.equal(found);
    expect(await resolve(ids('<t:DistinguishedFolderId Id="root"/>', '<t:DistinguishedFolderId Id="contacts"/>'))).to.deep.equal(found);
    expect(await resolve(ids('<t:DistinguishedFolderId Id="msgfolderroot"/>'))).to.deep.equal({ code: 'ErrorNameResolutionNoResults', names: [] });
    const foreign = `<t:DistinguishedFolderId Id="contacts"><t:Mailbox><t:EmailAddress>${ADMIN.username}</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>`;
    for (const folder of [foreign, '<t:DistinguishedFolderId Id="inbox"/>']) {
      expect(await resolve(ids(folder)), folder).to.deep.equal({ code: 'ErrorFolderNotFound', names: [] });
    }
    expect(await resolve(ids('<t:FolderId Id="AAAA"/>'))).to.deep.equal({ code: 'ErrorInvalidIdMalformed', names: [] });
    expect(await resolve(ids(...Array<string>(11).fill('<t:DistinguishedFolderId Id="contacts"/>')))).to.deep.equal({ code: 'ErrorInvalidRequest', names: [] });
  });

  it('ResolveNames in the directory alone does not look at ParentFolderIds, which name the contact folders searched (an Inbox there had failed it)', async () => {
    await t.store.upsertUsers([{ email: 'anna.directory@contoso.com', displayName: 'Anna Directory', refs: {} }]);
    const { xml } = await call(
      '<m:ResolveNames ReturnFullContactData="false" SearchScope="ActiveDirectory"><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds><m:UnresolvedEntry>anna dir</m:UnresolvedEntry></m:ResolveNames>',
    );
    const message = xml.Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage;
    expect([message.ResponseCode, message.ResolutionSet.Resolution.Mailbox.EmailAddress]).to.deep.equal(['NoError', 'anna.directory@contoso.com']);
  });
});

describe('FindItem restricted by given name, surname, company, email addresses and phone numbers', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    const person = (displayName: string, givenName?: string, surname?: string, company?: string) => ({
      displayName,
      ...(givenName ? { givenName } : {}),
      ...(surname ? { surname } : {}),
      ...(company ? { company } : {}),
      emailAddresses: [],
      phones: {},
      refs: {},
    });
    await t.store.addContacts(READER.username, [
      {
        ...person('Megan Bowen', 'Megan', 'Bowen', 'Fabrikam'),
        emailAddresses: ['megan@fabrikam.com', 'mb@jürgen.example'],
        phones: { mobile: '+1 425 555 0109' },
      },
      person('Lidia Holloway', 'Lidia', 'Holloway', 'fabrikam ltd'),
      person('Patti Fernandez', 'Patti', 'Fernandez', 'Contoso'),
      person('The Front Desk'),
    ]);
  });
  after(() => t.close());

  /** The FindItem answer's text for a Restriction holding `expression`. */
  const findItem = async (expression: string) => {
    const res = await postEws(
      t.bridge.server,
      `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="contacts:DisplayName"/></t:AdditionalProperties></m:ItemShape>` +
        `<m:Restriction>${expression}</m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds></m:FindItem>`,
      READER,
    );
    expect(res.status).to.equal(200);
    return res.text;
  };
  const names = async (expression: string) => [...(await findItem(expression)).matchAll(/<t:DisplayName>([^<]*)</g)].map((m) => m[1]);
  const field = (uri: string) => `<t:FieldURI FieldURI="contacts:${uri}"/>`;
  const compare = (test: string, uri: string, value: string) =>
    `<t:${test}>${field(uri)}<t:FieldURIOrConstant><t:Constant Value="${value}"/></t:FieldURIOrConstant></t:${test}>`;
  const contains = (uri: string, value: string, mode: string, comparison: string) =>
    `<t:Contains ContainmentMode="${mode}" ContainmentComparison="${comparison}">${field(uri)}<t:Constant Value="${value}"/></t:Contains>`;

  it('compares them as they are written or with ASCII case ignored; an unset one is empty, so a Not around a test of it holds', async () => {
    expect(await names(compare('IsEqualTo', 'CompanyName', 'FABRIKAM'))).to.deep.equal(['Megan Bowen']);
    expect(await names(contains('CompanyName', 'fabrikam', 'Prefixed', 'IgnoreCase'))).to.deep.equal(['Lidia Holloway', 'Megan Bowen']);
    expect(await names(contains('CompanyName', 'fabrikam', 'Prefixed', 'Exact'))).to.deep.equal(['Lidia Holloway']);
    expect(await names(contains('Surname', 'OWA', 'Substring', 'IgnoreCase'))).to.deep.equal(['Lidia Holloway']);
    expect(await names(compare('IsNotEqualTo', 'CompanyName', 'contoso'))).to.deep.equal(['Lidia Holloway', 'Megan Bowen', 'The Front Desk']);
    expect(await names(`<t:Not>${contains('GivenName', 'p', 'Prefixed', 'IgnoreCase')}</t:Not>`)).to.deep.equal([
      'Lidia Holloway',
      'Megan Bowen',
      'The Front Desk',
    ]);
  });

  it('bounds them in the order contacts sort by them, and tells set from unset with Exists', async () => {
    const range = `<t:And>${compare('IsGreaterThanOrEqualTo', 'Surname', 'B')}${compare('IsLessThan', 'Surname', 'h')}</t:And>`;
    expect(await names(range)).to.deep.equal(['Megan Bowen', 'Patti Fernandez']);
    expect(await names(`<t:Exists>${field('CompanyName')}</t:Exists>`)).to.deep.equal(['Lidia Holloway', 'Megan Bowen', 'Patti Fernandez']);
    expect(await names(`<t:Not><t:Exists>${field('GivenName')}</t:Exists></t:Not>`)).to.deep.equal(['The Front Desk']);
    const either = `<t:Or>${compare('IsEqualTo', 'GivenName', 'patti')}${compare('IsEqualTo', 'DisplayName', 'the front desk')}</t:Or>`;
    expect(await names(either)).to.deep.equal(['Patti Fernandez', 'The Front Desk']);
  });

  it('compares one email address or phone number (IndexedFieldURI), an address with case ignored in any spelling; orders none of them', async () => {
    const member = (uri: string, index: string) => `<t:IndexedFieldURI FieldURI="contacts:${uri}" FieldIndex="${index}"/>`;
    const email = (n: number) => member('EmailAddress', `EmailAddress${n}`);
    const equal = (path: string, value: string, test = 'IsEqualTo') =>
      `<t:${test}>${path}<t:FieldURIOrConstant><t:Constant Value="${value}"/></t:FieldURIOrConstant></t:${test}>`;
    const containing = (path: string, value: string, mode: string) =>
      `<t:Contains ContainmentMode="${mode}" ContainmentComparison="IgnoreCase">${path}<t:Constant Value="${value}"/></t:Contains>`;
    expect(await names(equal(email(1), 'MEGAN@Fabrikam.com'))).to.deep.equal(['Megan Bowen']);
    expect(await names(equal(email(2), 'megan@fabrikam.com'))).to.deep.equal([]);
    // The domain as an A-label finds the address written with its U-label.
    expect(await names(equal(email(2), 'MB@xn--jrgen-kva.example'))).to.deep.equal(['Megan Bowen']);
    expect(await names(equal(email(1), 'megan@fabrikam.com', 'IsNotEqualTo'))).to.deep.equal(['Lidia Holloway', 'Patti Fernandez', 'The Front Desk']);
    expect(await names(containing(email(1), 'FABRIKAM', 'Substring'))).to.deep.equal(['Megan Bowen']);
    // A part is compared in the spelling addresses are kept in: capitals outside ASCII, decomposed letters.
    expect(await names(containing(email(2), 'MB@JÜR', 'Substring'))).to.deep.equal(['Megan Bowen']);
    expect(await names(containing(email(2), 'ju\u0308rgen', 'Substring'))).to.deep.equal(['Megan Bowen']);
    expect(await names(containing(email(1), 'megan@', 'Prefixed'))).to.deep.equal(['Megan Bowen']);
    expect(await names(`<t:Exists>${email(2)}</t:Exists>`)).to.deep.equal(['Megan Bowen']);
    expect(await names(`<t:Not><t:Exists>${email(3)}</t:Exists></t:Not>`)).to.have.length(4);
    expect(await names(equal(member('PhoneNumber', 'MobilePhone'), '+1 425 555 0109'))).to.deep.equal(['Megan Bowen']);
    expect(await names(containing(member('PhoneNumber', 'MobilePhone'), '555', 'Substring'))).to.deep.equal(['Megan Bowen']);
    expect(await names(containing(member('PhoneNumber', 'BusinessPhone'), '555', 'Substring'))).to.deep.equal([]);
    const refused = async (expression: string) => {
      const text = await findItem(expression);
      const [, code] = /<m:ResponseCode>(\w+)</.exec(text) ?? [];
      const [, message] = /<m:MessageText>([^<]*)</.exec(text) ?? [];
      return [code, message];
    };
    expect(await refused(equal(member('PhoneNumber', 'CarPhone'), '1'))).to.deep.equal([
      'ErrorUnsupportedPathForQuery',
      'contacts can be searched by contacts:DisplayName, contacts:GivenName, contacts:Surname, contacts:CompanyName, contacts:Department, contacts:JobTitle, contacts:FileAs, ' +
        'contacts:EmailAddress (EmailAddress1, EmailAddress2, EmailAddress3), contacts:PhoneNumber (BusinessPhone, HomePhone, MobilePhone), contacts:HasPicture, item:LastModifiedTime, item:DateTimeCreated only, not contacts:PhoneNumber (CarPhone)',
    ]);
    expect(await refused(equal(email(1), 'm', 'IsLessThan'))).to.deep.equal([
      'ErrorUnsupportedPathForQuery',
      'IsLessThan compares contacts:DisplayName, contacts:GivenName, contacts:Surname, contacts:CompanyName, contacts:Department, contacts:JobTitle, contacts:FileAs only',
    ]);
  });
});

describe('FindItem answers are bounded by the answer byte limit', () => {
  const MAX_ANSWER_BYTES = EWS_MIN_ANSWER_BYTES;
  /** Contacts of some 3.5 KB each: the 1,000 a page may hold pass the limit. */
  const contacts = (prefix: string, from: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({
      displayName: `${prefix} ${from + i}`,
      emailAddresses: [`${prefix.toLowerCase()}${from + i}@x.example`],
      phones: { business: '+1 425 555 0100' },
      company: 'c'.repeat(1000),
      department: 'd'.repeat(1000),
      jobTitle: 'j'.repeat(1000),
      refs: {},
    }));
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge({ BRIDGE_EWS_MAX_ANSWER_BYTES: String(MAX_ANSWER_BYTES) });
  });
  after(() => t.close());

  const findItem = async (folders: number) => {
    const ids = '<t:DistinguishedFolderId Id="contacts"/>'.repeat(folders);
    const body = `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ParentFolderIds>${ids}</m:ParentFolderIds></m:FindItem>`;
    const res = await postEws(t.bridge.server, body, READER);
    expect(res.status).to.equal(200);
    const xml = await parseSoap(res.text);
    const messages = [xml.Envelope.Body.FindItemResponse.ResponseMessages.FindItemResponseMessage].flat();
    return { bytes: Buffer.byteLength(res.text), codes: messages.map((m: any) => m.ResponseCode) };
  };

  it('answers the Contacts folder once however often it is named, and a page over the limit with ErrorMessageSizeExceeded, in a whole envelope', async () => {
    // Contacts until one page takes more than half the limit.
    let added = 0;
    for (; (await findItem(1)).bytes <= MAX_ANSWER_BYTES / 2; added += 50) await t.store.addContacts(READER.username, contacts('Contact', added, 50));
    const one = await findItem(1);
    const ten = await findItem(10);
    expect(ten.codes).to.deep.equal(['NoError', ...Array<string>(9).fill('ErrorInvalidRequest')]);
    expect(ten.bytes).to.be.below(one.bytes + 9 * 1024);
    // Twice as many contacts and some: the one page is over the limit.
    await t.store.addContacts(READER.username, contacts('More', 0, added + 50));
    const over = await findItem(1);
    expect(over.codes).to.deep.equal(['ErrorMessageSizeExceeded']);
    expect(over.bytes).to.be.at.most(4096);
  });
});
