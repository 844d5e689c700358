import { expect } from 'chai';
import request from 'supertest';
import type { DirectoryUser } from '../../src/domain/directory.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

/** same00 … same11 in name order ("same 00" …), then Zed Same (found by address) and Bob Same (by a word of the name). */
const SAMES: DirectoryUser[] = Array.from({ length: 12 }, (_, i) => {
  const n = String(i).padStart(2, '0');
  return { email: `same${n}@contoso.com`, displayName: `Same ${n}`, givenName: 'Same', surname: `S${n}`, refs: {} };
});
const PEOPLE: DirectoryUser[] = [
  ...SAMES,
  { email: 'samez@contoso.com', displayName: 'Zed Same', givenName: 'Zed', surname: 'Same', refs: {} },
  { email: 'bob@contoso.com', displayName: 'Bob Same', givenName: 'Bob', surname: 'Same', refs: {} },
];
/** Sorts before everyone above in name order ("same 0"), and before them in a search for "same". */
const NEWCOMER: DirectoryUser = { email: 'same@contoso.com', displayName: 'Same 0', givenName: 'Same', surname: 'S', refs: {} };

const mails = (users: DirectoryUser[]) => users.map((user) => user.email);

/** Each query and the whole list it pages, as it stands before the directory changes. */
const QUERIES: { name: string; query: string; list: string[] }[] = [
  { name: 'a givenName filter', query: `$filter=${encodeURIComponent("startswith(givenName,'same')")}`, list: mails(SAMES) },
  {
    name: 'startswith joined by or',
    query: `$filter=${encodeURIComponent("startswith(givenName,'same') or startswith(mail,'samez')")}`,
    list: mails(PEOPLE.slice(0, 13)),
  },
  {
    name: 'a list of addresses',
    query: `$filter=${encodeURIComponent(`mail in (${[NEWCOMER, ...SAMES].map((user) => `'${user.email}'`).join(',')})`)}`,
    list: mails(SAMES),
  },
  { name: 'a $search ranked by relevance', query: `$search=${encodeURIComponent('"displayName:same"')}`, list: mails(PEOPLE) },
  {
    name: 'a $search in $orderby',
    query: `$search=${encodeURIComponent('"displayName:same"')}&$orderby=mail%20desc`,
    list: mails(PEOPLE).sort().reverse(),
  },
];

describe('Graph GET /users: a list read whole each page pages by its last user, not by an offset, so a change between pages repeats or skips no one', () => {
  let t: TestBridge;
  beforeEach(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers(PEOPLE);
  });
  afterEach(() => t.close());

  const get = (path: string) => request(t.bridge.server).get(path).set('Authorization', basic(READER)).set('ConsistencyLevel', 'eventual');
  const page = async (path: string) => {
    const body = (await get(path).expect(200)).body as { value: { mail: string }[]; '@odata.nextLink'?: string };
    const link = body['@odata.nextLink'] === undefined ? undefined : new URL(body['@odata.nextLink']);
    return { mails: body.value.map((user) => user.mail), next: link && link.pathname + link.search };
  };
  /** The first page, then (after `change`) every page the nextLinks lead to. */
  const pagesAround = async (query: string, change: () => Promise<unknown>) => {
    const first = await page(`/v1.0/users?$top=5&$select=mail&${query}`);
    await change();
    const pages = [first.mails];
    for (let next = first.next; next !== undefined && pages.length < 10;) {
      const each = await page(next);
      pages.push(each.mails);
      next = each.next;
    }
    return pages;
  };
  const inFives = (list: string[]) => Array.from({ length: Math.ceil(list.length / 5) }, (_, i) => list.slice(i * 5, i * 5 + 5));

  for (const { name, query, list } of QUERIES) {
    it(`${name}: a user imported before the page's end between pages repeats no one on the next`, async () => {
      expect(await pagesAround(query, () => t.store.upsertUsers([NEWCOMER]))).to.deep.equal(inFives(list));
    });

    it(`${name}: a user sent and removed between pages skips no one on the next`, async () => {
      const removed = list[0]!;
      expect(await pagesAround(query, () => t.store.removeUser(removed))).to.deep.equal(inFives(list));
    });
  }

  it('counts the whole list on every page, the change between them too', async () => {
    const { query } = QUERIES[0]!;
    const first = await get(`/v1.0/users?$top=5&$count=true&${query}`).expect(200);
    await t.store.upsertUsers([NEWCOMER]);
    const link = new URL(first.body['@odata.nextLink']);
    const second = await get(link.pathname + link.search).expect(200);
    expect([first.body['@odata.count'], second.body['@odata.count'], second.body.value.length]).to.deep.equal([12, 13, 5]);
  });

  it('refuses a skiptoken it did not give for the query: an offset, a ranked one for a sorted list, an unknown tier', async () => {
    const token = (state: unknown[]) => Buffer.from(JSON.stringify(state)).toString('base64url');
    const refused = async (query: string, state: unknown[]) => {
      const res = await get(`/v1.0/users?${query}&$skiptoken=${token(state)}`).expect(400);
      return [res.body.error.code, res.body.error.message];
    };
    const [givenName, , , ranked] = QUERIES.map((each) => each.query);
    const expected = ['Request_BadRequest', 'The $skiptoken is not one this service gave for this query.'];
    expect(await refused(givenName!, ['s', 5])).to.deep.equal(expected);
    expect(await refused(givenName!, ['t', 'namePrefix', 'same 04', 'same04@contoso.com'])).to.deep.equal(expected);
    expect(await refused(ranked!, ['n', 'same 04', 'same04@contoso.com'])).to.deep.equal(expected);
    expect(await refused(ranked!, ['t', 'otherWords', 'same 04', 'same04@contoso.com'])).to.deep.equal(expected);
    expect(await refused(ranked!, ['t', 'namePrefix', 'same 04'])).to.deep.equal(expected);
    // A token it gave resumes where it says.
    const resumed = await get(`/v1.0/users?${ranked}&$top=2&$skiptoken=${token(['t', 'namePrefix', 'same 04', 'same04@contoso.com'])}`).expect(200);
    expect(resumed.body.value.map((user: { mail: string }) => user.mail)).to.deep.equal(['same05@contoso.com', 'same06@contoso.com']);
  });
});
