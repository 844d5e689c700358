import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import { SaxesParser } from 'saxes';
import request from 'supertest';
import { EWS_MIN_ANSWER_BYTES } from '../../src/config.js';
import { ItemIds } from '../../src/ews/item-ids.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { noisePhoto } from '../support/sample-images.js';
import { envelope, parseSoap } from '../support/soap.js';
import { ADMIN, basic, READER, ShareClock, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const LIMITS = { maxInputBytes: 10_000_000, maxInputPixels: 40_000_000, jpegQuality: 100 };
const MAX_ITEMS = 20;

/** Parses strictly, as zeep and the .NET reader do: throws on anything but well-formed XML. */
function wellFormed(xml: string): void {
  new SaxesParser({ xmlns: true }).write(xml).close();
}

describe('EWS answers are bounded: ids per request, answer bytes, repeated ids', () => {
  let t: TestBridge;
  let itemIds: string[];
  let attachmentIds: string[];
  /** The smallest limit: room for three photo attachments (834 KB each in base64), not four. */
  const maxAnswerBytes = EWS_MIN_ANSWER_BYTES;

  before(async () => {
    const photo = await normalizePhoto(await noisePhoto(648), LIMITS);
    t = await startTestBridge({ BRIDGE_EWS_MAX_ITEMS_PER_REQUEST: String(MAX_ITEMS), BRIDGE_EWS_MAX_ANSWER_BYTES: String(maxAnswerBytes) });
    const ids = await t.store.addContacts(
      READER.username,
      Array.from({ length: 6 }, (_, i) => ({ displayName: `Big Photo ${i}`, emailAddresses: [`big${i}@x.example`], phones: {}, refs: {}, photo })),
    );
    const { xml } = await call(
      '<m:ResolveNames ReturnFullContactData="false" SearchScope="Contacts"><m:UnresolvedEntry>Big Photo</m:UnresolvedEntry></m:ResolveNames>',
    );
    itemIds = xml.Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage.ResolutionSet.Resolution.map(
      (r: any) => r.Mailbox.ItemId.$.Id,
    );
    expect(itemIds).to.have.length(ids.length);
    const items = await call(
      `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Attachments"/></t:AdditionalProperties></m:ItemShape><m:ItemIds>${itemIds.map((id) => `<t:ItemId Id="${id}"/>`).join('')}</m:ItemIds></m:GetItem>`,
    );
    attachmentIds = [items.xml.Envelope.Body.GetItemResponse.ResponseMessages.GetItemResponseMessage]
      .flat()
      .map((m: any) => m.Items.Contact.Attachments.FileAttachment.AttachmentId.$.Id);
  });
  after(() => t.close());

  async function call(body: string) {
    const res = await request(t.bridge.server)
      .post('/EWS/Exchange.asmx')
      .set('Authorization', basic(READER))
      .set('Content-Type', 'text/xml; charset=utf-8')
      .send(envelope(body));
    return { res, xml: await parseSoap(res.text) };
  }
  const getAttachment = (ids: string[]) =>
    call(`<m:GetAttachment><m:AttachmentIds>${ids.map((id) => `<t:AttachmentId Id="${id}"/>`).join('')}</m:AttachmentIds></m:GetAttachment>`);
  const messagesOf = (xml: Record<string, any>) => [xml.Envelope.Body.GetAttachmentResponse.ResponseMessages.GetAttachmentResponseMessage].flat();

  it('refuses a list of more ids than the limit whole, with one ErrorInvalidRequest message and no item work', async () => {
    const { res, xml } = await getAttachment(Array.from({ length: MAX_ITEMS + 1 }, () => attachmentIds[0]!));
    expect(res.status).to.equal(200);
    const messages = messagesOf(xml);
    expect(messages).to.have.length(1);
    expect(messages[0]).to.deep.include({ ResponseCode: 'ErrorInvalidRequest' });
    expect(messages[0].MessageText).to.match(new RegExp(`at most ${MAX_ITEMS} ids`));
  });

  it('refuses an empty id list, or none, as Exchange’s schema check does: an ErrorSchemaValidation fault, never an answer without a message', async () => {
    const shape = '<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>';
    for (const [body, list] of [
      [`<m:GetItem>${shape}<m:ItemIds/></m:GetItem>`, 'ItemIds'],
      [`<m:GetItem>${shape}</m:GetItem>`, 'ItemIds'],
      ['<m:GetAttachment><m:AttachmentIds/></m:GetAttachment>', 'AttachmentIds'],
      ['<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds/></m:GetFolder>', 'FolderIds'],
    ] as const) {
      const { res, xml } = await call(body);
      const { faultstring, detail } = xml.Envelope.Body.Fault;
      expect([res.status, detail.ResponseCode._, /has incomplete content/.test(faultstring._), faultstring._.includes(`'${list}'`)], body).to.deep.equal([
        500,
        'ErrorSchemaValidation',
        true,
        true,
      ]);
    }
  });

  it('answers a repeated id once, where it first appears; its repeats get a short error', async () => {
    const { res, xml } = await getAttachment(Array.from({ length: MAX_ITEMS }, () => attachmentIds[0]!));
    const messages = messagesOf(xml);
    expect(messages.map((m) => m.ResponseCode)).to.deep.equal(['NoError', ...Array.from({ length: MAX_ITEMS - 1 }, () => 'ErrorInvalidRequest')]);
    expect(messages.filter((m) => m.Attachments?.FileAttachment?.Content)).to.have.length(1);
    expect(Buffer.byteLength(res.text)).to.be.below(maxAnswerBytes);
  });

  it('answers each id of GetItem in its place: a calendar occurrence’s or master’s id with ErrorItemNotFound; an element ItemIds may not hold fails schema validation', async () => {
    const shape = '<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>';
    const [first, second] = itemIds as [string, string];
    const { res, xml } = await call(
      `<m:GetItem>${shape}<m:ItemIds><t:OccurrenceItemId RecurringMasterId="${first}" InstanceIndex="1"/><t:ItemId Id="${first}"/><t:RecurringMasterItemId OccurrenceId="${first}"/><t:ItemId Id="${second}"/></m:ItemIds></m:GetItem>`,
    );
    expect(res.status).to.equal(200);
    const messages = [xml.Envelope.Body.GetItemResponse.ResponseMessages.GetItemResponseMessage].flat();
    expect(messages.map((m) => [m.ResponseCode, m.Items?.Contact?.ItemId?.$.Id])).to.deep.equal([
      ['ErrorItemNotFound', undefined],
      ['NoError', first],
      ['ErrorItemNotFound', undefined],
      ['NoError', second],
    ]);
    const stray = await call(`<m:GetItem>${shape}<m:ItemIds><t:ItemId Id="${first}"/><t:FolderId Id="${first}"/></m:ItemIds></m:GetItem>`);
    expect([stray.res.status, stray.xml.Envelope.Body.Fault.detail.ResponseCode._]).to.deep.equal([500, 'ErrorSchemaValidation']);
    const attachment = await getAttachment([attachmentIds[0]!]);
    expect(messagesOf(attachment.xml).map((m) => m.ResponseCode)).to.deep.equal(['NoError']);
    const strayAttachment = await call(`<m:GetAttachment><m:AttachmentIds><t:ItemId Id="${first}"/></m:AttachmentIds></m:GetAttachment>`);
    expect(strayAttachment.xml.Envelope.Body.Fault.detail.ResponseCode._).to.equal('ErrorSchemaValidation');
  });

  it('answers items past the byte limit with ErrorMessageSizeExceeded, unmade, in a whole envelope within the limit', async () => {
    // The malformed id last would be a short ErrorInvalidIdMalformed, were it read: once one item has not fitted, none is made.
    const { res, xml } = await getAttachment([...attachmentIds, 'not-an-id']);
    wellFormed(res.text);
    const codes = messagesOf(xml).map((m) => m.ResponseCode);
    expect(codes).to.deep.equal(['NoError', 'NoError', 'NoError', ...Array.from({ length: attachmentIds.length - 2 }, () => 'ErrorMessageSizeExceeded')]);
    expect(Buffer.byteLength(res.text)).to.be.at.most(maxAnswerBytes);
  });

  it('answers ResolveNames for a name with a control character (imported another way) as well-formed XML without it', async () => {
    await t.store.upsertUsers([{ email: 'ctl@x.example', displayName: 'Ctl\u0001 Person', refs: {} }]);
    const { res, xml } = await call('<m:ResolveNames ReturnFullContactData="true"><m:UnresolvedEntry>SMTP:ctl@x.example</m:UnresolvedEntry></m:ResolveNames>');
    wellFormed(res.text);
    expect(xml.Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage.ResolutionSet.Resolution.Mailbox.Name).to.equal('Ctl Person');
  });
});

describe('an EWS answer is at most BRIDGE_EWS_MAX_ANSWER_BYTES, envelope and all, with a message for every id', () => {
  const DISTINCT = 32;
  const IDS = 1000;
  let photo: Awaited<ReturnType<typeof normalizePhoto>>;
  before(async () => {
    photo = await normalizePhoto(await noisePhoto(648), LIMITS);
  });

  /** A bridge with the answer limit `maxAnswerBytes`, the default 1,000 ids a request, and DISTINCT contacts each with the large photo; their AttachmentIds. */
  async function bridgeWithPhotos(maxAnswerBytes: number): Promise<{ t: TestBridge; itemIds: string[]; attachmentIds: string[] }> {
    const t = await startTestBridge({ BRIDGE_EWS_MAX_ANSWER_BYTES: String(maxAnswerBytes), BRIDGE_SEARCH_MS_PER_SECOND: '1000' });
    const ids = await t.store.addContacts(
      READER.username,
      Array.from({ length: DISTINCT }, (_, i) => ({ displayName: `Large ${i}`, emailAddresses: [`large${i}@x.example`], phones: {}, refs: {}, photo })),
    );
    const itemIds = new ItemIds(await t.store.secret('item-ids', 32));
    const itemIdsOf = ids.map((id) => itemIds.encode('contact', id));
    const items = await getAttachmentLike(
      t,
      `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Attachments"/></t:AdditionalProperties></m:ItemShape><m:ItemIds>${itemIdsOf.map((id) => `<t:ItemId Id="${id}"/>`).join('')}</m:ItemIds></m:GetItem>`,
    );
    const attachmentIds = [items.xml.Envelope.Body.GetItemResponse.ResponseMessages.GetItemResponseMessage]
      .flat()
      .map((m: any) => m.Items.Contact.Attachments.FileAttachment.AttachmentId.$.Id as string);
    expect(attachmentIds).to.have.length(DISTINCT);
    return { t, itemIds: itemIdsOf, attachmentIds };
  }
  async function getAttachmentLike(t: TestBridge, body: string) {
    const res = await request(t.bridge.server)
      .post('/EWS/Exchange.asmx')
      .set('Authorization', basic(READER))
      .set('Content-Type', 'text/xml; charset=utf-8')
      .send(envelope(body))
      .expect(200);
    return { res, xml: await parseSoap(res.text) };
  }
  async function getAttachment(t: TestBridge, ids: string[]) {
    const { res, xml } = await getAttachmentLike(
      t,
      `<m:GetAttachment><m:AttachmentIds>${ids.map((id) => `<t:AttachmentId Id="${id}"/>`).join('')}</m:AttachmentIds></m:GetAttachment>`,
    );
    wellFormed(res.text);
    const messages = [xml.Envelope.Body.GetAttachmentResponse.ResponseMessages.GetAttachmentResponseMessage].flat();
    return { bytes: Buffer.byteLength(res.text), messages, codes: messages.map((m: any) => m.ResponseCode as string) };
  }
  const cycled = (attachmentIds: string[], count: number) => Array.from({ length: count }, (_, i) => attachmentIds[i % attachmentIds.length]!);

  it('at the default 4 MiB: 1,000 ids of 32 large photos get 1,000 messages in at most 4,194,304 bytes', async () => {
    const { t, attachmentIds } = await bridgeWithPhotos(4 * 1024 * 1024);
    try {
      const { bytes, codes } = await getAttachment(t, cycled(attachmentIds, IDS));
      expect(bytes).to.be.at.most(4 * 1024 * 1024);
      expect(codes).to.have.length(IDS);
      const made = codes.filter((code) => code === 'NoError').length;
      expect(made).to.be.within(1, DISTINCT - 1);
      expect(codes.slice(made).every((code) => code === 'ErrorInvalidRequest' || code === 'ErrorMessageSizeExceeded')).to.equal(true);
    } finally {
      await t.close();
    }
  });

  it('at the smallest limit, 3 MiB: 1,000 ids of 32 large photos get a message each within it, the first photo and contact with them', async () => {
    const { t, itemIds, attachmentIds } = await bridgeWithPhotos(EWS_MIN_ANSWER_BYTES);
    try {
      const { bytes, codes } = await getAttachment(t, cycled(attachmentIds, IDS));
      expect(bytes).to.be.at.most(EWS_MIN_ANSWER_BYTES);
      expect(codes).to.have.length(IDS);
      const made = codes.filter((code) => code === 'NoError').length;
      expect(made).to.be.within(1, DISTINCT - 1);
      expect(codes.slice(0, made)).to.deep.equal(Array<string>(made).fill('NoError'));
      // The contact carries its photo three times and more (MimeContent's vCard, Photo): 2 MB, with room kept for 999 error messages.
      const items = await getAttachmentLike(
        t,
        `<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent><t:AdditionalProperties><t:FieldURI FieldURI="contacts:Photo"/></t:AdditionalProperties></m:ItemShape><m:ItemIds>${cycled(
          itemIds,
          IDS,
        )
          .map((id) => `<t:ItemId Id="${id}"/>`)
          .join('')}</m:ItemIds></m:GetItem>`,
      );
      wellFormed(items.res.text);
      const messages = [items.xml.Envelope.Body.GetItemResponse.ResponseMessages.GetItemResponseMessage].flat();
      expect(Buffer.byteLength(items.res.text)).to.be.within(2_000_000, EWS_MIN_ANSWER_BYTES);
      expect([messages.length, messages[0].ResponseCode, messages[1].ResponseCode]).to.deep.equal([IDS, 'NoError', 'ErrorMessageSizeExceeded']);
      expect([items.res.text.match(/<t:Photo>/g)?.length, items.res.text.match(/<t:MimeContent /g)?.length]).to.deep.equal([1, 1]);
    } finally {
      await t.close();
    }
  });
});

describe('ResolveNames with every contact photo uncached', () => {
  it('answers all 100 resolutions with their photos, looked up a few at a time and made in the caller’s turn (a hundred at once overflowed its queue)', async () => {
    const t = await startTestBridge();
    try {
      const photo = await normalizePhoto(await noisePhoto(120), LIMITS);
      await t.store.addContacts(
        READER.username,
        Array.from({ length: 100 }, (_, i) => ({ displayName: `Turn Person ${i}`, emailAddresses: [`turn${i}@x.example`], phones: {}, refs: {}, photo })),
      );
      const resolveNames =
        '<m:ResolveNames ReturnFullContactData="true" ContactDataShape="AllProperties" SearchScope="Contacts"><m:UnresolvedEntry>Turn Person</m:UnresolvedEntry></m:ResolveNames>';
      const res = await request(t.bridge.server)
        .post('/EWS/Exchange.asmx')
        .set('Authorization', basic(READER))
        .set('Content-Type', 'text/xml; charset=utf-8')
        .send(envelope(resolveNames))
        .expect(200);
      const message = (await parseSoap(res.text)).Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage;
      expect(message.ResponseCode).to.equal('ErrorNameResolutionMultipleResults');
      expect(res.text.match(/<t:Photo>/g)).to.have.length(100);
    } finally {
      await t.close();
    }
  });

  it('looks up eight people’s photos at once, though their images are made two at a time: a lookup may wait on a source, not on the image threads', async () => {
    const t = await startTestBridge();
    try {
      await t.store.addContacts(
        READER.username,
        Array.from({ length: 20 }, (_, i) => ({ displayName: `Lookup Person ${i}`, emailAddresses: [`lookup${i}@x.example`], phones: {}, refs: {} })),
      );
      const { photos } = t.bridge;
      const photo = photos.photoIfKnown.bind(photos);
      let inFlight = 0;
      let most = 0;
      photos.photoIfKnown = async (...args) => {
        most = Math.max(most, ++inFlight);
        try {
          return await photo(...args);
        } finally {
          inFlight--;
        }
      };
      const resolveNames =
        '<m:ResolveNames ReturnFullContactData="true" ContactDataShape="AllProperties" SearchScope="Contacts"><m:UnresolvedEntry>Lookup Person</m:UnresolvedEntry></m:ResolveNames>';
      await request(t.bridge.server)
        .post('/EWS/Exchange.asmx')
        .set('Authorization', basic(READER))
        .set('Content-Type', 'text/xml; charset=utf-8')
        .send(envelope(resolveNames))
        .expect(200);
      expect(most).to.equal(8);
    } finally {
      await t.close();
    }
  });
});

describe('EWS request bodies in progress per account', () => {
  const BUDGET = 1024 * 1024;
  const FIND_CONTACTS = envelope(
    '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>' +
      '<m:ParentFolderIds><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds></m:FindItem>',
  );
  /** Half the budget: the envelope, then blanks (XML allows them after the root element). */
  const HALF = Buffer.from(FIND_CONTACTS.padEnd(BUDGET / 2, ' '));
  const POX_REQUEST =
    '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">' +
    `<Request><EMailAddress>${READER.username}</EMailAddress>` +
    '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>';
  /** Bodies of up to 16 KiB are not counted: this one is. */
  const COUNTED = FIND_CONTACTS.padEnd(20 * 1024, ' ');
  let t: TestBridge;
  let port: number;

  before(async () => {
    t = await startTestBridge({ BRIDGE_EWS_BODY_BYTES_PER_ACCOUNT: String(BUDGET) });
    ({ port } = await t.bridge.listen());
  });
  after(() => t.close());

  /** A FindItem of half the budget whose body stops after 10 bytes until `finish` sends the rest (or `abandon` drops the connection). */
  function heldRequest() {
    const req = httpRequest({
      port,
      host: '127.0.0.1',
      method: 'POST',
      path: '/EWS/Exchange.asmx',
      headers: { authorization: basic(READER), 'content-type': 'text/xml; charset=utf-8', 'content-length': HALF.length },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
    });
    req.write(HALF.subarray(0, 10));
    return {
      answer,
      finish: () => req.end(HALF.subarray(10)),
      abandon: () => {
        answer.catch(() => undefined);
        req.destroy();
      },
    };
  }

  const findAs = (credentials: { username: string; password: string }, body = COUNTED) =>
    request(t.bridge.server).post('/EWS/Exchange.asmx').set('Authorization', basic(credentials)).set('Content-Type', 'text/xml; charset=utf-8').send(body);
  const codeOf = (xml: string) => /<m:ResponseCode>(\w+)<\/m:ResponseCode>|<e:ResponseCode[^>]*>(\w+)</.exec(xml)?.slice(1).find(Boolean);

  /** The held requests reach the body reader after their logins: ask until one more is refused (or give up). */
  async function refusedOnceMore() {
    let res = await findAs(READER);
    for (let tries = 0; res.status === 200 && tries < 50; tries++) res = await findAs(READER);
    return res;
  }

  it('answers a request past the budget with ErrorExceededConnectionCount, unread; small bodies and other accounts go on; a finished or abandoned request frees its bytes', async () => {
    const held = [heldRequest(), heldRequest()];
    const refused = await refusedOnceMore();
    expect([refused.status, codeOf(refused.text)]).to.deep.equal([500, 'ErrorExceededConnectionCount']);
    expect(refused.text).to.include('<s:Fault>');
    const other = await findAs(ADMIN);
    expect([other.status, codeOf(other.text)]).to.deep.equal([200, 'NoError']);
    const small = await findAs(READER, FIND_CONTACTS);
    expect([small.status, codeOf(small.text)]).to.deep.equal([200, 'NoError']);
    // Autodiscover bodies count against the same budget.
    const autodiscover = await request(t.bridge.server)
      .post('/autodiscover/autodiscover.xml')
      .set('Authorization', basic(READER))
      .set('Content-Type', 'text/xml; charset=utf-8')
      .send(POX_REQUEST.padEnd(20 * 1024, ' '));
    expect(autodiscover.status).to.equal(503);

    held[0]!.finish();
    const first = await held[0]!.answer;
    expect([first.status, codeOf(first.body)]).to.deep.equal([200, 'NoError']);
    const next = await findAs(READER);
    expect([next.status, codeOf(next.text)]).to.deep.equal([200, 'NoError']);

    // Half still held: one more half is taken, then nothing more.
    const another = heldRequest();
    expect((await refusedOnceMore()).status).to.equal(500);
    held[1]!.abandon();
    another.abandon();
    let after = await findAs(READER);
    // The server sees the connections close a moment after the client does.
    for (let tries = 0; after.status !== 200 && tries < 50; tries++) after = await findAs(READER);
    expect([after.status, codeOf(after.text)]).to.deep.equal([200, 'NoError']);
  });
});

describe("GetAttachment and GetItem's MimeContent are charged to the login's share of the store's time", () => {
  let t: TestBridge;
  let attachmentIds: string[];
  let itemIds: string[];
  const shares = new ShareClock();

  before(async () => {
    // The smallest share (20 ms in a burst): a few answers of large photos outspend it.
    t = await startTestBridge({ BRIDGE_SEARCH_MS_PER_SECOND: '10' }, undefined, shares.now);
    const photo = await normalizePhoto(await noisePhoto(648), LIMITS);
    const ids = await t.store.addContacts(
      READER.username,
      Array.from({ length: 6 }, (_, i) => ({ displayName: `Big Photo ${i}`, emailAddresses: [], phones: {}, refs: {}, photo })),
    );
    const naming = new ItemIds(await t.store.secret('item-ids', 32));
    itemIds = ids.map((id) => naming.encode('contact', id));
    attachmentIds = ids.map((id) => naming.encode('contactPhoto', id, photo.sha256));
  });
  after(() => t.close());

  const call = (body: string, who = READER) =>
    request(t.bridge.server).post('/EWS/Exchange.asmx').set('Authorization', basic(who)).set('Content-Type', 'text/xml; charset=utf-8').send(envelope(body));
  const codeOf = (xml: string) => (/<faultcode[^>]*>a:ErrorServerBusy</.test(xml) ? 'fault ErrorServerBusy' : /<m:ResponseCode>([^<]*)</.exec(xml)![1]!);
  const getItem = (shape: string) =>
    `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="${shape}"/></t:AdditionalProperties></m:ItemShape><m:ItemIds>${itemIds.map((id) => `<t:ItemId Id="${id}"/>`).join('')}</m:ItemIds></m:GetItem>`;
  const untilRefused = async (body: string) => {
    const codes: string[] = [];
    let last = '';
    for (let i = 0; i < 200 && !codes.includes('fault ErrorServerBusy'); i++) {
      last = (await call(body)).text;
      codes.push(codeOf(last));
    }
    return { codes, last };
  };

  it('sent back to back, the login is soon refused before its answer starts, with a back-off; plain GetItems and other logins go on', async () => {
    for (const body of [
      `<m:GetAttachment><m:AttachmentIds>${attachmentIds.map((id) => `<t:AttachmentId Id="${id}"/>`).join('')}</m:AttachmentIds></m:GetAttachment>`,
      getItem('item:MimeContent'),
    ]) {
      // A minute on: whatever the last body overspent is paid back (10 ms a second), so this one starts on a whole share.
      shares.payBack();
      const { codes, last } = await untilRefused(body);
      expect(codes[0], 'answered while the share lasts').to.equal('NoError');
      expect(codes.at(-1), body.slice(0, 20)).to.equal('fault ErrorServerBusy');
      expect(last).to.match(/<t:Value Name="BackOffMilliseconds">\d+</);
      expect(codes.slice(0, -1).every((code) => code === 'NoError')).to.equal(true);
      expect(codeOf((await call(getItem('item:Subject'))).text), 'uncharged').to.equal('NoError');
      expect(codeOf((await call(getItem('item:MimeContent'), ADMIN)).text), "another login's share").to.equal('ErrorItemNotFound');
    }
  });
});

describe("Reading an envelope over 16 KiB is charged to the login's share of the bridge's time", () => {
  let t: TestBridge;
  const shares = new ShareClock();
  before(async () => {
    t = await startTestBridge({ BRIDGE_SEARCH_MS_PER_SECOND: '10' }, undefined, shares.now);
  });
  after(() => t.close());

  const call = (body: string, who = READER) =>
    request(t.bridge.server).post('/EWS/Exchange.asmx').set('Authorization', basic(who)).set('Content-Type', 'text/xml; charset=utf-8').send(envelope(body));
  const busy = (xml: string) => /<faultcode[^>]*>a:ErrorServerBusy</.test(xml);
  const photo = (blanks = '') =>
    `<m:GetUserPhoto>${blanks}<m:Email>alex.wilber@contoso.com</m:Email><m:SizeRequested>HR48x48</m:SizeRequested></m:GetUserPhoto>`;
  // 60 KB of blanks between elements, under the text limit of one element: a large envelope that reads as a GetUserPhoto, which no search is.
  const large = photo(' '.repeat(60_000));

  it('sent back to back, large envelopes are soon refused with ErrorServerBusy and a back-off; small ones and other logins go on', async () => {
    const answers: string[] = [];
    for (let i = 0; i < 300 && !answers.some(busy); i++) answers.push((await call(large)).text);
    expect(answers.length, 'some answered while the share lasts').to.be.greaterThan(1);
    expect(answers.slice(0, -1).some(busy)).to.equal(false);
    expect(answers.at(-1)).to.match(/<t:Value Name="BackOffMilliseconds">\d+</);
    expect(busy((await call(photo())).text), 'a small envelope of the same login').to.equal(false);
    expect(busy((await call(large, ADMIN)).text), "another login's share").to.equal(false);
    shares.payBack();
    expect(busy((await call(large)).text), 'a minute on').to.equal(false);
  });
});
