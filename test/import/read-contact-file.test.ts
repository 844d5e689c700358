import { expect } from 'chai';
import { readContactFile } from '../../src/import/read-contact-file.js';
import { LONG_RUN } from '../support/long-run.js';

const vcardWithTel = (tel: string) => ['BEGIN:VCARD', 'VERSION:4.0', 'FN:Run Test', `TEL;VALUE=uri;TYPE=work:${tel}`, 'END:VCARD', ''].join('\r\n');
const read = (tel: string) => readContactFile(vcardWithTel(tel), 'vcard');

describe('reading a contact file', () => {
  it("keeps a tel: URI's number and extension, a line separator after its parameters too", () => {
    expect(read('tel:+1-555-555-5555;ext=5555').drafts[0]?.fields.phones?.business).to.equal('+1-555-555-5555 ext. 5555');
    expect(read('tel:+1-555-555-5555;isub=8;\u2028').drafts[0]?.fields.phones?.business).to.equal('+1-555-555-5555');
  });

  it('reads a tel: URI of a long run of digits before a line separator, and refuses it as too long', () => {
    expect(read(`tel:${'1'.repeat(LONG_RUN)};\u2028`)).to.deep.equal({
      drafts: [],
      problems: ['card 1 (line 1): businessPhone is longer than 1024 characters'],
      notKept: new Map(),
    });
  });

  it('says what a card holds that no field keeps, by how many cards hold it, and keeps a fax or pager number out of the phones', () => {
    const card = (...lines: string[]) => ['BEGIN:VCARD', 'VERSION:3.0', 'PRODID:-//Apple Inc.//iPhone OS 17.0//EN', 'FN:Rich Card', ...lines, 'END:VCARD'];
    const file = [
      ...card(
        'N:Card;Rich;Middle;Dr.;',
        'BDAY:1990-01-01',
        'ADR;TYPE=WORK:;;1 Main St;Springfield;;12345;US',
        'NOTE:a note',
        'TEL;TYPE=WORK,FAX:+1 555 0100',
        'TEL;TYPE=WORK,VOICE:+1 555 0101',
        'TEL;TYPE=WORK:+1 555 0102',
        'TEL;TYPE=PAGER:+1 555 0103',
      ),
      ...card('N:Plain;Second;;;', 'BDAY:1991-02-02', 'TEL;TYPE=CELL:+1 555 0199'),
      '',
    ].join('\r\n');
    const { drafts, problems, notKept } = readContactFile(file, 'vcard');
    expect(problems).to.deep.equal([]);
    expect(drafts.map(({ fields: { phones } }) => [phones.business, phones.mobile, phones.home])).to.deep.equal([
      ['+1 555 0101', undefined, undefined],
      [undefined, '+1 555 0199', undefined],
    ]);
    expect(Object.fromEntries(notKept)).to.deep.equal({
      BDAY: 2,
      ADR: 1,
      NOTE: 1,
      "N's middle names, prefixes or suffixes": 1,
      'TEL of type fax': 1,
      'a second work TEL': 1,
      'TEL of type pager': 1,
    });
  });
});
