import { expect } from 'chai';
import request from 'supertest';
import type { DirectoryUser } from '../../src/domain/directory.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { GRAPH_USER } from '../../src/rest/graph-types.js';

const person = (email: string, displayName: string): DirectoryUser => ({ email, displayName, refs: {} });

/** In name order: folded display name, then address (Ädele is an adele). */
const PEOPLE = [
  person('adele.b@contoso.com', 'Ädele B'),
  person('adele.vance@contoso.com', 'Adele Vance'),
  {
    ...person('alex.wilber@contoso.com', 'Alex Wilber'),
    givenName: 'Alexander',
    surname: 'Wilber',
    manager: 'Adele.Vance@contoso.com',
    department: 'Marketing',
    company: 'Contoso',
    alias: 'alexw',
    sipAddress: 'sip:alex.wilber@contoso.com',
    otherAddresses: ['awilber@contoso.com'],
  },
  { ...person('megan.bowen@contoso.com', 'Megan Bowen'), givenName: 'Megan', surname: 'Bowen', manager: 'adele.vance@contoso.com' },
  { ...person('meganb@fabrikam.com', 'Megan Brown'), givenName: 'Megan', surname: 'Brown', manager: 'adele.vance@contoso.com' },
  { ...person('zoe@contoso.com', 'Zoë Zimmermann'), givenName: 'Zoë', surname: 'Zimmermann', manager: 'nobody@contoso.com' },
];

describe('Graph GET /users: lists, filters, searches and counts the directory, a page at a time', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers(PEOPLE);
  });
  after(() => t.close());

  const get = (path: string, eventual = false) => {
    const req = request(t.bridge.server).get(path).set('Authorization', basic(READER));
    return eventual ? req.set('ConsistencyLevel', 'eventual') : req;
  };
  /** Every page from `path` on, following each nextLink as given. */
  const walk = async (path: string, eventual = false) => {
    const pages: string[][] = [];
    for (let next: string | undefined = path; next !== undefined && pages.length < 20;) {
      const body = (await get(next, eventual).expect(200)).body as { value: { mail: string }[]; '@odata.nextLink'?: string };
      pages.push(body.value.map((user) => user.mail));
      const link = body['@odata.nextLink'] === undefined ? undefined : new URL(body['@odata.nextLink']);
      next = link && link.pathname + link.search;
    }
    return pages;
  };
  const error = async (path: string, eventual = false) => {
    const res = await get(path, eventual).expect(400);
    return [res.body.error.code, res.body.error.message];
  };

  it('lists everyone in name order, $top at a time, with a nextLink to the rest that ends the list', async () => {
    const first = await get('/v1.0/users?$top=4').expect(200);
    expect(first.body['@odata.context']).to.match(/\/v1\.0\/\$metadata#users$/);
    expect(first.body.value[1]).to.deep.equal({
      businessPhones: [],
      displayName: 'Adele Vance',
      givenName: null,
      jobTitle: null,
      mail: 'adele.vance@contoso.com',
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: null,
      surname: null,
      userPrincipalName: 'adele.vance@contoso.com',
      id: 'adele.vance@contoso.com',
    });
    expect(await walk('/v1.0/users?$top=4')).to.deep.equal([PEOPLE.slice(0, 4).map((p) => p.email), PEOPLE.slice(4).map((p) => p.email)]);
    expect((await walk('/v1.0/users')).flat()).to.deep.equal(PEOPLE.map((p) => p.email));
  });

  it("lists in either direction by $orderby (Graph's own example: displayName desc), paging backwards by nextLink, each direction's skiptoken its own", async () => {
    const backwards = PEOPLE.map((p) => p.email).reverse();
    expect(await walk('/v1.0/users?$orderby=displayName%20desc&$top=4')).to.deep.equal([backwards.slice(0, 4), backwards.slice(4)]);
    expect((await walk('/v1.0/users?$orderby=DisplayName%20DESC')).flat()).to.deep.equal(backwards);
    expect((await walk('/v1.0/users?$orderby=displayName%20asc')).flat()).to.deep.equal(PEOPLE.map((p) => p.email));
    const byAddress = PEOPLE.map((p) => p.email).sort();
    expect((await walk('/v1.0/users?$orderby=mail%20desc&$top=2')).flat()).to.deep.equal([...byAddress].reverse());
    // A startswith on the order's property, backwards; a search's matches and an or of startswith, sorted backwards.
    expect(await walk("/v1.0/users?$filter=startswith(displayName,'megan')&$orderby=displayName%20desc&$top=1")).to.deep.equal([
      ['meganb@fabrikam.com'],
      ['megan.bowen@contoso.com'],
    ]);
    const megans = encodeURIComponent("startswith(givenName,'megan') or startswith(mail,'zoe')");
    expect((await walk(`/v1.0/users?$filter=${megans}&$orderby=userPrincipalName%20desc`)).flat()).to.deep.equal([
      'zoe@contoso.com',
      'meganb@fabrikam.com',
      'megan.bowen@contoso.com',
    ]);
    expect((await walk(`/v1.0/users?$search=${encodeURIComponent('"displayName:megan"')}&$orderby=displayName%20desc`, true)).flat()).to.deep.equal([
      'meganb@fabrikam.com',
      'megan.bowen@contoso.com',
    ]);
    // Ascending's skiptoken does not resume the descending list, nor the other way round.
    const ascending = await get('/v1.0/users?$top=1').expect(200);
    const token = new URL(ascending.body['@odata.nextLink']).searchParams.get('$skiptoken');
    expect((await error(`/v1.0/users?$orderby=displayName%20desc&$skiptoken=${token}`))[0]).to.equal('Request_BadRequest');
    expect((await error('/v1.0/users?$orderby=displayName%20down'))[0]).to.equal('Request_UnsupportedQuery');
  });

  it('filters by the start of the display name (case and accents ignored) or of the address, and by a whole address', async () => {
    expect(await walk("/v1.0/users?$filter=startswith(displayName,'ADELE')&$top=1")).to.deep.equal([['adele.b@contoso.com'], ['adele.vance@contoso.com']]);
    expect((await walk("/v1.0/users?$filter=startswith(userPrincipalName,'megan')")).flat()).to.deep.equal(['megan.bowen@contoso.com', 'meganb@fabrikam.com']);
    expect((await walk("/v1.0/users?$filter=mail eq 'ZOE@contoso.com'")).flat()).to.deep.equal(['zoe@contoso.com']);
    expect((await walk("/v1.0/users?$filter=id eq 'nobody@contoso.com'")).flat()).to.deep.equal([]);
  });

  it('filters by several startswith joined by or, as a directory page asks for what was typed: each user once, in name order or $orderby, paged and counted', async () => {
    const either = (...clauses: string[]) => encodeURIComponent(clauses.join(' or '));
    expect((await walk(`/v1.0/users?$filter=${either("startswith(displayName,'meg')", "startswith(mail,'ZOE')")}`)).flat()).to.deep.equal([
      'megan.bowen@contoso.com',
      'meganb@fabrikam.com',
      'zoe@contoso.com',
    ]);
    const typed = either("startswith(displayName,'a')", "startswith(mail,'a')", "startswith(userPrincipalName,'a')");
    expect(await walk(`/v1.0/users?$filter=${typed}&$top=2`)).to.deep.equal([['adele.b@contoso.com', 'adele.vance@contoso.com'], ['alex.wilber@contoso.com']]);
    const byAddress = either("startswith(displayName,'zo')", "startswith(mail,'adele.v')");
    expect((await walk(`/v1.0/users?$filter=${byAddress}&$orderby=mail`)).flat()).to.deep.equal(['adele.vance@contoso.com', 'zoe@contoso.com']);
    expect((await get(`/v1.0/users?$filter=${typed}&$count=true&$top=1`, true).expect(200)).body['@odata.count']).to.equal(3);
    expect((await get(`/v1.0/users/$count?$filter=${typed}`, true).expect(200)).text).to.equal('3');
    for (const filter of [
      either("startswith(displayName,'a')", "startswith(jobTitle,'a')"),
      `${either("startswith(displayName,'a')")} or`,
      "startswith(displayName,'a') and mail eq 'a'",
      "mail eq 'a' and mail eq 'b'",
      `${either("startswith(displayName,'a')")} and`,
      either(...Array.from({ length: 9 }, (_, i) => `startswith(mail,'${i}')`)),
    ]) {
      expect((await error(`/v1.0/users?$filter=${filter}`))[0], decodeURIComponent(filter)).to.equal('Request_UnsupportedQuery');
    }
  });

  it('filters by the start of a given name or surname, alone or in a people picker’s or of every name and address: case and accents ignored', async () => {
    const picker = (text: string) =>
      encodeURIComponent(
        ['displayName', 'givenName', 'surname', 'mail', 'userPrincipalName'].map((property) => `startswith(${property},'${text}')`).join(' or '),
      );
    // Wilber only by his surname; Ädele B, whose name has a word starting with b, has no surname.
    expect((await walk(`/v1.0/users?$filter=${picker('w')}`)).flat()).to.deep.equal(['alex.wilber@contoso.com']);
    expect((await walk(`/v1.0/users?$filter=${picker('zim')}`)).flat()).to.deep.equal(['zoe@contoso.com']);
    // Alexander is no word of his display name (Alex Wilber).
    expect((await walk("/v1.0/users?$filter=startswith(givenName,'ALEXA')")).flat()).to.deep.equal(['alex.wilber@contoso.com']);
    expect((await walk("/v1.0/users?$filter=startswith(givenName,'zoe')")).flat()).to.deep.equal(['zoe@contoso.com']);
    expect(await walk("/v1.0/users?$filter=startswith(surname,'b')&$top=1")).to.deep.equal([['megan.bowen@contoso.com'], ['meganb@fabrikam.com']]);
    expect((await walk("/v1.0/users?$filter=startswith(surname,'b')&$orderby=mail")).flat()).to.deep.equal(['megan.bowen@contoso.com', 'meganb@fabrikam.com']);
    expect((await get(`/v1.0/users/$count?$filter=${picker('meg')}`, true).expect(200)).text).to.equal('2');
    expect((await walk("/v1.0/users?$filter=startswith(surname,'vance')")).flat()).to.deep.equal([]);
  });

  it('joins startswith by and, tighter than or, as OData does: a first name and a surname typed apart', async () => {
    const filtered = async (filter: string) => (await walk(`/v1.0/users?$filter=${encodeURIComponent(filter)}`)).flat();
    expect(await filtered("startswith(givenName,'meg') and startswith(surname,'bo')")).to.deep.equal(['megan.bowen@contoso.com']);
    expect(await filtered("startswith(displayName,'megan') and startswith(mail,'meganb') or startswith(surname,'zim')")).to.deep.equal([
      'meganb@fabrikam.com',
      'zoe@contoso.com',
    ]);
    expect(await filtered("startswith(surname,'zim') or startswith(displayName,'megan') and startswith(surname,'bo')")).to.deep.equal([
      'megan.bowen@contoso.com',
      'zoe@contoso.com',
    ]);
    expect(await filtered("startswith(displayName,'adele') and startswith(mail,'zoe')")).to.deep.equal([]);
    const nine = Array.from({ length: 3 }, (_, i) => `startswith(givenName,'${i}') and startswith(surname,'${i}') and startswith(mail,'${i}')`).join(' or ');
    expect((await error(`/v1.0/users?$filter=${encodeURIComponent(nine)}`))[0]).to.equal('Request_UnsupportedQuery');
  });

  it('finds users by the whole of a name with eq (displayName, givenName, surname), as address lookups and scripts ask: case and accents ignored', async () => {
    const users = async (filter: string, more = '') => (await walk(`/v1.0/users?$filter=${encodeURIComponent(filter)}${more}`)).flat();
    expect(await users("displayName eq 'Alex Wilber'")).to.deep.equal(['alex.wilber@contoso.com']);
    expect(await users("displayName eq 'zoe zimmermann'")).to.deep.equal(['zoe@contoso.com']);
    // The start of a name is not the name: startswith finds Alex, eq does not.
    expect(await users("displayName eq 'Alex'")).to.deep.equal([]);
    expect(await users("givenName eq 'Megan' and surname eq 'brown'")).to.deep.equal(['meganb@fabrikam.com']);
    expect(await users("givenName eq 'Megan'", '&$top=1')).to.deep.equal(['megan.bowen@contoso.com', 'meganb@fabrikam.com']);
    expect(await users("displayName eq 'Megan Bowen' or startswith(displayName,'zo')")).to.deep.equal(['megan.bowen@contoso.com', 'zoe@contoso.com']);
    expect((await error(`/v1.0/users?$filter=${encodeURIComponent("displayName eq 'Alex Wilber' or mail eq 'zoe@contoso.com'")}`))[0]).to.equal(
      'Request_UnsupportedQuery',
    );
  });

  it('finds the users several addresses name — eq joined by or, or in — by any of their addresses, each once, in name order; at most 15, as Graph', async () => {
    const users = async (filter: string, more = '') => (await walk(`/v1.0/users?$filter=${encodeURIComponent(filter)}${more}`)).flat();
    const pair = ['zoe@contoso.com', 'ADELE.VANCE@contoso.com', 'nobody@contoso.com', 'awilber@contoso.com'];
    const expected = ['adele.vance@contoso.com', 'alex.wilber@contoso.com', 'zoe@contoso.com'];
    expect(await users(pair.map((address) => `mail eq '${address}'`).join(' or '))).to.deep.equal(expected);
    expect(await users(`id in (${pair.map((address) => `'${address}'`).join(', ')})`)).to.deep.equal(expected);
    expect(await users(`userPrincipalName in ('zoe@contoso.com','zoe@contoso.com')`, '&$top=1')).to.deep.equal(['zoe@contoso.com']);
    // proxyAddresses/any, as the user resource documents it and address lookups write it: `smtp:` (either case) and the address.
    const proxies = pair.map((address, i) => `proxyAddresses/any(${i % 2 ? 'x:x' : 'p: p'} eq '${i % 2 ? 'SMTP' : 'smtp'}:${address}')`);
    expect(await users(proxies.join(' or '))).to.deep.equal(expected);
    // The lookup the bridge's own graph source sends Graph (sources/graph-users.ts).
    const lookup = "userPrincipalName eq 'awilber@contoso.com' or mail eq 'awilber@contoso.com' or proxyAddresses/any(x:x eq 'smtp:awilber@contoso.com')";
    expect(await users(lookup)).to.deep.equal(['alex.wilber@contoso.com']);
    expect(await walk(`/v1.0/users?$filter=${encodeURIComponent(`id in (${pair.map((a) => `'${a}'`).join(',')})`)}&$top=2&$orderby=mail`)).to.deep.equal([
      ['adele.vance@contoso.com', 'alex.wilber@contoso.com'],
      ['zoe@contoso.com'],
    ]);
    const counted = await get(`/v1.0/users?$count=true&$filter=${encodeURIComponent(`mail in (${pair.map((a) => `'${a}'`).join(',')})`)}`, true).expect(200);
    expect(counted.body['@odata.count']).to.equal(3);
    const sixteen = Array.from({ length: 16 }, (_, i) => `'u${i}@contoso.com'`);
    expect((await error(`/v1.0/users?$filter=${encodeURIComponent(`id in (${sixteen.join(',')})`)}`))[1]).to.equal(
      "Too many child clauses specified in search filter expression containing 'OR' operators: 16. Max allowed: 15.",
    );
    for (const filter of [
      "displayName in ('Zoë Zimmermann')",
      "mail in ('zoe@contoso.com'",
      "mail in ('zoe@contoso.com') or mail eq 'x'",
      "mail eq 'a' or startswith(mail,'b')",
      "proxyAddresses/any(x:x eq 'x500:/o=Contoso/cn=zoe')",
      "proxyAddresses/any(x:y eq 'smtp:zoe@contoso.com')",
    ]) {
      expect((await error(`/v1.0/users?$filter=${encodeURIComponent(filter)}`))[0], filter).to.equal('Request_UnsupportedQuery');
    }
  });

  it('takes a $filter beside a $search, as Graph’s advanced queries do: the matches the filter finds, paged and counted', async () => {
    const search = (text: string) => encodeURIComponent(`"displayName:${text}"`);
    const filter = (text: string) => encodeURIComponent(text);
    expect((await walk(`/v1.0/users?$search=${search('megan')}&$filter=${filter("startswith(mail,'MEGANB')")}`, true)).flat()).to.deep.equal([
      'meganb@fabrikam.com',
    ]);
    expect(
      (await walk(`/v1.0/users?$search=${search('megan')}&$filter=${filter("mail in ('Megan.Bowen@contoso.com', 'zoe@contoso.com')")}`, true)).flat(),
    ).to.deep.equal(['megan.bowen@contoso.com']);
    // Ädele B, found by the search, has no surname; Alex's other address names him.
    expect(
      (await walk(`/v1.0/users?$search=${search('a')}&$filter=${filter("startswith(surname,'w') or startswith(givenName,'zz')")}`, true)).flat(),
    ).to.deep.equal(['alex.wilber@contoso.com']);
    expect((await walk(`/v1.0/users?$search=${search('a')}&$filter=${filter("mail eq 'AWilber@contoso.com'")}`, true)).flat()).to.deep.equal([
      'alex.wilber@contoso.com',
    ]);
    const counted = await get(
      `/v1.0/users?$search=${search('a')}&$filter=${filter("startswith(displayName,'ad')")}&$count=true&$orderby=mail&$top=1`,
      true,
    ).expect(200);
    expect([counted.body['@odata.count'], counted.body.value.map((user: { mail: string }) => user.mail)]).to.deep.equal([2, ['adele.b@contoso.com']]);
    expect((await walk(`/v1.0/users?$search=${search('a')}&$filter=${filter("startswith(displayName,'ad')")}&$top=1`, true)).flat()).to.have.members([
      'adele.b@contoso.com',
      'adele.vance@contoso.com',
    ]);
    expect((await error(`/v1.0/users?$search=${search('a')}&$filter=${filter("startswith(jobTitle,'a')")}`, true))[0]).to.equal('Request_UnsupportedQuery');
  });

  it('searches as a people picker asks, with ConsistencyLevel: eventual, paged and counted; in name order when asked', async () => {
    const search = encodeURIComponent('"displayName:meg" OR "mail:meg"');
    expect(await walk(`/v1.0/users?$search=${search}&$top=1`, true)).to.deep.equal([['megan.bowen@contoso.com'], ['meganb@fabrikam.com']]);
    const counted = await get(`/v1.0/users?$search=${encodeURIComponent('"displayName:a"')}&$count=true&$orderby=displayName`, true).expect(200);
    expect([counted.body['@odata.count'], counted.body.value.map((user: { mail: string }) => user.mail)]).to.deep.equal([
      3,
      ['adele.b@contoso.com', 'adele.vance@contoso.com', 'alex.wilber@contoso.com'],
    ]);
    expect((await get('/v1.0/users?$count=true', true).expect(200)).body['@odata.count']).to.equal(PEOPLE.length);
    expect((await get("/v1.0/users?$count=true&$filter=startswith(displayName,'megan')&$top=1", true).expect(200)).body['@odata.count']).to.equal(2);
  });

  it('refuses what Graph refuses and what it does not read, with Graph’s error body, never ignoring it', async () => {
    expect(await error(`/v1.0/users?$search=${encodeURIComponent('"displayName:meg"')}`)).to.deep.equal([
      'Request_UnsupportedQuery',
      "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
    ]);
    expect(await error('/v1.0/users?$count=true')).to.deep.equal(['Request_BadRequest', '$count is not currently supported.']);
    expect((await error("/v1.0/users?$filter=jobTitle eq 'Marketing'"))[0]).to.equal('Request_UnsupportedQuery');
    // An empty text would be no search, and list everyone.
    for (const empty of ['"displayName:"', '"displayName: "', '"mail:" OR "displayName:"']) {
      expect(await error(`/v1.0/users?$search=${encodeURIComponent(empty)}`, true), empty).to.deep.equal([
        'Request_UnsupportedQuery',
        'a $search clause looks for a text: "displayName:meg"',
      ]);
    }
    expect((await error(`/v1.0/users?$search=${encodeURIComponent('"displayName:meg" OR "mail:zoe"')}`, true))[1]).to.equal(
      'the clauses of a $search must all look for the same text',
    );
    expect((await error('/v1.0/users?$orderby=surname'))[0]).to.equal('Request_UnsupportedQuery');
    expect((await error("/v1.0/users?$orderby=displayName&$filter=startswith(mail,'a')"))[0]).to.equal('Request_UnsupportedQuery');
    // As Graph's directory words it (clients match on it: "Request_UnsupportedQuery: Invalid page size specified: '1000'. …").
    for (const top of ['1000', '0', 'ten']) {
      expect(await error(`/v1.0/users?$top=${top}`), top).to.deep.equal([
        'Request_UnsupportedQuery',
        `Invalid page size specified: '${top}'. Must be between 1 and 999 inclusive.`,
      ]);
    }
    expect((await error('/v1.0/users/adele.vance@contoso.com/directReports?$top=1000'))[0]).to.equal('Request_UnsupportedQuery');
    expect((await error('/v1.0/users?$expand=directReports'))[1]).to.equal("$expand: 'directReports' is not expanded here; ask for it by its own path");
    for (const advanced of [`$search=${encodeURIComponent('"displayName:a"')}`, '$count=true']) {
      expect(await error(`/v1.0/users?$expand=manager&${advanced}`, true), advanced).to.deep.equal([
        'Request_UnsupportedQuery',
        '$expand is not supported with $search or $count',
      ]);
    }
    expect((await error('/v1.0/users?$skiptoken=bm90IGEgdG9rZW4'))[0]).to.equal('Request_BadRequest');
    // A search's token does not resume a listing.
    const searched = await get(`/v1.0/users?$search=${encodeURIComponent('"displayName:a"')}&$top=1`, true).expect(200);
    const token = new URL(searched.body['@odata.nextLink']).searchParams.get('$skiptoken');
    expect((await error(`/v1.0/users?$skiptoken=${token}`))[1]).to.equal('The $skiptoken is not one this service gave for this query.');
    expect((await error(`/v1.0/users?$filter=${encodeURIComponent(`startswith(displayName,'${'a'.repeat(201)}')`)}`))[1]).to.equal(
      'the text is longer than 200 characters',
    );
  });

  it('counts the list as text at /users/$count, an advanced query as $count=true is', async () => {
    expect((await get('/v1.0/users/$count', true).expect(200)).text).to.equal(String(PEOPLE.length));
    const megans = await get("/v1.0/users/$count?$filter=startswith(displayName,'meg')", true).expect(200);
    expect([megans.headers['content-type'], megans.text]).to.deep.equal(['text/plain; charset=utf-8', '2']);
    expect((await get(`/v1.0/users/$count?$search=${encodeURIComponent('"displayName:a"')}`, true).expect(200)).text).to.equal('3');
    expect(await error('/v1.0/users/$count')).to.deep.equal(['Request_BadRequest', '$count is not currently supported.']);
  });

  it("refuses users delta as a query it does not answer (400 Request_UnsupportedQuery), not as a user named 'delta'", async () => {
    for (const path of ['/v1.0/users/delta', '/v1.0/users/delta()', '/beta/users/microsoft.graph.delta()?$select=displayName']) {
      expect((await error(path))[0], path).to.equal('Request_UnsupportedQuery');
    }
  });

  it('writes the manager in the user with $expand=manager (its own $select inside), and refuses what it does not expand', async () => {
    const megan = (await get('/v1.0/users/megan.bowen@contoso.com?$select=displayName&$expand=manager($select=displayName,mail)').expect(200)).body;
    expect(megan).to.deep.include({ displayName: 'Megan Bowen' });
    expect(megan.manager).to.deep.equal({ '@odata.type': '#microsoft.graph.user', displayName: 'Adele Vance', mail: 'adele.vance@contoso.com' });
    const whole = (await get('/v1.0/users/megan.bowen@contoso.com?$expand=Manager').expect(200)).body;
    expect(whole.manager).to.deep.include({ id: 'adele.vance@contoso.com', displayName: 'Adele Vance', userPrincipalName: 'adele.vance@contoso.com' });
    // No manager: none written, as Graph leaves out a relationship with nothing in it.
    expect((await get('/v1.0/users/adele.vance@contoso.com?$expand=manager').expect(200)).body).to.not.have.property('manager');
    expect((await error('/v1.0/users/megan.bowen@contoso.com?$expand=displayName'))[1]).to.equal(
      "Property 'displayName' on type 'microsoft.graph.user' is not a navigation property or complex property. Only navigation properties can be expanded.",
    );
    for (const expand of ['nope', 'manager($top=1)', 'manager((x))', 'photo', 'manager($select=nope)']) {
      const refused = await get(`/v1.0/users/megan.bowen@contoso.com?$expand=${encodeURIComponent(expand)}`).expect(400);
      expect(refused.body.error.message, expand).to.be.a('string');
    }
  });

  it('lists users each with their manager on $expand=manager (its own $select inside), none for a manager not listed', async () => {
    const listed = (
      await get("/v1.0/users?$filter=startswith(displayName,'meg') or startswith(displayName,'zo')&$select=mail&$expand=manager($select=displayName)").expect(
        200,
      )
    ).body;
    expect(listed.value).to.deep.equal([
      { mail: 'megan.bowen@contoso.com', manager: { '@odata.type': '#microsoft.graph.user', displayName: 'Adele Vance' } },
      { mail: 'meganb@fabrikam.com', manager: { '@odata.type': '#microsoft.graph.user', displayName: 'Adele Vance' } },
      { mail: 'zoe@contoso.com' },
    ]);
    const alex = (await get("/v1.0/users?$filter=mail eq 'alex.wilber@contoso.com'&$expand=manager").expect(200)).body.value[0];
    expect(alex.manager).to.deep.include({ id: 'adele.vance@contoso.com', mail: 'adele.vance@contoso.com' });
  });

  it('refuses on one resource the options only a collection takes, in Graph’s words', async () => {
    const words =
      'The query specified in the URI is not valid. The requested resource is not a collection. Query options $filter, $orderby, $count, $skip, and $top can be applied only on collections.';
    for (const path of [
      '/v1.0/me?$top=3',
      "/v1.0/users/megan.bowen@contoso.com?$filter=startswith(displayName,'m')",
      '/v1.0/users/megan.bowen@contoso.com?$select=displayName&$COUNT=true',
      '/v1.0/users/megan.bowen@contoso.com/manager?$orderby=displayName',
      '/v1.0/me?$skip=1',
    ]) {
      expect(await error(path), path).to.deep.equal(['BadRequest', words]);
    }
    expect((await get('/v1.0/users/megan.bowen@contoso.com?$select=displayName').expect(200)).body).to.deep.include({ displayName: 'Megan Bowen' });
  });

  it('refuses on one resource a $ option it does not take, as a list does, and reads $select, a user’s $expand and plain parameters', async () => {
    for (const [path, option] of [
      ['/v1.0/me?$search="displayName:meg"', '$search'],
      ['/v1.0/users/megan.bowen@contoso.com?$selct=displayName', '$selct'],
      ['/v1.0/users/megan.bowen@contoso.com/manager?$expand=manager', '$expand'],
      ['/v1.0/me/contactFolders/contacts?$levels=2', '$levels'],
    ] as const) {
      expect(await error(path), path).to.deep.equal([
        'ErrorInvalidUrlQuery',
        `The query parameter '${option}' is not supported on ${path.includes('contactFolders') ? 'microsoft.graph.contactFolder' : 'microsoft.graph.user'}.`,
      ]);
    }
    const megan = (await get('/v1.0/users/megan.bowen@contoso.com?$SELECT=displayName&$Expand=manager($select=id)&utm_source=mail').expect(200)).body;
    expect(megan).to.deep.include({ displayName: 'Megan Bowen', manager: { '@odata.type': '#microsoft.graph.user', id: 'adele.vance@contoso.com' } });
    // $format, which query-parameters lists (`/users?$format=json`): JSON, the one format answered, on a list and on one resource.
    for (const path of [
      '/v1.0/users?$format=json&$top=1',
      '/v1.0/me?$format=JSON',
      '/v1.0/me/contacts?$format=application/json',
      '/v1.0/me/people?$format=json',
    ]) {
      expect((await get(path).expect(200)).headers['content-type'], path).to.match(/^application\/json/);
    }
    expect(await error('/v1.0/users?$format=atom')).to.deep.equal([
      'ErrorInvalidUrlQuery',
      "The format 'atom' is not supported: only $format=json is answered.",
    ]);
    expect((await error('/v1.0/me?$format=xml'))[0]).to.equal('ErrorInvalidUrlQuery');
  });

  it("lists as direct reports those who name another of the manager's addresses (a secondary proxy address), imported before the manager or with them", async () => {
    const boss = { ...person('boss@contoso.com', 'Boss'), otherAddresses: ['boss@corp.contoso.com'] };
    await t.store.upsertUsers([{ ...person('rita@contoso.com', 'Rita Report'), manager: 'Boss@Corp.contoso.com' }]);
    await t.store.upsertUsers([boss, { ...person('ray@contoso.com', 'Ray Report'), manager: 'boss@corp.contoso.com' }]);
    try {
      expect(await walk('/v1.0/users/boss@contoso.com/directReports?$top=1')).to.deep.equal([['ray@contoso.com'], ['rita@contoso.com']]);
      expect(await walk('/v1.0/users/boss@corp.contoso.com/directReports')).to.deep.equal([['ray@contoso.com', 'rita@contoso.com']]);
      expect((await get('/v1.0/users/rita@contoso.com/manager').expect(200)).body.mail).to.equal('boss@contoso.com');
    } finally {
      for (const email of ['boss@contoso.com', 'rita@contoso.com', 'ray@contoso.com']) await t.store.removeUser(email);
    }
  });

  it('lists a report among the direct reports of whoever owns the address they name now, once it changes hands', async () => {
    await t.store.upsertUsers([
      { ...person('rep2@contoso.com', 'Rep Two'), manager: 'vp@contoso.com' },
      { ...person('old@contoso.com', 'Old'), otherAddresses: ['vp@contoso.com'] },
    ]);
    try {
      expect([await walk('/v1.0/users/old@contoso.com/directReports'), await walk('/v1.0/users/vp@contoso.com/directReports')]).to.deep.equal([
        [['rep2@contoso.com']],
        [['rep2@contoso.com']],
      ]);
      await t.store.upsertUsers([person('old@contoso.com', 'Old'), person('vp@contoso.com', 'Vee Pee')]);
      expect([await walk('/v1.0/users/old@contoso.com/directReports'), await walk('/v1.0/users/vp@contoso.com/directReports')]).to.deep.equal([
        [[]],
        [['rep2@contoso.com']],
      ]);
      expect((await get('/v1.0/users/rep2@contoso.com/manager').expect(200)).body.mail).to.equal('vp@contoso.com');
    } finally {
      for (const email of ['rep2@contoso.com', 'old@contoso.com', 'vp@contoso.com']) await t.store.removeUser(email);
    }
  });

  it("gives a user's manager and pages their direct reports in name order, as a person card asks", async () => {
    const manager = (await get('/v1.0/users/megan.bowen@contoso.com/manager').expect(200)).body;
    expect(manager).to.deep.include({ '@odata.type': '#microsoft.graph.user', id: 'adele.vance@contoso.com', displayName: 'Adele Vance' });
    expect(manager['@odata.context']).to.match(/\/v1\.0\/\$metadata#directoryObjects\/\$entity$/);
    expect(await walk('/v1.0/users/ADELE.VANCE@contoso.com/directReports?$top=2')).to.deep.equal([
      ['alex.wilber@contoso.com', 'megan.bowen@contoso.com'],
      ['meganb@fabrikam.com'],
    ]);
    expect(await walk('/v1.0/users/zoe@contoso.com/directReports')).to.deep.equal([[]]);
    // No manager, a manager the directory does not list, a login the directory does not list: Graph's not-found for 'manager'.
    for (const path of ['/v1.0/users/adele.vance@contoso.com/manager', '/v1.0/users/zoe@contoso.com/manager', '/v1.0/me/manager']) {
      const missing = await get(path).expect(404);
      expect([missing.body.error.code, missing.body.error.message], path).to.deep.equal([
        'Request_ResourceNotFound',
        "Resource 'manager' does not exist or one of its queried reference-property objects are not present.",
      ]);
    }
    expect((await get('/v1.0/users/nobody@contoso.com/directReports').expect(404)).body.error.code).to.equal('Request_ResourceNotFound');
    const listed = await get('/v1.0/users?$top=1').expect(200);
    const token = new URL(listed.body['@odata.nextLink']).searchParams.get('$skiptoken');
    expect((await error(`/v1.0/users/adele.vance@contoso.com/directReports?$skiptoken=${token}`))[0]).to.equal('Request_BadRequest');
    expect((await error('/v1.0/users/adele.vance@contoso.com/directReports?$filter=x'))[1]).to.equal(
      "The query parameter '$filter' is not supported on directReports.",
    );
  });

  it('writes each user with the properties $select names — fewer than the default ones, or others — on every path, and carries it to the next page', async () => {
    const page = await get('/v1.0/users?$select=displayName,DEPARTMENT&$top=3').expect(200);
    expect(page.body['@odata.context']).to.match(/\/v1\.0\/\$metadata#users\(displayName,DEPARTMENT\)$/);
    expect(page.body.value).to.deep.equal([
      { displayName: 'Ädele B', department: null },
      { displayName: 'Adele Vance', department: null },
      { displayName: 'Alex Wilber', department: 'Marketing' },
    ]);
    const next = new URL(page.body['@odata.nextLink']);
    expect(next.searchParams.get('$select')).to.equal('displayName,DEPARTMENT');
    expect(Object.keys((await get(next.pathname + next.search).expect(200)).body.value[0])).to.deep.equal(['displayName', 'department']);
    // Every property the directory keeps for Alex, and one Graph has and the bridge keeps nothing for.
    const alex = await get(
      '/v1.0/users/alex.wilber@contoso.com?$select=companyName,mailNickname,imAddresses,proxyAddresses,showInAddressList,accountEnabled',
    ).expect(200);
    expect(alex.body).to.deep.equal({
      '@odata.context': alex.body['@odata.context'],
      companyName: 'Contoso',
      mailNickname: 'alexw',
      imAddresses: ['alex.wilber@contoso.com'],
      proxyAddresses: ['SMTP:alex.wilber@contoso.com', 'smtp:awilber@contoso.com'],
      showInAddressList: true,
      accountEnabled: null,
    });
    expect(alex.body['@odata.context']).to.match(/#users\(companyName,mailNickname,imAddresses,proxyAddresses,showInAddressList,accountEnabled\)\/\$entity$/);
    const all = (await get('/v1.0/me?$select=*').expect(200)).body;
    expect(all).to.include.keys('businessPhones', 'id', 'department', 'proxyAddresses');
    const reports = (await get('/v1.0/users/adele.vance@contoso.com/directReports?$select=mail').expect(200)).body.value;
    expect(reports[0]).to.deep.equal({ '@odata.type': '#microsoft.graph.user', mail: 'alex.wilber@contoso.com' });
    const manager = (await get('/v1.0/users/alex.wilber@contoso.com/manager?select=id').expect(200)).body;
    expect(manager).to.deep.include({ '@odata.type': '#microsoft.graph.user', id: 'adele.vance@contoso.com' }).and.not.have.property('displayName');
    // Graph's code, BadRequest, on a list and on one user (was ErrorInvalidRequest).
    for (const bad of ['displayName,', 'display-name', '1bad', Array.from({ length: 65 }, (_, i) => `p${i}`).join(',')]) {
      for (const path of ['/v1.0/users', '/v1.0/me']) {
        const { error } = (await get(`${path}?$select=${bad}`).expect(400)).body;
        expect(error.code, `${path} ${bad}`).to.equal('BadRequest');
        expect(error.message, bad).to.match(/\$select/);
      }
    }
    expect((await get('/v1.0/me?$select=1bad').expect(400)).body.error.message).to.equal(
      "Parsing OData Select and Expand failed: Term '1bad' is not valid in a $select or $expand expression.",
    );
    expect((await get('/v1.0/me?$select=id&select=mail').expect(400)).body.error.message).to.match(/more than once/);
  });

  it("refuses a $select name the user type lacks as Graph does (400, its OData parser's words), leaves a relationship out, and writes none Graph lacks", async () => {
    for (const path of [
      '/v1.0/users?$select=displayName,favouriteColour',
      '/v1.0/me?$select=favouriteColour',
      '/v1.0/me/directReports?$select=favouriteColour',
    ]) {
      expect((await get(path).expect(400)).body.error, path).to.deep.include({
        code: 'BadRequest',
        message: "Parsing OData Select and Expand failed: Could not find a property named 'favouriteColour' on type 'microsoft.graph.user'.",
      });
    }
    const withManager = await get('/v1.0/users/alex.wilber@contoso.com?$select=displayName,Manager').expect(200);
    expect(withManager.body).to.deep.equal({ '@odata.context': withManager.body['@odata.context'], displayName: 'Alex Wilber' });
    // A relationship alone: the id, in a context URL that names it (not `users()` and an empty object).
    const managerOnly = await get('/v1.0/users/alex.wilber@contoso.com?$select=manager').expect(200);
    expect(Object.keys(managerOnly.body)).to.deep.equal(['@odata.context', 'id']);
    expect(managerOnly.body['@odata.context']).to.match(/\/\$metadata#users\(id\)\/\$entity$/);
    const all = Object.keys((await get('/v1.0/users/alex.wilber@contoso.com?$select=*').expect(200)).body).filter((key) => !key.startsWith('@'));
    expect(all.filter((key) => !GRAPH_USER.properties.has(key.toLowerCase()))).to.deep.equal([]);
  });

  it('asks for a login, and answers other methods 405', async () => {
    await request(t.bridge.server).get('/v1.0/users').expect(401);
    await request(t.bridge.server).post('/v1.0/users').set('Authorization', basic(READER)).expect(405);
  });
});

describe('Graph GET /users: startswith on name parts joined by and, in a directory where one clause alone finds thousands', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    // 1,100 surnames starting with b before Meg Bowen in name order: a search for "b" alone had her past its first 1,000.
    const bakers = Array.from({ length: 1100 }, (_, i) => ({
      ...person(`aaron${i}@contoso.com`, `Aaron Baker${i}`),
      givenName: 'Aaron',
      surname: `Baker${i}`,
    }));
    await t.store.upsertUsers([...bakers, { ...person('meg.bowen@contoso.com', 'Meg Bowen'), givenName: 'Meg', surname: 'Bowen' }]);
  });
  after(() => t.close());

  it('finds and counts the users every clause holds for, not only those among the first clause’s first 1,000', async () => {
    const filter = encodeURIComponent("startswith(surname,'b') and startswith(givenName,'m')");
    const page = await request(t.bridge.server)
      .get(`/v1.0/users?$filter=${filter}&$count=true`)
      .set('Authorization', basic(READER))
      .set('ConsistencyLevel', 'eventual')
      .expect(200);
    expect([page.body['@odata.count'], page.body.value.map((user: { mail: string }) => user.mail)]).to.deep.equal([1, ['meg.bowen@contoso.com']]);
  });
});

describe('Graph GET /users: startswith groups joined by or, one of which alone finds more than 1,000', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    // 1,300 "Test User …" before Zara in name order: a cut of the union at 1,000 left her out.
    const testers = Array.from({ length: 1300 }, (_, i) => person(`test${String(i).padStart(4, '0')}@contoso.com`, `Test User ${String(i).padStart(4, '0')}`));
    await t.store.upsertUsers([...testers, person('zara.young@contoso.com', 'Zara Young')]);
  });
  after(() => t.close());

  const get = (path: string) => request(t.bridge.server).get(path).set('Authorization', basic(READER)).set('ConsistencyLevel', 'eventual');
  const filter = encodeURIComponent("startswith(displayName,'test') or startswith(mail,'zara')");

  it('lists and counts each group’s first 1,000, each user once, across the pages its nextLinks walk', async () => {
    const mails: string[] = [];
    const counts: number[] = [];
    for (let next: string | undefined = `/v1.0/users?$filter=${filter}&$count=true&$top=999`; next !== undefined && counts.length < 5;) {
      const body = (await get(next).expect(200)).body as { value: { mail: string }[]; '@odata.count': number; '@odata.nextLink'?: string };
      mails.push(...body.value.map((user) => user.mail));
      counts.push(body['@odata.count']);
      next = body['@odata.nextLink'] && ((url) => url.pathname + url.search)(new URL(body['@odata.nextLink']));
    }
    expect(counts).to.deep.equal([1001, 1001]);
    expect([mails.length, new Set(mails).size, mails[998], mails.at(-2), mails.at(-1)]).to.deep.equal([
      1001,
      1001,
      'test0998@contoso.com',
      'test0999@contoso.com',
      'zara.young@contoso.com',
    ]);
    expect((await get(`/v1.0/users/$count?$filter=${filter}`).expect(200)).text).to.equal('1001');
  });
});

describe('Graph GET /users: a $filter on addresses, in any spelling of them', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([
      { email: 'anna@bücher.example', displayName: 'Anna Bücher', refs: {} },
      { email: 'josé@intl.example', displayName: 'José Intl', refs: {} },
    ]);
  });
  after(() => t.close());

  it('finds the user whichever spelling the filter writes: an A-label domain, capitals outside ASCII, decomposed letters', async () => {
    const found = async (filter: string) =>
      (
        (
          await request(t.bridge.server)
            .get(`/v1.0/users?$filter=${encodeURIComponent(filter)}`)
            .set('Authorization', basic(READER))
            .expect(200)
        ).body.value as { mail: string }[]
      ).map((user) => user.mail);
    expect(await found("mail eq 'anna@xn--bcher-kva.example'")).to.deep.equal(['anna@bücher.example']);
    expect(await found("mail eq 'JOSÉ@intl.example'")).to.deep.equal(['josé@intl.example']);
    expect(await found("userPrincipalName eq 'jose\u0301@intl.example'")).to.deep.equal(['josé@intl.example']);
    expect(await found("mail in ('JOSÉ@intl.example','anna@xn--bcher-kva.example')")).to.deep.equal(['anna@bücher.example', 'josé@intl.example']);
    expect(await found("proxyAddresses/any(x:x eq 'smtp:ANNA@BÜCHER.EXAMPLE')")).to.deep.equal(['anna@bücher.example']);
  });
});

describe('Graph GET /users?$expand=manager: 100 users a page at most, as Graph expands directory objects', () => {
  let t: TestBridge;
  const TEAM = 230;
  before(async () => {
    t = await startTestBridge();
    const managers: DirectoryUser[] = [
      person('boss.a@contoso.com', 'Boss A'),
      { ...person('boss.hidden@contoso.com', 'Boss Hidden'), hiddenFromAddressLists: true },
    ];
    const team = Array.from({ length: TEAM }, (_, i) => ({
      ...person(`member${String(i).padStart(3, '0')}@contoso.com`, `Member ${String(i).padStart(3, '0')}`),
      manager: i % 2 === 0 ? 'boss.a@contoso.com' : 'boss.hidden@contoso.com',
    }));
    await t.store.upsertUsers([...managers, ...team]);
  });
  after(() => t.close());

  it('pages by 100 whatever $top asks, each next link asking the expansion again, and never writes a hidden manager', async () => {
    const members: { mail: string; manager?: { displayName: string } }[] = [];
    let pages = 0;
    for (
      let next: string | undefined = "/v1.0/users?$filter=startswith(displayName,'member')&$top=999&$select=mail&$expand=manager($select=displayName)";
      next;
      pages++
    ) {
      const body = (await request(t.bridge.server).get(next).set('Authorization', basic(READER)).expect(200)).body as {
        value: typeof members;
        '@odata.nextLink'?: string;
      };
      expect(body.value.length).to.be.at.most(100);
      members.push(...body.value);
      next = body['@odata.nextLink'] && ((url) => url.pathname + url.search)(new URL(body['@odata.nextLink']));
    }
    expect(pages).to.equal(3);
    expect(members.map((member) => member.mail)).to.deep.equal(Array.from({ length: TEAM }, (_, i) => `member${String(i).padStart(3, '0')}@contoso.com`));
    expect(members.filter((member) => member.manager?.displayName === 'Boss A')).to.have.length(TEAM / 2);
    expect(members.filter((member) => member.manager === undefined)).to.have.length(TEAM / 2);
  });
});
