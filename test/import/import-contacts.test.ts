import { expect } from 'chai';
import { importContacts } from '../../src/import/import-contacts.js';
import type { ImportFileError } from '../../src/import/import-file-error.js';
import { readContactFile } from '../../src/import/read-contact-file.js';
import { samplePhoto } from '../support/sample-images.js';
import { storeBackends, storePerTest } from '../store/backends.js';

const MAILBOX = 'adele@contoso.com';
const LIMITS = { maxInputBytes: 1_000_000, maxInputPixels: 10_000_000, jpegQuality: 80 };

for (const backend of storeBackends()) {
  describe(`importing contacts on ${backend.name}`, () => {
    const t = storePerTest(backend);

    it("leaves a contact's photo and UID as they are when a CSV, which has no place for them, updates it", async () => {
      const photo = (await samplePhoto(40, 40)).toString('base64');
      const vcard = [
        'BEGIN:VCARD',
        'VERSION:3.0',
        'FN:Lee Gu',
        'UID:urn:uuid:lee',
        'EMAIL:lee@fabrikam.com',
        `PHOTO;ENCODING=b;TYPE=JPEG:${photo}`,
        'END:VCARD',
        '',
      ];
      const [id] = (await importContacts(t.store, MAILBOX, readContactFile(vcard.join('\r\n'), 'vcard'), LIMITS)).added;
      const before = await t.store.getContact(MAILBOX, id!);
      const csv = (title: string) => readContactFile(`displayName,email1,jobTitle\r\nLee Gu,lee@fabrikam.com,${title}\r\n`, 'csv');

      expect(await importContacts(t.store, MAILBOX, csv(''), LIMITS)).to.deep.equal({ added: [], updated: [], unchanged: [id] });
      expect(await importContacts(t.store, MAILBOX, csv('Engineer'), LIMITS)).to.deep.equal({ added: [], updated: [id], unchanged: [] });
      const after = await t.store.getContact(MAILBOX, id!);
      expect([after?.jobTitle, after?.refs.vcardUid, after?.photo?.sha256]).to.deep.equal(['Engineer', 'urn:uuid:lee', before?.photo?.sha256]);
      expect(before?.photo?.sha256).to.be.a('string');

      // A vCard carries both: a card without PHOTO removes the photo.
      const without = vcard.filter((line) => !line.startsWith('PHOTO'));
      expect((await importContacts(t.store, MAILBOX, readContactFile(without.join('\r\n'), 'vcard'), LIMITS)).updated).to.deep.equal([id]);
      expect((await t.store.getContact(MAILBOX, id!))?.photo).to.equal(undefined);
    });

    it('updates from a CSV only the columns its file has: one it leaves out keeps the stored value, an empty cell clears it', async () => {
      const vcard = ['BEGIN:VCARD', 'VERSION:3.0', 'FN:Lee Gu', 'EMAIL:lee@fabrikam.com', 'EMAIL:lee.gu@fabrikam.com', 'TITLE:Lead', 'END:VCARD', ''];
      const [id] = (await importContacts(t.store, MAILBOX, readContactFile(vcard.join('\r\n'), 'vcard'), LIMITS)).added;
      const csv = (content: string) => importContacts(t.store, MAILBOX, readContactFile(content, 'csv'), LIMITS);

      expect((await csv('email1,whatsappPhone,mobilePhone\r\nlee@fabrikam.com,+55 11 91234-5678,+1 425 555 0100\r\n')).updated).to.deep.equal([id]);
      expect((await csv('email1,mobilePhone\r\nlee@fabrikam.com,+1 425 555 0199\r\n')).updated).to.deep.equal([id]);
      const contact = await t.store.getContact(MAILBOX, id!);
      expect([contact?.displayName, contact?.jobTitle, contact?.emailAddresses, contact?.phones.mobile, contact?.refs.whatsappPhone]).to.deep.equal([
        'Lee Gu',
        'Lead',
        ['lee@fabrikam.com', 'lee.gu@fabrikam.com'],
        '+1 425 555 0199',
        '+5511912345678',
      ]);

      // Found by its second address, given as the first: once, not twice, and the other kept after it.
      expect((await csv('email1\r\nlee.gu@fabrikam.com\r\n')).updated).to.deep.equal([id]);
      expect((await t.store.getContact(MAILBOX, id!))?.emailAddresses).to.deep.equal(['lee.gu@fabrikam.com', 'lee@fabrikam.com']);
      expect((await csv('email1,jobTitle\r\nlee.gu@fabrikam.com,\r\n')).updated).to.deep.equal([id]);
      expect((await t.store.getContact(MAILBOX, id!))?.jobTitle).to.equal(undefined);
    });

    it('derives again from the fields a CSV updates a display name that was derived, and keeps one that was given', async () => {
      const csv = (content: string) => importContacts(t.store, MAILBOX, readContactFile(content, 'csv'), LIMITS);
      const [ann, bob, cleo] = (
        await csv(
          'displayName,givenName,surname,company,email1,mobilePhone\r\n' +
            ',,,,ann@x.example,+1 425 555 0100\r\n' +
            ',Bob,Smith,,bob@x.example,\r\n' +
            'Cleo from Sales,Cleo,Park,,cleo@x.example,\r\n',
        )
      ).added;
      const names = async () => Promise.all([ann, bob, cleo].map(async (id) => (await t.store.getContact(MAILBOX, id!))?.displayName));
      expect(await names()).to.deep.equal(['ann@x.example', 'Bob Smith', 'Cleo from Sales']);

      const update = 'givenName,surname,email1\r\nAnn,Lee,ann@x.example\r\nRobert,Smyth,bob@x.example\r\nCleopatra,Park,cleo@x.example\r\n';
      expect((await csv(update)).updated).to.deep.equal([ann, bob, cleo]);
      expect(await names()).to.deep.equal(['Ann Lee', 'Robert Smyth', 'Cleo from Sales']);

      // A file with a displayName column says the name, an empty cell included: derived from the fields.
      expect((await csv('displayName,company,email1\r\n,Contoso,cleo@x.example\r\n')).updated).to.deep.equal([cleo]);
      expect(await names()).to.deep.equal(['Ann Lee', 'Robert Smyth', 'Cleopatra Park']);
    });

    it('puts the addresses of a CSV row first, then the stored ones it does not name, and refuses a contact it would give more than three', async () => {
      const csv = (content: string) => importContacts(t.store, MAILBOX, readContactFile(content, 'csv'), LIMITS);
      const [carl] = (await csv('displayName,email1,email2,email3\r\nCarl,carl@work.example,carl@home.example,carl@old.example\r\n')).added;
      const addresses = async () => (await t.store.getContact(MAILBOX, carl!))?.emailAddresses;

      expect((await csv('email1,mobilePhone\r\nCARL@home.example,+1 425 555 0100\r\n')).updated).to.deep.equal([carl]);
      expect(await addresses()).to.deep.equal(['CARL@home.example', 'carl@work.example', 'carl@old.example']);

      // A fourth address is refused, not cut, and nothing is written.
      const problems = await csv('email1,email2\r\ncarl@new.example,carl@work.example\r\n').then(
        () => [],
        (error: ImportFileError) => error.problems,
      );
      expect(problems).to.have.length(1);
      expect(problems[0]).to.match(/^line 2: .* would have more than 3 addresses.*; give email1–email3 to say which$/);
      expect(await addresses()).to.deep.equal(['CARL@home.example', 'carl@work.example', 'carl@old.example']);

      // An empty cell clears the stored address in its place; the file's named ones come first.
      expect((await csv('email2,email3\r\ncarl@work.example,\r\n')).updated).to.deep.equal([carl]);
      expect(await addresses()).to.deep.equal(['carl@work.example', 'CARL@home.example']);
      expect((await csv('email1,email2\r\ncarl@new.example,carl@work.example\r\n')).updated).to.deep.equal([carl]);
      expect(await addresses()).to.deep.equal(['carl@new.example', 'carl@work.example', 'CARL@home.example']);
      expect((await csv('email1,email3\r\ncarl@work.example,\r\n')).updated).to.deep.equal([carl]);
      expect(await addresses()).to.deep.equal(['carl@work.example', 'carl@new.example']);

      // A file with email1–email3 says all of them.
      expect((await csv('email1,email2,email3\r\ncarl@x.example,carl@work.example,\r\n')).updated).to.deep.equal([carl]);
      expect(await addresses()).to.deep.equal(['carl@x.example', 'carl@work.example']);
      expect((await csv('email1,email2,email3\r\ncarl@a.example,carl@b.example,carl@x.example\r\n')).updated).to.deep.equal([carl]);
      expect(await addresses()).to.deep.equal(['carl@a.example', 'carl@b.example', 'carl@x.example']);
    });

    it('takes the columns a CSV leaves out as they are stored, without checking them again', async () => {
      const [id] = await t.store.saveContacts(
        MAILBOX,
        [],
        [{ displayName: 'Old\u001b[31mName', jobTitle: 'Tab\there', emailAddresses: ['old@x.example'], phones: {}, refs: {} }],
      );
      const file = readContactFile('email1,mobilePhone\r\nold@x.example,+1 425 555 0100\r\n', 'csv');

      expect(await importContacts(t.store, MAILBOX, file, LIMITS)).to.deep.equal({ added: [], updated: [id], unchanged: [] });
      const contact = await t.store.getContact(MAILBOX, id!);
      expect([contact?.displayName, contact?.jobTitle, contact?.phones.mobile]).to.deep.equal(['Old\u001b[31mName', 'Tab\there', '+1 425 555 0100']);
      // What the file gives is checked as ever.
      const bad = readContactFile('email1,jobTitle\r\nold@x.example,Boss\u007f\r\n', 'csv');
      expect(bad.problems).to.deep.equal(['line 2: jobTitle contains control characters']);
    });

    it("leaves a contact's gateway phone, SuperOffice id and UCWA person as they are when a vCard, which has no place for them, updates it", async () => {
      const csv =
        'displayName,email1,jobTitle,whatsappPhone,superOfficeId,ucwaPerson\r\nLee Gu,lee@fabrikam.com,Lead,+55 11 91234-5678,person:17,sip:lee@fabrikam.com\r\n';
      const [id] = (await importContacts(t.store, MAILBOX, readContactFile(csv, 'csv'), LIMITS)).added;
      const before = (await t.store.getContact(MAILBOX, id!))?.refs;
      const vcard = ['BEGIN:VCARD', 'VERSION:3.0', 'FN:Lee Gu', 'UID:urn:uuid:lee', 'EMAIL:lee@fabrikam.com', 'TITLE:Engineer', 'END:VCARD', ''].join('\r\n');

      expect(await importContacts(t.store, MAILBOX, readContactFile(vcard, 'vcard'), LIMITS)).to.deep.equal({ added: [], updated: [id], unchanged: [] });
      const after = await t.store.getContact(MAILBOX, id!);
      expect([after?.jobTitle, after?.refs]).to.deep.equal(['Engineer', { ...before, vcardUid: 'urn:uuid:lee' }]);
      expect(Object.keys(before ?? {}).sort()).to.deep.equal(['superOfficeId', 'ucwaPerson', 'whatsappPhone']);
    });
  });
}
