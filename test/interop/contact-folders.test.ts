import { expect } from 'chai';
import {
  Contact,
  ContactSchema,
  ChangeType,
  ContactsFolder,
  ComparisonMode,
  ContainmentMode,
  FileAsMapping,
  Importance,
  PhysicalAddressIndex,
  Sensitivity,
  ExchangeService,
  ExchangeVersion,
  Folder,
  FolderId,
  FolderSchema,
  FolderTraversal,
  FolderView,
  ItemView,
  LogicalOperator,
  PropertySet,
  SearchFilter,
  SortDirection,
  SyncFolderItemsScope,
  Uri,
  WebCredentials,
  WellKnownFolderName,
  type ChangeCollection,
  type FindItemsResults,
  type ItemChange,
  type Item,
} from 'ews-javascript-api';
import { READER } from '../support/test-bridge.js';
import { READER_CONTACTS, startInteropBridge, type InteropWorld } from './js-client-fixture.js';
import { pythonScript, runPythonClient } from './python/run-python.js';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { ALEX, ALLAN, seedInteropFixture, YUSUF, ZOE, type InteropFixture } from './python/fixture.js';

/** What test/interop/python/zeep_folders.py prints. */
interface ZeepFoldersJson {
  folders: { class: string; code: string; folders: Record<string, Record<string, unknown>>[] }[];
  pages: { offset: number; total: number; last: boolean; names: string[] }[];
  restricted: { total: number; ids: number; either: string[]; by_address: string[]; query_string: string[] };
  found: { total: number; last: boolean; folders: [string, string][] };
  synced: [string, string][];
  hierarchy: [string, string, string][];
  people: Record<string, unknown>;
}

/** What test/interop/python/exchangelib_sync.py prints. */
interface SyncJson {
  changes: [string, string][];
  state: string;
  again: [string, string][];
  unchanged: boolean;
  hierarchy: [string, string, string | null][];
  hierarchy_again: [string, string][];
}

/** What test/interop/python/exchangelib_folders.py prints. */
interface FoldersJson {
  photo: { name: string; bytes: number; as_attachment: boolean };
  folder: { class: string; name: string; total_count: number; folder_class: string };
  root: string;
  all: { display_name: string; email: string[]; has_picture: boolean; attachments: number }[];
  paged: string[];
  descending: string[];
  startswith: string[];
  get: { display_name: string; company: string };
  restricted: {
    in: string[];
    exclude: string[];
    exclude_startswith: string[];
    range: string[];
    either: string[];
    without_name: number;
    company: string[];
    surname_from_z: string[];
    given_name_not: string[];
    email1: string[];
    email2_contains: string[];
    mobile: string[];
    without_mobile: string[];
    query_string: string[];
    query_string_and: string[];
    changed_since: string[];
    changed_later: string[];
    made_before: string[];
    changed_since_newest: string[];
    at_newest_finds_it: boolean;
  };
  fetched: string[];
  resolved: { contacts: string[]; root: string[] };
  walked: { root: string[]; contacts: string[]; by_path: string[]; by_name: string[] };
  mime: { begins: string; fn: string[] };
}

describe('interop: listing the Contacts folder (GetFolder, FindFolder, FindItem)', function () {
  this.timeout(120_000);

  describe('ews-javascript-api: Folder.Bind and FindItems with paging', () => {
    let world: InteropWorld;
    let service: ExchangeService;
    before(async () => {
      world = await startInteropBridge();
      service = new ExchangeService(ExchangeVersion.Exchange2013);
      service.Credentials = new WebCredentials(READER.username, READER.password);
      service.Url = new Uri(world.ewsUrl);
    });
    after(() => world?.close());

    it('binds the Contacts folder as a ContactsFolder with its count', async () => {
      const folder = await Folder.Bind(service, WellKnownFolderName.Contacts);
      expect(folder).to.be.instanceOf(ContactsFolder);
      expect(folder.DisplayName).to.equal('Contacts');
      expect(folder.TotalCount).to.equal(Object.keys(READER_CONTACTS).length);
    });

    it('finds the folders under the message root and the root (FindFolders, Shallow and Deep), paged by its FolderView', async () => {
      const shallow = await service.FindFolders(WellKnownFolderName.MsgFolderRoot, new FolderView(10));
      expect([shallow.TotalCount, shallow.MoreAvailable]).to.deep.equal([1, false]);
      expect(shallow.Folders.map((folder) => [folder.constructor.name, folder.DisplayName, folder.TotalCount])).to.deep.equal([
        ['ContactsFolder', 'Contacts', Object.keys(READER_CONTACTS).length],
      ]);
      const deep = new FolderView(1);
      deep.Traversal = FolderTraversal.Deep;
      const first = await service.FindFolders(WellKnownFolderName.Root, deep);
      // ews-javascript-api reads IndexedPagingOffset but never keeps it (FindFolderResponse.js): the next page is asked by its Offset.
      expect([first.Folders.map((folder) => folder.DisplayName), first.TotalCount, first.MoreAvailable]).to.deep.equal([['Top of Information Store'], 2, true]);
      deep.Offset = 1;
      expect((await service.FindFolders(WellKnownFolderName.Root, deep)).Folders.map((folder) => folder.DisplayName)).to.deep.equal(['Contacts']);
      expect((await service.FindFolders(WellKnownFolderName.Contacts, new FolderView(10))).Folders).to.deep.equal([]);
    });

    it('finds the contact folders by their class (FindFolders with a SearchFilter, Deep), and none by a class no folder has', async () => {
      const deep = new FolderView(10);
      deep.Traversal = FolderTraversal.Deep;
      const ofClass = async (folderClass: string) =>
        (await service.FindFolders(WellKnownFolderName.MsgFolderRoot, new SearchFilter.IsEqualTo(FolderSchema.FolderClass, folderClass), deep)).Folders.map(
          (folder) => [folder.constructor.name, folder.DisplayName],
        );
      expect(await ofClass('IPF.Contact')).to.deep.equal([['ContactsFolder', 'Contacts']]);
      expect(await ofClass('IPF.Appointment')).to.deep.equal([]);
    });

    it('pages through every contact in display-name order, two at a time', async () => {
      const names: string[] = [];
      let offset = 0;
      let page: FindItemsResults<Item>;
      let pages = 0;
      do {
        page = await service.FindItems(WellKnownFolderName.Contacts, new ItemView(2, offset));
        for (const item of page.Items) names.push((item as unknown as { DisplayName: string }).DisplayName);
        expect(page.TotalCount).to.equal(Object.keys(READER_CONTACTS).length);
        offset = page.NextPageOffset ?? offset;
        pages++;
      } while (page.MoreAvailable && pages < 10);
      const expected = Object.values(READER_CONTACTS)
        .map((c) => c.displayName)
        .sort();
      expect(names).to.deep.equal(expected);
      expect(pages).to.equal(Math.ceil(expected.length / 2));
    });

    it('binds a listed contact with every property AllProperties brings, its parent the Contacts folder', async () => {
      const contacts = await ContactsFolder.Bind(service, WellKnownFolderName.Contacts);
      const [listed] = (await service.FindItems(WellKnownFolderName.Contacts, new ItemView(1))).Items;
      const contact = await Contact.Bind(service, listed!.Id);
      // Each read throws ServiceObjectPropertyException when the answer lacks the property.
      expect(contact.ParentFolderId.UniqueId).to.equal(contacts.Id.UniqueId);
      expect([contact.Sensitivity, contact.Importance, contact.FileAsMapping, contact.PostalAddressIndex]).to.deep.equal([
        Sensitivity.Normal,
        Importance.Normal,
        FileAsMapping.None,
        PhysicalAddressIndex.None,
      ]);
      expect(contact.Size).to.be.greaterThan(contact.DisplayName.length);
      expect(contact.DateTimeReceived.TotalMilliSeconds).to.equal(contact.DateTimeCreated.TotalMilliSeconds);
      expect([contact.IsAssociated, contact.Culture]).to.deep.equal([false, 'en-US']);
      expect([contact.IsSubmitted, contact.IsDraft, contact.IsFromMe, contact.IsResend, contact.IsUnmodified]).to.deep.equal([
        false,
        false,
        false,
        false,
        false,
      ]);
      expect(contact.DateTimeSent.TotalMilliSeconds).to.equal(contact.DateTimeCreated.TotalMilliSeconds);
    });

    it('lists them in the order its view asks (OrderBy: a FindItem SortOrder)', async () => {
      const view = new ItemView(10);
      view.OrderBy.Add(ContactSchema.DisplayName, SortDirection.Descending);
      const page = await service.FindItems(WellKnownFolderName.Contacts, view);
      const names = page.Items.map((item) => (item as unknown as { DisplayName: string }).DisplayName);
      const expected = Object.values(READER_CONTACTS)
        .map((c) => c.displayName)
        .sort()
        .reverse();
      expect(names).to.deep.equal(expected);
    });

    it('finds contacts by its SearchFilters: a collection (Or, And), Not, IsNotEqualTo, substrings and the ordering comparisons', async () => {
      const { megan, lidia, patti, alexHome } = READER_CONTACTS;
      const names = async (filter: SearchFilter) =>
        (await service.FindItems(WellKnownFolderName.Contacts, filter, new ItemView(10))).Items.map(
          (item) => (item as unknown as { DisplayName: string }).DisplayName,
        );
      const named = (contact: { displayName: string }) => new SearchFilter.IsEqualTo(ContactSchema.DisplayName, contact.displayName.toUpperCase());
      const substring = (value: string) =>
        new SearchFilter.ContainsSubstring(ContactSchema.DisplayName, value, ContainmentMode.Substring, ComparisonMode.IgnoreCase);
      expect(await names(new SearchFilter.SearchFilterCollection(LogicalOperator.Or, [named(megan), substring('hollo')]))).to.deep.equal([
        lidia.displayName,
        megan.displayName,
      ]);
      expect(await names(new SearchFilter.Not(substring('(home)')))).to.deep.equal([lidia.displayName, megan.displayName, patti.displayName]);
      expect(await names(new SearchFilter.IsNotEqualTo(ContactSchema.DisplayName, patti.displayName))).to.deep.equal([
        alexHome.displayName,
        lidia.displayName,
        megan.displayName,
      ]);
      const fromLtoN = new SearchFilter.SearchFilterCollection(LogicalOperator.And, [
        new SearchFilter.IsGreaterThanOrEqualTo(ContactSchema.DisplayName, 'l'),
        new SearchFilter.IsLessThan(ContactSchema.DisplayName, 'N'),
      ]);
      expect(await names(fromLtoN)).to.deep.equal([lidia.displayName, megan.displayName]);
    });

    it('finds contacts by an email address or a phone number (ContactSchema.EmailAddress1, MobilePhone: IndexedFieldURI)', async () => {
      const { megan, lidia } = READER_CONTACTS;
      const names = async (filter: SearchFilter) =>
        (await service.FindItems(WellKnownFolderName.Contacts, filter, new ItemView(10))).Items.map(
          (item) => (item as unknown as { DisplayName: string }).DisplayName,
        );
      expect(await names(new SearchFilter.IsEqualTo(ContactSchema.EmailAddress1, 'Megan.Bowen@Fabrikam.com'))).to.deep.equal([megan.displayName]);
      expect(
        await names(new SearchFilter.ContainsSubstring(ContactSchema.EmailAddress2, 'home', ContainmentMode.Substring, ComparisonMode.IgnoreCase)),
      ).to.deep.equal([megan.displayName]);
      expect(await names(new SearchFilter.IsEqualTo(ContactSchema.MobilePhone, lidia.phones.mobile))).to.deep.equal([lidia.displayName]);
      expect(await names(new SearchFilter.Exists(ContactSchema.EmailAddress2))).to.deep.equal([megan.displayName]);
    });

    it('finds contacts by a QueryString: FindItems(folder, "words", view)', async () => {
      const { megan, lidia } = READER_CONTACTS;
      const found = async (words: string) =>
        (await service.FindItems(WellKnownFolderName.Contacts, words, new ItemView(10))).Items.map(
          (item) => (item as unknown as { DisplayName: string }).DisplayName,
        );
      expect(await found('megan')).to.deep.equal([megan.displayName]);
      expect(await found('northwind')).to.deep.equal([lidia.displayName]);
      expect(await found('lidia.holloway@')).to.deep.equal([lidia.displayName]);
    });
    it('mirrors the folder with SyncFolderItems, MaxChangesReturned at a time, and lists the folders with SyncFolderHierarchy', async () => {
      const contacts = new FolderId(WellKnownFolderName.Contacts);
      const names = (changes: ChangeCollection<ItemChange>) =>
        changes.GetEnumerator().map((change) => [ChangeType[change.ChangeType], (change.Item as unknown as { DisplayName: string }).DisplayName]);
      const first = await service.SyncFolderItems(contacts, PropertySet.FirstClassProperties, [], 3, SyncFolderItemsScope.NormalItems, '');
      const rest = await service.SyncFolderItems(contacts, PropertySet.FirstClassProperties, [], 3, SyncFolderItemsScope.NormalItems, first.SyncState);
      const none = await service.SyncFolderItems(contacts, PropertySet.IdOnly, [], 3, SyncFolderItemsScope.NormalItems, rest.SyncState);
      // In the order the store made them: Megan, Lidia, Patti, Alex (home).
      expect([names(first), first.MoreChangesAvailable, names(rest), rest.MoreChangesAvailable, none.Count]).to.deep.equal([
        [
          ['Create', READER_CONTACTS.megan.displayName],
          ['Create', READER_CONTACTS.lidia.displayName],
          ['Create', READER_CONTACTS.patti.displayName],
        ],
        true,
        [['Create', READER_CONTACTS.alexHome.displayName]],
        false,
        0,
      ]);
      const folders = await service.SyncFolderHierarchy(new FolderId(WellKnownFolderName.Root), PropertySet.FirstClassProperties, '');
      expect(folders.GetEnumerator().map((change) => [ChangeType[change.ChangeType], change.Folder.DisplayName])).to.deep.equal([
        ['Create', 'Top of Information Store'],
        ['Create', 'Contacts'],
      ]);
      expect((await service.SyncFolderHierarchy(new FolderId(WellKnownFolderName.Root), PropertySet.IdOnly, folders.SyncState)).Count).to.equal(0);
    });
  });

  describe('exchangelib: account.contacts, .all(), .filter(), .get(), account.fetch()', () => {
    let t: TestBridge;
    let fixture: InteropFixture;
    let observed: FoldersJson;
    before(async () => {
      t = await startTestBridge();
      fixture = await seedInteropFixture(t);
      observed = (await runPythonClient(
        pythonScript('exchangelib_folders.py'),
        [fixture.endpoint, READER.username, READER.password, READER.username.toLowerCase(), 'Zo', YUSUF.displayName],
        90_000,
      )) as FoldersJson;
    });
    after(() => t?.close());

    it('finds the Contacts folder through the root, as a Contacts folder with its count', () => {
      expect(observed.root).to.equal('Root');
      expect(observed.folder).to.deep.equal({ class: 'Contacts', name: 'Contacts', total_count: 2, folder_class: 'IPF.Contact' });
    });

    it('lists every contact of the mailbox, with addresses, photo flag and the photo attachment', () => {
      expect(observed.all).to.deep.equal([
        { display_name: YUSUF.displayName, email: YUSUF.emailAddresses, has_picture: false, attachments: 0 },
        { display_name: ZOE.displayName, email: ZOE.emailAddresses, has_picture: true, attachments: 1 },
      ]);
      expect(observed.paged).to.deep.equal([YUSUF.displayName, ZOE.displayName]);
    });

    it('lists them in the order asked by order_by (a FindItem SortOrder)', () => {
      expect(observed.descending).to.deep.equal([ZOE.displayName, YUSUF.displayName]);
    });

    it("exports a contact as a vCard: only('mime_content') (GetItem's item:MimeContent)", () => {
      expect(observed.mime).to.deep.equal({ begins: 'BEGIN:VCARD', fn: [`FN:${YUSUF.displayName}`] });
    });

    it("reads a contact's photo as contacts:Photo: only('photo'), the bytes of its photo attachment", () => {
      expect(observed.photo.name).to.equal(ZOE.displayName);
      expect([observed.photo.bytes > 1000, observed.photo.as_attachment]).to.deep.equal([true, true]);
    });

    it('filters by the start of the display name, gets one by its whole name, and fetches by ids', () => {
      expect(observed.startswith).to.deep.equal([ZOE.displayName]);
      expect(observed.get).to.deep.equal({ display_name: YUSUF.displayName, company: YUSUF.company });
      expect(observed.fetched).to.deep.equal([YUSUF.displayName, ZOE.displayName]);
    });

    it('filters by Or, And and Not of tests on the names, company, an email address, a phone number and the times: __in, exclude(), __range, Q | Q, __exists=False, last_modified_time__gt', () => {
      expect(observed.restricted).to.deep.equal({
        in: [YUSUF.displayName],
        exclude: [ZOE.displayName],
        exclude_startswith: [YUSUF.displayName],
        // Zoë Zimmermann sorts after "Z", as the folder lists names (case and accents ignored).
        range: [YUSUF.displayName],
        either: [YUSUF.displayName, ZOE.displayName],
        without_name: 0,
        company: [YUSUF.displayName],
        surname_from_z: [ZOE.displayName],
        given_name_not: [YUSUF.displayName],
        email1: [YUSUF.displayName],
        email2_contains: [ZOE.displayName],
        mobile: [ZOE.displayName],
        without_mobile: [YUSUF.displayName],
        query_string: [ZOE.displayName],
        query_string_and: [YUSUF.displayName],
        changed_since: [YUSUF.displayName, ZOE.displayName],
        changed_later: [],
        made_before: [YUSUF.displayName, ZOE.displayName],
        // The times it is shown are whole seconds, and compared so: the newest is not "changed since" itself.
        changed_since_newest: [],
        at_newest_finds_it: true,
      });
    });

    it('walks the folder tree (FindFolder): the root holds the message root and Contacts, Contacts nothing, and the path reaches the contacts', () => {
      expect(observed.walked).to.deep.equal({
        root: ['Top of Information Store', 'Contacts'],
        contacts: [],
        by_path: [YUSUF.displayName, ZOE.displayName],
        by_name: [YUSUF.displayName, ZOE.displayName],
        everywhere: [ZOE.displayName],
        root_count: 0,
      });
    });

    it('resolves names among the contacts of the folder resolve_names is given, and none in the root', () => {
      expect(observed.resolved).to.deep.equal({ contacts: [ZOE.displayName], root: ['ErrorNameResolutionNoResults'] });
    });

    it('zeep (strict, from the served WSDL) reads GetFolder, FindFolder, every FindItem page, the Sync answers, FindPeople and GetPersona the bridge writes', async () => {
      const zeep = (await runPythonClient(
        pythonScript('zeep_folders.py'),
        [`${fixture.endpoint}?wsdl`, READER.username, READER.password],
        90_000,
      )) as ZeepFoldersJson;
      expect(zeep.folders.map((f) => [f.class, f.code])).to.deep.equal([
        ['Success', 'NoError'],
        ['Success', 'NoError'],
        ['Success', 'NoError'],
        ['Error', 'ErrorFolderNotFound'],
      ]);
      expect(zeep.folders[2]!.folders).to.deep.equal([
        { ContactsFolder: { FolderClass: 'IPF.Contact', DisplayName: 'Contacts', TotalCount: 2, ChildFolderCount: 0 } },
      ]);
      expect(zeep.pages).to.deep.equal([
        { offset: 1, total: 2, last: false, names: [YUSUF.displayName] },
        { offset: 2, total: 2, last: true, names: [ZOE.displayName] },
      ]);
      expect(zeep.restricted).to.deep.equal({
        total: 1,
        ids: 1,
        either: [YUSUF.displayName],
        by_address: [ZOE.displayName],
        query_string: [YUSUF.displayName],
      });
      expect(zeep.synced).to.deep.equal([
        ['Create', ZOE.displayName],
        ['Create', YUSUF.displayName],
      ]);
      expect(zeep.hierarchy).to.deep.equal([
        ['Create', 'Folder', 'Top of Information Store'],
        ['Create', 'ContactsFolder', 'Contacts'],
      ]);
      expect(zeep.people).to.deep.equal({
        contacts: {
          total: 2,
          people: [
            [YUSUF.displayName, YUSUF.emailAddresses[0], 'Contact'],
            [ZOE.displayName, ZOE.emailAddresses[0], 'Contact'],
          ],
        },
        directory: {
          total: 2,
          people: [
            [ALEX.displayName, ALEX.email, 'Mailbox'],
            [ALLAN.displayName, ALLAN.email, 'Mailbox'],
          ],
        },
        persona: ['NoError', ALEX.displayName, ALEX.title],
      });
      expect(zeep.found).to.deep.equal({
        total: 2,
        last: true,
        folders: [
          ['Folder', 'Top of Information Store'],
          ['ContactsFolder', 'Contacts'],
        ],
      });
    });
  });
  describe('exchangelib: contacts.sync_items() and root.sync_hierarchy() (SyncFolderItems, SyncFolderHierarchy)', () => {
    let t: TestBridge;
    let fixture: InteropFixture;
    const mailbox = READER.username.toLowerCase();
    before(async () => {
      t = await startTestBridge();
      fixture = await seedInteropFixture(t);
    });
    after(() => t?.close());
    const sync = async (state: string, maxChanges: number) =>
      (await runPythonClient(
        pythonScript('exchangelib_sync.py'),
        [fixture.endpoint, READER.username, READER.password, mailbox, state, String(maxChanges)],
        90_000,
      )) as SyncJson;

    it('mirrors the folder: every contact as created, one call per change, then nothing; later the deleted, changed and new ones', async () => {
      const first = await sync('', 1);
      expect(first.changes).to.deep.equal([
        ['create', ZOE.displayName],
        ['create', YUSUF.displayName],
      ]);
      expect([first.again, first.unchanged]).to.deep.equal([[], true]);
      expect(first.hierarchy).to.deep.equal([
        ['create', 'Top of Information Store', 'IPF.Note'],
        ['create', 'Contacts', 'IPF.Contact'],
      ]);
      expect(first.hierarchy_again).to.deep.equal([]);
      const [zoe, yusuf] = (await t.store.listContacts(mailbox)).sort((a, b) => a.id - b.id);
      await t.store.removeContact(mailbox, zoe!.id);
      await t.store.saveContacts(
        mailbox,
        [{ id: yusuf!.id, contact: { ...YUSUF, jobTitle: 'Buyer' } }],
        [{ displayName: 'Nia Newcomer', emailAddresses: [], phones: {}, refs: {} }],
      );
      const later = await sync(first.state, 100);
      expect(later.changes).to.deep.equal([
        ['delete', 'id'],
        ['update', YUSUF.displayName],
        ['create', 'Nia Newcomer'],
      ]);
      expect(later.again).to.deep.equal([]);
    });
  });
});
