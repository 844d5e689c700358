import { expect } from 'chai';
import { EWS_MIN_ANSWER_BYTES } from '../../src/config.js';
import { ItemIds } from '../../src/ews/item-ids.js';
import { parseSoap, postEws } from '../support/soap.js';
import { READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

type Alternate = { id: string; format: string; mailbox?: string } | string;

async function convertIn(t: TestBridge, destination: string | undefined, ids: Alternate[]) {
  const format = destination === undefined ? '' : ` DestinationFormat="${destination}"`;
  const alternates = ids
    .map((alternate) =>
      typeof alternate === 'string'
        ? alternate
        : `<t:AlternateId Format="${alternate.format}" Id="${alternate.id}" Mailbox="${alternate.mailbox ?? READER.username}"/>`,
    )
    .join('');
  const res = await postEws(t.bridge.server, `<m:ConvertId${format}><m:SourceIds>${alternates}</m:SourceIds></m:ConvertId>`, READER);
  const xml = await parseSoap(res.text);
  return { res, messages: [xml.Envelope.Body.ConvertIdResponse?.ResponseMessages.ConvertIdResponseMessage ?? []].flat(), xml };
}
const codes = (messages: Record<string, any>[]) => messages.map((message) => message.ResponseCode as string);

async function contactEwsId(t: TestBridge): Promise<string> {
  const [id] = (await t.store.addContacts(READER.username, [{ displayName: 'Lee Gu', emailAddresses: ['lee.gu@fabrikam.com'], phones: {}, refs: {} }])) as [
    number,
  ];
  return new ItemIds(await t.store.secret('item-ids', 32)).encode('contact', id);
}

/** ConvertId's bounds and refusals; its conversions are shown through exchangelib and zeep (test/interop). */
describe('EWS ConvertId', () => {
  let t: TestBridge;
  let ewsId: string;

  before(async () => {
    t = await startTestBridge();
    ewsId = await contactEwsId(t);
  });
  after(() => t.close());

  const convert = (destination: string | undefined, ids: Alternate[]) => convertIn(t, destination, ids);

  it('converts between the forms the bridge’s ids have, and refuses the two they lack, id by id', async () => {
    const hex = Buffer.from(ewsId, 'base64').toString('hex').toUpperCase();
    const { res, messages } = await convert('HexEntryId', [
      { id: ewsId, format: 'EwsId' },
      { id: ewsId, format: 'OwaId' },
      { id: ewsId.slice(0, -2) + (ewsId.endsWith('AA') ? 'BA' : 'AA'), format: 'EwsId' },
      { id: ewsId, format: 'StoreId' },
      { id: hex.toLowerCase(), format: 'HexEntryId' },
    ]);
    expect(res.status).to.equal(200);
    expect(codes(messages)).to.deep.equal(['NoError', 'NoError', 'ErrorInvalidIdMalformed', 'ErrorInvalidIdMalformed', 'NoError']);
    expect(messages[0].AlternateId.$).to.deep.include({ type: 't:AlternateIdType', Format: 'HexEntryId', Id: hex, Mailbox: READER.username });
    for (const destination of ['EwsLegacyId', 'StoreId']) {
      const refused = await convert(destination, [{ id: ewsId, format: 'EwsId' }]);
      expect(codes(refused.messages), destination).to.deep.equal(['ErrorInvalidRequest']);
    }
  });

  it('refuses a request past the ids-per-request limit whole, and one without a DestinationFormat or with an unknown form', async () => {
    const many = await convert(
      'EntryId',
      Array.from({ length: 1001 }, () => ({ id: ewsId, format: 'EwsId' })),
    );
    expect(codes(many.messages)).to.deep.equal(['ErrorInvalidRequest']);
    expect(many.messages[0].MessageText).to.equal('at most 1000 ids per request; this one has 1001');
    for (const [destination, format] of [
      [undefined, 'EwsId'],
      ['RestId', 'EwsId'],
      ['EwsId', 'constructor'],
    ] as const) {
      const { res, xml } = await convert(destination, [{ id: ewsId, format }]);
      expect(res.status, `${destination} ${format}`).to.equal(500);
      expect(xml.Envelope.Body.Fault.detail.ResponseCode._).to.equal('ErrorSchemaValidation');
    }
  });

  it('answers a public folder’s id, which the SourceIds list may hold, in its place with ErrorInvalidIdMalformed: the ids after it keep their answers', async () => {
    const { res, messages } = await convert('HexEntryId', [
      `<t:AlternatePublicFolderId Format="EwsId" FolderId="${ewsId}"/>`,
      { id: ewsId, format: 'EwsId' },
      `<t:AlternatePublicFolderItemId Format="EwsId" FolderId="${ewsId}" ItemId="${ewsId}"/>`,
      { id: ewsId, format: 'OwaId' },
    ]);
    expect(res.status).to.equal(200);
    expect(codes(messages)).to.deep.equal(['ErrorInvalidIdMalformed', 'NoError', 'ErrorInvalidIdMalformed', 'NoError']);
    expect(messages[1].AlternateId.$.Id).to.equal(Buffer.from(ewsId, 'base64').toString('hex').toUpperCase());
  });

  it('fails schema validation for an element SourceIds may not hold, and for an empty Mailbox (NonEmptyStringType)', async () => {
    for (const alternate of ['<t:ItemId Id="x"/>', { id: ewsId, format: 'EwsId', mailbox: '' }]) {
      const { res, xml } = await convert('EwsId', [{ id: ewsId, format: 'EwsId' }, alternate]);
      expect([res.status, xml.Envelope.Body.Fault.detail.ResponseCode._], JSON.stringify(alternate)).to.deep.equal([500, 'ErrorSchemaValidation']);
    }
  });
});

describe('EWS ConvertId within BRIDGE_EWS_MAX_ANSWER_BYTES', () => {
  /** BRIDGE_EWS_MAX_ITEMS_PER_REQUEST's default; the reader's 4,000 attributes in all allow no more than 1,333 AlternateIds anyway. */
  const MAX_IDS = 1000;

  it(`at the smallest limit, ${MAX_IDS} ids in a 1 MiB request get a message each, in order, the answer within the limit`, async () => {
    const t = await startTestBridge({ BRIDGE_EWS_MAX_ANSWER_BYTES: String(EWS_MIN_ANSWER_BYTES) });
    try {
      const ewsId = await contactEwsId(t);
      // A Mailbox is written back as it came, an apostrophe in it as &apos;: this request was answered 5,969,708 bytes.
      const mailbox = "'".repeat(Math.floor((1000 * 1024) / MAX_IDS) - ewsId.length - '<t:AlternateId Format="EwsId" Id="" Mailbox=""/>'.length);
      const { res, messages } = await convertIn(
        t,
        'HexEntryId',
        Array.from({ length: MAX_IDS }, () => ({ id: ewsId, format: 'EwsId', mailbox })),
      );
      expect(res.status).to.equal(200);
      expect(Buffer.byteLength(res.text)).to.be.at.most(EWS_MIN_ANSWER_BYTES);
      const answered = codes(messages);
      const made = answered.indexOf('ErrorMessageSizeExceeded');
      expect(made).to.be.within(1, MAX_IDS - 1);
      expect(answered).to.deep.equal([...Array<string>(made).fill('NoError'), ...Array<string>(MAX_IDS - made).fill('ErrorMessageSizeExceeded')]);
      expect(messages[made - 1].AlternateId.$).to.deep.include({ Id: Buffer.from(ewsId, 'base64').toString('hex').toUpperCase(), Mailbox: mailbox });
    } finally {
      await t.close();
    }
  });
});
