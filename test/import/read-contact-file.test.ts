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
    });
  });
});
