import Database from 'better-sqlite3';
import { expect } from 'chai';
import request from 'supertest';
import { envelope, parseSoap } from '../support/soap.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

/** Two contacts changed in the same second, at .671 and .900, and one the second before. */
const CHANGED = [
  { name: 'Emile Changed', at: '2026-12-07T01:54:59.671Z' },
  { name: 'Late Add', at: '2026-12-07T01:54:59.900Z' },
  { name: 'Older', at: '2026-12-07T01:54:58.100Z' },
];
const VERSION = '<t:RequestServerVersion Version="Exchange2013_SP1"/>';
const contacts = '<m:ParentFolderIds><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds>';
const shape =
  '<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:LastModifiedTime"/></t:AdditionalProperties></m:ItemShape>';
const sortByName = '<m:SortOrder><t:FieldOrder Order="Ascending"><t:FieldURI FieldURI="contacts:DisplayName"/></t:FieldOrder></m:SortOrder>';
const restriction = (test: string, value: string, uri = 'item:LastModifiedTime') =>
  `<m:Restriction><t:${test}><t:FieldURI FieldURI="${uri}"/><t:FieldURIOrConstant><t:Constant Value="${value}"/></t:FieldURIOrConstant></t:${test}></m:Restriction>`;

describe('EWS times: compared at the precision they are written in (DateTimePrecision)', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    const ids = await t.store.addContacts(
      READER.username,
      CHANGED.map(({ name }) => ({ displayName: name, emailAddresses: [], phones: {}, refs: {} })),
    );
    // The store stamps contacts with the clock; these times are set to known milliseconds.
    const db = new Database(t.databasePath);
    const stamp = db.prepare('UPDATE contacts SET updated_at = ?, created_at = ? WHERE id = ?');
    CHANGED.forEach(({ at }, i) => stamp.run(at, at, ids[i]));
    db.close();
  });
  after(() => t.close());

  const post = (body: string, header = VERSION) =>
    request(t.bridge.server).post('/EWS/Exchange.asmx').set('Authorization', basic(READER)).set('Content-Type', 'text/xml').send(envelope(body, header));
  /** FindItem with `inner`: each contact found, by name, with the LastModifiedTime written for it. */
  const found = async (inner: string, header = VERSION) => {
    const res = await post(`<m:FindItem Traversal="Shallow">${shape}${inner}${sortByName}${contacts}</m:FindItem>`, header);
    expect(res.status, res.text).to.equal(200);
    const message = (await parseSoap(res.text)).Envelope.Body.FindItemResponse.ResponseMessages.FindItemResponseMessage;
    expect(message.ResponseCode, res.text).to.equal('NoError');
    const items: { ItemId: unknown; LastModifiedTime: string }[] = [message.RootFolder.Items?.Contact ?? []].flat();
    return items.map((item) => item.LastModifiedTime);
  };
  const names = async (inner: string, header = VERSION) => {
    const res = await post(
      `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>${inner}${sortByName}${contacts}</m:FindItem>`,
      header,
    );
    const message = (await parseSoap(res.text)).Envelope.Body.FindItemResponse.ResponseMessages.FindItemResponseMessage;
    expect(message.ResponseCode, res.text).to.equal('NoError');
    return [message.RootFolder.Items?.Contact ?? []].flat().map((contact: { DisplayName: string }) => contact.DisplayName);
  };

  it('writes times to the second without the header, and compares a Restriction with them so: none changed after the newest time shown', async () => {
    expect(await found('')).to.deep.equal(['2026-12-07T01:54:59Z', '2026-12-07T01:54:59Z', '2026-12-07T01:54:58Z']);
    const newest = '2026-12-07T01:54:59Z';
    // exchangelib's `filter(last_modified_time__gt=<the newest it saw>)`: nothing new, not the newest again.
    expect(await names(restriction('IsGreaterThan', newest))).to.deep.equal([]);
    expect(await names(restriction('IsEqualTo', newest))).to.deep.equal(['Emile Changed', 'Late Add']);
    expect(await names(restriction('IsNotEqualTo', newest))).to.deep.equal(['Older']);
    expect(await names(restriction('IsGreaterThanOrEqualTo', newest))).to.deep.equal(['Emile Changed', 'Late Add']);
    expect(await names(restriction('IsLessThan', newest))).to.deep.equal(['Older']);
    expect(await names(restriction('IsLessThanOrEqualTo', '2026-12-07T01:54:58Z'))).to.deep.equal(['Older']);
    expect(await names(restriction('IsLessThanOrEqualTo', newest))).to.deep.equal(['Emile Changed', 'Late Add', 'Older']);
    // A constant between two whole seconds: no time shown equals it; the ones shown after it are the next second's.
    expect(await names(restriction('IsEqualTo', '2026-12-07T01:54:58.500Z'))).to.deep.equal([]);
    expect(await names(restriction('IsGreaterThan', '2026-12-07T01:54:58.500Z'))).to.deep.equal(['Emile Changed', 'Late Add']);
    expect(await names(restriction('IsGreaterThanOrEqualTo', '2026-12-07T01:54:58.500Z'))).to.deep.equal(['Emile Changed', 'Late Add']);
    expect(await names(restriction('IsLessThan', '2026-12-07T01:54:58.500Z'))).to.deep.equal(['Older']);
    // .NET's ticks past the millisecond are after the whole second, too.
    expect(await names(restriction('IsEqualTo', '2026-12-07T01:54:59.0000001Z'))).to.deep.equal([]);
    expect(await names(restriction('IsEqualTo', '2026-12-07T01:54:59.0000000Z'))).to.deep.equal(['Emile Changed', 'Late Add']);
    // DateTimeCreated alike; the last second a four-digit year holds has no second after it.
    expect(await names(restriction('IsEqualTo', '2026-12-07T02:54:58+01:00', 'item:DateTimeCreated'))).to.deep.equal(['Older']);
    expect(await names(restriction('IsGreaterThan', '9999-12-31T23:59:59Z'))).to.deep.equal([]);
    expect(await names(restriction('IsLessThanOrEqualTo', '9999-12-31T23:59:59.5Z'))).to.deep.equal(['Emile Changed', 'Late Add', 'Older']);
  });

  it('writes and compares times to the millisecond under DateTimePrecision Milliseconds', async () => {
    const milliseconds = `${VERSION}<t:DateTimePrecision>Milliseconds</t:DateTimePrecision>`;
    expect(await found('', milliseconds)).to.deep.equal(['2026-12-07T01:54:59.671Z', '2026-12-07T01:54:59.900Z', '2026-12-07T01:54:58.100Z']);
    expect(await names(restriction('IsGreaterThan', '2026-12-07T01:54:59.671Z'), milliseconds)).to.deep.equal(['Late Add']);
    expect(await names(restriction('IsEqualTo', '2026-12-07T01:54:59.671Z'), milliseconds)).to.deep.equal(['Emile Changed']);
    expect(await names(restriction('IsGreaterThan', '2026-12-07T01:54:59Z'), milliseconds)).to.deep.equal(['Emile Changed', 'Late Add']);
    expect(await names(restriction('IsEqualTo', '2026-12-07T01:54:59Z'), milliseconds)).to.deep.equal([]);
    // Seconds, said so, is the default.
    const seconds = `${VERSION}<t:DateTimePrecision> Seconds </t:DateTimePrecision>`;
    expect(await found('', seconds)).to.deep.equal(['2026-12-07T01:54:59Z', '2026-12-07T01:54:59Z', '2026-12-07T01:54:58Z']);
  });

  it('writes the precision asked in every answer with times: GetItem, FindPeople and SyncFolderItems', async () => {
    const milliseconds = `${VERSION}<t:DateTimePrecision>Milliseconds</t:DateTimePrecision>`;
    const people = await post(
      '<m:FindPeople><m:IndexedPageItemView MaxEntriesReturned="10" Offset="0" BasePoint="Beginning"/><m:ParentFolderId><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderId></m:FindPeople>',
      milliseconds,
    );
    expect([...people.text.matchAll(/<t:CreationTime>([^<]*)</g)].map(([, time]) => time).sort()).to.deep.equal(CHANGED.map(({ at }) => at).sort());
    const synced = await post(
      `<m:SyncFolderItems>${shape}<m:SyncFolderId><t:DistinguishedFolderId Id="contacts"/></m:SyncFolderId><m:MaxChangesReturned>10</m:MaxChangesReturned></m:SyncFolderItems>`,
      milliseconds,
    );
    expect([...synced.text.matchAll(/<t:LastModifiedTime>([^<]*)</g)].map(([, time]) => time).sort()).to.deep.equal(CHANGED.map(({ at }) => at).sort());
    const id = /<t:ItemId Id="([^"]+)"/.exec(synced.text)![1]!;
    const item = await post(
      `<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`,
      milliseconds,
    );
    expect(/<t:DateTimeCreated>([^<]*)</.exec(item.text)?.[1]).to.match(/^2026-12-07T01:54:5\d\.\d{3}Z$/);
  });

  it('refuses a DateTimePrecision the schema does not have, or two, with the ErrorSchemaValidation fault', async () => {
    for (const header of [
      `${VERSION}<t:DateTimePrecision>Minutes</t:DateTimePrecision>`,
      `${VERSION}<t:DateTimePrecision/>`,
      `${VERSION}<t:DateTimePrecision>Seconds</t:DateTimePrecision><t:DateTimePrecision>Seconds</t:DateTimePrecision>`,
    ]) {
      const res = await post(`<m:FindItem Traversal="Shallow">${shape}${contacts}</m:FindItem>`, header);
      expect([res.status, /<faultcode[^>]*>a:ErrorSchemaValidation</.test(res.text)], header).to.deep.equal([500, true]);
    }
  });
});
