import { expect } from 'chai';
import request from 'supertest';
import { MAX_SEARCH_MATCHES } from '../../src/people/find-people.js';
import { MAX_BROWSED_PEOPLE } from '../../src/rest/directory-routes.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

/** More people named alike than a search pages through. */
const NAMESAKES = MAX_SEARCH_MATCHES + 50;

describe(`/api/people: a search pages through its first ${MAX_SEARCH_MATCHES} matches, browsing through the first ${MAX_BROWSED_PEOPLE} people`, () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers(
      Array.from({ length: NAMESAKES }, (_, i) => ({ email: `anna.${i}@contoso.com`, displayName: `Anna ${String(i).padStart(4, '0')}`, refs: {} })),
    );
  });
  after(() => t.close());

  const get = (path: string) => request(t.bridge.server).get(path).set('Authorization', basic(READER));

  it(`refuses a search offset of ${MAX_SEARCH_MATCHES} or more with 400 (offset 1,000,000 held the event loop for seconds)`, async () => {
    for (const offset of [MAX_SEARCH_MATCHES, 1_000_000]) {
      const res = await get(`/api/people?q=anna&offset=${offset}`);
      expect(res.status).to.equal(400);
      expect(res.headers['x-ews-response-code']).to.equal('ErrorInvalidRequest');
      expect(res.text.trim()).to.equal(`'offset' must be an integer from 0 to ${MAX_SEARCH_MATCHES - 1}`);
    }
  });

  it('ends the last page of a search at the window, saying no more follow', async () => {
    const last = (await get(`/api/people?q=anna&offset=${MAX_SEARCH_MATCHES - 8}&limit=48`).expect(200)).body;
    expect(last.limit).to.equal(8);
    expect(last.people).to.have.length(8);
    expect([last.hasMore, last.capped], 'more match, past the window').to.deep.equal([false, true]);
    const before = (await get(`/api/people?q=anna&offset=${MAX_SEARCH_MATCHES - 56}&limit=48`).expect(200)).body;
    expect(before.people).to.have.length(48);
    expect([before.hasMore, before.capped]).to.deep.equal([true, false]);
  });

  it('browses past the window without a search', async () => {
    const page = (await get(`/api/people?offset=${NAMESAKES - 10}&limit=48`).expect(200)).body;
    expect(page.people).to.have.length(10);
    expect([page.hasMore, page.capped]).to.deep.equal([false, false]);
  });

  it(`refuses a browsing offset of ${MAX_BROWSED_PEOPLE} or more with 400 (offset 399,000 held the event loop for 130 ms)`, async () => {
    const res = await get(`/api/people?offset=${MAX_BROWSED_PEOPLE}`);
    expect([res.status, res.text.trim()]).to.deep.equal([400, `'offset' must be an integer from 0 to ${MAX_BROWSED_PEOPLE - 1}`]);
    const last = (await get(`/api/people?offset=${MAX_BROWSED_PEOPLE - 1}`).expect(200)).body;
    expect([last.people.length, last.hasMore]).to.deep.equal([0, false]);
  });
});
