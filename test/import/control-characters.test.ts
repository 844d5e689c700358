import { expect } from 'chai';
import { escapeXml } from '../../src/ews/xml.js';
import { toContactFields } from '../../src/import/contact-record.js';
import { toDirectoryUser } from '../../src/import/directory-record.js';

describe('control characters in names', () => {
  it('are refused at import, for directory users and contacts, with the field named', () => {
    expect(toDirectoryUser({ email: 'a@b.example', displayName: 'Bad\u0001Name' })).to.equal('displayName contains control characters');
    expect(toDirectoryUser({ email: 'a@b.example', displayName: 'Two\nLines' })).to.equal('displayName contains control characters');
    expect(toDirectoryUser({ email: 'a@b.example', displayName: 'Lone \uD800 surrogate' })).to.equal('displayName contains control characters');
    expect(toContactFields({ displayName: 'Ok', jobTitle: 'Boss\u007F' })).to.equal('jobTitle contains control characters');
    expect(toDirectoryUser({ email: 'a@b.example', displayName: 'Line\u2028separator' })).to.equal('displayName contains control characters');
    expect(toDirectoryUser({ email: 'a@b.example', displayName: 'Zoë Ångström 😀' })).to.include({ displayName: 'Zoë Ångström 😀' });
  });

  it('drop the direction controls that make one name read as another, and keep right-to-left names as written', () => {
    expect(toDirectoryUser({ email: 'a@b.example', displayName: 'Eve \u202Eevil\u202C Admin', title: '\u2067CEO\u2069\u200F' })).to.include({
      displayName: 'Eve evil Admin',
      title: 'CEO',
    });
    expect(toContactFields({ displayName: '\u202Enimda', company: 'Contoso\u200E' })).to.include({ displayName: 'nimda', company: 'Contoso' });
    expect(toDirectoryUser({ email: 'a@b.example', displayName: '\u202E' })).to.equal('displayName is required');
    for (const invisible of ['\u200B', '\u200B\u2060\uFEFF', '\u00AD', '\u3164', '\uFFA0', '\u2800', '\u{1D159}\u{1D159}']) {
      expect(toDirectoryUser({ email: 'a@b.example', displayName: invisible }), JSON.stringify(invisible)).to.equal(
        'displayName shows nothing: only blanks or invisible characters',
      );
      // Where a name may be left out, one that shows nothing is left out: a contact is then named by what it has.
      expect(toContactFields({ displayName: invisible, email1: 'x@contoso.com', jobTitle: invisible }), JSON.stringify(invisible)).to.deep.include({
        displayName: 'x@contoso.com',
        jobTitle: undefined,
      });
    }
    expect(toDirectoryUser({ email: 'a@b.example', displayName: 'דנה לוי' })).to.include({ displayName: 'דנה לוי' });
  });

  it('in an address refuse the row: one that shows nothing more would be a second person who reads as the first', () => {
    expect(toDirectoryUser({ email: 'adele.vance\u200b@contoso.example', displayName: 'Adele Vance' })).to.equal('email is not an SMTP address');
    expect(toDirectoryUser({ email: 'adele@contoso.example', displayName: 'Adele Vance', otherAddresses: ['adele\u00ad@contoso.example'] })).to.equal(
      'otherAddresses.0 is not an SMTP address',
    );
    expect(toContactFields({ displayName: 'Adele', email1: 'adele.vance\u2800@contoso.example' })).to.equal('email1 is not an SMTP address');
  });

  it('never reach XML: output drops what XML 1.0 cannot carry and keeps tabs, line breaks and astral characters', () => {
    expect(escapeXml('a\u0001b\u000Bc\uFFFEd\uD800e')).to.equal('abcde');
    expect(escapeXml('tab\tline\ncr\r 😀 <&>"\'')).to.equal('tab\tline\ncr\r 😀 &lt;&amp;&gt;&quot;&apos;');
  });
});
