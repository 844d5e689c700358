import { expect } from 'chai';
import { importContacts } from '../../src/import/import-contacts.js';
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

      // Found by its second address, given as the first: once, not twice.
      expect((await csv('email1\r\nlee.gu@fabrikam.com\r\n')).updated).to.deep.equal([id]);
      expect((await t.store.getContact(MAILBOX, id!))?.emailAddresses).to.deep.equal(['lee.gu@fabrikam.com']);
      expect((await csv('email1,jobTitle\r\nlee.gu@fabrikam.com,\r\n')).updated).to.deep.equal([id]);
      expect((await t.store.getContact(MAILBOX, id!))?.jobTitle).to.equal(undefined);
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
