import { expect } from 'chai';
// ews-javascript-api is CommonJS; Node's ESM loader exposes its named exports (it
// assigns them as `exports.X = …`, which cjs-module-lexer detects).
import {
  AttendeeInfo,
  AvailabilityData,
  BasePropertySet,
  ConnectingIdType,
  Contact,
  ContactSchema,
  DateTime,
  EmailAddressKey,
  ExchangeService,
  ExchangeVersion,
  ImpersonatedUserId,
  ItemId,
  Mailbox,
  MailboxType,
  PhoneNumberKey,
  PropertySet,
  ResolveNameSearchLocation,
  ServiceError,
  ServiceResponseException,
  ServiceResult,
  SoapFaultDetails,
  TimeWindow,
  Uri,
  WebCredentials,
  type NameResolution,
  type NameResolutionCollection,
} from 'ews-javascript-api';
import { ADMIN, READER } from '../support/test-bridge.js';
import { imageInfo, PHOTO_SIZES, READER_CONTACTS, startInteropBridge, tamperId, type InteropWorld } from './js-client-fixture.js';

/**
 * The bridge as ews-javascript-api 0.15.3 (a port of the EWS Managed API) sees it, over
 * real HTTP with its own XHR layer (@ewsjs/xhr): ResolveNames → GetItem → GetAttachment,
 * the way a JavaScript address book gets from a name to a contact's photo.
 */
describe('interop: ews-javascript-api client', function () {
  this.timeout(60_000);
  let world: InteropWorld;
  let service: ExchangeService;

  const serviceFor = (credentials: { username: string; password: string }) => {
    const s = new ExchangeService(ExchangeVersion.Exchange2013);
    s.Credentials = new WebCredentials(credentials.username, credentials.password);
    s.Url = new Uri(world.ewsUrl);
    return s;
  };
  const all = (resolutions: NameResolutionCollection): NameResolution[] => resolutions.GetEnumerator();
  /** Resolves a name to exactly one of the caller's contacts and returns its ItemId. */
  const contactIdOf = async (s: ExchangeService, name: string): Promise<ItemId> => {
    const found = await s.ResolveName(name, ResolveNameSearchLocation.ContactsOnly, true);
    expect(found.Count, `resolutions of '${name}'`).to.equal(1);
    const mailbox = found._getItem(0).Mailbox;
    expect(mailbox.MailboxType).to.equal(MailboxType.Contact);
    expect(mailbox.Id?.UniqueId, 'a contact resolution carries its ItemId').to.be.a('string').and.not.empty;
    return mailbox.Id;
  };
  /** Runs `work` and returns the ServiceResponseException it must throw. */
  const serviceErrorOf = async (work: () => Promise<unknown>): Promise<ServiceResponseException> => {
    try {
      await work();
    } catch (error) {
      expect(error, String(error)).to.be.instanceOf(ServiceResponseException);
      return error as ServiceResponseException;
    }
    expect.fail('the call succeeded but should have failed');
  };

  before(async () => {
    world = await startInteropBridge();
    service = serviceFor(READER);
  });
  after(() => world?.close());

  describe('ResolveName', () => {
    it("resolves one of the caller's contacts with its details and an ItemId", async () => {
      const megan = READER_CONTACTS.megan;
      const found = await service.ResolveName('Megan', ResolveNameSearchLocation.ContactsThenDirectory, true);
      expect(found.Count).to.equal(1);
      const { Mailbox: mailbox, Contact: contact } = found._getItem(0);
      expect(mailbox.Name).to.equal(megan.displayName);
      expect(mailbox.Address).to.equal(megan.emailAddresses[0]);
      expect(mailbox.RoutingType).to.equal('SMTP');
      expect(mailbox.MailboxType).to.equal(MailboxType.Contact);
      expect(mailbox.Id.UniqueId).to.match(/^[A-Za-z0-9+/]+={0,2}$/);
      expectCardOf(contact, megan);
    });

    it('resolves a contact alike without returnContactDetails: the flag is for directory entries', async () => {
      const full = await service.ResolveName('Megan', ResolveNameSearchLocation.ContactsOnly, true);
      const bare = await service.ResolveName('Megan', ResolveNameSearchLocation.ContactsOnly, false);
      expect([full.Count, bare.Count]).to.deep.equal([1, 1]);
      expect(bare._getItem(0).Mailbox.Id.UniqueId).to.equal(full._getItem(0).Mailbox.Id.UniqueId);
      expectCardOf(bare._getItem(0).Contact, READER_CONTACTS.megan);
    });

    it('resolves a directory user as a Mailbox without an ItemId', async () => {
      const found = await service.ResolveName('diego', ResolveNameSearchLocation.DirectoryOnly, true);
      expect(found.Count).to.equal(1);
      const { Mailbox: mailbox, Contact: contact } = found._getItem(0);
      expect([mailbox.Name, mailbox.Address, mailbox.MailboxType]).to.deep.equal(['Diego Siciliani', 'diego.siciliani@contoso.com', MailboxType.Mailbox]);
      expect(mailbox.Id).to.equal(null);
      expect([contact.GivenName, contact.Surname]).to.deep.equal(['Diego', 'Siciliani']);
    });

    it('lists directory and contact matches in the order the search location asks for', async () => {
      const directoryFirst = all(await service.ResolveName('Alex', ResolveNameSearchLocation.DirectoryThenContacts, true));
      const contactsFirst = all(await service.ResolveName('Alex', ResolveNameSearchLocation.ContactsThenDirectory, true));
      const summary = (r: NameResolution) => [r.Mailbox.Name, r.Mailbox.Address, r.Mailbox.MailboxType];
      expect(directoryFirst.map(summary)).to.deep.equal([
        ['Alex Wilber', 'alex.wilber@contoso.com', MailboxType.Mailbox],
        ['Alex Wilber (home)', 'alex@wilber-family.example', MailboxType.Contact],
      ]);
      expect(contactsFirst.map(summary)).to.deep.equal([...directoryFirst.map(summary)].reverse());
      const onlyContacts = all(await service.ResolveName('Alex', ResolveNameSearchLocation.ContactsOnly, true));
      expect(onlyContacts.map(summary)).to.deep.equal([['Alex Wilber (home)', 'alex@wilber-family.example', MailboxType.Contact]]);
    });

    it('carries the directory photo (a 96 px JPEG) when a contact property set is asked for', async () => {
      const found = await service.ResolveName(
        'Alex Wilber',
        ResolveNameSearchLocation.DirectoryOnly,
        true,
        new PropertySet(BasePropertySet.FirstClassProperties),
      );
      expect(found.Count).to.equal(1);
      const contact = found._getItem(0).Contact;
      expect(contact.HasPicture).to.equal(true);
      // Typed number[], but 0.15.3 keeps the base64 text of t:Photo as it arrived.
      const photo: unknown = contact.DirectoryPhoto;
      expect(photo).to.be.a('string');
      expect(await imageInfo(Buffer.from(photo as string, 'base64'))).to.deep.equal({ format: 'jpeg', width: 96, height: 96 });
    });

    it('reports no match as an empty collection, not an error', async () => {
      const found = await service.ResolveName('Zebulon', ResolveNameSearchLocation.DirectoryThenContacts, true);
      expect(found.Count).to.equal(0);
    });

    it("never shows another mailbox's contacts", async () => {
      const found = await service.ResolveName('Adele', ResolveNameSearchLocation.ContactsThenDirectory, true);
      expect(found.Count).to.equal(0);
    });
  });

  describe('Contact.Bind and the contact photo', () => {
    it('binds the resolved contact and reads the same fields as the store holds', async () => {
      const megan = READER_CONTACTS.megan;
      const contact = await Contact.Bind(service, await contactIdOf(service, 'Megan Bowen'));
      expectCardOf(contact, megan);
      expect(contact.HasPicture).to.equal(true);
      expect(contact.HasAttachments).to.equal(true);
      expect(contact.Attachments.Count).to.equal(1);
    });

    it('binds the name in parts (ContactSchema.CompleteName), which it reads unchecked', async () => {
      const id = await contactIdOf(service, 'Megan Bowen');
      const contact = await Contact.Bind(service, id, new PropertySet(BasePropertySet.FirstClassProperties, [ContactSchema.CompleteName]));
      // The Managed API's names for t:FirstName and t:LastName.
      const { GivenName, Surname, FullName } = contact.CompleteName;
      expect([GivenName, Surname, FullName]).to.deep.equal(['Megan', 'Bowen', 'Megan Bowen']);
    });

    it('loads the contact picture attachment: the stored JPEG, byte for byte', async () => {
      const id = await contactIdOf(service, 'Megan Bowen');
      const contact = await Contact.Bind(service, id);
      const picture = contact.GetContactPictureAttachment();
      expect(picture, 'GetContactPictureAttachment() finds the IsContactPhoto attachment').to.not.equal(null);
      expect(picture.IsContactPhoto).to.equal(true);
      expect(picture.Name).to.equal('ContactPicture.jpg');
      expect(picture.ContentType).to.equal('image/jpeg');
      expect(picture.Base64Content, 'no content before Load()').to.equal(null);

      await picture.Load();
      const bytes = Buffer.from(picture.Base64Content, 'base64');
      const stored = await world.storedContactPhoto(world.readerContactIds['Megan Bowen']!);
      expect(Buffer.compare(bytes, stored)).to.equal(0);
      expect(picture.Size).to.equal(stored.length);
      expect(await imageInfo(bytes)).to.deep.equal({ format: 'jpeg', ...PHOTO_SIZES.megan });
    });

    it('finds the photo among the attachments by IsContactPhoto, as clients without the helper do', async () => {
      const contact = await Contact.Bind(service, await contactIdOf(service, 'Lidia'));
      const photos = contact.Attachments.GetEnumerator().filter((attachment) => 'IsContactPhoto' in attachment && attachment.IsContactPhoto);
      expect(photos).to.have.length(1);
      const [photo] = photos;
      await photo!.Load();
      const bytes = Buffer.from((photo as ReturnType<Contact['GetContactPictureAttachment']>).Base64Content, 'base64');
      expect(await imageInfo(bytes)).to.deep.equal({ format: 'jpeg', ...PHOTO_SIZES.lidia });
    });

    it('binds only the dictionary members a property set names (IndexedFieldURI)', async () => {
      const megan = await Contact.Bind(
        service,
        await contactIdOf(service, 'Megan Bowen'),
        new PropertySet(BasePropertySet.IdOnly, [ContactSchema.EmailAddress2]),
      );
      expect(megan.EmailAddresses.Contains(EmailAddressKey.EmailAddress1), 'EmailAddress1 was not asked for').to.equal(false);
      expect(megan.EmailAddresses._getItem(EmailAddressKey.EmailAddress2).Address).to.equal(READER_CONTACTS.megan.emailAddresses[1]);
      const lidia = await Contact.Bind(service, await contactIdOf(service, 'Lidia'), new PropertySet(BasePropertySet.IdOnly, [ContactSchema.MobilePhone]));
      expect(lidia.PhoneNumbers.Contains(PhoneNumberKey.BusinessPhone), 'BusinessPhone was not asked for').to.equal(false);
      expect(lidia.PhoneNumbers._getItem(PhoneNumberKey.MobilePhone)).to.equal(READER_CONTACTS.lidia.phones.mobile);
    });

    it('binds a contact without a photo: no attachments, HasPicture false', async () => {
      const contact = await Contact.Bind(service, await contactIdOf(service, 'Patti'));
      expect(contact.DisplayName).to.equal(READER_CONTACTS.patti.displayName);
      expect(contact.HasPicture).to.equal(false);
      expect(contact.HasAttachments).to.equal(false);
      expect(contact.Attachments.Count).to.equal(0);
      expect(contact.GetContactPictureAttachment()).to.equal(null);
    });
  });

  describe('BindToItems', () => {
    it('binds several contacts at once, one response per id, in order', async () => {
      const names = ['Patti Fernandez', 'Megan Bowen', 'Lidia Holloway'];
      const ids = await Promise.all(names.map((name) => contactIdOf(service, name)));
      const responses = await service.BindToItems(ids, new PropertySet(BasePropertySet.FirstClassProperties));
      expect(responses.Count).to.equal(3);
      expect(responses.OverallResult).to.equal(ServiceResult.Success);
      const contacts = responses.Responses.map((response) => response.Item as Contact);
      expect(contacts.map((c) => c.DisplayName)).to.deep.equal(names);
      expect(contacts.map((c) => c.Id.UniqueId)).to.deep.equal(ids.map((id) => id.UniqueId));
      expect(contacts.map((c) => c.EmailAddresses._getItem(EmailAddressKey.EmailAddress1).Address)).to.deep.equal([
        READER_CONTACTS.patti.emailAddresses[0],
        READER_CONTACTS.megan.emailAddresses[0],
        READER_CONTACTS.lidia.emailAddresses[0],
      ]);
      expect(contacts.map((c) => c.HasPicture)).to.deep.equal([false, true, true]);
    });

    it('answers a good, a foreign and a malformed id each with its own result', async () => {
      const good = await contactIdOf(service, 'Megan Bowen');
      const foreign = await contactIdOf(serviceFor(ADMIN), 'Adele');
      const malformed = new ItemId(tamperId(good.UniqueId));
      const responses = await service.BindToItems([good, foreign, malformed], new PropertySet(BasePropertySet.FirstClassProperties));
      expect(responses.OverallResult).to.equal(ServiceResult.Error);
      expect(responses.Responses.map((r) => [r.Result, r.ErrorCode])).to.deep.equal([
        [ServiceResult.Success, ServiceError.NoError],
        [ServiceResult.Error, ServiceError.ErrorItemNotFound],
        [ServiceResult.Error, ServiceError.ErrorInvalidIdMalformed],
      ]);
      expect((responses.Responses[0]!.Item as Contact).DisplayName).to.equal('Megan Bowen');
    });
  });

  describe('errors as the client surfaces them', () => {
    it("an ItemId of another mailbox's contact is ErrorItemNotFound, though it is genuine", async () => {
      const admin = serviceFor(ADMIN);
      const foreign = await contactIdOf(admin, 'Adele Vance');
      // The owner can bind it: the id is real, only the reader may not see it.
      expect((await Contact.Bind(admin, foreign)).DisplayName).to.equal('Adele Vance');
      const error = await serviceErrorOf(() => Contact.Bind(service, foreign));
      expect(error.ErrorCode).to.equal(ServiceError.ErrorItemNotFound);
      expect(error.Response.Result).to.equal(ServiceResult.Error);
    });

    it("another mailbox's photo attachment is ErrorInvalidAttachmentId, as a missing one", async () => {
      const admin = serviceFor(ADMIN);
      const adminContact = await Contact.Bind(admin, await contactIdOf(admin, 'Adele Vance'));
      const attachmentId = adminContact.GetContactPictureAttachment().Id;
      expect(attachmentId).to.be.a('string').and.not.empty;
      const responses = await service.GetAttachments([attachmentId], null as never, null as never);
      expect(responses.Responses.map((r) => [r.Result, r.ErrorCode])).to.deep.equal([[ServiceResult.Error, ServiceError.ErrorInvalidAttachmentId]]);
    });

    it('a tampered ItemId is ErrorInvalidIdMalformed', async () => {
      const genuine = await contactIdOf(service, 'Megan Bowen');
      const error = await serviceErrorOf(() => Contact.Bind(service, new ItemId(tamperId(genuine.UniqueId))));
      expect(error.ErrorCode).to.equal(ServiceError.ErrorInvalidIdMalformed);
    });

    it('a contact ItemId is not accepted as an attachment id', async () => {
      const genuine = await contactIdOf(service, 'Megan Bowen');
      const responses = await service.GetAttachments([genuine.UniqueId], null as never, null as never);
      expect(responses.Responses.map((r) => r.ErrorCode)).to.deep.equal([ServiceError.ErrorInvalidIdMalformed]);
    });

    it("impersonating another account is ErrorImpersonateUserDenied, never the caller's own mailbox under its name", async () => {
      const impersonating = serviceFor(READER);
      impersonating.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, ADMIN.username);
      let failure: unknown;
      try {
        await impersonating.ResolveName('Megan', ResolveNameSearchLocation.ContactsOnly, true);
      } catch (error) {
        failure = error;
      }
      expect(failure, String(failure)).to.be.instanceOf(SoapFaultDetails);
      expect((failure as SoapFaultDetails).ResponseCode).to.equal(ServiceError.ErrorImpersonateUserDenied);
      // Naming oneself acts as oneself.
      const asSelf = serviceFor(READER);
      asSelf.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, READER.username.toUpperCase());
      expect(all(await asSelf.ResolveName('Megan', ResolveNameSearchLocation.ContactsOnly, true)).map((r) => r.Mailbox.Address)).to.deep.equal([
        READER_CONTACTS.megan.emailAddresses[0],
      ]);
    });

    it('wrong credentials are refused before any operation runs', async () => {
      const intruder = serviceFor({ username: READER.username, password: 'wrong' });
      let failure: unknown;
      try {
        await intruder.ResolveName('Megan', ResolveNameSearchLocation.ContactsThenDirectory, true);
      } catch (error) {
        failure = error;
      }
      // The client surfaces an HTTP error as SoapFaultDetails carrying the status.
      expect(failure, 'ResolveName with a wrong password must fail').to.be.instanceOf(SoapFaultDetails);
      expect((failure as SoapFaultDetails).HttpStatusCode).to.equal(401);
    });
  });

  describe('what the bridge does not serve', () => {
    // Their answers have shapes of their own; a ResponseMessages list named after the request element made the client
    // throw a TypeError, or read as an empty success (no room lists, no rules, no delegates).
    for (const [operation, call] of [
      ['GetUserOofSettings', () => service.GetUserOofSettings(READER.username)],
      ['GetRoomLists', () => service.GetRoomLists()],
      ['GetInboxRules', () => service.GetInboxRules()],
      ['GetDelegate', () => service.GetDelegates(new Mailbox(READER.username), false)],
      ['GetPasswordExpirationDate', () => service.GetPasswordExpirationDate(READER.username)],
      [
        'GetUserAvailability',
        () => service.GetUserAvailability([new AttendeeInfo(ADMIN.username)], new TimeWindow(DateTime.Now, DateTime.Now.AddDays(1)), AvailabilityData.FreeBusy),
      ],
    ] as const) {
      it(`${operation} fails as Exchange's request-level error does: ErrorInvalidOperation`, async () => {
        let failure: unknown;
        try {
          await call();
        } catch (error) {
          failure = error;
        }
        expect(failure, String(failure)).to.be.instanceOf(SoapFaultDetails);
        expect((failure as SoapFaultDetails).ResponseCode).to.equal(ServiceError.ErrorInvalidOperation);
        expect((failure as SoapFaultDetails).FaultString).to.deep.include({ faultstring: `the bridge does not serve ${operation}` });
      });
    }
  });
});

/** The card fields ews-javascript-api reads from a t:Contact, against what the store holds. */
function expectCardOf(contact: Contact, stored: (typeof READER_CONTACTS)['megan']): void {
  expect(contact.DisplayName).to.equal(stored.displayName);
  expect(contact.GivenName).to.equal(stored.givenName);
  expect(contact.Surname).to.equal(stored.surname);
  expect(contact.CompanyName).to.equal(stored.company);
  expect(contact.JobTitle).to.equal(stored.jobTitle);
  expect(contact.EmailAddresses._getItem(EmailAddressKey.EmailAddress1).Address).to.equal(stored.emailAddresses[0]);
  expect(contact.EmailAddresses._getItem(EmailAddressKey.EmailAddress2).Address).to.equal(stored.emailAddresses[1]);
  expect(contact.PhoneNumbers._getItem(PhoneNumberKey.BusinessPhone)).to.equal(stored.phones.business);
}
