import { expect } from 'chai';
import { importedContact } from '../support/imported-contact.js';
import { toDirectoryUser } from '../../src/import/directory-record.js';
import { readContactFile } from '../../src/import/read-contact-file.js';
import { ImportFileError } from '../../src/import/import-file-error.js';
import { readDirectoryFile } from '../../src/import/read-directory-file.js';

const user = (whatsappPhone: string) => toDirectoryUser({ email: 'maria@contoso.example', displayName: 'Maria Silva', whatsappPhone });
const contact = (whatsappPhone: string) => importedContact({ displayName: 'Maria Silva', whatsappPhone });

describe('the whatsappPhone column at import', () => {
  it('stores a number with its country code as E.164, for directory users and contacts', () => {
    expect(user('+55 (11) 99999-0000')).to.deep.include({ refs: { whatsappPhone: '+5511999990000' } });
    expect(contact('+1 415 555 0100')).to.have.nested.property('refs.whatsappPhone', '+14155550100');
  });

  it('keeps a number without a country code as written, for the WhatsApp source to place by its defaultCountry', () => {
    expect(user(' (11) 99999-0000 ')).to.deep.include({ refs: { whatsappPhone: '(11) 99999-0000' } });
    expect(contact('11 99999-0000')).to.have.nested.property('refs.whatsappPhone', '11 99999-0000');
  });

  it('refuses, with the reason, a number invalid for the country it names or that is no plain number', () => {
    expect(user('+55 11 1234-0000')).to.equal('whatsappPhone "+55 11 1234-0000" is not a valid number for BR; check its digits, e.g. +55 11 99999-0000');
    expect(contact('5511999990000@s.whatsapp.net')).to.match(/^whatsappPhone "5511999990000@s\.whatsapp\.net" has characters other than digits/);
    expect(contact('+55 11 99999-0000 ext 12')).to.match(/^whatsappPhone .* has characters other than digits/);
  });

  it('refuses the whole file, naming each bad line', () => {
    const csv = 'displayName,whatsappPhone\nMaria Silva,+55 11 99999-0000\nJoao Souza,+55 11 1234-0000\nAna Lima,+1 212 555\n';
    const { drafts, problems } = readContactFile(csv, 'csv');
    expect(drafts).to.have.length(1);
    expect(problems).to.have.length(2);
    expect(problems[0]).to.match(/^line 3: whatsappPhone "\+55 11 1234-0000" is not a valid number for BR/);
    expect(problems[1]).to.match(/^line 4: whatsappPhone "\+1 212 555" is not a valid number for country code \+1;/);
    const json = JSON.stringify([{ email: 'lee.gu@contoso.example', displayName: 'Lee Gu', refs: { whatsappPhone: '+55 11 1234-0000' } }]);
    expect(() => readDirectoryFile(json, 'json'))
      .to.throw(ImportFileError)
      .with.property('message')
      .that.matches(/whatsappPhone "\+55 11 1234-0000" is not a valid number for BR/);
  });
});
