import { expect } from 'chai';
import { BatchRequestContent, BatchResponseContent, ResponseType, type BatchResponseBody, type Client } from '@microsoft/microsoft-graph-client';
import { graphClient, graphErrorOf } from './graph-client-fixture.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { createTestIssuer, type TestIssuer } from '../support/jwt-issuer.js';
import { samplePhoto } from '../support/sample-images.js';
import { ADMIN, basic, READER, startTestBridge } from '../support/test-bridge.js';
import { imageInfo, startInteropBridge, type InteropWorld } from './js-client-fixture.js';

describe('Microsoft Graph JS client against the bridge', () => {
  let world: InteropWorld;
  let issuer: TestIssuer;
  let baseUrl: string;
  let asReader: Client;

  before(async () => {
    issuer = await createTestIssuer();
    world = await startInteropBridge();
    baseUrl = `http://127.0.0.1:${world.address.port}/`;
    // The reader has a directory entry and a photo of their own, for /me.
    await world.t.store.upsertUsers([{ email: READER.username, displayName: 'The Reader', refs: {} }]);
    await world.t.bridge.photos.setPhoto(userOwner(READER.username), await samplePhoto(360, 360), 'test');
    asReader = graphClient(baseUrl, () => Promise.resolve(basic(READER)));
  });
  after(async () => {
    await world.close();
    issuer.close();
  });

  it('reads a user’s photo metadata by user principal name', async () => {
    const photo = (await asReader.api('/users/alex.wilber@contoso.com/photo').get()) as Record<string, unknown>;
    expect(photo).to.deep.include({ '@odata.mediaContentType': 'image/jpeg', id: '486X486', width: 486, height: 486 });
    expect(photo['@odata.mediaEtag']).to.match(/^".+"$/);
  });

  it('fetches the largest photo’s bytes with photo/$value', async () => {
    const bytes = (await asReader.api('/users/alex.wilber@contoso.com/photo/$value').responseType(ResponseType.ARRAYBUFFER).get()) as ArrayBuffer;
    expect(await imageInfo(Buffer.from(bytes))).to.deep.equal({ format: 'jpeg', width: 486, height: 486 });
  });

  it('fetches a size with photos/{size}/$value, as the Blob the client makes of an image', async () => {
    const blob = (await asReader.api('/users/alex.wilber@contoso.com/photos/96x96/$value').get()) as Blob;
    expect(blob.type).to.equal('image/jpeg');
    expect(await imageInfo(Buffer.from(await blob.arrayBuffer()))).to.deep.equal({ format: 'jpeg', width: 96, height: 96 });
  });

  it('batches photo reads as the Graph Toolkit does ($batch): each answer as it comes alone, a photo in base64', async () => {
    const step = (id: string, url: string) => ({ id, request: new Request(`${baseUrl}v1.0${url}`, { method: 'GET' }) });
    const batch = new BatchRequestContent([
      step('alex', '/users/alex.wilber@contoso.com/photos/48x48/$value'),
      step('nestor', '/users/nestor.wilke@contoso.com/photos/48x48/$value'),
      step('me', '/me/photo'),
    ]);
    const answer = new BatchResponseContent((await asReader.api('/$batch').post(await batch.getContent())) as BatchResponseBody);
    const alex = answer.getResponseById('alex');
    const direct = Buffer.from(
      (await asReader.api('/users/alex.wilber@contoso.com/photos/48x48/$value').responseType(ResponseType.ARRAYBUFFER).get()) as ArrayBuffer,
    );
    expect([alex.status, alex.headers.get('content-type')]).to.deep.equal([200, 'image/jpeg']);
    expect(Buffer.from(await alex.text(), 'base64').equals(direct)).to.equal(true);
    const nestor = answer.getResponseById('nestor');
    expect([nestor.status, ((await nestor.json()) as { error: { code: string } }).error.code]).to.deep.equal([404, 'ImageNotFound']);
    const me = answer.getResponseById('me');
    expect([me.status, ((await me.json()) as { width: number }).width]).to.deep.equal([200, 360]);
  });

  it('lists the sizes a photo has with /photos (a 100 px original: 48, 64 and 96)', async () => {
    const photos = (await asReader.api('/users/diego.siciliani@contoso.com/photos').get()) as { value: { id: string; width: number }[] };
    expect(photos.value.map((photo) => photo.id)).to.deep.equal(['48X48', '64X64', '96X96']);
  });

  it('gets a GraphError 404 ImageNotFound for a user without a photo, and Request_ResourceNotFound for no such user', async () => {
    const noPhoto = await graphErrorOf(asReader.api('/users/nestor.wilke@contoso.com/photo/$value').get());
    expect([noPhoto.statusCode, noPhoto.code]).to.deep.equal([404, 'ImageNotFound']);
    const noMetadata = await graphErrorOf(asReader.api('/users/nestor.wilke@contoso.com/photo').get());
    expect([noMetadata.statusCode, noMetadata.code]).to.deep.equal([404, 'ImageNotFound']);
    const nobody = await graphErrorOf(asReader.api('/users/nobody@contoso.com/photo/$value').get());
    expect([nobody.statusCode, nobody.code]).to.deep.equal([404, 'Request_ResourceNotFound']);
    expect(nobody.requestId).to.be.a('string').and.not.equal('');
  });

  it('reads the caller’s own photo through /me', async () => {
    const photo = (await asReader.api('/me/photo').get()) as Record<string, unknown>;
    expect(photo).to.deep.include({ id: '360X360', width: 360, height: 360 });
    const bytes = (await asReader.api('/me/photos/48x48/$value').responseType(ResponseType.ARRAYBUFFER).get()) as ArrayBuffer;
    expect(await imageInfo(Buffer.from(bytes))).to.deep.equal({ format: 'jpeg', width: 48, height: 48 });
  });

  it('reads the signed-in user and a user by principal name, with Graph’s default properties, and 404 for nobody', async () => {
    const me = (await asReader.api('/me').get()) as Record<string, unknown>;
    expect(me).to.deep.include({ id: READER.username, mail: READER.username, userPrincipalName: READER.username, displayName: 'The Reader' });
    const alex = (await asReader.api('/users/alex.wilber@contoso.com').get()) as Record<string, unknown>;
    expect(Object.keys(alex).filter((key) => !key.startsWith('@'))).to.have.members([
      'businessPhones',
      'displayName',
      'givenName',
      'jobTitle',
      'mail',
      'mobilePhone',
      'officeLocation',
      'preferredLanguage',
      'surname',
      'userPrincipalName',
      'id',
    ]);
    expect(alex).to.deep.include({ displayName: 'Alex Wilber', givenName: 'Alex', surname: 'Wilber', jobTitle: 'Marketing Assistant', businessPhones: [] });
    expect(alex['@odata.context']).to.equal(`${baseUrl}v1.0/$metadata#users/$entity`);
    const nobody = await graphErrorOf(asReader.api('/users/nobody@contoso.com').get());
    expect(nobody).to.include({ statusCode: 404, code: 'Request_ResourceNotFound' });
  });

  it('finds people as a people picker does ($search with ConsistencyLevel, $filter, pages by nextLink), then shows the photo of the one found', async () => {
    interface UserList {
      value: { id: string; displayName: string }[];
      '@odata.count'?: number;
      '@odata.nextLink'?: string;
    }
    const picked = (await asReader
      .api('/users')
      .header('ConsistencyLevel', 'eventual')
      .search('"displayName:alex" OR "mail:alex"')
      .select(['id', 'displayName', 'mail', 'companyName'])
      .count(true)
      .top(10)
      .get()) as UserList;
    // Only what $select named: the company a picker shows, which is no default property.
    expect([picked['@odata.count'], picked.value]).to.deep.equal([
      1,
      [{ id: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', mail: 'alex.wilber@contoso.com', companyName: 'Contoso' }],
    ]);
    const photo = (await asReader.api(`/users/${picked.value[0]!.id}/photo/$value`).responseType(ResponseType.ARRAYBUFFER).get()) as ArrayBuffer;
    expect(await imageInfo(Buffer.from(photo))).to.deep.equal({ format: 'jpeg', width: 486, height: 486 });
    const filtered = (await asReader.api('/users').filter("startswith(displayName,'n')").get()) as UserList;
    expect(filtered.value.map((user) => user.displayName)).to.deep.equal(['Nestor Wilke']);
    const typed = (await asReader.api('/users').filter("startswith(displayName,'d') or startswith(mail,'n')").get()) as UserList;
    expect(typed.value.map((user) => user.displayName)).to.deep.equal(['Diego Siciliani', 'Nestor Wilke']);
    // A people picker's filter: every name and address starting with what was typed; here only surnames do.
    const typedName = ['displayName', 'givenName', 'surname', 'mail', 'userPrincipalName'].map((property) => `startswith(${property},'wil')`).join(' or ');
    const bySurname = (await asReader.api('/users').filter(typedName).select(['displayName', 'surname']).get()) as UserList;
    expect(bySurname.value).to.deep.equal([
      { displayName: 'Alex Wilber', surname: 'Wilber' },
      { displayName: 'Nestor Wilke', surname: 'Wilke' },
    ]);
    const firstAndLast = (await asReader
      .api('/users')
      .filter("startswith(givenName,'nes') and startswith(surname,'wil')")
      .select('displayName')
      .get()) as UserList;
    expect(firstAndLast.value).to.deep.equal([{ displayName: 'Nestor Wilke' }]);
    // Several users by id in one request, as an app resolves the people a list names.
    const named = (await asReader.api('/users').filter(`id in ('${typed.value[1]!.id}', '${typed.value[0]!.id}')`).select('displayName').get()) as UserList;
    expect(named.value).to.deep.equal([{ displayName: 'Diego Siciliani' }, { displayName: 'Nestor Wilke' }]);
    const names: string[] = [];
    let page = (await asReader.api('/users').top(2).get()) as UserList;
    names.push(...page.value.map((user) => user.displayName));
    while (page['@odata.nextLink'] && names.length < 20) {
      // Given as a path under the version: the client takes an absolute nextLink only on https.
      const next = new URL(page['@odata.nextLink']);
      expect(next.pathname).to.equal('/v1.0/users');
      page = (await asReader.api(`/users${next.search}`).get()) as UserList;
      names.push(...page.value.map((user) => user.displayName));
    }
    expect(names).to.deep.equal(['Alex Wilber', 'Diego Siciliani', 'Nestor Wilke', 'The Reader']);
    // The Graph query-parameters page's own $orderby example.
    const backwards = (await asReader.api('/users').orderby('displayName desc').select('displayName').top(3).get()) as UserList;
    expect(backwards.value.map((user) => user.displayName)).to.deep.equal(['The Reader', 'Nestor Wilke', 'Diego Siciliani']);
    const unsearchable = await graphErrorOf(asReader.api('/users').search('"displayName:alex"').get());
    expect(unsearchable).to.include({ statusCode: 400, code: 'Request_UnsupportedQuery' });
  });

  it('finds people through /me/people as a people picker asks first — the caller’s contacts, then the directory — and shows the photo of each found', async () => {
    interface PeopleList {
      value: { id: string; displayName: string; personType: { class: string; subclass: string } }[];
    }
    const found = (await asReader.api('/me/people').search('"alex"').select(['id', 'displayName', 'personType']).top(5).get()) as PeopleList;
    expect(found.value.map((person) => [person.displayName, person.personType.subclass])).to.deep.equal([
      ['Alex Wilber (home)', 'PersonalContact'],
      ['Alex Wilber', 'OrganizationUser'],
    ]);
    const user = found.value[1]!;
    const photo = (await asReader.api(`/users/${user.id}/photo/$value`).responseType(ResponseType.ARRAYBUFFER).get()) as ArrayBuffer;
    expect(await imageInfo(Buffer.from(photo))).to.deep.equal({ format: 'jpeg', width: 486, height: 486 });
    const contact = (await asReader.api(`/me/contacts/${found.value[0]!.id}`).get()) as { displayName: string };
    expect(contact.displayName).to.equal('Alex Wilber (home)');
    const users = (await asReader.api('/me/people').filter("personType/subclass eq 'OrganizationUser'").top(2).get()) as PeopleList & {
      '@odata.nextLink'?: string;
    };
    expect(users.value.map((person) => person.displayName)).to.deep.equal(['Alex Wilber', 'Diego Siciliani']);
    expect(new URL(users['@odata.nextLink']!).pathname).to.equal('/v1.0/me/people');
  });

  it('reads the beta version as v1.0', async () => {
    const beta = (await asReader.api('/users/alex.wilber@contoso.com/photo').version('beta').get()) as Record<string, unknown>;
    expect(beta).to.deep.include({ id: '486X486' });
  });

  it('works with bearer tokens as configured today: a token of the configured issuer is the caller, any other is refused', async () => {
    const t = await startTestBridge(issuer.env);
    try {
      // The token's preferred_username is Reader@Contoso.com: their /me.
      await t.store.upsertUsers([{ email: 'reader@contoso.com', displayName: 'Token Reader', refs: {} }]);
      await t.bridge.photos.setPhoto(userOwner('reader@contoso.com'), await samplePhoto(120, 120), 'test');
      const { port } = await t.bridge.listen();
      const withToken = graphClient(`http://127.0.0.1:${port}/`, async () => `Bearer ${await issuer.sign()}`);
      expect(await withToken.api('/me/photo').get()).to.deep.include({ id: '120X120', width: 120, height: 120 });
      const bytes = (await withToken.api('/users/reader@contoso.com/photos/64x64/$value').responseType(ResponseType.ARRAYBUFFER).get()) as ArrayBuffer;
      expect(await imageInfo(Buffer.from(bytes))).to.deep.equal({ format: 'jpeg', width: 64, height: 64 });
      // The interop bridge trusts no issuer: the same token is refused there, as Graph refuses one.
      const refused = await graphErrorOf(
        graphClient(baseUrl, async () => `Bearer ${await issuer.sign()}`)
          .api('/me/photo')
          .get(),
      );
      expect([refused.statusCode, refused.code]).to.deep.equal([401, 'InvalidAuthenticationToken']);
    } finally {
      await t.close();
    }
  });

  it('lets an administrator upload a photo with PUT photo/$value; a reader gets ErrorAccessDenied', async () => {
    const jpeg = await samplePhoto(240, 240);
    const denied = await graphErrorOf(asReader.api('/users/nestor.wilke@contoso.com/photo/$value').header('Content-Type', 'image/jpeg').put(jpeg));
    expect([denied.statusCode, denied.code]).to.deep.equal([403, 'ErrorAccessDenied']);
    const asAdmin = graphClient(baseUrl, () => Promise.resolve(basic(ADMIN)));
    await asAdmin.api('/users/nestor.wilke@contoso.com/photo/$value').header('Content-Type', 'image/jpeg').put(jpeg);
    const photo = (await asReader.api('/users/nestor.wilke@contoso.com/photo').get()) as Record<string, unknown>;
    expect(photo).to.deep.include({ id: '240X240', width: 240, height: 240 });
  });

  it('lets an administrator remove a photo with DELETE photo/$value; a reader gets ErrorAccessDenied, on /me too while self-service is off', async () => {
    await world.t.bridge.photos.setPhoto(userOwner('nestor.wilke@contoso.com'), await samplePhoto(200, 200), 'test');
    const denied = await graphErrorOf(asReader.api('/users/nestor.wilke@contoso.com/photo/$value').delete());
    expect([denied.statusCode, denied.code]).to.deep.equal([403, 'ErrorAccessDenied']);
    const ownDenied = await graphErrorOf(asReader.api('/me/photo/$value').delete());
    expect([ownDenied.statusCode, ownDenied.code]).to.deep.equal([403, 'ErrorAccessDenied']);
    const asAdmin = graphClient(baseUrl, () => Promise.resolve(basic(ADMIN)));
    await asAdmin.api('/users/nestor.wilke@contoso.com/photo/$value').delete();
    const gone = await graphErrorOf(asReader.api('/users/nestor.wilke@contoso.com/photo/$value').get());
    expect([gone.statusCode, gone.code]).to.deep.equal([404, 'ImageNotFound']);
    const again = await graphErrorOf(asAdmin.api('/users/nestor.wilke@contoso.com/photo/$value').delete());
    expect([again.statusCode, again.code]).to.deep.equal([404, 'ImageNotFound']);
    expect(await asReader.api('/me/photo').get()).to.deep.include({ id: '360X360' });
  });
  it('reads the caller’s manager and a user’s direct reports, as a person card does, then the manager’s photo', async () => {
    // Diego manages the reader and Nestor (an import sets managers by address).
    await world.t.store.upsertUsers([
      { email: READER.username, displayName: 'The Reader', manager: 'diego.siciliani@contoso.com', refs: {} },
      {
        email: 'nestor.wilke@contoso.com',
        displayName: 'Nestor Wilke',
        givenName: 'Nestor',
        surname: 'Wilke',
        manager: 'diego.siciliani@contoso.com',
        refs: {},
      },
    ]);
    const manager = (await asReader.api('/me/manager').get()) as { id: string; displayName: string; '@odata.type': string };
    expect([manager['@odata.type'], manager.id, manager.displayName]).to.deep.equal([
      '#microsoft.graph.user',
      'diego.siciliani@contoso.com',
      'Diego Siciliani',
    ]);
    const bytes = (await asReader.api(`/users/${manager.id}/photo/$value`).responseType(ResponseType.ARRAYBUFFER).get()) as ArrayBuffer;
    expect(await imageInfo(Buffer.from(bytes))).to.deep.equal({ format: 'jpeg', width: 100, height: 100 });
    const reports = (await asReader.api(`/users/${manager.id}/directReports`).get()) as { value: { displayName: string }[] };
    expect(reports.value.map((user) => user.displayName)).to.deep.equal(['Nestor Wilke', 'The Reader']);
    const none = await graphErrorOf(asReader.api('/users/diego.siciliani@contoso.com/manager').get());
    expect(none).to.include({ statusCode: 404, code: 'Request_ResourceNotFound' });
    // An org chart's one request: a page of people, each with their manager ($expand=manager($select=…)).
    const chart = (await asReader
      .api('/users')
      .filter("startswith(displayName,'nestor') or startswith(displayName,'the reader') or startswith(displayName,'diego')")
      .select(['displayName'])
      .expand('manager($select=displayName)')
      .get()) as { value: { displayName: string; manager?: { displayName: string } }[] };
    expect(chart.value.map((user) => [user.displayName, user.manager?.displayName])).to.deep.equal([
      ['Diego Siciliani', undefined],
      ['Nestor Wilke', 'Diego Siciliani'],
      ['The Reader', 'Diego Siciliani'],
    ]);
  });
});
