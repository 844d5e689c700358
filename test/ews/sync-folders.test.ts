import { expect } from 'chai';
import ICAL from 'ical.js';
import request from 'supertest';
import { EWS_MIN_ANSWER_BYTES } from '../../src/config.js';
import { contactOwner } from '../../src/domain/photo-owner.js';
import { forgedSyncState, staleSyncState } from '../abuse/hostile-bodies.js';
import { ItemIds } from '../../src/ews/item-ids.js';
import { SyncStateWriter } from '../../src/ews/sync-state.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { noisePhoto } from '../support/sample-images.js';
import { envelope, parseSoap } from '../support/soap.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const contact = (displayName: string) => ({ displayName, emailAddresses: [], phones: {}, refs: {} });
/** A SOAP request of the reader's, or of another login's. */
const ews = (t: TestBridge, body: string, login = READER) =>
  request(t.bridge.server).post('/EWS/Exchange.asmx').set('Authorization', basic(login)).set('Content-Type', 'text/xml').send(envelope(body));

describe('SyncFolderItems on the Contacts folder', () => {
  let t: TestBridge;
  let ids: number[];
  beforeEach(async () => {
    t = await startTestBridge();
    ids = await t.store.addContacts(READER.username, ['Ann', 'Bob', 'Cy', 'Dee', 'Eve'].map(contact));
    await t.store.addContacts(ADMIN.username, [contact('Admin Only')]);
  });
  afterEach(() => t.close());

  const folder = (id = 'contacts', mailbox = '') =>
    `<t:DistinguishedFolderId Id="${id}">${mailbox && `<t:Mailbox><t:EmailAddress>${mailbox}</t:EmailAddress></t:Mailbox>`}</t:DistinguishedFolderId>`;
  const post = (inner: string) => ews(t, `<m:SyncFolderItems>${inner}</m:SyncFolderItems>`);
  /** One call: the message's code, its SyncState, whether it was the last, and each change as [kind, display name or item id]. */
  const sync = async (state: string | undefined, max: number, more = '', folderId = folder()) => {
    const res = await post(
      `<m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:SyncFolderId>${folderId}</m:SyncFolderId>` +
        `${state === undefined ? '' : `<m:SyncState>${state}</m:SyncState>`}${more}<m:MaxChangesReturned>${max}</m:MaxChangesReturned>`,
    );
    expect(res.status).to.equal(200);
    const message = (await parseSoap(res.text)).Envelope.Body.SyncFolderItemsResponse.ResponseMessages.SyncFolderItemsResponseMessage;
    const changes = [...res.text.matchAll(/<t:(Create|Update|Delete)>(.*?)<\/t:\1>/g)].map(([, kind, body]) => [
      kind,
      /<t:DisplayName>([^<]*)</.exec(body!)?.[1] ?? /<t:ItemId Id="([^"]*)"/.exec(body!)![1],
    ]);
    return { code: message.ResponseCode, state: message.SyncState as string, last: message.IncludesLastItemInRange, changes };
  };
  const itemId = async (name: string) => {
    const res = await ews(
      t,
      `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds>${folder()}</m:ParentFolderIds></m:FindItem>`,
    );
    const all = [...res.text.matchAll(/<t:ItemId Id="([^"]*)"/g)].map((m) => m[1]!);
    return all[['Ann', 'Bob', 'Cy', 'Dee', 'Eve', 'Fay'].indexOf(name)]!;
  };

  it('gives every contact as created the first time, MaxChangesReturned at a time, then nothing more', async () => {
    const first = await sync(undefined, 2);
    expect(first).to.deep.include({ code: 'NoError', last: 'false' });
    expect(first.changes).to.deep.equal([
      ['Create', 'Ann'],
      ['Create', 'Bob'],
    ]);
    const second = await sync(first.state, 2);
    expect([second.last, second.changes]).to.deep.equal([
      'false',
      [
        ['Create', 'Cy'],
        ['Create', 'Dee'],
      ],
    ]);
    const third = await sync(second.state, 2);
    expect([third.last, third.changes]).to.deep.equal(['true', [['Create', 'Eve']]]);
    const after = await sync(third.state, 512, '<m:Ignore/>');
    expect(after).to.deep.equal({ code: 'NoError', state: third.state, last: 'true', changes: [] });
  });

  it('gives what changed since a state, deleted, changed and created, in id order; ignored ones are taken as known', async () => {
    const { state } = await sync(undefined, 512);
    const deeId = await itemId('Dee');
    await t.store.removeContact(READER.username, ids[1]!);
    await t.store.saveContacts(READER.username, [{ id: ids[2]!, contact: contact('Cy Renamed') }], [contact('Fay')]);
    await t.store.saveContacts(READER.username, [{ id: ids[3]!, contact: contact('Dee Renamed') }], []);
    const changed = await sync(state, 512, `<m:Ignore><t:ItemId Id="${deeId}"/></m:Ignore>`);
    expect(changed.changes.map(([kind, what]) => (kind === 'Delete' ? [kind, typeof what] : [kind, what]))).to.deep.equal([
      ['Delete', 'string'],
      ['Update', 'Cy Renamed'],
      ['Create', 'Fay'],
    ]);
    expect(changed.last).to.equal('true');
    // Nothing is left to give, the ignored change included.
    expect((await sync(changed.state, 512)).changes).to.deep.equal([]);
    // A photo is a change of its contact.
    await t.store.setPhoto(
      contactOwner(ids[0]!),
      { bytes: Buffer.from('x'), contentType: 'image/jpeg', width: 1, height: 1, sha256: 'a'.repeat(64) },
      'upload',
    );
    expect((await sync(changed.state, 512)).changes).to.deep.equal([['Update', 'Ann']]);
  });

  it("carries a contact's photo in its MimeContent vCard when the shape asks for MimeContent", async () => {
    const photo = { bytes: Buffer.from('a photo'), contentType: 'image/jpeg' as const, width: 1, height: 1, sha256: 'b'.repeat(64) };
    await t.store.setPhoto(contactOwner(ids[1]!), photo, 'upload');
    const res = await post(
      '<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent></m:ItemShape>' +
        `<m:SyncFolderId>${folder()}</m:SyncFolderId><m:MaxChangesReturned>2</m:MaxChangesReturned>`,
    );
    const vcards = [...res.text.matchAll(/<t:MimeContent CharacterSet="UTF-8">([^<]*)</g)].map((m) =>
      ICAL.Component.fromString(Buffer.from(m[1]!, 'base64').toString()),
    );
    expect(vcards.map((card) => [card.getFirstPropertyValue('fn'), String(card.getFirstPropertyValue('photo') ?? '')])).to.deep.equal([
      ['Ann', ''],
      ['Bob', photo.bytes.toString('base64')],
    ]);
  });

  it('answers the folders above Contacts with no items, and a state it did not give, or gave for another folder, with ErrorInvalidSyncStateData', async () => {
    const root = await sync(undefined, 10, '', folder('root'));
    expect([root.code, root.last, root.changes]).to.deep.equal(['NoError', 'true', []]);
    expect((await sync(root.state, 10, '', folder('root'))).code).to.equal('NoError');
    // The last: one contact of id 2^49 - 1, past any row id (it was a 500 when the item was told deleted), as a client could forge it before states were sealed.
    for (const state of [root.state, 'AQMC', 'not base64!', 'AQM=x', 'AQP///////9/AAAAAQ==', forgedSyncState(3)]) {
      const refused = await sync(state, 10);
      expect([refused.code, refused.state, refused.last, refused.changes], state).to.deep.equal(['ErrorInvalidSyncStateData', '', 'true', []]);
    }
    expect((await sync(undefined, 10, '', folder('contacts', ADMIN.username))).code).to.equal('ErrorFolderNotFound');
    expect((await sync(undefined, 10, '', folder('inbox'))).code).to.equal('ErrorFolderNotFound');
  });

  it('takes a SyncState only from the mailbox it was given to: another login’s, or one naming another mailbox’s contacts, is ErrorInvalidSyncStateData', async () => {
    const [adminContact] = await t.store.addContacts(ADMIN.username, [contact('Admin Two')]);
    const adminSync = (state = '') =>
      ews(
        t,
        `<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId>${folder()}</m:SyncFolderId><m:SyncState>${state}</m:SyncState><m:MaxChangesReturned>10</m:MaxChangesReturned></m:SyncFolderItems>`,
        ADMIN,
      );
    const admins = await adminSync();
    const adminState = /<m:SyncState>([^<]+)</.exec(admins.text)![1]!;
    // What a client would make of a state to be told the admin's contacts are gone: their ids, sealed as it cannot seal them.
    const naming = new SyncStateWriter('items', 'contacts', 1);
    naming.add(adminContact!, 0);
    const unsealed = naming.sealedFor({ ids: new ItemIds(Buffer.alloc(32)), mailbox: READER.username });
    for (const state of [adminState, unsealed]) {
      const refused = await sync(state, 10);
      expect([refused.code, refused.changes], state).to.deep.equal(['ErrorInvalidSyncStateData', []]);
    }
    // The state the bridge gave the admin still works for the admin.
    const again = await adminSync(adminState);
    expect([/<m:ResponseCode>([^<]*)</.exec(again.text)![1], again.text.includes('<t:Create>')]).to.deep.equal(['NoError', false]);
  });

  it('tells a contact deleted when the state had an id past any row (a 500 when the state could be forged) as ErrorInvalidSyncStateData', async () => {
    const past = new SyncStateWriter('items', 'contacts', 1);
    past.add(2 ** 49 - 1, 1);
    const refused = await sync(past.sealedFor({ ids: new ItemIds(await t.store.secret('item-ids', 32)), mailbox: READER.username }), 10);
    expect([refused.code, refused.changes]).to.deep.equal(['ErrorInvalidSyncStateData', []]);
  });

  it('fails schema validation for MaxChangesReturned outside 1 to 512, a second SyncFolderId or an unknown SyncScope', async () => {
    for (const [max, more] of [
      ['0', ''],
      ['513', ''],
      ['ten', ''],
      ['5', '<m:SyncScope>Everything</m:SyncScope>'],
    ] as const) {
      const res = await post(
        `<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId>${folder()}</m:SyncFolderId><m:MaxChangesReturned>${max}</m:MaxChangesReturned>${more}`,
      );
      expect([res.status, /<faultcode[^>]*>a:ErrorSchemaValidation</.test(res.text)], `${max} ${more}`).to.deep.equal([500, true]);
    }
    const two = await post(
      `<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId>${folder()}${folder()}</m:SyncFolderId><m:MaxChangesReturned>5</m:MaxChangesReturned>`,
    );
    expect(two.status).to.equal(500);
  });
});

describe('SyncFolderItems on a folder of 12,000 contacts', () => {
  let t: TestBridge;
  before(async () => {
    // Each call is charged to the account's share of the store's time; 24 back to back pass the default share's burst.
    t = await startTestBridge({ BRIDGE_SEARCH_MS_PER_SECOND: '1000' });
    await t.store.addContacts(
      READER.username,
      Array.from({ length: 12_000 }, (_, i) => contact(`Person ${i}`)),
    );
  });
  after(() => t.close());

  it('gives every contact once, 512 at a time, and reads back a state longer than any other element may be', async () => {
    let state = '';
    let created = 0;
    for (let last = false; !last;) {
      const res = await ews(
        t,
        `<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId><t:DistinguishedFolderId Id="contacts"/></m:SyncFolderId>` +
          `<m:SyncState>${state}</m:SyncState><m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems>`,
      );
      const message = (await parseSoap(res.text)).Envelope.Body.SyncFolderItemsResponse.ResponseMessages.SyncFolderItemsResponseMessage;
      expect(message.ResponseCode).to.equal('NoError');
      created += (res.text.match(/<t:Create>/g) ?? []).length;
      state = message.SyncState;
      last = message.IncludesLastItemInRange === 'true';
    }
    expect([created, state.length > 65_536]).to.deep.equal([12_000, true]);
    const again = await ews(
      t,
      `<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId><t:DistinguishedFolderId Id="contacts"/></m:SyncFolderId>` +
        `<m:SyncState>${state}</m:SyncState><m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems>`,
    );
    expect([again.status, /<m:ResponseCode>NoError</.test(again.text), /<t:(Create|Update|Delete)>/.test(again.text)]).to.deep.equal([200, true, false]);
  });
});

describe('SyncFolderHierarchy', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
    await t.store.addContacts(READER.username, [contact('Ann'), contact('Bob')]);
  });
  after(() => t.close());

  const sync = async (inner: string) => {
    const res = await ews(t, `<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>${inner}</m:SyncFolderHierarchy>`);
    expect(res.status).to.equal(200);
    const message = (await parseSoap(res.text)).Envelope.Body.SyncFolderHierarchyResponse.ResponseMessages.SyncFolderHierarchyResponseMessage;
    const created = [...res.text.matchAll(/<t:Create><t:(\w+)>.*?<t:DisplayName>([^<]*)<\/t:DisplayName>(?:<t:TotalCount>(\d+))?/g)].map((m) => m.slice(1));
    return { code: message.ResponseCode, state: message.SyncState as string, last: message.IncludesLastFolderInRange, created };
  };
  const syncFolder = (id: string, mailbox = '') =>
    `<m:SyncFolderId><t:DistinguishedFolderId Id="${id}">${mailbox && `<t:Mailbox><t:EmailAddress>${mailbox}</t:EmailAddress></t:Mailbox>`}</t:DistinguishedFolderId></m:SyncFolderId>`;

  it("gives the mailbox's folders as created the first time, with the Contacts folder's count, and nothing from its state", async () => {
    const first = await sync('');
    expect([first.code, first.last, first.created]).to.deep.equal([
      'NoError',
      'true',
      [
        ['Folder', 'Top of Information Store', '0'],
        ['ContactsFolder', 'Contacts', '2'],
      ],
    ]);
    const again = await sync(`${syncFolder('root')}<m:SyncState>${first.state}</m:SyncState>`);
    expect([again.code, again.state, again.created]).to.deep.equal(['NoError', first.state, []]);
    const underContacts = await sync(syncFolder('contacts'));
    expect([underContacts.code, underContacts.created]).to.deep.equal(['NoError', []]);
  });

  it("refuses a state it did not give for that folder, and another mailbox's folder", async () => {
    const { state } = await sync('');
    for (const inner of [`${syncFolder('contacts')}<m:SyncState>${state}</m:SyncState>`, '<m:SyncState>AQE=</m:SyncState>']) {
      const refused = await sync(inner);
      expect([refused.code, refused.state, refused.last, refused.created], inner).to.deep.equal(['ErrorInvalidSyncStateData', '', 'true', []]);
    }
    expect((await sync(syncFolder('contacts', ADMIN.username))).code).to.equal('ErrorFolderNotFound');
  });
});

describe('SyncFolderItems within the answer byte limit', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge({ BRIDGE_EWS_MAX_ANSWER_BYTES: String(EWS_MIN_ANSWER_BYTES) });
    // Each with a photo of noise, in its MimeContent's vCard: 41 KB a contact, 12 MB in all.
    const photo = await normalizePhoto(await noisePhoto(120), { maxInputBytes: 10_000_000, maxInputPixels: 40_000_000, jpegQuality: 100 });
    await t.store.addContacts(
      READER.username,
      Array.from({ length: 300 }, (_, i) => ({ ...contact(`Person ${String(i).padStart(3, '0')} ${'x'.repeat(400)}`), jobTitle: 'y'.repeat(400), photo })),
    );
  });
  after(() => t.close());

  it('gives fewer changes than asked when they would pass it, and every contact once over the calls', async () => {
    const seen: string[] = [];
    let state = '';
    let calls = 0;
    for (let last = false; !last; calls++) {
      const res = await ews(
        t,
        `<m:SyncFolderItems><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent></m:ItemShape>` +
          `<m:SyncFolderId><t:DistinguishedFolderId Id="contacts"/></m:SyncFolderId><m:SyncState>${state}</m:SyncState><m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems>`,
      );
      expect(Buffer.byteLength(res.text)).to.be.at.most(EWS_MIN_ANSWER_BYTES);
      const message = (await parseSoap(res.text)).Envelope.Body.SyncFolderItemsResponse.ResponseMessages.SyncFolderItemsResponseMessage;
      expect(message.ResponseCode).to.equal('NoError');
      seen.push(...[...res.text.matchAll(/<t:Create><t:Contact>.*?<t:DisplayName>Person (\d+)/g)].map((m) => m[1]!));
      state = message.SyncState;
      last = message.IncludesLastItemInRange === 'true';
    }
    expect(calls).to.be.greaterThan(2);
    expect(seen).to.deep.equal(Array.from({ length: 300 }, (_, i) => String(i).padStart(3, '0')));
  });
});

describe('SyncFolderItems with a SyncState of 150,000 contacts since deleted', () => {
  let t: TestBridge;
  before(async () => {
    // A small share (200 ms in a burst): reading such a state outspends it within a few requests; reading
    // its envelope alone (some 450 KB, charged as every envelope over 16 KiB is) does not.
    t = await startTestBridge({ BRIDGE_SEARCH_MS_PER_SECOND: '100' });
  });
  after(() => t.close());

  it('charges reading it to the login’s share of the store’s time: sent back to back, the login is soon told ErrorServerBusy with a back-off', async () => {
    const state = await staleSyncState(t.store, READER.username, 150_000);
    const body = `<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId><t:DistinguishedFolderId Id="contacts"/></m:SyncFolderId><m:SyncState>${state}</m:SyncState><m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems>`;
    const answers: string[] = [];
    let last = '';
    for (let i = 0; i < 10 && !answers.includes('ErrorServerBusy'); i++) {
      last = (await ews(t, body)).text;
      answers.push(/<faultcode[^>]*>a:ErrorServerBusy</.test(last) ? 'ErrorServerBusy' : /<m:ResponseCode>([^<]*)</.exec(last)![1]!);
    }
    expect(answers.at(-1)).to.equal('ErrorServerBusy');
    expect(last).to.match(/<t:Value Name="BackOffMilliseconds">\d+</);
    expect(answers.slice(0, -1).every((code) => code === 'NoError')).to.equal(true);
    // Another login's share is its own.
    const other = await ews(t, body.replace(state, await staleSyncState(t.store, ADMIN.username, 150_000)), ADMIN);
    expect(/<m:ResponseCode>NoError</.test(other.text)).to.equal(true);
  });
});
