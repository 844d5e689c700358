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

  describe('names the line of a problem in a vCard file, and its card', () => {
    const card = (name: string, ...lines: string[]) => ['BEGIN:VCARD', 'VERSION:3.0', `FN:${name}`, ...lines, 'END:VCARD'];
    const read = (...lines: string[]) => readContactFile([...lines, ''].join('\r\n'), 'vcard');
    const where = (file: ReturnType<typeof read>) => file.drafts.map((draft) => draft.where);

    it('a line without a colon, and reads the other cards', () => {
      const file = read(...card('A'), ...card('B'), ...card('C', 'NOTE:fine', 'no colon here'), ...card('D'));
      expect(file.problems).to.deep.equal(['card 3 (line 9): line 13: invalid line (no token ";" or ":") "no colon here"']);
      expect(where(file)).to.deep.equal(['card 1 (line 1)', 'card 2 (line 5)', 'card 4 (line 15)']);
    });

    it('a folded line without a colon, by the line it starts on', () => {
      const file = read(...card('A'), ...card('B', 'no colon', ' still none'));
      expect(file.problems).to.deep.equal(['card 2 (line 5): line 8: invalid line (no token ";" or ":") "no colonstill none"']);
    });

    it('a card without its END:VCARD, and a line outside every card', () => {
      const file = read('stray', ...card('A'), ...card('B').slice(0, -1), ...card('C'), 'END:VCARD', ...card('D').slice(0, -1));
      expect(file.problems).to.deep.equal([
        'line 1: outside any card (BEGIN:VCARD … END:VCARD)',
        'card 2 (line 6): no END:VCARD before the BEGIN:VCARD of line 9',
        'line 13: END:VCARD without a BEGIN:VCARD before it',
        'card 4 (line 14): no END:VCARD',
      ]);
      expect(where(file)).to.deep.equal(['card 1 (line 2)', 'card 3 (line 9)']);
    });

    it("a card after a vCard 2.1 AGENT's nested card, by the line it starts on", () => {
      const agent = ['AGENT:', 'BEGIN:VCARD', 'VERSION:2.1', 'FN:Assistant', 'END:VCARD'];
      const card21 = (name: string, ...lines: string[]) => ['BEGIN:VCARD', 'VERSION:2.1', `FN:${name}`, ...lines, 'END:VCARD'];
      const file = read(...card21('Boss', ...agent), ...card21('Third', 'EMAIL third@x.example'), ...card21('Fourth'));
      expect(file.problems).to.deep.equal(['card 2 (line 10): line 13: invalid line (no token ";" or ":") "EMAIL third@x.example"']);
      expect(where(file)).to.deep.equal(['card 1 (line 1)', 'card 3 (line 15)']);
    });
  });

  describe('reads a vCard 2.1 quoted-printable value in its CHARSET', () => {
    const read = (...lines: string[]) => readContactFile(['BEGIN:VCARD', 'VERSION:2.1', ...lines, 'END:VCARD', ''].join('\r\n'), 'vcard');
    const names = (file: ReturnType<typeof read>) => file.drafts.map(({ fields }) => [fields.displayName, fields.surname, fields.givenName]);

    it('as UTF-8 or Windows-1252, the one the bytes are in, without a CHARSET', () => {
      expect(names(read('N;ENCODING=QUOTED-PRINTABLE:M=FCller;J=F6rg', 'FN;ENCODING=QUOTED-PRINTABLE:J=C3=B6rg M=C3=BCller =E2=82=AC'))).to.deep.equal([
        ['Jörg Müller €', 'Müller', 'Jörg'],
      ]);
    });

    it('in the charset it names, Windows-1252 with its euro sign', () => {
      expect(
        names(read('N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=B6rg', 'FN;CHARSET=Windows-1252;QUOTED-PRINTABLE:=80 M=FCller')),
      ).to.deep.equal([['€ Müller', 'Müller', 'Jörg']]);
    });

    it('refuses, with the line, bytes that are not in the charset named, and a charset it does not know', () => {
      const problems = (...lines: string[]) => read(...lines).problems;
      expect(problems('EMAIL:a@x.example', 'FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=F6rg M=FCller')).to.deep.equal([
        'card 1 (line 1): line 4: FN: quoted-printable bytes that are not UTF-8, though its CHARSET says so',
      ]);
      expect(problems('FN;CHARSET=windows-1252;ENCODING=QUOTED-PRINTABLE:J=81rg')).to.deep.equal([
        'card 1 (line 1): line 3: FN: quoted-printable bytes that are not windows-1252, though its CHARSET says so',
      ]);
      expect(problems('FN;CHARSET=x-unknown-cs;ENCODING=QUOTED-PRINTABLE:J=F6rg')).to.deep.equal([
        'card 1 (line 1): line 3: FN: CHARSET=x-unknown-cs is no character set the bridge knows; save the file again as UTF-8',
      ]);
    });
  });

  it("reads a vCard 2.1 value by 2.1's escapes (a backslash before a semicolon only), a 3.0 card beside it by 3.0's", () => {
    const file = [
      ...['BEGIN:VCARD', 'VERSION:2.1', 'N:Doe, Jr.;John', 'FN:John Doe\\; Jr.', 'TITLE:VP, Sales\\North', 'ORG:Smith\\; Jones;Sales, EMEA'],
      ...['TEL;WORK:+1 202 555 0100,,123', 'END:VCARD'],
      ...['BEGIN:VCARD', 'VERSION:3.0', 'N:Roe\\, Sr.;Jane;;;', 'FN:Jane Roe', 'TITLE:A\\\\B\\nC', 'END:VCARD', ''],
    ].join('\r\n');
    const { drafts, problems } = readContactFile(file, 'vcard');
    expect(problems).to.deep.equal([]);
    expect(drafts.map(({ fields: f }) => [f.displayName, f.surname, f.givenName, f.jobTitle, f.company, f.department, f.phones.business])).to.deep.equal([
      ['John Doe; Jr.', 'Doe, Jr.', 'John', 'VP, Sales\\North', 'Smith; Jones', 'Sales, EMEA', '+1 202 555 0100,,123'],
      ['Jane Roe', 'Roe, Sr.', 'Jane', 'A\\B C', undefined, undefined, undefined],
    ]);
  });

  it('refuses a UID with control characters, as any other text of a card, and keeps one without', () => {
    const card = (uid: string) => ['BEGIN:VCARD', 'VERSION:3.0', 'FN:A', `UID:${uid}`, 'END:VCARD'];
    const { drafts, problems } = readContactFile([...card('\u001b[31m'), ...card(' urn:uuid:1 '), ''].join('\r\n'), 'vcard');
    expect(problems).to.deep.equal(['card 1 (line 1): UID contains control characters']);
    expect(drafts.map(({ fields }) => fields.refs.vcardUid)).to.deep.equal(['urn:uuid:1']);
  });

  it('keeps the first three EMAILs and the first PHOTO and TITLE of a card, and says what it does not keep', () => {
    const emails = ['a', 'b', 'c', 'd'].map((name) => `EMAIL:${name}@x.example`);
    const file = ['BEGIN:VCARD', 'VERSION:3.0', 'FN:Many', ...emails, 'PHOTO;ENCODING=b;TYPE=JPEG:AAAA', 'PHOTO;ENCODING=b;TYPE=JPEG:BBBB'];
    const { drafts, problems, notKept } = readContactFile([...file, 'TITLE:First', 'TITLE:Second', 'END:VCARD', ''].join('\r\n'), 'vcard');
    expect(problems).to.deep.equal([]);
    expect(drafts.map(({ fields, photo }) => [fields.emailAddresses, fields.jobTitle, photo?.toString('base64')])).to.deep.equal([
      [['a@x.example', 'b@x.example', 'c@x.example'], 'First', 'AAAA'],
    ]);
    expect(Object.fromEntries(notKept)).to.deep.equal({ 'an EMAIL past the first 3': 1, 'a second TITLE': 1, 'a second PHOTO': 1 });
  });
});
