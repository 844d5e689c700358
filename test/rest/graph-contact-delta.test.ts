import { expect } from 'chai';
import request from 'supertest';
import { contactOwner } from '../../src/domain/photo-owner.js';
import { DELTA_TOKENS_PER_MAILBOX } from '../../src/store/delta-tokens.js';
import { samplePhoto } from '../support/sample-images.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

interface DeltaPage {
  value: ({ id: string; displayName?: string; '@removed'?: { reason: string } } & Record<string, unknown>)[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

describe('Graph contact delta: a round of pages, then what changed since', () => {
  let t: TestBridge;
  let ids: number[];

  before(async () => {
    t = await startTestBridge();
    ids = await t.store.addContacts(READER.username, [
      { displayName: 'Anna Delta', emailAddresses: ['anna@x.example'], phones: {}, refs: {} },
      { displayName: 'Ben Delta', emailAddresses: [], phones: {}, refs: {} },
      { displayName: 'Cleo Delta', emailAddresses: [], phones: {}, refs: {} },
    ]);
    await t.store.addContacts(ADMIN.username, [{ displayName: 'Of Admin', emailAddresses: [], phones: {}, refs: {} }]);
  });
  after(() => t.close());

  const get = (path: string, as = READER) => request(t.bridge.server).get(path).set('Authorization', basic(as));
  /** The path and query of a link the bridge gave. */
  const pathOf = (link: string) => {
    const url = new URL(link);
    return url.pathname + url.search;
  };
  const names = (page: DeltaPage) => page.value.map((contact) => contact.displayName);

  /** A whole round from `start`, following each nextLink (each asked with `prefer`, as Graph wants): every page's names, and the round's deltaLink. */
  async function round(start: string, prefer?: string): Promise<{ pages: (string | undefined)[][]; deltaLink: string; last: DeltaPage }> {
    const pages: (string | undefined)[][] = [];
    let page = (
      await get(start)
        .set('Prefer', prefer ?? '')
        .expect(200)
    ).body as DeltaPage;
    pages.push(names(page));
    while (page['@odata.nextLink']) {
      page = (
        await get(pathOf(page['@odata.nextLink']))
          .set('Prefer', prefer ?? '')
          .expect(200)
      ).body as DeltaPage;
      pages.push(names(page));
    }
    return { pages, deltaLink: page['@odata.deltaLink']!, last: page };
  }

  it('gives every contact of the folder in pages of the size Prefer asks, by the path asked, then a deltaLink', async () => {
    const folderPath = '/v1.0/me/contactFolders/contacts/contacts/delta';
    const first = await get(folderPath).set('Prefer', 'odata.maxpagesize=2').expect(200);
    expect(first.headers['preference-applied']).to.equal('odata.maxpagesize=2');
    expect(first.body['@odata.context']).to.match(/\/v1\.0\/\$metadata#Collection\(contact\)$/);
    expect(names(first.body)).to.deep.equal(['Anna Delta', 'Ben Delta']);
    const next = new URL(first.body['@odata.nextLink']);
    expect(next.pathname).to.equal(folderPath);
    expect(next.searchParams.get('$skiptoken')).to.match(/^[A-Za-z0-9_-]{24}$/);
    expect(first.body['@odata.deltaLink']).to.equal(undefined);
    for (const prefer of ['odata.maxpagesize="2", return=minimal', 'return=minimal; odata.maxpagesize=2']) {
      expect((await get(folderPath).set('Prefer', prefer).expect(200)).headers['preference-applied'], prefer).to.equal('odata.maxpagesize=2');
    }
    // A value that is not a whole number is no page size, not its first digits.
    for (const prefer of ['odata.maxpagesize=1e1', 'odata.maxpagesize=2x', 'odata.maxpagesize="2']) {
      const page = await get(folderPath).set('Prefer', prefer).expect(200);
      expect([page.headers['preference-applied'], names(page.body).length], prefer).to.deep.equal([undefined, 3]);
    }
    const second = (await get(pathOf(first.body['@odata.nextLink'])).expect(200)).body as DeltaPage;
    expect(names(second)).to.deep.equal(['Cleo Delta']);
    expect(new URL(second['@odata.deltaLink']!).searchParams.get('$deltatoken')).to.match(/^[A-Za-z0-9_-]{24}$/);
    // A contact as the list gives it: every property, with its id and etag.
    expect(second.value[0]).to.include.keys('@odata.etag', 'id', 'changeKey', 'parentFolderId', 'emailAddresses', 'businessPhones');
  });

  it('lists, from a deltaLink, the contacts added and changed since and the removed, then nothing more; $select carried in the links', async () => {
    const { pages, deltaLink, last } = await round('/v1.0/me/contacts/delta?$select=displayName');
    expect(pages).to.deep.equal([['Anna Delta', 'Ben Delta', 'Cleo Delta']]);
    expect(new URL(deltaLink).searchParams.get('$select')).to.equal('displayName');
    const [anna, ben] = ids as [number, number, number];
    await t.bridge.photos.setPhoto(contactOwner(anna), await samplePhoto(96, 96), 'test');
    await t.store.removeContact(READER.username, ben);
    await t.store.addContacts(READER.username, [{ displayName: 'Dan Delta', emailAddresses: [], phones: {}, refs: {} }]);
    const changes = (await get(pathOf(deltaLink)).expect(200)).body as DeltaPage;
    expect(changes.value.map((c) => c.displayName ?? c['@removed']?.reason)).to.deep.equal(['Anna Delta', 'Dan Delta', 'deleted']);
    // Selected: the name, with the etag and id every Outlook item has; a removed contact is the id it was listed by, and the reason.
    expect(Object.keys(changes.value[0]!)).to.deep.equal(['@odata.etag', 'id', 'displayName']);
    expect(changes.value[2]).to.deep.equal({ id: last.value.find((c) => c.displayName === 'Ben Delta')!.id, '@removed': { reason: 'deleted' } });
    const after = (await get(pathOf(changes['@odata.deltaLink']!)).expect(200)).body as DeltaPage;
    expect([after.value, after['@odata.nextLink']]).to.deep.equal([[], undefined]);
    // An earlier deltaLink still answers from where it was given: the same changes again.
    expect(((await get(pathOf(deltaLink)).expect(200)).body as DeltaPage).value).to.have.length(3);
  });

  it('takes the function as the SDKs write it: with its parentheses, qualified by its namespace, in any case', async () => {
    // Kiota's URL template (the .NET, Java and Go SDKs): `…/contactFolders/{contactFolder-id}/contacts/delta()`.
    const all = names((await get('/v1.0/me/contacts/delta').expect(200)).body as DeltaPage);
    expect(all).to.include('Anna Delta');
    for (const path of ['/v1.0/me/contactFolders/contacts/contacts/delta()', '/v1.0/me/contacts/microsoft.graph.delta()', '/v1.0/me/Contacts/Delta()']) {
      const page = (await get(path).expect(200)).body as DeltaPage;
      expect([names(page), new URL(page['@odata.deltaLink']!).pathname], path).to.deep.equal([all, path]);
    }
    expect((await get('/v1.0/me/contactFolders/delta()').expect(200)).body.value).to.deep.equal([]);
    await request(t.bridge.server).post('/v1.0/me/contacts/delta()').set('Authorization', basic(READER)).expect(405);
    await request(t.bridge.server).post('/v1.0/users/delta()').set('Authorization', basic(READER)).expect(405);
  });

  it("answers the contact folders' delta as their list: none, with a deltaLink that stays empty; a token it never gave is 410", async () => {
    const first = (await get('/v1.0/me/contactFolders/delta').expect(200)).body;
    expect([first.value, first['@odata.nextLink'], first['@odata.context']]).to.deep.equal([
      [],
      undefined,
      `${new URL(first['@odata.deltaLink']).origin}/v1.0/$metadata#Collection(contactFolder)`,
    ]);
    const again = (await get(pathOf(first['@odata.deltaLink'])).expect(200)).body;
    expect([again.value, pathOf(again['@odata.deltaLink'])]).to.deep.equal([[], pathOf(first['@odata.deltaLink'])]);
    expect((await get('/v1.0/me/contactFolders/delta?$deltatoken=other').expect(410)).body.error.code).to.equal('syncStateNotFound');
    expect((await get('/v1.0/me/contactFolders').expect(200)).body.value).to.deep.equal([]);
    // The same by the caller's mailbox named as a user; another user's folders are 403.
    const asUser = (await get(`/v1.0/users/${READER.username}/contactFolders/delta`).expect(200)).body;
    expect([asUser.value, new URL(asUser['@odata.deltaLink']).pathname]).to.deep.equal([[], `/v1.0/users/${READER.username}/contactFolders/delta`]);
    expect((await get(`/v1.0/users/${READER.username}/contactFolders`).expect(200)).body.value).to.deep.equal([]);
    expect((await get(`/v1.0/users/${READER.username}/contactFolders/contacts`).expect(200)).body.displayName).to.equal('Contacts');
    expect((await get(`/v1.0/users/${ADMIN.username}/contactFolders/delta`).expect(403)).body.error.code).to.equal('ErrorAccessDenied');
    await request(t.bridge.server).post(`/v1.0/users/${READER.username}/contactFolders/delta`).set('Authorization', basic(READER)).expect(405);
  });

  it("answers a token that is not the caller's, or was never given, with 410 syncStateNotFound, and refuses what it does not read", async () => {
    const { deltaLink } = await round('/v1.0/me/contacts/delta');
    const token = new URL(deltaLink).searchParams.get('$deltatoken')!;
    for (const [path, as] of [
      [`/v1.0/me/contacts/delta?$deltatoken=${token}`, ADMIN],
      ['/v1.0/me/contacts/delta?$deltatoken=AAAAAAAAAAAAAAAAAAAAAAAA', READER],
      ['/v1.0/me/contacts/delta?$skiptoken=x', READER],
    ] as const) {
      const gone = await get(path, as).expect(410);
      expect(gone.body.error.code, path).to.equal('syncStateNotFound');
    }
    // A token kept before states were sealed to their mailbox (the same items, no MAC): let go, so the client syncs again.
    const unsealed = await t.store.saveDeltaState(READER.username, Buffer.from([1, 3, 1, 0, 0, 0, 0]).toString('base64'), 'delta');
    expect((await get(`/v1.0/me/contacts/delta?$deltatoken=${unsealed}`).expect(410)).body.error.code).to.equal('syncStateNotFound');
    expect((await get(`/v1.0/me/contacts/delta?$deltatoken=${token}&$skiptoken=${token}`).expect(400)).body.error.code).to.equal('ErrorInvalidRequest');
    expect((await get('/v1.0/me/contacts/delta?$top=2').expect(400)).body.error.code).to.equal('ErrorInvalidUrlQuery');
    for (const [path, type] of [
      ['/v1.0/me/contacts/delta?$select=colour', 'contact'],
      ['/v1.0/me/contactFolders/delta?$select=colour', 'contactFolder'],
    ]) {
      expect((await get(path!).expect(400)).body.error.message).to.equal(
        `Parsing OData Select and Expand failed: Could not find a property named 'colour' on type 'microsoft.graph.${type}'.`,
      );
    }
    await request(t.bridge.server).get('/v1.0/me/contacts/delta').expect(401);
    await request(t.bridge.server).post('/v1.0/me/contacts/delta').set('Authorization', basic(READER)).expect(405);
    // The caller named as a user, as Graph documents the path too; another user's folder is 403, a folder that is not Contacts 404.
    const asUser = `/v1.0/users/${READER.username}/contactFolders/contacts/contacts/delta`;
    const own = (await get(asUser).expect(200)).body as DeltaPage;
    const mine = names((await get('/v1.0/me/contacts/delta').expect(200)).body as DeltaPage);
    expect([names(own), new URL(own['@odata.deltaLink']!).pathname]).to.deep.equal([mine, asUser]);
    expect((await get(`/v1.0/users/${ADMIN.username}/contactFolders/contacts/contacts/delta`).expect(403)).body.error.code).to.equal('ErrorAccessDenied');
    expect((await get(`/v1.0/users/${READER.username}/contactFolders/inbox/contacts/delta`).expect(404)).body.error.code).to.equal('ErrorItemNotFound');
    // Another mailbox's round gives only its own contacts.
    expect(names((await get('/v1.0/me/contacts/delta', ADMIN).expect(200)).body as DeltaPage)).to.deep.equal(['Of Admin']);
  });

  it("lets devices sync side by side: a poll that finds nothing changed gives its token again, and one device's round of pages lets no other's deltaLink go", async () => {
    const more = DELTA_TOKENS_PER_MAILBOX.page + DELTA_TOKENS_PER_MAILBOX.delta;
    await t.store.addContacts(
      READER.username,
      Array.from({ length: more }, (_, i) => ({ displayName: `Side ${i}`, emailAddresses: [], phones: {}, refs: {} })),
    );
    const a = (await round('/v1.0/me/contacts/delta')).deltaLink;
    const b = (await round('/v1.0/me/contacts/delta')).deltaLink;
    // Device B polls more often than the mailbox keeps deltaLinks: nothing changed, so its own link each time.
    for (let i = 0; i <= DELTA_TOKENS_PER_MAILBOX.delta; i++) {
      const polled = (await get(pathOf(b)).expect(200)).body as DeltaPage;
      expect([polled.value.length, pathOf(polled['@odata.deltaLink']!)]).to.deep.equal([0, pathOf(b)]);
    }
    // Then syncs again from the start, one contact a page: more pages than the mailbox keeps of both kinds.
    const again = await round('/v1.0/me/contacts/delta', 'odata.maxpagesize=1');
    expect(again.pages.length).to.be.above(more);
    const polled = (await get(pathOf(a)).expect(200)).body as DeltaPage;
    expect([polled.value.length, pathOf(polled['@odata.deltaLink']!)]).to.deep.equal([0, pathOf(a)]);
    // A change is told to each device once, with a new deltaLink.
    await t.store.addContacts(READER.username, [{ displayName: 'Side new', emailAddresses: [], phones: {}, refs: {} }]);
    for (const link of [a, b]) {
      const changed = (await get(pathOf(link)).expect(200)).body as DeltaPage;
      expect(names(changed)).to.deep.equal(['Side new']);
      expect(pathOf(changed['@odata.deltaLink']!)).to.not.equal(pathOf(link));
      expect(((await get(pathOf(changed['@odata.deltaLink']!)).expect(200)).body as DeltaPage).value).to.deep.equal([]);
    }
  });

  it('keeps a deltaLink in use among the newest: a device polling it keeps it through more new rounds elsewhere than the mailbox keeps', async () => {
    let polled = (await round('/v1.0/me/contacts/delta')).deltaLink;
    const statuses: number[] = [];
    for (let i = 0; i <= DELTA_TOKENS_PER_MAILBOX.delta + 8; i++) {
      await round('/v1.0/me/contacts/delta');
      const answer = await get(pathOf(polled));
      statuses.push(answer.status);
      if (answer.status === 200) polled = (answer.body as DeltaPage)['@odata.deltaLink']!;
    }
    expect(statuses.filter((status) => status !== 200)).to.deep.equal([]);
  });
});
