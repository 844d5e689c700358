import { expect } from 'chai';
import sharp from 'sharp';
import { userOwner } from '../../src/domain/photo-owner.js';
import { READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { ADELE, ALEX, ALLAN, AVA, fromBase64, seedInteropFixture, YUSUF, ZOE, type InteropFixture } from './python/fixture.js';
import { pythonScript, runPythonClient } from './python/run-python.js';

/** What test/interop/python/exchangelib_client.py prints: exchangelib's objects as JSON. */
interface MailboxJson {
  name: string | null;
  email_address: string | null;
  routing_type: string | null;
  mailbox_type: string | null;
  item_id: { id: string; changekey: string | null } | null;
}
interface AttachmentJson {
  attachment_id: string;
  name: string;
  content_type: string;
  size: number;
  is_inline: boolean;
  is_contact_photo: boolean;
  last_modified_time: string | null;
}
interface ContactJson {
  id: { id: string; changekey: string | null } | null;
  item_class: string | null;
  subject: string | null;
  file_as: string | null;
  display_name: string | null;
  given_name: string | null;
  surname: string | null;
  company_name: string | null;
  department: string | null;
  job_title: string | null;
  contact_source: string | null;
  email_addresses: { label: string; email: string }[];
  phone_numbers: { label: string; phone_number: string }[];
  has_picture: boolean | null;
  has_attachments: boolean | null;
  photo_base64: string | null;
  attachments: AttachmentJson[];
}
interface ErrorJson {
  type: string | null;
  message: string;
}
interface ResolutionJson {
  mailbox?: MailboxJson | null;
  contact?: ContactJson | null;
  error?: ErrorJson;
}
interface Observed {
  client: string;
  discovered: { auth_type: string; build: number[]; api_version: string; full_name: string };
  wrong_password: ErrorJson;
  contacts: { query: string; resolutions: ResolutionJson[]; item: ContactJson; attachment_contents: string[] }[];
  directory: { query: string; resolutions: ResolutionJson[] }[];
  unresolvable: { query: string; resolutions: ResolutionJson[] }[];
  ambiguous: { query: string; resolutions: ResolutionJson[] };
  foreign_item: (ErrorJson | ContactJson)[];
  oof_settings: ErrorJson;
  delegates: ErrorJson;
  throttled: string;
  two_names: ErrorJson;
  converted: { ews: string[] } & Record<string, ({ id: string; format: string; mailbox: string } | ErrorJson)[]>;
}

describe('interop: Python exchangelib 4.9 against a running bridge', function () {
  this.timeout(90_000);
  let t: TestBridge;
  let fixture: InteropFixture;
  let observed: Observed;

  const contactQuery = (query: string) => {
    const entry = observed.contacts.find((c) => c.query === query);
    if (!entry) throw new Error(`the script reported no contact for ${query}`);
    return entry;
  };
  const directoryQuery = (query: string) => {
    const entry = observed.directory.find((d) => d.query === query);
    if (!entry) throw new Error(`the script reported no directory user for ${query}`);
    return entry;
  };

  before(async () => {
    t = await startTestBridge({ BRIDGE_HOST: '127.0.0.1' });
    fixture = await seedInteropFixture(t);
    // One Python process does every step: importing exchangelib dominates the run time.
    observed = (await runPythonClient(
      pythonScript('exchangelib_client.py'),
      [
        fixture.endpoint,
        READER.username,
        READER.password,
        '--mailbox',
        READER.username,
        '--contact',
        'Zoë',
        '--contact',
        'Yusuf',
        '--directory',
        'Alex',
        '--directory',
        'Adele',
        '--unresolvable',
        'Nobody Atall',
        '--unresolvable',
        'Xaver',
        '--unresolvable',
        'Ava',
        '--unresolvable',
        AVA.email,
        '--ambiguous',
        'A',
        '--foreign-item-id',
        fixture.foreignItemId,
      ],
      60_000,
    )) as Observed;
  });
  after(() => t?.close());

  it('discovers Basic auth and an Exchange 15.1 server with its default Configuration (ConvertId probes)', () => {
    expect(observed.client).to.equal('exchangelib 4.9.0');
    expect(observed.discovered.auth_type).to.equal('basic');
    expect(observed.discovered.build).to.deep.equal([15, 1, 2507, 6]);
    // The schema the bridge names: exchangelib kept its first guess, Exchange2019, and could not name the version.
    expect([observed.discovered.api_version, observed.discovered.full_name]).to.deep.equal(['Exchange2016', 'Microsoft Exchange Server 2016']);
  });

  it('converts ItemIds to EntryId, HexEntryId and OwaId and back (ConvertId), and answers an id that is none with ErrorInvalidIdMalformed', () => {
    const { ews, ...converted } = observed.converted;
    expect(ews).to.have.length(2);
    const written = (format: string, id: (ewsId: string) => string) => ews.map((ewsId) => ({ id: id(ewsId), format, mailbox: READER.username }));
    // The bridge's ids are their bytes in base64, so the entry id is the ItemId itself; OWA has used EWS ids since Exchange 2013.
    expect(converted.EntryId).to.deep.equal(written('EntryId', (id) => id));
    expect(converted.HexEntryId).to.deep.equal(written('HexEntryId', (id) => Buffer.from(id, 'base64').toString('hex').toUpperCase()));
    expect(converted.OwaId).to.deep.equal(written('OwaId', (id) => id));
    for (const form of ['EntryId', 'HexEntryId', 'OwaId']) expect(converted[`${form} back`], form).to.deep.equal(written('EwsId', (id) => id));
    expect(converted.dummy).to.deep.equal([{ type: 'ErrorInvalidIdMalformed', message: 'Id is malformed.' }]);
  });

  it('stops with UnauthorizedError when the password is wrong, and with ErrorServerBusy once its guesses are throttled', () => {
    expect(observed.wrong_password.type).to.equal('UnauthorizedError');
    // Sent with HTTP 503, the fault was "MalformedResponseError: Unknown failure in response".
    expect(observed.throttled).to.equal('ErrorServerBusy');
  });

  it("reads what the bridge does not serve as Exchange's errors: out-of-office settings, delegates, and two names in one ResolveNames", () => {
    expect(observed.oof_settings).to.deep.equal({ type: 'ErrorInvalidOperation', message: 'the bridge does not serve GetUserOofSettings' });
    // Answered as a ResponseMessages list, it read as no delegates at all.
    expect(observed.delegates).to.deep.equal({ type: 'ErrorInvalidOperation', message: 'the bridge does not serve GetDelegate' });
    expect(observed.two_names.type).to.equal('ErrorSchemaValidation');
    expect(observed.two_names.message).to.match(/^The request failed schema validation: the element 'UnresolvedEntry' may occur once, not 2 times$/);
  });

  it("resolves a contact's name to a Contact mailbox carrying the ItemId, with the full card", () => {
    const { resolutions } = contactQuery('Zoë');
    expect(resolutions).to.have.length(1);
    const { mailbox, contact } = resolutions[0]!;
    expect(mailbox).to.include({ name: ZOE.displayName, email_address: ZOE.emailAddresses[0], routing_type: 'SMTP', mailbox_type: 'Contact' });
    expect(mailbox?.item_id?.id).to.be.a('string').and.not.empty;
    expect(contact).to.include({
      display_name: ZOE.displayName,
      given_name: ZOE.givenName,
      surname: ZOE.surname,
      company_name: ZOE.company,
      job_title: ZOE.jobTitle,
      contact_source: 'Store',
      has_picture: true,
    });
    expect(contact?.email_addresses).to.deep.equal([
      { label: 'EmailAddress1', email: ZOE.emailAddresses[0] },
      { label: 'EmailAddress2', email: ZOE.emailAddresses[1] },
    ]);
    expect(contact?.phone_numbers).to.have.deep.members([
      { label: 'BusinessPhone', phone_number: ZOE.phones.business },
      { label: 'MobilePhone', phone_number: ZOE.phones.mobile },
    ]);
  });

  it('gets the contact photo in ResolveNames (AllProperties) as a 96x96 JPEG', async () => {
    const photo = fromBase64(contactQuery('Zoë').resolutions[0]!.contact?.photo_base64);
    const meta = await sharp(photo).metadata();
    expect([meta.format, meta.width, meta.height]).to.deep.equal(['jpeg', 96, 96]);
  });

  it('fetches the contact by that ItemId: the same card, HasPicture and one contact-photo FileAttachment', () => {
    const { resolutions, item } = contactQuery('Zoë');
    expect(item.id?.id).to.equal(resolutions[0]!.mailbox?.item_id?.id);
    expect(item).to.include({
      item_class: 'IPM.Contact',
      display_name: ZOE.displayName,
      given_name: ZOE.givenName,
      surname: ZOE.surname,
      company_name: ZOE.company,
      job_title: ZOE.jobTitle,
      has_picture: true,
      has_attachments: true,
    });
    expect(item.email_addresses.map((e) => e.email)).to.deep.equal(ZOE.emailAddresses);
    expect(item.attachments).to.have.length(1);
    expect(item.attachments[0]).to.include({
      name: 'ContactPicture.jpg',
      content_type: 'image/jpeg',
      size: fixture.zoePhoto.bytes.length,
      is_inline: false,
      is_contact_photo: true,
    });
  });

  it('downloads the attachment content: exactly the stored 400×300 JPEG', async () => {
    const [content] = contactQuery('Zoë').attachment_contents;
    const bytes = fromBase64(content);
    expect(bytes.equals(fixture.zoePhoto.bytes)).to.equal(true);
    const meta = await sharp(bytes).metadata();
    expect([meta.format, meta.width, meta.height]).to.deep.equal(['jpeg', 400, 300]);
  });

  it('shows a contact without a photo as such: no picture, no attachments, nothing to download', () => {
    const { resolutions, item, attachment_contents } = contactQuery('Yusuf');
    expect(resolutions[0]!.contact).to.include({ display_name: YUSUF.displayName, has_picture: false, photo_base64: null });
    expect(item).to.include({ display_name: YUSUF.displayName, company_name: YUSUF.company, has_picture: false, has_attachments: false });
    expect(item.attachments).to.deep.equal([]);
    expect(attachment_contents).to.deep.equal([]);
  });

  it('resolves a directory user to a Mailbox with the directory card and the 96 px photo', async () => {
    const { resolutions } = directoryQuery('Alex');
    expect(resolutions).to.have.length(1);
    const { mailbox, contact } = resolutions[0]!;
    expect(mailbox).to.deep.equal({ name: ALEX.displayName, email_address: ALEX.email, routing_type: 'SMTP', mailbox_type: 'Mailbox', item_id: null });
    expect(contact).to.include({
      display_name: ALEX.displayName,
      given_name: ALEX.givenName,
      surname: ALEX.surname,
      company_name: ALEX.company,
      department: ALEX.department,
      job_title: ALEX.title,
      contact_source: 'ActiveDirectory',
      has_picture: true,
    });
    // A directory entry's address as Exchange writes it (Learn's ResolveNames example), and exchangelib hands it on so.
    expect(contact?.email_addresses).to.deep.equal([{ label: 'EmailAddress1', email: `SMTP:${ALEX.email}` }]);
    const photo = fromBase64(contact?.photo_base64);
    const served = await t.bridge.photos.photo(userOwner(ALEX.email), 96);
    expect(photo.equals(served!.bytes)).to.equal(true);
    const meta = await sharp(photo).metadata();
    expect([meta.format, meta.width, meta.height]).to.deep.equal(['jpeg', 96, 96]);
  });

  it('resolves a directory user without a photo with HasPicture false and no photo', () => {
    const { resolutions } = directoryQuery('Adele');
    expect(resolutions).to.have.length(1);
    expect(resolutions[0]!.mailbox?.email_address).to.equal(ADELE.email);
    expect(resolutions[0]!.contact).to.include({ display_name: ADELE.displayName, has_picture: false, photo_base64: null });
  });

  it("reports ErrorNameResolutionNoResults for an unknown name, another mailbox's contact and a mailbox hidden from address lists", () => {
    for (const { query, resolutions } of observed.unresolvable) {
      expect(resolutions, query).to.deep.equal([{ error: { type: 'ErrorNameResolutionNoResults', message: 'No results were found.' } }]);
    }
    expect(observed.unresolvable.map((u) => u.query)).to.deep.equal(['Nobody Atall', 'Xaver', 'Ava', AVA.email]);
  });

  it('lists every match of an ambiguous name (the Warning is not an error), the hidden mailbox not among them', () => {
    const emails = observed.ambiguous.resolutions.map((r) => r.mailbox?.email_address);
    expect(emails).to.have.members([ALEX.email, ADELE.email, ALLAN.email]);
    expect(observed.ambiguous.resolutions.every((r) => r.mailbox?.mailbox_type === 'Mailbox')).to.equal(true);
  });

  it("answers a genuine ItemId of another mailbox's contact with ErrorItemNotFound", () => {
    expect(observed.foreign_item).to.have.length(1);
    expect(observed.foreign_item[0]).to.include({ type: 'ErrorItemNotFound' });
  });
});
