import { expect } from 'chai';
import ICAL from 'ical.js';
import type { Contact } from '../../src/domain/contact.js';
import { contactVcard } from '../../src/ews/contact-vcard.js';
import { readContactFile } from '../../src/import/read-contact-file.js';

const contact = (fields: Partial<Contact>): Contact => ({
  id: 1,
  mailbox: 'adele.vance@contoso.com',
  createdAt: '2026-12-01T08:00:00.000Z',
  updatedAt: '2026-12-05T09:30:15.123Z',
  displayName: 'Lee Gu',
  emailAddresses: [],
  phones: {},
  refs: {},
  ...fields,
});

describe('contactVcard: a contact as the vCard 3.0 of its MimeContent', () => {
  it("escapes backslash, semicolon and comma in every text value, as RFC 2426 §5 asks, and the bridge's own import reads them back", () => {
    const odd = { displayName: 'Odd; Name, with \\ back', jobTitle: 'Title: x;y,z', company: 'A;B', department: 'C,D', givenName: 'G;', surname: 'S,' };
    const vcard = contactVcard(
      contact({ ...odd, emailAddresses: ['odd@contoso.com'], phones: { mobile: '+1 425 555 0100' }, refs: { vcardUid: 'u-1' } }),
    ).toString();
    expect(vcard.split('\r\n')).to.include.members([
      'FN:Odd\\; Name\\, with \\\\ back',
      'TITLE:Title: x\\;y\\,z',
      'ORG:A\\;B;C\\,D',
      'N:S\\,;G\\;;;;',
      'REV:20261205T093015Z',
    ]);
    const { drafts, problems } = readContactFile(vcard, 'vcard');
    expect(problems).to.deep.equal([]);
    // As JSON: the fields a card lacks are read as undefined.
    expect(JSON.parse(JSON.stringify(drafts.map((draft) => draft.fields)))).to.deep.equal([
      { ...odd, emailAddresses: ['odd@contoso.com'], phones: { mobile: '+1 425 555 0100' }, refs: { vcardUid: 'u-1' } },
    ]);
  });

  it('folds lines at 75 octets, never inside a character, and unfolds to the same values', () => {
    const long = `${'Zoë Ångström '.repeat(12)}end`;
    const photo = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));
    const vcard = contactVcard(contact({ displayName: long, refs: { vcardUid: 'after-the-photo' } }), photo).toString();
    const lines = vcard.split('\r\n').slice(0, -1);
    expect(lines.every((line) => Buffer.byteLength(line) <= 75)).to.equal(true);
    // Every line of the photo's 4,000 base64 characters is full, but its last: 75 octets, a continuation's space included.
    const photoLines = lines.slice(
      lines.findIndex((line) => line.startsWith('PHOTO;')),
      lines.findIndex((line) => line.startsWith('UID:')),
    );
    expect(photoLines.slice(0, -1).every((line) => line.length === 75)).to.equal(true);
    expect(
      photoLines
        .join('')
        .replace(/^PHOTO;ENCODING=b;TYPE=JPEG:/, '')
        .replaceAll(' ', ''),
    ).to.equal(photo.toString('base64'));
    expect(lines.some((line) => line.includes('\uFFFD'))).to.equal(false);
    const read = ICAL.Component.fromString(vcard);
    expect(read.getFirstPropertyValue('fn')).to.equal(long);
    expect(String(read.getFirstPropertyValue('photo'))).to.equal(photo.toString('base64'));
    expect(read.getFirstPropertyValue('uid')).to.equal('after-the-photo');
    expect([read.getFirstProperty('photo')!.getParameter('encoding'), read.getFirstProperty('photo')!.getParameter('type')]).to.deep.equal(['b', 'JPEG']);
  });
});
