import { expect } from 'chai';
import request from 'supertest';
import type { DirectoryUser } from '../../src/domain/directory.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { samplePhoto } from '../support/sample-images.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { GRAPH_PERSON } from '../../src/rest/graph-types.js';

const person = (email: string, displayName: string, more: Partial<DirectoryUser> = {}): DirectoryUser => ({ email, displayName, refs: {}, ...more });

const PEOPLE = [
  person('megan.bowen@contoso.com', 'Megan Bowen', {
    givenName: 'Megan',
    surname: 'Bowen',
    title: 'Marketing Manager',
    department: 'Marketing',
    company: 'Contoso',
    businessPhone: '+1 425 555 0109',
    mobilePhone: '+1 425 555 0110',
    sipAddress: 'sip:megan.bowen@contoso.com',
  }),
  person('alex.wilber@contoso.com', 'Alex Wilber'),
  person('megan.hidden@contoso.com', 'Megan Hidden', { hiddenFromAddressLists: true }),
];

/** What a person has that the bridge keeps nothing for, empty as Graph writes it. */
const UNKNOWN_TO_THE_BRIDGE = {
  birthday: '',
  personNotes: '',
  isFavorite: false,
  officeLocation: null,
  profession: null,
  yomiCompany: null,
  postalAddresses: [],
  websites: [],
};

describe('Graph GET /me/people: the directory and the caller’s contacts, as people pickers ask first', () => {
  let t: TestBridge;
  let meganContactId = '';
  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers(PEOPLE);
    await t.bridge.photos.setPhoto(userOwner('megan.bowen@contoso.com'), await samplePhoto(96, 96), 'test');
    await t.store.addContacts(READER.username.toLowerCase(), [
      { displayName: 'Megan Contact', givenName: 'Megan', emailAddresses: ['megan@home.example'], phones: { home: '+1 206 555 0100' }, refs: {} },
      { displayName: 'Zed Contact', emailAddresses: [], phones: {}, refs: {} },
    ]);
    const contacts = (await get('/v1.0/me/contacts').expect(200)).body.value as { id: string; displayName: string }[];
    meganContactId = contacts.find((contact) => contact.displayName === 'Megan Contact')!.id;
  });
  after(() => t.close());

  function get(path: string) {
    return request(t.bridge.server).get(path).set('Authorization', basic(READER));
  }
  const names = async (path: string) => ((await get(path).expect(200)).body.value as { displayName: string }[]).map((p) => p.displayName);

  it('finds people by the start of a name, the caller’s contacts first, each as Graph’s person resource, and no hidden mailbox', async () => {
    const found = await get('/v1.0/me/people?$search="meg"').expect(200);
    expect(found.body['@odata.context']).to.match(/\/v1\.0\/\$metadata#users\('[^']+'\)\/people$/);
    expect(found.body.value).to.deep.equal([
      {
        displayName: 'Megan Contact',
        givenName: 'Megan',
        surname: null,
        ...UNKNOWN_TO_THE_BRIDGE,
        id: meganContactId,
        jobTitle: null,
        companyName: null,
        department: null,
        userPrincipalName: null,
        imAddress: null,
        scoredEmailAddresses: [{ address: 'megan@home.example', relevanceScore: 1, selectionLikelihood: 'notSpecified' }],
        phones: [{ type: 'home', number: '+1 206 555 0100' }],
        personType: { class: 'Person', subclass: 'PersonalContact' },
      },
      {
        displayName: 'Megan Bowen',
        givenName: 'Megan',
        surname: 'Bowen',
        ...UNKNOWN_TO_THE_BRIDGE,
        id: 'megan.bowen@contoso.com',
        jobTitle: 'Marketing Manager',
        companyName: 'Contoso',
        department: 'Marketing',
        userPrincipalName: 'megan.bowen@contoso.com',
        imAddress: 'sip:megan.bowen@contoso.com',
        scoredEmailAddresses: [{ address: 'megan.bowen@contoso.com', relevanceScore: 1, selectionLikelihood: 'notSpecified' }],
        phones: [
          { type: 'business', number: '+1 425 555 0109' },
          { type: 'mobile', number: '+1 425 555 0110' },
        ],
        personType: { class: 'Person', subclass: 'OrganizationUser' },
      },
    ]);
    // Each id is where the photo is asked.
    await get(`/v1.0/users/${found.body.value[1].id}/photo/$value`).expect(200).expect('Content-Type', 'image/jpeg');
    await get(`/v1.0/me/contacts/${found.body.value[0].id}`).expect(200);
    // One contact is no collection: Graph refuses $top there rather than ignore it.
    expect((await get(`/v1.0/me/contacts/${found.body.value[0].id}?$top=1`).expect(400)).body.error.code).to.equal('BadRequest');
    // Nor does it take $expand here, or a misspelt option: refused as a list refuses them.
    for (const option of ['$expand=photo', '$selcet=displayName']) {
      expect((await get(`/v1.0/me/contacts/${found.body.value[0].id}?${option}`).expect(400)).body.error.code, option).to.equal('ErrorInvalidUrlQuery');
    }
  });

  it('lists the caller’s contacts, then the directory, $top at a time with a nextLink; narrows by person type; selects properties', async () => {
    expect(await names('/v1.0/me/people?$top=10')).to.deep.equal(['Megan Contact', 'Zed Contact', 'Alex Wilber', 'Megan Bowen']);
    // The id is written whatever $select names ("The @odata.id field is always returned"): a picker asks the photo by it.
    const first = (await get('/v1.0/me/people?$top=3&$select=displayName').expect(200)).body;
    const ids = { megan: 'megan.bowen@contoso.com', alex: 'alex.wilber@contoso.com' };
    expect(first.value.map((person: { id: string }) => person.id)).to.deep.equal([meganContactId, first.value[1].id, ids.alex]);
    expect(first.value.map(Object.keys)).to.deep.equal([
      ['id', 'displayName'],
      ['id', 'displayName'],
      ['id', 'displayName'],
    ]);
    const next = new URL(first['@odata.nextLink']);
    expect((await get(next.pathname + next.search).expect(200)).body.value).to.deep.equal([{ id: ids.megan, displayName: 'Megan Bowen' }]);
    // $orderby=displayName, the documentation's example: contacts and users in one name order, paged through the same people.
    expect(await names('/v1.0/me/people?$orderby=displayName')).to.deep.equal(['Alex Wilber', 'Megan Bowen', 'Megan Contact', 'Zed Contact']);
    const descending = (await get('/v1.0/me/people?$orderby=displayName%20desc&$top=2').expect(200)).body;
    expect(descending.value.map((person: { displayName: string }) => person.displayName)).to.deep.equal(['Zed Contact', 'Megan Contact']);
    const rest = new URL(descending['@odata.nextLink']);
    expect(await names(rest.pathname + rest.search)).to.deep.equal(['Megan Bowen', 'Alex Wilber']);
    expect(await names('/v1.0/me/people?$search=meg&$orderby=displayName')).to.deep.equal(['Megan Bowen', 'Megan Contact']);
    expect(await names("/v1.0/me/people?$filter=personType/class eq 'Person' and personType/subclass eq 'OrganizationUser'")).to.deep.equal([
      'Alex Wilber',
      'Megan Bowen',
    ]);
    expect(await names("/v1.0/me/people?$search=meg&$filter=personType/subclass eq 'PersonalContact'")).to.deep.equal(['Megan Contact']);
    expect(await names("/v1.0/me/people?$filter=personType/class eq 'Group'")).to.deep.equal([]);
    // The Microsoft Graph Toolkit's people picker for contacts (graph.people.ts), its "'Person'and" as it writes it.
    const contacts = "personType/class eq 'Person'and (personType/subclass eq 'ImplicitContact' or personType/subclass eq 'PersonalContact')";
    expect(await names(`/v1.0/me/people?$search=meg&$filter=${encodeURIComponent(contacts)}`)).to.deep.equal(['Megan Contact']);
    const either = "(personType/subclass eq 'OrganizationUser' or personType/subclass eq 'PersonalContact')";
    expect(await names(`/v1.0/me/people?$search=meg&$filter=${encodeURIComponent(either)}`)).to.deep.equal(['Megan Contact', 'Megan Bowen']);
  });

  it('writes a person with the properties Graph gives one, and refuses a $select name a person lacks as Graph does', async () => {
    const people = (await get('/v1.0/me/people').expect(200)).body.value as Record<string, unknown>[];
    expect(people.flatMap(Object.keys).filter((key) => !GRAPH_PERSON.properties.has(key.toLowerCase()))).to.deep.equal([]);
    // A contact's emailAddresses is a person's scoredEmailAddresses: as reported of Graph, 400.
    expect((await get('/v1.0/me/people?$select=displayName,emailAddresses').expect(400)).body.error).to.deep.include({
      code: 'BadRequest',
      message: "Parsing OData Select and Expand failed: Could not find a property named 'emailAddresses' on type 'microsoft.graph.person'.",
    });
  });

  it('answers /users/{id}/people for the caller named as a user, its nextLink on that path; another user is 403, their contacts theirs', async () => {
    const own = ['Megan Contact', 'Zed Contact', 'Alex Wilber', 'Megan Bowen'];
    expect(await names(`/v1.0/users/${READER.username.toUpperCase()}/people`)).to.deep.equal(own);
    expect(await names(`/beta/users('${READER.username}')/people?$search=meg`)).to.deep.equal(['Megan Contact', 'Megan Bowen']);
    const first = (await get(`/v1.0/users/${READER.username}/people?$top=3`).expect(200)).body;
    const next = new URL(first['@odata.nextLink']);
    expect(next.pathname).to.equal(`/v1.0/users/${READER.username}/people`);
    expect((await get(next.pathname + next.search).expect(200)).body.value.map((p: { displayName: string }) => p.displayName)).to.deep.equal(['Megan Bowen']);
    for (const other of ['megan.bowen@contoso.com', 'nobody@contoso.com']) {
      expect((await get(`/v1.0/users/${other}/people`).expect(403)).body.error.code, other).to.equal('ErrorAccessDenied');
    }
    await request(t.bridge.server).post(`/v1.0/users/${READER.username}/people`).set('Authorization', basic(READER)).expect(405);
    await request(t.bridge.server).get(`/v1.0/users/${READER.username}/people`).expect(401);
  });

  it('writes at most 250 people a page, whatever $top asks, and links the rest', async () => {
    const contacts = Array.from({ length: 260 }, (_, i) => ({ displayName: `Many ${String(i).padStart(3, '0')}`, emailAddresses: [], phones: {}, refs: {} }));
    await t.store.addContacts(ADMIN.username.toLowerCase(), contacts);
    const asAdmin = (path: string) => request(t.bridge.server).get(path).set('Authorization', basic(ADMIN)).expect(200);
    const page = (await asAdmin("/v1.0/me/people?$top=1000&$filter=personType/subclass eq 'PersonalContact'")).body;
    expect([page.value.length, new URL(page['@odata.nextLink']).searchParams.get('$skip')]).to.deep.equal([250, '250']);
    const next = new URL(page['@odata.nextLink']);
    const rest = (await asAdmin(next.pathname + next.search)).body;
    expect([rest.value.length, rest['@odata.nextLink']]).to.deep.equal([10, undefined]);
  });

  it('is described in the OpenAPI document with the options it reads, $select with the other Graph lists', async () => {
    const paths = (await get('/api/openapi.json').expect(200)).body.paths as Record<string, { get: { parameters: { name: string }[] } }>;
    const options = (path: string) => paths[path]!.get.parameters.map((parameter) => parameter.name);
    expect(options('/v1.0/me/people')).to.deep.equal(['$search', '$filter', '$orderby', '$top', '$skip', '$select']);
    for (const path of ['/v1.0/users', '/beta/users/{id}/directReports', '/v1.0/me/contacts', '/v1.0/users/{id}/people'])
      expect(options(path), path).to.include('$select');
  });

  it('refuses what it cannot answer, never ignoring it, and asks for a login', async () => {
    const refused = async (query: string) => (await get(`/v1.0/me/people?${query}`).expect(400)).body.error.code;
    expect(await refused("$filter=displayName eq 'x'")).to.equal('ErrorInvalidUrlQueryFilter');
    // An or outside parentheses, and parentheses in parentheses.
    for (const filter of ["personType/subclass eq 'OrganizationUser' or personType/subclass eq 'PersonalContact'", "((personType/class eq 'Person'))"]) {
      expect(await refused(`$filter=${encodeURIComponent(filter)}`), filter).to.equal('ErrorInvalidUrlQueryFilter');
    }
    expect(await refused('$search="topic:planning"')).to.equal('ErrorInvalidUrlQuery');
    expect(await refused('$orderby=surname')).to.equal('ErrorInvalidUrlQuery');
    expect(await refused('$top=0')).to.equal('ErrorInvalidRequest');
    expect(await refused(`$search=${'a'.repeat(1025)}`)).to.equal('ErrorInvalidRequest');
    await request(t.bridge.server).get('/v1.0/me/people').expect(401);
    await request(t.bridge.server).post('/v1.0/me/people').set('Authorization', basic(READER)).expect(405);
  });
});
