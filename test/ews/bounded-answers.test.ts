import { expect } from 'chai';
import { SaxesParser } from 'saxes';
import sharp from 'sharp';
import request from 'supertest';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { envelope, parseSoap } from '../support/soap.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const LIMITS = { maxInputBytes: 10_000_000, maxInputPixels: 40_000_000, jpegQuality: 85 };
const MAX_ITEMS = 20;

/** Noise encodes large, so a few contact photos exceed the answer budget. */
async function noisyPhoto(side: number): Promise<Buffer> {
  const pixels = Buffer.alloc(side * side * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
  return sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

/** Parses strictly, as zeep and the .NET reader do: throws on anything but well-formed XML. */
function wellFormed(xml: string): void {
  new SaxesParser({ xmlns: true }).write(xml).close();
}

describe('EWS answers are bounded: ids per request, answer bytes, repeated ids', () => {
  let t: TestBridge;
  let itemIds: string[];
  let attachmentIds: string[];
  /** Room for two photo attachments and a half. */
  let maxAnswerBytes: number;

  before(async () => {
    const photo = await normalizePhoto(await noisyPhoto(648), LIMITS);
    maxAnswerBytes = Math.ceil(((photo.bytes.length * 4) / 3) * 2.5);
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

  it('answers a repeated id once, where it first appears; its repeats get a short error', async () => {
    const { res, xml } = await getAttachment(Array.from({ length: MAX_ITEMS }, () => attachmentIds[0]!));
    const messages = messagesOf(xml);
    expect(messages.map((m) => m.ResponseCode)).to.deep.equal(['NoError', ...Array.from({ length: MAX_ITEMS - 1 }, () => 'ErrorInvalidRequest')]);
    expect(messages.filter((m) => m.Attachments?.FileAttachment?.Content)).to.have.length(1);
    expect(Buffer.byteLength(res.text)).to.be.below(maxAnswerBytes);
  });

  it('answers items past the byte limit with ErrorMessageSizeExceeded, in a whole envelope within the limit', async () => {
    const { res, xml } = await getAttachment(attachmentIds);
    wellFormed(res.text);
    const codes = messagesOf(xml).map((m) => m.ResponseCode);
    expect(codes).to.have.length(attachmentIds.length);
    expect(codes).to.deep.equal(['NoError', 'NoError', ...Array.from({ length: attachmentIds.length - 2 }, () => 'ErrorMessageSizeExceeded')]);
    expect(Buffer.byteLength(res.text)).to.be.at.most(maxAnswerBytes + 2048);
  });

  it('answers ResolveNames for a name with a control character (imported another way) as well-formed XML without it', async () => {
    await t.store.upsertUsers([{ email: 'ctl@x.example', displayName: 'Ctl\u0001 Person', refs: {} }]);
    const { res, xml } = await call('<m:ResolveNames ReturnFullContactData="true"><m:UnresolvedEntry>SMTP:ctl@x.example</m:UnresolvedEntry></m:ResolveNames>');
    wellFormed(res.text);
    expect(xml.Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage.ResolutionSet.Resolution.Mailbox.Name).to.equal('Ctl Person');
  });
});
