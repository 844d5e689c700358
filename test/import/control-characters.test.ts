import { expect } from 'chai';
import { parseStringPromise } from 'xml2js';
import { element, escapeXml } from '../../src/ews/xml.js';
import { importedContact } from '../support/imported-contact.js';
import { toDirectoryUser } from '../../src/import/directory-record.js';

describe('control characters in names', () => {
  it('are refused at import, for directory users and contacts, with the field named', () => {
    expect(toDirectoryUser({ email: 'a@b.example', displayName: 'Bad\u0001Name' })).to.equal('displayName contains control characters');
    expect(toDirectoryUser({ email: 'a@b.example', displayName: 'Two\nLines' })).to.equal('displayName contains control characters');
    expect(toDirectoryUser({ email: 'a@b.example', displayName: 'Lone \uD800 surrogate' })).to.equal('displayName contains control characters');
    expect(importedContact({ displayName: 'Ok', jobTitle: 'Boss\u007F' })).to.equal('jobTitle contains control characters');
    expect(toDirectoryUser({ email: 'a@b.example', displayName: 'Line\u2028separator' })).to.equal('displayName contains control characters');
    expect(toDirectoryUser({ email: 'a@b.example', displayName: 'Zoë Ångström 😀' })).to.include({ displayName: 'Zoë Ångström 😀' });
  });

  it('drop the direction controls that make one name read as another, and keep right-to-left names as written', () => {
    expect(toDirectoryUser({ email: 'a@b.example', displayName: 'Eve \u202Eevil\u202C Admin', title: '\u2067CEO\u2069\u200F' })).to.include({
      displayName: 'Eve evil Admin',
      title: 'CEO',
    });
    expect(importedContact({ displayName: '\u202Enimda', company: 'Contoso\u200E' })).to.include({ displayName: 'nimda', company: 'Contoso' });
    expect(toDirectoryUser({ email: 'a@b.example', displayName: '\u202E' })).to.equal('displayName is required');
    for (const invisible of ['\u200B', '\u200B\u2060\uFEFF', '\u00AD', '\u3164', '\uFFA0', '\u2800', '\u{1D159}\u{1D159}']) {
      expect(toDirectoryUser({ email: 'a@b.example', displayName: invisible }), JSON.stringify(invisible)).to.equal(
        'displayName shows nothing: only blanks or invisible characters',
      );
      // Where a name may be left out, one that shows nothing is left out: a contact is then named by what it has.
      expect(importedContact({ displayName: invisible, email1: 'x@contoso.com', jobTitle: invisible }), JSON.stringify(invisible)).to.deep.include({
        displayName: 'x@contoso.com',
        jobTitle: undefined,
      });
    }
    expect(toDirectoryUser({ email: 'a@b.example', displayName: 'דנה לוי' })).to.include({ displayName: 'דנה לוי' });
  });

  it('in an address refuse the row, saying which and where: one that shows nothing more would be a second person who reads as the first', () => {
    expect(toDirectoryUser({ email: 'adele.vance\u200b@contoso.example', displayName: 'Adele Vance' })).to.equal(
      'email holds a character that shows nothing (U+200B) at position 12',
    );
    expect(toDirectoryUser({ email: 'adele@contoso.example', displayName: 'Adele Vance', otherAddresses: ['adele\u00ad@contoso.example'] })).to.equal(
      'otherAddresses.0 holds a character that shows nothing (U+00AD) at position 6',
    );
    expect(importedContact({ displayName: 'Adele', email1: 'adele.vance\u2800@contoso.example' })).to.equal(
      'email1 holds a character that shows nothing (U+2800) at position 12',
    );
    const refused: [string, string][] = [
      ['adele.vance\u200c@contoso.example', 'U+200C'],
      ['adele.vance\u200d@contoso.example', 'U+200D'],
      ['adele.vance\u2060@contoso.example', 'U+2060'],
      ['adele.vance\u180e@contoso.example', 'U+180E'],
      ['adele.vance\u3164@contoso.example', 'U+3164'],
      ['adele.vance\u034f@contoso.example', 'U+034F'],
      ['adele.vance@contoso\u3164.example', 'U+3164'],
      ['adele.vance@conto\u034fso.example', 'U+034F'],
      ['adele.vance@contoso.example\ufe0f', 'U+FE0F'],
      ['\u{1D159}adele@contoso.example', 'U+1D159'],
      // A joiner with a joining letter on one side only joins nothing; Latin letters never join.
      ['\u0639\u0644\u06cc\u200c@contoso.example', 'U+200C'],
      ['ali\u200creza@contoso.example', 'U+200C'],
    ];
    for (const [email, codePoint] of refused) {
      const reason = toDirectoryUser({ email, displayName: 'Adele Vance' });
      expect(reason, JSON.stringify(email)).to.match(/^email holds a character that shows nothing \(U\+[0-9A-F]{4,5}\) at position \d+$/);
      expect(reason, JSON.stringify(email)).to.include(`(${codePoint})`);
    }
  });

  it('in an address take a ZWNJ or ZWJ where it shows (RFC 5892 A.1, A.2): between letters of a joining script, after a virama', () => {
    const shown = [
      // Persian: "alireza" written with a ZWNJ between علی and رضا, a vowel mark before it.
      '\u0639\u0644\u06cc\u200c\u0631\u0636\u0627@contoso.example',
      '\u0645\u06cc\u064e\u200c\u062e\u0648\u0627\u0647\u0645@contoso.example',
      // Syriac and N'Ko letters joined by a ZWJ.
      '\u0710\u200d\u0712@contoso.example',
      '\u07ca\u200c\u07cb@contoso.example',
      // Devanagari and Malayalam: a half form (ZWJ) and a visible virama (ZWNJ).
      '\u0915\u094d\u200d\u0937@contoso.example',
      '\u0d28\u0d4d\u200c\u0d31@contoso.example',
    ];
    for (const email of shown) expect(toDirectoryUser({ email, displayName: 'Ali' }), JSON.stringify(email)).to.include({ email });
    expect(importedContact({ email1: shown[0] })).to.deep.include({ emailAddresses: [shown[0]] });
  });

  it('in a manager only look the address up: one stored before with a character that shows nothing may still be named', () => {
    expect(toDirectoryUser({ email: 'a@contoso.example', displayName: 'A', manager: 'ali\u200creza@contoso.example' })).to.include({
      manager: 'ali\u200creza@contoso.example',
    });
  });

  it('never reach XML: output drops what XML 1.0 cannot carry and keeps tabs, line breaks and astral characters', () => {
    expect(escapeXml('a\u0001b\u000Bc\uFFFEd\uD800e')).to.equal('abcde');
    expect(escapeXml('tab\tline\ncr\r 😀 <&>"\'')).to.equal('tab\tline\ncr\r 😀 &lt;&amp;&gt;&quot;&apos;');
  });

  it('keep tabs and line breaks in an attribute as written, as character references: raw, a parser reads each as a space', async () => {
    const written = element('t:AlternateId', { Mailbox: 'x\t\ny\r 😀 <&>"\'\u0001' });
    expect(written).to.equal('<t:AlternateId Mailbox="x&#9;&#10;y&#13; 😀 &lt;&amp;&gt;&quot;&apos;"/>');
    const read = (await parseStringPromise(written)) as { 't:AlternateId': { $: { Mailbox: string } } };
    expect(read['t:AlternateId'].$.Mailbox).to.equal('x\t\ny\r 😀 <&>"\'');
  });
});
