import { expect } from 'chai';
import { ResponseType, type Client } from '@microsoft/microsoft-graph-client';
import { restIdOf } from '../../src/ews/exchange-id-forms.js';
import { ItemIds } from '../../src/ews/item-ids.js';
import { ADMIN, basic, READER } from '../support/test-bridge.js';
import { graphClient, graphErrorOf } from './graph-client-fixture.js';
import { imageInfo, PHOTO_SIZES, READER_CONTACTS, startInteropBridge, type InteropWorld } from './js-client-fixture.js';

interface GraphContact {
  id: string;
  displayName: string;
  emailAddresses: { name: string; address: string }[];
  businessPhones: string[];
}
interface ContactList {
  value: GraphContact[];
  '@odata.nextLink'?: string;
}

describe('Microsoft Graph JS client: the caller’s contacts and their photos', () => {
  let world: InteropWorld;
  let asReader: Client;

  before(async () => {
    world = await startInteropBridge();
    asReader = graphClient(`http://127.0.0.1:${world.address.port}/`, () => Promise.resolve(basic(READER)));
  });
  after(() => world?.close());

  it('pages through /me/contacts with $top and the @odata.nextLink it is given', async () => {
    const names: string[] = [];
    let page = (await asReader.api('/me/contacts').top(3).get()) as ContactList;
    let pages = 1;
    names.push(...page.value.map((c) => c.displayName));
    while (page['@odata.nextLink'] && pages < 10) {
      // The client takes an absolute nextLink only on https (it strips "https://" to find
      // the version); over this test's plain http it is given as a path under the version.
      const next = new URL(page['@odata.nextLink']);
      expect(next.pathname).to.equal('/v1.0/me/contacts');
      page = (await asReader.api(`/me/contacts${next.search}`).get()) as ContactList;
      names.push(...page.value.map((c) => c.displayName));
      pages++;
    }
    expect(names).to.deep.equal(
      Object.values(READER_CONTACTS)
        .map((c) => c.displayName)
        .sort(),
    );
    expect(pages).to.equal(Math.ceil(names.length / 3));
  });

  it('lists the same contacts by the other paths Graph documents: the caller as a user, the Contacts folder by its id', async () => {
    const mine = (await asReader.api('/me/contacts').get()) as ContactList & { value: (GraphContact & { parentFolderId: string })[] };
    const names = (list: ContactList) => list.value.map((contact) => contact.displayName);
    const asUser = (await asReader.api(`/users/${READER.username.toUpperCase()}/contacts`).get()) as ContactList;
    expect(names(asUser)).to.deep.equal(names(mine));
    // The next page is asked by the path the list was asked by, as Graph's nextLink keeps it.
    const asUserPage = (await asReader.api(`/users/${READER.username.toUpperCase()}/contacts`).top(1).get()) as ContactList;
    expect(new URL(asUserPage['@odata.nextLink']!).pathname).to.equal(`/v1.0/users/${READER.username.toUpperCase()}/contacts`);
    const folder = mine.value[0]!.parentFolderId;
    const inFolder = (await asReader.api(`/me/contactFolders/${folder}/contacts`).top(2).get()) as ContactList;
    expect(names(inFolder)).to.deep.equal(names(mine).slice(0, 2));
    const one = (await asReader.api(`/users/${READER.username}/contacts/${mine.value[0]!.id}`).get()) as GraphContact;
    expect(one.displayName).to.equal(mine.value[0]!.displayName);

    // "List contactFolders" lists the folders in the Contacts folder (none here); the folder itself by id or well-known name.
    expect(((await asReader.api('/me/contactFolders').get()) as { value: unknown[] }).value).to.deep.equal([]);
    for (const named of [folder, 'contacts']) {
      const children = (await asReader.api(`/me/contactFolders/${named}/childFolders`).get()) as { value: unknown[]; '@odata.context': string };
      expect(children.value).to.deep.equal([]);
      expect(children['@odata.context']).to.match(new RegExp(`/contactFolders\\('${folder}'\\)/childFolders$`));
    }
    const noChildren = await graphErrorOf(asReader.api(`/me/contactFolders/${folder.slice(0, -4)}AAAA/childFolders`).get());
    expect(noChildren).to.include({ statusCode: 404, code: 'ErrorItemNotFound' });

    // Their options are read as every list's and entity's are: applied, or refused, never passed over.
    const named = (await asReader.api('/me/contactFolders/contacts').select('displayName').get()) as Record<string, unknown>;
    expect(Object.keys(named).sort()).to.deep.equal(['@odata.context', 'displayName', 'id']);
    const counted = (await asReader.api('/me/contactFolders').count(true).top(5).select('displayName').get()) as Record<string, unknown>;
    expect([counted['@odata.count'], counted.value]).to.deep.equal([0, []]);
    for (const [path, query] of [
      ['/me/contactFolders/contacts', '$select=bogus'],
      ['/me/contactFolders/contacts', '$select=__proto__'],
      ['/me/contactFolders', '$select=bogus'],
      ['/me/contactFolders', '$top=abc'],
      ['/me/contactFolders', '$expand=childFolders'],
      ['/me/contactFolders/contacts/childFolders', '$top=0'],
      ['/me/contactFolders/contacts/childFolders', '$orderby=displayName'],
    ]) {
      const error = await graphErrorOf(asReader.api(`${path}?${query}`).get());
      expect(error.statusCode, `${path}?${query}`).to.equal(400);
    }
    const byName = (await asReader.api('/me/contactFolders/contacts').get()) as { id: string; displayName: string };
    expect([byName.id, byName.displayName]).to.deep.equal([folder, 'Contacts']);
    expect(names((await asReader.api('/me/contactFolders/contacts/contacts').top(2).get()) as ContactList)).to.deep.equal(names(mine).slice(0, 2));
    const another = await graphErrorOf(asReader.api(`/users/${ADMIN.username}/contacts`).get());
    expect(another).to.include({ statusCode: 403, code: 'ErrorAccessDenied' });
    const otherFolder = await graphErrorOf(asReader.api(`/me/contactFolders/${folder.slice(0, -4)}AAAA/contacts`).get());
    expect(otherFolder).to.include({ statusCode: 404, code: 'ErrorItemNotFound' });
  });

  it('names a contact as Graph does, and serves its photo’s metadata and bytes by the id it listed', async () => {
    const { value } = (await asReader.api('/me/contacts').top(100).get()) as ContactList;
    const megan = value.find((c) => c.displayName === READER_CONTACTS.megan.displayName)!;
    expect(megan.emailAddresses.map((e) => e.address)).to.deep.equal(READER_CONTACTS.megan.emailAddresses);
    expect(megan.businessPhones).to.deep.equal([READER_CONTACTS.megan.phones.business]);
    expect(megan.id).to.match(/^[A-Za-z0-9_-]+$/);
    const side = Math.min(PHOTO_SIZES.megan.width, PHOTO_SIZES.megan.height);
    const meta = (await asReader.api(`/me/contacts/${megan.id}/photo`).get()) as { width: number; height: number; '@odata.context': string };
    expect(meta).to.include({ width: side, height: side });
    expect(meta['@odata.context']).to.match(new RegExp(`/v1\\.0/\\$metadata#users\\('[^']+'\\)/contacts\\('${megan.id}'\\)/photo/\\$entity$`));
    const bytes = (await asReader.api(`/me/contacts/${megan.id}/photo/$value`).responseType(ResponseType.ARRAYBUFFER).get()) as ArrayBuffer;
    expect(await imageInfo(Buffer.from(bytes))).to.deep.equal({ format: 'jpeg', width: side, height: side });
  });

  it('reads a contact by its id as Graph answers one: every property of the resource, the empty ones null, [] or {}', async () => {
    const { value } = (await asReader.api('/me/contacts').top(100).get()) as ContactList;
    const listed = value.find((c) => c.displayName === READER_CONTACTS.megan.displayName)!;
    const contact = (await asReader.api(`/me/contacts/${listed.id}`).get()) as Record<string, unknown>;
    expect(contact['@odata.context']).to.match(/\/v1\.0\/\$metadata#users\('[^']+'\)\/contacts\/\$entity$/);
    expect(contact['@odata.etag']).to.equal(`W/"${String(contact.changeKey)}"`);
    expect(contact).to.deep.include({
      id: listed.id,
      displayName: 'Megan Bowen',
      fileAs: 'Megan Bowen',
      givenName: 'Megan',
      surname: 'Bowen',
      companyName: 'Fabrikam',
      jobTitle: 'Marketing Manager',
      department: null,
      middleName: null,
      imAddresses: [],
      categories: [],
      children: [],
      homePhones: [],
      mobilePhone: null,
      businessPhones: ['+1 425 555 0100'],
      homeAddress: {},
      businessAddress: {},
      otherAddress: {},
    });
    expect(contact.parentFolderId)
      .to.be.a('string')
      .and.match(/^[A-Za-z0-9_-]+$/);
    const { '@odata.context': _context, ...inList } = contact;
    expect(listed).to.deep.equal(inList);
  });

  it('writes contacts with the properties $select names, and their @odata.etag and id as Graph gives every Outlook item', async () => {
    const list = (await asReader.api('/me/contacts').select(['displayName', 'EmailAddresses']).top(1).get()) as ContactList & { '@odata.context': string };
    expect(list['@odata.context']).to.match(/\/contacts\(displayName,EmailAddresses\)$/);
    const [first] = list.value;
    expect(Object.keys(first!)).to.deep.equal(['@odata.etag', 'id', 'displayName', 'emailAddresses']);
    expect(new URL(list['@odata.nextLink']!).searchParams.get('$select')).to.equal('displayName,EmailAddresses');
    const one = (await asReader.api(`/me/contacts/${first!.id}`).select('companyName').get()) as Record<string, unknown>;
    expect(Object.keys(one)).to.deep.equal(['@odata.context', '@odata.etag', 'id', 'companyName']);
    expect(one['@odata.context']).to.match(/\/contacts\(companyName\)\/\$entity$/);
  });

  it('finds a contact by address, by the start of its name, by filters joined with or, and, not; counts it; refuses a filter the bridge does not read', async () => {
    const found = (await asReader.api('/me/contacts').filter("emailAddresses/any(a:a/address eq 'MEGAN@home.example')").count(true).get()) as ContactList & {
      '@odata.count': number;
    };
    expect(found.value.map((c) => c.displayName)).to.deep.equal([READER_CONTACTS.megan.displayName]);
    expect(found['@odata.count']).to.equal(1);
    const started = (await asReader.api('/me/contacts').filter("startswith(displayName,'megan')").get()) as ContactList;
    expect(started.value.map((c) => c.displayName)).to.deep.equal([READER_CONTACTS.megan.displayName]);
    const joined = (await asReader
      .api('/me/contacts')
      .filter("startswith(givenName,'MEG') or (companyName ne 'Fabrikam' and not startswith(surname,'F'))")
      .orderby('displayName')
      .get()) as ContactList;
    // Alex has no company: an unset property is not 'Fabrikam'.
    const { alexHome, lidia, megan } = READER_CONTACTS;
    expect(joined.value.map((c) => c.displayName)).to.deep.equal([alexHome.displayName, lidia.displayName, megan.displayName]);
    const error = await graphErrorOf(asReader.api('/me/contacts').filter("startswith(nickName,'Marketing')").get());
    expect([error.statusCode, error.code]).to.deep.equal([400, 'ErrorInvalidUrlQueryFilter']);
  });

  it('lists the contacts in the order $orderby asks', async () => {
    const { value } = (await asReader.api('/me/contacts').orderby('displayName desc').top(100).get()) as ContactList;
    expect(value.map((c) => c.displayName)).to.deep.equal(
      Object.values(READER_CONTACTS)
        .map((c) => c.displayName)
        .sort()
        .reverse(),
    );
  });

  it('answers another mailbox’s contact id exactly like a missing one, and a contact without a photo with ImageNotFound', async () => {
    const key = await world.t.store.secret('item-ids', 32);
    const foreign = restIdOf(new ItemIds(key).encode('contact', world.adminContactId));
    const missing = restIdOf(new ItemIds(key).encode('contact', 999_999));
    for (const id of [foreign, missing]) {
      const error = await graphErrorOf(asReader.api(`/me/contacts/${id}/photo/$value`).get());
      expect([error.statusCode, error.code]).to.deep.equal([404, 'ErrorItemNotFound']);
    }
    const { value } = (await asReader.api('/me/contacts').top(100).get()) as ContactList;
    const withoutPhoto = value.find((c) => c.displayName === READER_CONTACTS.patti.displayName)!;
    const error = await graphErrorOf(asReader.api(`/me/contacts/${withoutPhoto.id}/photo/$value`).get());
    expect([error.statusCode, error.code]).to.deep.equal([404, 'ImageNotFound']);
    const asAdmin = graphClient(`http://127.0.0.1:${world.address.port}/`, () => Promise.resolve(basic(ADMIN)));
    const admins = (await asAdmin.api('/me/contacts').get()) as ContactList;
    expect(admins.value.map((c) => c.displayName)).to.not.include(READER_CONTACTS.megan.displayName);
  });

  // Last: it adds a contact and removes it again.
  it('syncs the Contacts folder by delta as a sync client does: pages by nextLink, then the changes a deltaLink lists', async () => {
    type DeltaPage = { value: (GraphContact & { '@removed'?: { reason: string } })[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string };
    // Each link as a path under the version, as the list test above follows them over plain http.
    const follow = (link: string) => asReader.api(new URL(link).pathname.replace(/^\/v1\.0/, '') + new URL(link).search).get() as Promise<DeltaPage>;
    const {
      value: [first],
    } = (await asReader.api('/me/contacts').top(1).get()) as { value: (GraphContact & { parentFolderId: string })[] };
    let page = (await asReader.api(`/me/contactFolders/${first!.parentFolderId}/contacts/delta`).header('Prefer', 'odata.maxpagesize=3').get()) as DeltaPage;
    const synced = page.value.map((c) => c.displayName);
    while (page['@odata.nextLink']) {
      page = await follow(page['@odata.nextLink']);
      synced.push(...page.value.map((c) => c.displayName));
    }
    expect(synced.sort()).to.deep.equal(
      Object.values(READER_CONTACTS)
        .map((c) => c.displayName)
        .sort(),
    );
    const [added] = await world.t.store.addContacts(READER.username.toLowerCase(), [
      { displayName: 'Delta Newcomer', emailAddresses: [], phones: {}, refs: {} },
    ]);
    page = await follow(page['@odata.deltaLink']!);
    expect(page.value.map((c) => c.displayName)).to.deep.equal(['Delta Newcomer']);
    const newcomer = page.value[0]!.id;
    await world.t.store.removeContact(READER.username.toLowerCase(), added!);
    page = await follow(page['@odata.deltaLink']!);
    expect(page.value).to.deep.equal([{ id: newcomer, '@removed': { reason: 'deleted' } }]);
    const gone = await graphErrorOf(asReader.api('/me/contacts/delta?$deltatoken=never-given').get());
    expect([gone.statusCode, gone.code]).to.deep.equal([410, 'syncStateNotFound']);
  });
});
