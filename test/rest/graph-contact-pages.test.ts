import { expect } from 'chai';
import request from 'supertest';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

describe('Graph /me/contacts pages are capped, as Graph caps them', () => {
  const CONTACTS = 300;
  let t: TestBridge;

  before(async () => {
    t = await startTestBridge();
    await t.store.addContacts(
      READER.username,
      Array.from({ length: CONTACTS }, (_, i) => ({
        displayName: `Paged Contact ${String(i).padStart(3, '0')}`,
        emailAddresses: [`paged.${i}@fabrikam.example`],
        phones: {},
        refs: {},
      })),
    );
  });
  after(() => t.close());

  const list = (query: string) => request(t.bridge.server).get(`/v1.0/me/contacts${query}`).set('Authorization', basic(READER)).expect(200);

  it('answers $top=1000 with 250 contacts and a nextLink to the rest, which ends the list', async () => {
    const first = await list('?$top=1000');
    expect(first.body.value).to.have.length(250);
    const next = new URL(first.body['@odata.nextLink'] as string);
    expect(Object.fromEntries(next.searchParams)).to.deep.equal({ $top: '1000', $skip: '250' });
    const second = await list(next.search);
    expect(second.body.value).to.have.length(CONTACTS - 250);
    expect(second.body['@odata.nextLink']).to.equal(undefined);
    const names = [...first.body.value, ...second.body.value].map((contact: { displayName: string }) => contact.displayName);
    expect(names).to.deep.equal(Array.from({ length: CONTACTS }, (_, i) => `Paged Contact ${String(i).padStart(3, '0')}`));
  });

  it('still refuses a $top past 1000', async () => {
    await request(t.bridge.server).get('/v1.0/me/contacts?$top=1001').set('Authorization', basic(READER)).expect(400);
  });
});
