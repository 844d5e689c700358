import { expect } from 'chai';
import { BasicAuthSecurity, createClientAsync, type Client } from 'soap';
import { ADMIN, basic, READER } from '../support/test-bridge.js';
import { imageInfo, PHOTO_SIZES, READER_CONTACTS, startInteropBridge, tamperId, type InteropWorld } from './js-client-fixture.js';

/**
 * The bridge as node-soap 1.13 sees it: a client generated from the WSDL the bridge
 * serves (fetched with Basic auth, its XSDs imported relative to it), calling all four
 * operations over real HTTP with SOAPAction headers, as any WSDL-driven client would.
 */

/** What node-soap makes of a response element: attributes under `attributes`, text under `$value`. */
type Node = Record<string, unknown> & { attributes?: Record<string, string> };
interface Entry {
  attributes: { Key: string };
  $value: string;
}

const TYPES = 'http://schemas.microsoft.com/exchange/services/2006/types';

/** node-soap returns a single repeated element as an array, since the schema says maxOccurs="unbounded". */
function list<T = Node>(value: unknown): T[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as T[];
}
function get(node: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), node);
}
function entries(dictionary: unknown): Record<string, string> {
  return Object.fromEntries(list<Entry>(get(dictionary, 'Entry')).map((entry) => [entry.attributes.Key, entry.$value]));
}

describe('interop: node-soap client built from the served WSDL', function () {
  this.timeout(60_000);
  let world: InteropWorld;
  let client: Client;
  /** HTTP status of the last response, which node-soap only shows in its 'response' event. */
  let lastStatus: number | undefined;

  const clientFor = async (credentials: { username: string; password: string }): Promise<Client> => {
    // disableCache: node-soap otherwise keeps WSDLs by URL for the whole process, and a
    // later client would never fetch (nor authenticate for) the WSDL itself.
    const c = await createClientAsync(`${world.ewsUrl}?wsdl`, { disableCache: true, wsdl_headers: { Authorization: basic(credentials) } });
    c.setSecurity(new BasicAuthSecurity(credentials.username, credentials.password));
    return c;
  };
  const resolve = async (c: Client, entry: string, attributes: Record<string, unknown> = {}) => {
    // An attribute given as undefined is left out: node-soap would write it as "undefined".
    const given = Object.entries({ ReturnFullContactData: true, ContactDataShape: 'AllProperties', ...attributes }).filter(([, value]) => value !== undefined);
    const [result] = await c.ResolveNamesAsync({
      attributes: Object.fromEntries(given),
      UnresolvedEntry: entry,
    });
    const messages = list(get(result, 'ResponseMessages', 'ResolveNamesResponseMessage'));
    expect(messages).to.have.length(1);
    return messages[0]!;
  };
  const resolutionsOf = (message: Node) => list(get(message, 'ResolutionSet', 'Resolution'));
  /** The ItemId that ResolveNames gives for exactly one of the caller's contacts. */
  const contactItemId = async (c: Client, entry: string): Promise<string> => {
    const resolutions = resolutionsOf(await resolve(c, entry, { SearchScope: 'Contacts' }));
    expect(resolutions, `resolutions of '${entry}'`).to.have.length(1);
    expect(get(resolutions[0], 'Mailbox', 'MailboxType')).to.equal('Contact');
    const id = get(resolutions[0], 'Mailbox', 'ItemId', 'attributes', 'Id');
    expect(id).to.be.a('string').and.not.empty;
    return id as string;
  };
  const getItems = async (c: Client, ids: string[], shape: Record<string, unknown> = { BaseShape: 'AllProperties' }) => {
    const [result] = await c.GetItemAsync({ ItemShape: shape, ItemIds: { ItemId: ids.map((Id) => ({ attributes: { Id } })) } });
    return list(get(result, 'ResponseMessages', 'GetItemResponseMessage'));
  };
  const getAttachments = async (c: Client, ids: string[]) => {
    const [result] = await c.GetAttachmentAsync({ AttachmentIds: { AttachmentId: ids.map((Id) => ({ attributes: { Id } })) } });
    return list(get(result, 'ResponseMessages', 'GetAttachmentResponseMessage'));
  };
  const getUserPhoto = async (Email: string, SizeRequested: string, headers: Record<string, string> = {}) => {
    const [result, , soapHeader] = await client.GetUserPhotoAsync({ Email, SizeRequested }, {}, headers);
    return { result: result as Node, soapHeader: soapHeader as Node, status: lastStatus, headers: { ...client.lastResponseHeaders } as Record<string, string> };
  };

  before(async () => {
    world = await startInteropBridge();
    client = await clientFor(READER);
    client.on('response', (_body: unknown, response: { status?: number } | null) => {
      lastStatus = response?.status;
    });
  });
  after(() => world?.close());

  describe('the served WSDL', () => {
    it('describes the operations the bridge serves and points the client at the host it was fetched from', () => {
      const operations = get(client.describe(), 'ExchangeServices', 'ExchangeServicePort') as Record<string, unknown>;
      expect(Object.keys(operations).sort()).to.deep.equal([
        'ConvertId',
        'FindFolder',
        'FindItem',
        'FindPeople',
        'GetAttachment',
        'GetFolder',
        'GetItem',
        'GetPersona',
        'GetUserPhoto',
        'ResolveNames',
        'SyncFolderHierarchy',
        'SyncFolderItems',
      ]);
      const location = get(client.wsdl.definitions.services, 'ExchangeServices', 'ports', 'ExchangeServicePort', 'location');
      expect(location).to.equal(world.ewsUrl);
    });

    it('is behind the same Basic auth as the service', async () => {
      let failure: unknown;
      try {
        await createClientAsync(`${world.ewsUrl}?wsdl`, { disableCache: true });
      } catch (error) {
        failure = error;
      }
      expect(String(failure)).to.match(/Code: 401/);
    });

    it('refuses operations with a wrong password (HTTP 401), before any operation runs', async () => {
      const intruder = await clientFor(READER);
      intruder.setSecurity(new BasicAuthSecurity(READER.username, 'wrong'));
      let failure: unknown;
      try {
        await intruder.ResolveNamesAsync({ attributes: { ReturnFullContactData: true }, UnresolvedEntry: 'Megan' });
      } catch (error) {
        failure = error;
      }
      expect(get(failure, 'response', 'status')).to.equal(401);
    });
  });

  describe('GetUserPhoto', () => {
    it('returns a JPEG of the requested size, with ETag and Expires on the HTTP response', async () => {
      const { result, soapHeader, status, headers } = await getUserPhoto('alex.wilber@contoso.com', 'HR96x96');
      expect(status).to.equal(200);
      expect(result.attributes).to.deep.equal({ ResponseClass: 'Success' });
      expect(result.ResponseCode).to.equal('NoError');
      expect(result.HasChanged).to.equal(true);
      expect(result.ContentType).to.equal('image/jpeg');
      expect(await imageInfo(Buffer.from(result.PictureData as string, 'base64'))).to.deep.equal({ format: 'jpeg', width: 96, height: 96 });
      expect(headers.etag).to.match(/^"[0-9a-f]+-96x96"$/);
      expect(Date.parse(headers.expires!)).to.be.greaterThan(Date.now());
      expect(headers['content-type']).to.equal('text/xml; charset=utf-8');
      expect(get(soapHeader, 'ServerVersionInfo', 'attributes', 'MajorVersion')).to.equal('15');
    });

    it('answers each size code as a square (the largest the original has, 486, for HR648x648) with a size-specific ETag', async () => {
      const etags = new Set<string>();
      for (const size of [48, 120, 648]) {
        const { result, headers } = await getUserPhoto('alex.wilber@contoso.com', `HR${size}x${size}`);
        // The 800×600 original is stored at most 648 wide (648×486): 486 is its largest square.
        const side = Math.min(size, Math.round((648 * PHOTO_SIZES.alex.height) / PHOTO_SIZES.alex.width));
        expect(await imageInfo(Buffer.from(result.PictureData as string, 'base64'))).to.deep.equal({ format: 'jpeg', width: side, height: side });
        expect(headers.etag).to.match(new RegExp(`-${side}x${side}"$`));
        etags.add(headers.etag!);
      }
      expect(etags.size).to.equal(3);
    });

    it('answers HasChanged=false without picture data when If-None-Match holds the ETag', async () => {
      const first = await getUserPhoto('alex.wilber@contoso.com', 'HR64x64');
      const again = await getUserPhoto('alex.wilber@contoso.com', 'HR64x64', { 'If-None-Match': first.headers.etag! });
      expect(again.status).to.equal(200);
      expect(again.result.ResponseCode).to.equal('NoError');
      expect(again.result.HasChanged).to.equal(false);
      expect(again.result).to.not.have.property('PictureData');
      expect(again.headers.etag).to.equal(first.headers.etag);
    });

    it('answers a user without a photo with HTTP 404 and ErrorItemNotFound, as Exchange does', async () => {
      const { result, status } = await getUserPhoto('nestor.wilke@contoso.com', 'HR96x96');
      expect(status).to.equal(404);
      expect(result.attributes).to.deep.equal({ ResponseClass: 'Error' });
      expect(result.ResponseCode).to.equal('ErrorItemNotFound');
      expect(result.HasChanged).to.equal(false);
      expect(result).to.not.have.property('PictureData');
    });
  });

  describe('ResolveNames', () => {
    it('resolves a contact with full contact data, its photo and the ItemId that leads to GetItem', async () => {
      const megan = READER_CONTACTS.megan;
      const message = await resolve(client, 'Megan');
      expect(message.attributes).to.deep.equal({ ResponseClass: 'Success' });
      expect(message.ResponseCode).to.equal('NoError');
      expect(get(message, 'ResolutionSet', 'attributes')).to.deep.equal({ TotalItemsInView: '1', IncludesLastItemInRange: 'true' });
      const [resolution] = resolutionsOf(message);
      const mailbox = get(resolution, 'Mailbox') as Node;
      expect([mailbox.Name, mailbox.EmailAddress, mailbox.RoutingType, mailbox.MailboxType]).to.deep.equal([
        megan.displayName,
        megan.emailAddresses[0],
        'SMTP',
        'Contact',
      ]);
      expect(get(mailbox, 'ItemId', 'attributes', 'Id')).to.be.a('string').and.not.empty;
      expect(get(mailbox, 'ItemId', 'attributes', 'ChangeKey')).to.be.a('string').and.not.empty;
      const contact = get(resolution, 'Contact') as Node;
      expect([contact.DisplayName, contact.GivenName, contact.Surname, contact.CompanyName, contact.JobTitle]).to.deep.equal([
        megan.displayName,
        megan.givenName,
        megan.surname,
        megan.company,
        megan.jobTitle,
      ]);
      expect(entries(contact.EmailAddresses)).to.deep.equal({ EmailAddress1: megan.emailAddresses[0], EmailAddress2: megan.emailAddresses[1] });
      expect(entries(contact.PhoneNumbers)).to.deep.equal({ BusinessPhone: megan.phones.business });
      expect(contact.HasPicture).to.equal(true);
      // ResolveNames carries the 96 px square thumbnail of the 300×200 photo.
      expect(await imageInfo(Buffer.from(contact.Photo as string, 'base64'))).to.deep.equal({ format: 'jpeg', width: 96, height: 96 });
    });

    it('resolves a directory user as a Mailbox without ItemId, with the directory photo', async () => {
      const message = await resolve(client, 'alex.wilber@contoso.com', { SearchScope: 'ActiveDirectory' });
      const [resolution, ...rest] = resolutionsOf(message);
      expect(rest).to.have.length(0);
      expect(get(resolution, 'Mailbox')).to.deep.equal({
        Name: 'Alex Wilber',
        EmailAddress: 'alex.wilber@contoso.com',
        RoutingType: 'SMTP',
        MailboxType: 'Mailbox',
      });
      expect(get(resolution, 'Contact', 'ContactSource')).to.equal('ActiveDirectory');
      expect(get(resolution, 'Contact', 'JobTitle')).to.equal('Marketing Assistant');
      expect(await imageInfo(Buffer.from(get(resolution, 'Contact', 'Photo') as string, 'base64'))).to.deep.equal({ format: 'jpeg', width: 96, height: 96 });
    });

    it('answers several matches with a Warning and the whole set, in SearchScope order', async () => {
      const message = await resolve(client, 'Alex', { SearchScope: 'ContactsActiveDirectory' });
      expect(message.attributes).to.deep.equal({ ResponseClass: 'Warning' });
      expect(message.ResponseCode).to.equal('ErrorNameResolutionMultipleResults');
      expect(resolutionsOf(message).map((r) => [get(r, 'Mailbox', 'Name'), get(r, 'Mailbox', 'MailboxType')])).to.deep.equal([
        ['Alex Wilber (home)', 'Contact'],
        ['Alex Wilber', 'Mailbox'],
      ]);
    });

    it('answers no match with ErrorNameResolutionNoResults and no resolution set', async () => {
      const message = await resolve(client, 'Zebulon');
      expect(message.attributes).to.deep.equal({ ResponseClass: 'Error' });
      expect(message.ResponseCode).to.equal('ErrorNameResolutionNoResults');
      expect(message).to.not.have.property('ResolutionSet');
    });

    it('leaves out t:Contact when ReturnFullContactData is false', async () => {
      const [resolution] = resolutionsOf(await resolve(client, 'Diego', { ReturnFullContactData: false, ContactDataShape: undefined }));
      expect(get(resolution, 'Mailbox', 'EmailAddress')).to.equal('diego.siciliani@contoso.com');
      expect(resolution).to.not.have.property('Contact');
    });
  });

  describe('GetItem', () => {
    it("returns the contact with the store's fields and its photo as a FileAttachment with IsContactPhoto", async () => {
      const lidia = READER_CONTACTS.lidia;
      const id = await contactItemId(client, 'Lidia');
      const [message, ...rest] = await getItems(client, [id]);
      expect(rest).to.have.length(0);
      expect(message!.attributes).to.deep.equal({ ResponseClass: 'Success' });
      const contacts = list(get(message, 'Items', 'Contact'));
      expect(contacts).to.have.length(1);
      const contact = contacts[0]!;
      expect(get(contact, 'ItemId', 'attributes', 'Id')).to.equal(id);
      expect(contact.ItemClass).to.equal('IPM.Contact');
      expect([contact.DisplayName, contact.GivenName, contact.Surname, contact.CompanyName, contact.JobTitle]).to.deep.equal([
        lidia.displayName,
        lidia.givenName,
        lidia.surname,
        lidia.company,
        lidia.jobTitle,
      ]);
      expect(entries(contact.EmailAddresses)).to.deep.equal({ EmailAddress1: lidia.emailAddresses[0] });
      expect(entries(contact.PhoneNumbers)).to.deep.equal({ BusinessPhone: lidia.phones.business, MobilePhone: lidia.phones.mobile });
      expect(contact.HasAttachments).to.equal(true);
      expect(contact.HasPicture).to.equal(true);

      const attachments = list(get(contact, 'Attachments', 'FileAttachment'));
      expect(attachments).to.have.length(1);
      const attachment = attachments[0]!;
      const stored = await world.storedContactPhoto(world.readerContactIds['Lidia Holloway']!);
      expect(attachment.IsContactPhoto).to.equal(true);
      expect(attachment.IsInline).to.equal(false);
      expect(attachment.Name).to.equal('ContactPicture.jpg');
      expect(attachment.ContentType).to.equal('image/jpeg');
      expect(attachment.Size).to.equal(stored.length);
      expect(attachment.LastModifiedTime).to.be.instanceOf(Date);
      expect(attachment, 'GetItem lists the attachment without its bytes').to.not.have.property('Content');
      expect(get(attachment, 'AttachmentId', 'attributes', 'Id'))
        .to.be.a('string')
        .and.not.equal(id);
    });

    it('honours IdOnly with AdditionalProperties and ignores FieldURIs it does not know', async () => {
      const id = await contactItemId(client, 'Megan');
      const [message] = await getItems(client, [id], {
        BaseShape: 'IdOnly',
        AdditionalProperties: {
          FieldURI: [
            { attributes: { FieldURI: 'contacts:DisplayName' } },
            { attributes: { FieldURI: 'item:Attachments' } },
            { attributes: { FieldURI: 'contacts:NoSuchField' } },
          ],
        },
      });
      expect(message!.attributes).to.deep.equal({ ResponseClass: 'Success' });
      const [contact] = list(get(message, 'Items', 'Contact'));
      expect(Object.keys(contact!).sort()).to.deep.equal(['Attachments', 'DisplayName', 'ItemId']);
      expect(contact!.DisplayName).to.equal('Megan Bowen');
      expect(get(list(get(contact, 'Attachments', 'FileAttachment'))[0], 'IsContactPhoto')).to.equal(true);
    });

    it('answers a contact without a photo with no attachments and HasPicture false', async () => {
      const [message] = await getItems(client, [await contactItemId(client, 'Patti')]);
      const [contact] = list(get(message, 'Items', 'Contact'));
      expect(contact!.DisplayName).to.equal('Patti Fernandez');
      expect(contact!.HasAttachments).to.equal(false);
      expect(contact!.HasPicture).to.equal(false);
      expect(contact).to.not.have.property('Attachments');
    });

    it("answers each id on its own: another mailbox's id is ErrorItemNotFound, a tampered one ErrorInvalidIdMalformed", async () => {
      const good = await contactItemId(client, 'Megan');
      const foreign = await contactItemId(await clientFor(ADMIN), 'Adele');
      const messages = await getItems(client, [good, foreign, tamperId(good)]);
      expect(messages.map((m) => [m.attributes?.ResponseClass, m.ResponseCode])).to.deep.equal([
        ['Success', 'NoError'],
        ['Error', 'ErrorItemNotFound'],
        ['Error', 'ErrorInvalidIdMalformed'],
      ]);
      expect(get(list(get(messages[0], 'Items', 'Contact'))[0], 'DisplayName')).to.equal('Megan Bowen');
      expect(messages[1]!.MessageText).to.be.a('string').and.not.empty;
      expect(lastStatus, 'per-item errors keep HTTP 200').to.equal(200);
    });
  });

  describe('GetAttachment', () => {
    const attachmentIdOf = async (c: Client, entry: string): Promise<string> => {
      const [message] = await getItems(c, [await contactItemId(c, entry)]);
      return get(list(get(list(get(message, 'Items', 'Contact'))[0], 'Attachments', 'FileAttachment'))[0], 'AttachmentId', 'attributes', 'Id') as string;
    };

    it('returns the contact photo: IsContactPhoto, and Content decoding to the stored JPEG', async () => {
      const attachmentId = await attachmentIdOf(client, 'Megan');
      const [message, ...rest] = await getAttachments(client, [attachmentId]);
      expect(rest).to.have.length(0);
      expect(message!.attributes).to.deep.equal({ ResponseClass: 'Success' });
      const [attachment, ...more] = list(get(message, 'Attachments', 'FileAttachment'));
      expect(more).to.have.length(0);
      expect(get(attachment, 'AttachmentId', 'attributes', 'Id')).to.equal(attachmentId);
      expect(attachment!.IsContactPhoto).to.equal(true);
      expect(attachment!.ContentType).to.equal('image/jpeg');
      const content = attachment!.Content as string;
      expect(content, 'one unbroken base64 string').to.match(/^[A-Za-z0-9+/]+={0,2}$/);
      const bytes = Buffer.from(content, 'base64');
      const stored = await world.storedContactPhoto(world.readerContactIds['Megan Bowen']!);
      expect(Buffer.compare(bytes, stored)).to.equal(0);
      expect(attachment!.Size).to.equal(bytes.length);
      expect(await imageInfo(bytes)).to.deep.equal({ format: 'jpeg', ...PHOTO_SIZES.megan });
    });

    it('answers several ids in order, each on its own', async () => {
      const megan = await attachmentIdOf(client, 'Megan');
      const lidia = await attachmentIdOf(client, 'Lidia');
      const foreign = await attachmentIdOf(await clientFor(ADMIN), 'Adele');
      const contactId = await contactItemId(client, 'Megan');
      const messages = await getAttachments(client, [lidia, foreign, megan, contactId]);
      expect(messages.map((m) => [m.attributes?.ResponseClass, m.ResponseCode])).to.deep.equal([
        ['Success', 'NoError'],
        ['Error', 'ErrorInvalidAttachmentId'],
        ['Success', 'NoError'],
        // A contact's ItemId is not an attachment id, even though it is genuine.
        ['Error', 'ErrorInvalidIdMalformed'],
      ]);
      const sizes = await Promise.all(
        [messages[0], messages[2]].map((m) => imageInfo(Buffer.from(get(list(get(m, 'Attachments', 'FileAttachment'))[0], 'Content') as string, 'base64'))),
      );
      expect(sizes).to.deep.equal([
        { format: 'jpeg', ...PHOTO_SIZES.lidia },
        { format: 'jpeg', ...PHOTO_SIZES.megan },
      ]);
      expect(lastStatus).to.equal(200);
    });
  });

  describe('ConvertId', () => {
    it('gives the ItemId as a HexEntryId, a damaged id its own error beside it, and reads the hex back', async () => {
      const itemId = await contactItemId(client, 'Megan');
      const convert = async (DestinationFormat: string, ids: [string, string][]) => {
        const SourceIds = { AlternateId: ids.map(([Id, Format]) => ({ attributes: { Id, Format, Mailbox: READER.username } })) };
        const [result] = await client.ConvertIdAsync({ attributes: { DestinationFormat }, SourceIds });
        return list(get(result, 'ResponseMessages', 'ConvertIdResponseMessage')).map(
          (message) => get(message, 'AlternateId', 'attributes') ?? message.ResponseCode,
        );
      };
      const hex = Buffer.from(itemId, 'base64').toString('hex').toUpperCase();
      expect(
        await convert('HexEntryId', [
          [itemId, 'EwsId'],
          [tamperId(itemId), 'EwsId'],
        ]),
      ).to.deep.equal([{ 'xsi:type': 't:AlternateIdType', Format: 'HexEntryId', Id: hex, Mailbox: READER.username }, 'ErrorInvalidIdMalformed']);
      expect(await convert('EwsId', [[hex, 'HexEntryId']])).to.deep.equal([
        { 'xsi:type': 't:AlternateIdType', Format: 'EwsId', Id: itemId, Mailbox: READER.username },
      ]);
    });
  });

  describe('SyncFolderItems', () => {
    it('lists every contact as created, two at a time, then nothing from the last SyncState', async () => {
      const sync = async (SyncState: string | undefined) => {
        const [result] = await client.SyncFolderItemsAsync({
          ItemShape: { BaseShape: 'Default' },
          SyncFolderId: { DistinguishedFolderId: { attributes: { Id: 'contacts' } } },
          ...(SyncState === undefined ? {} : { SyncState }),
          MaxChangesReturned: 2,
        });
        const message = list(get(result, 'ResponseMessages', 'SyncFolderItemsResponseMessage'))[0];
        const created = list(get(message, 'Changes', 'Create')).map((change) => get(change, 'Contact', 'DisplayName') as string);
        return { code: get(message, 'ResponseCode'), state: get(message, 'SyncState') as string, last: get(message, 'IncludesLastItemInRange'), created };
      };
      const names: string[] = [];
      let state: string | undefined;
      for (let calls = 0; calls < 10; calls++) {
        const page = await sync(state);
        expect(page.code).to.equal('NoError');
        names.push(...page.created);
        state = page.state;
        if (page.last) break;
      }
      expect(names.sort()).to.deep.equal(
        Object.values(READER_CONTACTS)
          .map((c) => c.displayName)
          .sort(),
      );
      expect(await sync(state)).to.deep.include({ code: 'NoError', last: true, created: [] });
    });
  });

  it('sends what a WSDL-driven client sends: SOAPAction and the types namespace from the WSDL', async () => {
    await resolve(client, 'Megan');
    expect(client.lastRequestHeaders?.SOAPAction).to.equal('"http://schemas.microsoft.com/exchange/services/2006/messages/ResolveNames"');
    expect(client.lastRequest).to.contain(TYPES);
  });

  it('builds an Autodiscover client from /autodiscover/services.wsdl, and reads GetUserSettings and GetDomainSettings with it', async () => {
    const origin = world.ewsUrl.replace(/\/EWS\/Exchange\.asmx$/, '');
    const autodiscover = await createClientAsync(`${origin}/autodiscover/services.wsdl`, {
      disableCache: true,
      wsdl_headers: { Authorization: basic(READER) },
    });
    autodiscover.setSecurity(new BasicAuthSecurity(READER.username, READER.password));
    // node-soap adds no WS-Addressing Action: the endpoint dispatches on the Body's message then.
    const [users] = await autodiscover.GetUserSettingsAsync({
      Request: { Users: { User: [{ Mailbox: 'alex.wilber@contoso.com' }] }, RequestedSettings: { Setting: ['UserDisplayName', 'ExternalEwsUrl'] } },
    });
    const [user] = list(get(users, 'Response', 'UserResponses', 'UserResponse'));
    expect(get(user, 'ErrorCode')).to.equal('NoError');
    expect(list(get(user, 'UserSettings', 'UserSetting')).map((setting) => [setting.Name, setting.Value])).to.deep.equal([
      ['UserDisplayName', 'Alex Wilber'],
      ['ExternalEwsUrl', world.ewsUrl],
    ]);
    const [domains] = await autodiscover.GetDomainSettingsAsync({
      Request: { Domains: { Domain: ['contoso.com'] }, RequestedSettings: { Setting: ['ExternalEwsUrl'] } },
    });
    const [domain] = list(get(domains, 'Response', 'DomainResponses', 'DomainResponse'));
    expect(list(get(domain, 'DomainSettings', 'DomainSetting')).map((setting) => setting.Value)).to.deep.equal([world.ewsUrl]);
  });
});
