import { expect } from 'chai';
import request from 'supertest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { GRAPH_CONTACT } from '../../src/rest/graph-types.js';

describe('Graph /me/contacts: $filter, $orderby, $count', () => {
  let t: TestBridge;

  before(async () => {
    t = await startTestBridge();
    const contact = (displayName: string, ...emailAddresses: string[]) => ({ displayName, emailAddresses, phones: {}, refs: {} });
    await t.store.addContacts(READER.username, [
      contact('Garth Fort', 'garth@contoso.com'),
      contact('Garth at Home', 'garth.home@example.org', 'Garth@Contoso.com'),
      contact('Garth Fortune', 'garth@contoso.com.au'),
      contact("Dan O'Brien", "dan.o'brien@contoso.com"),
      ...Array.from({ length: 5 }, (_, i) => contact(`Shared Inbox ${i}`, 'shared@contoso.com')),
    ]);
    await t.store.addContacts('admin@example.com', [contact('Admin’s Garth', 'garth@contoso.com')]);
  });
  after(() => t.close());

  const list = (query: string) => request(t.bridge.server).get(`/v1.0/me/contacts?${query}`).set('Authorization', basic(READER));
  const names = (body: { value: { displayName: string }[] }) => body.value.map((contact) => contact.displayName);

  it("lists only the caller's contacts with that address, case ignored, whatever the lambda variable", async () => {
    const filter = encodeURIComponent("emailAddresses/any(a:a/address eq 'GARTH@contoso.com')");
    expect(names((await list(`$filter=${filter}`).expect(200)).body)).to.deep.equal(['Garth at Home', 'Garth Fort']);
    const spaced = encodeURIComponent(" emailAddresses/any( x : x/address  eq  'garth@contoso.com' ) ");
    expect(names((await list(`$filter=${spaced}`).expect(200)).body)).to.deep.equal(['Garth at Home', 'Garth Fort']);
  });

  it('compares createdDateTime and lastModifiedDateTime with an instant, as a sync asks what changed since; a literal that is no instant is 400', async () => {
    const filtered = async (filter: string) => names((await list(`$filter=${encodeURIComponent(filter)}&$top=100`).expect(200)).body).length;
    expect(await filtered('lastModifiedDateTime ge 2000-01-01T00:00:00Z')).to.equal(9);
    expect(await filtered('lastModifiedDateTime lt 2000-01-01T00:00:00Z')).to.equal(0);
    expect(await filtered("createdDateTime le 2100-01-01T01:00:00+01:00 and displayName eq 'Garth Fort'")).to.equal(1);
    expect(await filtered('not (createdDateTime eq 2000-01-01T00:00:00.0000000Z)')).to.equal(9);
    for (const filter of ["lastModifiedDateTime ge '2000-01-01T00:00:00Z'", 'lastModifiedDateTime ge 2021-02-30T00:00:00Z', 'createdDateTime ge 2000']) {
      expect((await list(`$filter=${encodeURIComponent(filter)}`).expect(400)).body.error.code, filter).to.equal('ErrorInvalidUrlQueryFilter');
    }
  });

  it('reads a quote written twice inside the literal as one quote, and finds nobody for an address no contact has', async () => {
    const quoted = encodeURIComponent("emailAddresses/any(a:a/address eq 'dan.o''brien@contoso.com')");
    expect(names((await list(`$filter=${quoted}`).expect(200)).body)).to.deep.equal(["Dan O'Brien"]);
    const nobody = encodeURIComponent("emailAddresses/any(a:a/address eq 'nobody@contoso.com')");
    expect((await list(`$filter=${nobody}`).expect(200)).body.value).to.deep.equal([]);
  });

  it('keeps the filter, and $count, in the next page’s link', async () => {
    const filter = "emailAddresses/any(a:a/address eq 'shared@contoso.com')";
    const first = await list(`$top=3&$count=true&$filter=${encodeURIComponent(filter)}`).expect(200);
    expect(first.body['@odata.count']).to.equal(5);
    expect(names(first.body)).to.deep.equal(['Shared Inbox 0', 'Shared Inbox 1', 'Shared Inbox 2']);
    const next = new URL(first.body['@odata.nextLink'] as string);
    expect(Object.fromEntries(next.searchParams)).to.deep.equal({ $top: '3', $skip: '3', $filter: filter, $count: 'true' });
    const second = await list(next.search.slice(1)).expect(200);
    expect(names(second.body)).to.deep.equal(['Shared Inbox 3', 'Shared Inbox 4']);
    expect(second.body['@odata.nextLink']).to.equal(undefined);
  });

  it('filters by the display name as a people picker asks: startswith and eq, case and accents ignored', async () => {
    const filtered = async (filter: string) => names((await list(`$filter=${encodeURIComponent(filter)}&$top=100`).expect(200)).body);
    expect(await filtered("startswith(displayName,'garth f')")).to.deep.equal(['Garth Fort', 'Garth Fortune']);
    expect(await filtered("StartsWith( displayName , 'GARTH' )")).to.deep.equal(['Garth at Home', 'Garth Fort', 'Garth Fortune']);
    expect(await filtered("displayName eq 'garth fort'")).to.deep.equal(['Garth Fort']);
    expect(await filtered("displayName eq 'Garth'")).to.deep.equal([]);
    expect(await filtered("startswith(displayName,'%')")).to.deep.equal([]);
    const counted = await request(t.bridge.server)
      .get(`/v1.0/me/contacts/$count?$filter=${encodeURIComponent("startswith(displayName,'Shared')")}`)
      .set('Authorization', basic(READER))
      .expect(200);
    expect(counted.text).to.equal('5');
  });

  it('finds a contact by the start of its display name with a final Σ typed in capitals, or its ZWNJ left out', async () => {
    const caller = { username: 'eleni@example.gr', password: 'greek secret' };
    await t.store.putAccount(caller.username, await hashPassword(caller.password), 'user');
    await t.store.addContacts(
      caller.username,
      ['Κώστας Σαμαράς', 'Κωνσταντίνος Παππάς', 'علی\u200cرضا رضایی'].map((displayName) => ({ displayName, emailAddresses: [], phones: {}, refs: {} })),
    );
    const filtered = async (filter: string) =>
      names(
        (
          await request(t.bridge.server)
            .get(`/v1.0/me/contacts?$filter=${encodeURIComponent(filter)}`)
            .set('Authorization', basic(caller))
            .expect(200)
        ).body,
      );
    expect(await filtered("startswith(displayName,'ΚΩΣ')")).to.deep.equal(['Κώστας Σαμαράς']);
    expect(await filtered("displayName eq 'ΚΏΣΤΑΣ ΣΑΜΑΡΆΣ'")).to.deep.equal(['Κώστας Σαμαράς']);
    expect(await filtered("startswith(displayName,'علیرضا')")).to.deep.equal(['علی\u200cرضا رضایی']);
  });

  it('joins tests with and, or, not and parentheses, on the address and the display name, and counts what they find', async () => {
    const filtered = async (filter: string) => names((await list(`$filter=${encodeURIComponent(filter)}&$top=100`).expect(200)).body);
    expect(await filtered("startswith(displayName,'garth') and not (displayName eq 'garth fort')")).to.deep.equal(['Garth at Home', 'Garth Fortune']);
    expect(await filtered("emailAddresses/any(a:a/address eq 'garth@contoso.com') or startswith(displayName,'DAN')")).to.deep.equal([
      "Dan O'Brien",
      'Garth at Home',
      'Garth Fort',
    ]);
    // A contact with fewer than three addresses is one without that address: the unset ones do not hide it from a not.
    expect(await filtered("startswith(displayName,'garth') and not emailAddresses/any(a:a/address eq 'garth@contoso.com')")).to.deep.equal(['Garth Fortune']);
    expect(await filtered("displayName ne 'garth fort' and (startswith(displayName,'garth') or displayName eq 'nobody')")).to.deep.equal([
      'Garth at Home',
      'Garth Fortune',
    ]);
    const shared = await list(`$count=true&$filter=${encodeURIComponent("displayName ge 's' and displayName lt 'T'")}`).expect(200);
    expect(shared.body['@odata.count']).to.equal(5);
  });

  it('refuses a filter of more than 128 terms, or of 16 tests when one reads every contact, as too complex, before any search', async () => {
    // Blanks as `+`: 129 terms fit in the 4,096 characters of a URL.
    const asQuery = (filter: string) => encodeURIComponent(filter).replaceAll('%20', '+');
    const names = (count: number) => Array.from({ length: count }, () => "displayName eq 'a'");
    const starts = Array.from({ length: 17 }, (_, i) => `startswith(displayName,'x${i}')`).join(' or ');
    const readsEveryContact =
      "The query filter is too complex: it holds more than 16 tests when one of them reads every contact (any but a displayName's eq and its ordering comparisons, and any under a not).";
    for (const [filter, message] of [
      [names(129).join(' or '), 'The query filter is too complex: it holds more than 128 terms.'],
      [starts, readsEveryContact],
      [Array.from({ length: 17 }, () => "surname eq 'a'").join(' or '), readsEveryContact],
      [`not (${names(17).join(' or ')})`, readsEveryContact],
    ] as const) {
      const res = await list(`$filter=${asQuery(filter)}`).expect(400);
      expect([res.body.error.code, res.body.error.message]).to.deep.equal(['ErrorInvalidUrlQueryFilter', message]);
    }
    // The name index finds up to 128 whole display names, and 16 tests of other properties are made of every contact.
    await list(`$filter=${asQuery(names(128).join(' or '))}`).expect(200);
    await list(`$filter=${encodeURIComponent(Array.from({ length: 16 }, () => "surname eq 'a'").join(' or '))}`).expect(200);
    const deep = `${'not ('.repeat(40)}displayName eq 'x'${')'.repeat(40)}`;
    expect((await list(`$filter=${encodeURIComponent(deep)}`).expect(400)).body.error.message).to.match(/nests deeper than 32/);
  });

  for (const [what, filter] of [
    ['startswith on a property the bridge does not keep', "startswith(nickName,'Garth')"],
    ['an operator other than eq', "emailAddresses/any(a:a/address ne 'garth@contoso.com')"],
    ['a sub-property other than address', "emailAddresses/any(a:a/name eq 'Garth Fort')"],
    ['another variable than the lambda’s', "emailAddresses/any(a:b/address eq 'garth@contoso.com')"],
    ['an unquoted value', 'emailAddresses/any(a:a/address eq garth@contoso.com)'],
    ['a filter cut short', "emailAddresses/any(a:a/address eq 'garth@contoso.com') or"],
    ['an unclosed parenthesis', "(displayName eq 'x'"],
    ['a function OData has but the bridge does not read', "contains(displayName,'Garth')"],
  ]) {
    it(`refuses ${what} as Graph does: 400 ErrorInvalidUrlQueryFilter, never the whole list`, async () => {
      const res = await list(`$filter=${encodeURIComponent(filter!)}`).expect(400);
      expect(res.body.error.code).to.equal('ErrorInvalidUrlQueryFilter');
      expect(res.body.error.message).to.match(/^The query filter contains one or more invalid nodes\./);
    });
  }

  it('orders by $orderby, paging in that order, and keeps it in the next page’s link', async () => {
    const first = await list('$orderby=displayName%20desc&$top=3').expect(200);
    expect(names(first.body)).to.deep.equal(['Shared Inbox 4', 'Shared Inbox 3', 'Shared Inbox 2']);
    const next = new URL(first.body['@odata.nextLink'] as string);
    expect(next.searchParams.get('$orderby')).to.equal('displayName desc');
    expect(names((await list(next.search.slice(1)).expect(200)).body)).to.deep.equal(['Shared Inbox 1', 'Shared Inbox 0', 'Garth Fortune']);
    const filter = encodeURIComponent("emailAddresses/any(a:a/address eq 'garth@contoso.com')");
    expect(names((await list(`$filter=${filter}&$orderby=displayName%20DESC`).expect(200)).body)).to.deep.equal(['Garth Fort', 'Garth at Home']);
  });

  for (const orderBy of ['birthday', 'displayName sideways', 'displayName,', '', Array(9).fill('surname').join(',')]) {
    it(`refuses $orderby=${JSON.stringify(orderBy)} with 400, never another order`, async () => {
      const res = await list(`$orderby=${encodeURIComponent(orderBy)}`).expect(400);
      expect(res.body.error.code).to.equal('ErrorInvalidUrlQuery');
      expect(res.body.error.message).to.match(/^contacts can be ordered by displayName, /);
    });
  }

  it('refuses an option given twice, $search, and a $count that is not true or false', async () => {
    const filter = encodeURIComponent("emailAddresses/any(a:a/address eq 'garth@contoso.com')");
    const twice = (await list(`$filter=${filter}&$filter=${filter}`).expect(400)).body.error;
    expect(twice).to.deep.include({
      code: 'ErrorInvalidUrlQuery',
      message: "Query option '$filter' was specified more than once, but it must be specified at most once.",
    });
    expect((await list('$top=1&top=2').expect(400)).body.error.code).to.equal('ErrorInvalidUrlQuery');
    expect((await list('$search=%22garth%22').expect(400)).body.error.code).to.equal('ErrorInvalidUrlQuery');
    expect((await list('$count=yes').expect(400)).body.error.code).to.equal('ErrorInvalidRequest');
  });

  it('counts the contacts at /me/contacts/$count, as text, with the filter Graph documents', async () => {
    const all = await request(t.bridge.server).get('/v1.0/me/contacts/$count').set('Authorization', basic(READER)).expect(200);
    const listed = await list('$count=true&$top=1').expect(200);
    expect([all.headers['content-type'], all.text]).to.deep.equal(['text/plain; charset=utf-8', String(listed.body['@odata.count'])]);
    const filter = encodeURIComponent("emailAddresses/any(a:a/address eq 'garth@contoso.com')");
    const garths = await request(t.bridge.server).get(`/v1.0/me/contacts/$count?$filter=${filter}`).set('Authorization', basic(READER)).expect(200);
    expect(garths.text).to.equal('2');
  });

  it('reads an option without its $ (as Graph beta does) and its name in any case; never ignores one', async () => {
    const filter = encodeURIComponent("emailAddresses/any(a:a/address eq 'garth@contoso.com')");
    for (const version of ['beta', 'v1.0']) {
      const res = await request(t.bridge.server).get(`/${version}/me/contacts?filter=${filter}&count=TRUE`).set('Authorization', basic(READER)).expect(200);
      expect([names(res.body), res.body['@odata.count']], version).to.deep.equal([['Garth at Home', 'Garth Fort'], 2]);
    }
    expect(names((await list(`$FILTER=${filter}&$Top=1`).expect(200)).body)).to.deep.equal(['Garth at Home']);
  });

  for (const option of ['$expand=photo', '$skiptoken=x', '$bogus=1', '$filter[$ne]=x', '$orderby[]=displayName']) {
    it(`refuses ${option}, an option the list does not take, with 400, never the whole list`, async () => {
      const res = await list(option).expect(400);
      expect(res.body.error.code).to.equal('ErrorInvalidUrlQuery');
      expect(res.body.error.message).to.match(/^The query parameter '.+' is not supported on contacts\.$/);
    });
  }

  it("writes the caller's address into @odata.context as an OData key, a quote in it written twice", async () => {
    const quoted = { username: "dan.o'brien@example.com", password: 'quoted secret' };
    await t.store.putAccount(quoted.username, await hashPassword(quoted.password), 'user');
    const res = await request(t.bridge.server).get('/v1.0/me/contacts').set('Authorization', basic(quoted)).expect(200);
    expect(res.body['@odata.context']).to.match(/\/v1\.0\/\$metadata#users\('dan\.o''brien%40example\.com'\)\/contacts$/);
  });

  it('answers a method other than GET on the contact paths 405, as on the photo paths', async () => {
    for (const method of ['post', 'patch', 'delete'] as const) {
      const res = await request(t.bridge.server)[method]('/v1.0/me/contacts').set('Authorization', basic(READER)).send({ displayName: 'New' });
      expect(res.status, method).to.equal(405);
    }
  });

  it('takes $select (every property answers it) and parameters that are no OData option, and carries $select on', async () => {
    const first = await list('$select=displayName&$top=2&client-request=1').expect(200);
    expect(new URL(first.body['@odata.nextLink'] as string).searchParams.get('$select')).to.equal('displayName');
  });

  it('writes a contact with the properties of Graph’s contact only, and refuses a $select name a contact lacks as Graph does', async () => {
    const contacts = (await list('').expect(200)).body.value as Record<string, unknown>[];
    expect(contacts.flatMap(Object.keys).filter((key) => key !== '@odata.etag' && !GRAPH_CONTACT.properties.has(key.toLowerCase()))).to.deep.equal([]);
    const refused = await list('$select=displayName,scoredEmailAddresses').expect(400);
    expect(refused.body.error).to.deep.include({
      code: 'BadRequest',
      message: "Parsing OData Select and Expand failed: Could not find a property named 'scoredEmailAddresses' on type 'microsoft.graph.contact'.",
    });
    // A relationship (photo) is not expanded by $select: not written.
    expect(Object.keys((await list('$select=displayName,photo&$top=1').expect(200)).body.value[0])).to.deep.equal(['@odata.etag', 'id', 'displayName']);
  });
});
