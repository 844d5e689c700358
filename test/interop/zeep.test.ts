import { expect } from 'chai';
import sharp from 'sharp';
import { userOwner } from '../../src/domain/photo-owner.js';
import { startBridgeWithSources } from '../support/bridge-with-sources.js';
import { READER, type TestBridge } from '../support/test-bridge.js';
import { ADELE, ALEX, ALLAN, fromBase64, seedInteropFixture, ZOE, type InteropFixture } from './python/fixture.js';
import { pythonScript, runPythonClient } from './python/run-python.js';

/** One SOAP exchange as test/interop/python/zeep_client.py reports it: zeep's parse, plus HTTP facts. */
interface Call<Body> {
  status: number;
  content_type: string;
  header: { ServerVersion: { MajorVersion: number; MinorVersion: number; MajorBuildNumber: number; MinorBuildNumber: number; Version: string } };
  body: Body;
}
interface Head {
  ResponseClass: 'Success' | 'Warning' | 'Error';
  ResponseCode: string;
  MessageText: string | null;
  DescriptiveLinkKey: number | null;
}
interface PhotoBody extends Head {
  HasChanged: boolean;
  PictureData: string | null;
  ContentType: string | null;
}
type Dictionary = { Entry: { _value_1: string; Key: string }[] } | null;
interface FileAttachment {
  AttachmentId: { Id: string };
  Name: string;
  ContentType: string;
  Size: number;
  LastModifiedTime: string;
  IsInline: boolean;
  IsContactPhoto: boolean;
  Content: string | null;
}
interface ContactItem {
  ItemId: { Id: string; ChangeKey: string } | null;
  ItemClass: string | null;
  Subject: string | null;
  Attachments: { FileAttachment: FileAttachment[] } | null;
  HasAttachments: boolean | null;
  FileAs: string | null;
  DisplayName: string | null;
  GivenName: string | null;
  CompanyName: string | null;
  EmailAddresses: Dictionary;
  PhoneNumbers: Dictionary;
  ContactSource: string | null;
  Department: string | null;
  JobTitle: string | null;
  Surname: string | null;
  HasPicture: boolean | null;
  Photo: string | null;
}
interface Resolution {
  Mailbox: { Name: string; EmailAddress: string; RoutingType: string; MailboxType: string; ItemId: { Id: string; ChangeKey: string } | null };
  Contact: ContactItem | null;
}
interface ResolveBody {
  ResponseMessages: {
    ResolveNamesResponseMessage: (Head & { ResolutionSet: { Resolution: Resolution[]; TotalItemsInView: number; IncludesLastItemInRange: boolean } | null })[];
  };
}
interface GetItemBody {
  ResponseMessages: { GetItemResponseMessage: (Head & { Items: { Contact: ContactItem[] } | null })[] };
}
interface GetAttachmentBody {
  ResponseMessages: { GetAttachmentResponseMessage: (Head & { Attachments: { FileAttachment: FileAttachment[] } | null })[] };
}
interface ConvertIdBody {
  ResponseMessages: { ConvertIdResponseMessage: (Head & { AlternateId: { Id: string; Format: string; Mailbox: string } | null })[] };
}
interface Observed {
  client: string;
  wsdl_without_credentials: { status: number; www_authenticate: string | null };
  photos: (Call<PhotoBody> & { size: string; etag: string | null; expires: string | null })[];
  photo_unchanged: Call<PhotoBody> & { etag: string | null };
  no_photo: (Call<PhotoBody> & { user: string; fault: { type: string; message: string } | null })[];
  source_down: { status: number; retry_after: string | null; code: string; message: string; response_code: string | null; back_off_ms: string | null };
  contact_resolution: Call<ResolveBody>;
  directory_resolution: Call<ResolveBody>;
  unresolvable: (Call<ResolveBody> & { query: string })[];
  ambiguous: Call<ResolveBody>;
  item: Call<GetItemBody>;
  attachment: Call<GetAttachmentBody>;
  foreign_item: Call<GetItemBody>;
  forged_attachment: Call<GetAttachmentBody>;
  item_id: string;
  converted: Call<ConvertIdBody>;
  converted_back: Call<ConvertIdBody>;
}

const entries = (dictionary: Dictionary) => (dictionary?.Entry ?? []).map((entry) => [entry.Key, entry._value_1]);
const resolveMessage = (call: Call<ResolveBody>) => call.body.ResponseMessages.ResolveNamesResponseMessage[0]!;

describe('interop: Python zeep 4.2 (strict) against the WSDL the bridge serves', function () {
  this.timeout(90_000);
  let t: TestBridge;
  let fixture: InteropFixture;
  let observed: Observed;

  before(async () => {
    // HR64x64 has an order of its own: Microsoft Graph at a port nothing listens on, a source that is down.
    // Port 1, not a freed one: the bridge's own port 0 could be given that one.
    const down = 'http://127.0.0.1:1';
    t = await startBridgeWithSources(
      [{ name: 'm365', type: 'graph', tenant: 'contoso.onmicrosoft.com', clientId: 'c', clientSecret: 's', authorityUrl: down, graphUrl: down }],
      { bySize: { HR64x64: { users: ['m365'] } } },
      { BRIDGE_HOST: '127.0.0.1' },
    );
    fixture = await seedInteropFixture(t);
    // One Python process does every step; zeep parses every answer against the WSDL.
    observed = (await runPythonClient(
      pythonScript('zeep_client.py'),
      [
        `${fixture.endpoint}?wsdl`,
        READER.username,
        READER.password,
        '--photo-user',
        ALEX.email,
        '--size',
        'HR48x48',
        '--size',
        'HR648x648',
        '--size',
        'HR96x96',
        '--no-photo-user',
        ADELE.email,
        '--no-photo-user',
        'nobody@contoso.com',
        '--source-down-photo',
        ADELE.email,
        'HR64x64',
        '--contact',
        'Zoë',
        '--directory',
        'Alex',
        '--unresolvable',
        'Nobody Atall',
        '--unresolvable',
        'Xaver',
        '--ambiguous',
        'A',
        '--foreign-item-id',
        fixture.foreignItemId,
      ],
      60_000,
    )) as Observed;
  });
  after(() => t?.close());

  it('serves the WSDL only with credentials, asking for Basic', () => {
    expect(observed.client).to.equal('zeep 4.2.1');
    expect(observed.wsdl_without_credentials).to.deep.equal({ status: 401, www_authenticate: 'Basic realm="ews-photo-bridge"' });
  });

  it('puts ServerVersionInfo in every SOAP header zeep reads, as text/xml', () => {
    const calls = [...observed.photos, observed.contact_resolution, observed.item, observed.attachment, ...observed.no_photo];
    for (const call of calls) {
      expect(call.header.ServerVersion).to.deep.include({ MajorVersion: 15, MinorVersion: 1, Version: 'Exchange2016' });
      expect(call.content_type).to.equal('text/xml; charset=utf-8');
    }
  });

  it('GetUserPhoto: PictureData is the served JPEG at the size asked for, with an ETag per size', async () => {
    // Square renditions of a 4:3 original (stored 648x486): the largest square it has is 486.
    const expected: Record<string, { size: 48 | 96 | 648; side: number }> = {
      HR48x48: { size: 48, side: 48 },
      HR96x96: { size: 96, side: 96 },
      HR648x648: { size: 648, side: 486 },
    };
    expect(observed.photos.map((p) => p.size)).to.deep.equal(['HR48x48', 'HR648x648', 'HR96x96']);
    for (const photo of observed.photos) {
      expect(photo.status).to.equal(200);
      expect(photo.body).to.include({ ResponseClass: 'Success', ResponseCode: 'NoError', HasChanged: true, ContentType: 'image/jpeg' });
      const bytes = fromBase64(photo.body.PictureData);
      const meta = await sharp(bytes).metadata();
      const { size, side } = expected[photo.size]!;
      expect([meta.format, meta.width, meta.height], photo.size).to.deep.equal(['jpeg', side, side]);
      const served = await t.bridge.photos.photo(userOwner(ALEX.email), size);
      expect(bytes.equals(served!.bytes), photo.size).to.equal(true);
      expect(photo.etag).to.equal(served!.etag);
      expect(Date.parse(photo.expires ?? '')).to.be.greaterThan(Date.now());
    }
  });

  it('GetUserPhoto with If-None-Match: HasChanged false and no PictureData', () => {
    const unchanged = observed.photo_unchanged;
    expect(unchanged.status).to.equal(200);
    expect(unchanged.body).to.include({ ResponseClass: 'Success', ResponseCode: 'NoError', HasChanged: false, PictureData: null, ContentType: null });
    expect(unchanged.etag).to.equal(observed.photos.at(-1)!.etag);
  });

  it('GetUserPhoto without a photo: HTTP 404 (zeep raises a Fault), and the envelope still matches the WSDL', () => {
    expect(observed.no_photo.map((n) => n.user)).to.deep.equal([ADELE.email, 'nobody@contoso.com']);
    for (const answer of observed.no_photo) {
      expect(answer.status).to.equal(404);
      // zeep treats any non-200 answer as a fault; without a soap:Fault element it says so generically.
      expect(answer.fault).to.deep.equal({ type: 'Fault', message: 'Unknown fault occured' });
      expect(answer.body).to.include({ ResponseClass: 'Error', ResponseCode: 'ErrorItemNotFound', HasChanged: false, PictureData: null });
      expect(answer.body.MessageText).to.equal(`no photo for '${answer.user}'`);
    }
  });

  it('GetUserPhoto while its photo source is down: not "no photo", but the fault Exchange sends a busy server, with its back-off', () => {
    expect(observed.source_down).to.deep.include({ status: 500, retry_after: '5', response_code: 'ErrorServerBusy', back_off_ms: '5000' });
    expect(observed.source_down.code).to.match(/ErrorServerBusy$/);
  });

  it("ResolveNames on a contact's name: a Contact mailbox with the ItemId, and the full contact with its photo", async () => {
    const message = resolveMessage(observed.contact_resolution);
    expect(message).to.include({ ResponseClass: 'Success', ResponseCode: 'NoError' });
    expect(message.ResolutionSet).to.include({ TotalItemsInView: 1, IncludesLastItemInRange: true });
    const [resolution] = message.ResolutionSet!.Resolution;
    expect(resolution!.Mailbox).to.include({ Name: ZOE.displayName, EmailAddress: ZOE.emailAddresses[0], RoutingType: 'SMTP', MailboxType: 'Contact' });
    expect(resolution!.Mailbox.ItemId?.Id).to.be.a('string').and.not.empty;
    const contact = resolution!.Contact!;
    expect(contact).to.include({
      DisplayName: ZOE.displayName,
      GivenName: ZOE.givenName,
      Surname: ZOE.surname,
      CompanyName: ZOE.company,
      JobTitle: ZOE.jobTitle,
      ContactSource: 'Store',
      HasPicture: true,
    });
    expect(entries(contact.EmailAddresses)).to.deep.equal([
      ['EmailAddress1', ZOE.emailAddresses[0]],
      ['EmailAddress2', ZOE.emailAddresses[1]],
    ]);
    expect(entries(contact.PhoneNumbers)).to.have.deep.members([
      ['BusinessPhone', ZOE.phones.business],
      ['MobilePhone', ZOE.phones.mobile],
    ]);
    const meta = await sharp(fromBase64(contact.Photo)).metadata();
    expect([meta.format, meta.width, meta.height]).to.deep.equal(['jpeg', 96, 96]);
  });

  it('ResolveNames on a directory user: a Mailbox without ItemId, the directory card and the 96 px photo', async () => {
    const message = resolveMessage(observed.directory_resolution);
    const [resolution] = message.ResolutionSet!.Resolution;
    expect(resolution!.Mailbox).to.deep.equal({ Name: ALEX.displayName, EmailAddress: ALEX.email, RoutingType: 'SMTP', MailboxType: 'Mailbox', ItemId: null });
    expect(resolution!.Contact).to.include({
      DisplayName: ALEX.displayName,
      Department: ALEX.department,
      JobTitle: ALEX.title,
      ContactSource: 'ActiveDirectory',
      HasPicture: true,
    });
    const photo = fromBase64(resolution!.Contact!.Photo);
    expect(photo.equals((await t.bridge.photos.photo(userOwner(ALEX.email), 96))!.bytes)).to.equal(true);
  });

  it("ResolveNames finds neither an unknown name nor another mailbox's contact: Error ErrorNameResolutionNoResults", () => {
    expect(observed.unresolvable.map((u) => u.query)).to.deep.equal(['Nobody Atall', 'Xaver']);
    for (const answer of observed.unresolvable) {
      expect(answer.status).to.equal(200);
      expect(resolveMessage(answer), answer.query).to.include({ ResponseClass: 'Error', ResponseCode: 'ErrorNameResolutionNoResults', ResolutionSet: null });
    }
  });

  it('ResolveNames on an ambiguous name: Warning ErrorNameResolutionMultipleResults with every match', () => {
    const message = resolveMessage(observed.ambiguous);
    expect(message).to.include({ ResponseClass: 'Warning', ResponseCode: 'ErrorNameResolutionMultipleResults' });
    expect(message.ResolutionSet).to.include({ TotalItemsInView: 3, IncludesLastItemInRange: true });
    expect(message.ResolutionSet!.Resolution.map((r) => r.Mailbox.EmailAddress)).to.have.members([ALEX.email, ADELE.email, ALLAN.email]);
    expect(message.ResolutionSet!.Resolution.every((r) => r.Contact === null)).to.equal(true);
  });

  it('GetItem with the ItemId from ResolveNames: the Contact with HasPicture and the contact-photo FileAttachment, without Content', () => {
    const itemId = resolveMessage(observed.contact_resolution).ResolutionSet!.Resolution[0]!.Mailbox.ItemId!;
    const message = observed.item.body.ResponseMessages.GetItemResponseMessage[0]!;
    expect(message).to.include({ ResponseClass: 'Success', ResponseCode: 'NoError' });
    expect(message.Items!.Contact).to.have.length(1);
    const contact = message.Items!.Contact[0]!;
    expect(contact.ItemId).to.deep.equal(itemId);
    expect(contact).to.include({
      ItemClass: 'IPM.Contact',
      Subject: ZOE.displayName,
      DisplayName: ZOE.displayName,
      CompanyName: ZOE.company,
      HasAttachments: true,
      HasPicture: true,
      Photo: null,
    });
    expect(contact.Attachments!.FileAttachment).to.have.length(1);
    expect(contact.Attachments!.FileAttachment[0]).to.include({
      Name: 'ContactPicture.jpg',
      ContentType: 'image/jpeg',
      Size: fixture.zoePhoto.bytes.length,
      IsInline: false,
      IsContactPhoto: true,
      Content: null,
    });
  });

  it('GetAttachment with that AttachmentId: Content is exactly the stored 400×300 JPEG', async () => {
    const listed = observed.item.body.ResponseMessages.GetItemResponseMessage[0]!.Items!.Contact[0]!.Attachments!.FileAttachment[0]!;
    const message = observed.attachment.body.ResponseMessages.GetAttachmentResponseMessage[0]!;
    expect(message).to.include({ ResponseClass: 'Success', ResponseCode: 'NoError' });
    const attachment = message.Attachments!.FileAttachment[0]!;
    expect(attachment.AttachmentId.Id).to.equal(listed.AttachmentId.Id);
    expect(attachment).to.include({ Name: 'ContactPicture.jpg', ContentType: 'image/jpeg', IsContactPhoto: true, Size: fixture.zoePhoto.bytes.length });
    const bytes = fromBase64(attachment.Content);
    expect(bytes.equals(fixture.zoePhoto.bytes)).to.equal(true);
    const meta = await sharp(bytes).metadata();
    expect([meta.format, meta.width, meta.height]).to.deep.equal(['jpeg', 400, 300]);
  });

  it("GetItem on another mailbox's contact: HTTP 200, Error ErrorItemNotFound, no items", () => {
    expect(observed.foreign_item.status).to.equal(200);
    const message = observed.foreign_item.body.ResponseMessages.GetItemResponseMessage[0]!;
    expect(message).to.include({ ResponseClass: 'Error', ResponseCode: 'ErrorItemNotFound' });
    expect(message.Items?.Contact ?? []).to.deep.equal([]);
  });

  it('GetAttachment on a forged id: HTTP 200, Error ErrorInvalidIdMalformed, no attachments', () => {
    expect(observed.forged_attachment.status).to.equal(200);
    const message = observed.forged_attachment.body.ResponseMessages.GetAttachmentResponseMessage[0]!;
    expect(message).to.include({ ResponseClass: 'Error', ResponseCode: 'ErrorInvalidIdMalformed' });
    expect(message.Attachments?.FileAttachment ?? []).to.deep.equal([]);
  });

  it('ConvertId: the ItemId as a HexEntryId (xsi:type AlternateIdType) and back, a forged id ErrorInvalidIdMalformed', () => {
    const [hex, forged] = observed.converted.body.ResponseMessages.ConvertIdResponseMessage;
    const asHex = Buffer.from(observed.item_id, 'base64').toString('hex').toUpperCase();
    expect(hex).to.deep.include({ ResponseClass: 'Success', ResponseCode: 'NoError' });
    expect(hex!.AlternateId).to.deep.include({ Id: asHex, Format: 'HexEntryId', Mailbox: READER.username });
    expect(forged).to.deep.include({ ResponseClass: 'Error', ResponseCode: 'ErrorInvalidIdMalformed', AlternateId: null });
    const [back] = observed.converted_back.body.ResponseMessages.ConvertIdResponseMessage;
    expect(back!.AlternateId).to.deep.include({ Id: observed.item_id, Format: 'EwsId' });
  });
});
