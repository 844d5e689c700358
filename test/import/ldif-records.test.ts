import { expect } from 'chai';
import { readLdif, textOf } from '../../src/import/ldif-records.js';
import { LONG_RUN } from '../support/long-run.js';

// The examples of RFC 2849 (https://www.rfc-editor.org/rfc/rfc2849, section 3), as printed there.
const EXAMPLE_2_FOLDED = `version: 1
dn:cn=Barbara Jensen, ou=Product Development, dc=airius, dc=com
objectclass:top
objectclass:person
objectclass:organizationalPerson
cn:Barbara Jensen
cn:Barbara J Jensen
cn:Babs Jensen
sn:Jensen
uid:bjensen
telephonenumber:+1 408 555 1212
description:Babs is a big sailing fan, and travels extensively in sea
 rch of perfect sailing conditions.
title:Product Manager, Rod and Reel Division
`;

const EXAMPLE_3_BASE64 = `version: 1
dn: cn=Gern Jensen, ou=Product Testing, dc=airius, dc=com
objectclass: top
objectclass: person
objectclass: organizationalPerson
cn: Gern Jensen
cn: Gern O Jensen
sn: Jensen
uid: gernj
telephonenumber: +1 408 555 1212
description:: V2hhdCBhIGNhcmVmdWwgcmVhZGVyIHlvdSBhcmUhICBUaGlzIHZhbHVl
 IGlzIGJhc2UtNjQtZW5jb2RlZCBiZWNhdXNlIGl0IGhhcyBhIGNvbnRyb2wgY2hhcmFjdG
 VyIGluIGl0IChhIENSKS4NICBCeSB0aGUgd2F5LCB5b3Ugc2hvdWxkIHJlYWxseSBnZXQg
 b3V0IG1vcmUu
`;

const EXAMPLE_4_UTF8 = `version: 1
dn:: b3U95Za25qWt6YOoLG89QWlyaXVz
# dn:: ou=<JapaneseOU>,o=Airius
objectclass: top
objectclass: organizationalUnit
ou:: 5Za25qWt6YOo
# ou:: <JapaneseOU>
ou;lang-ja:: 5Za25qWt6YOo
# ou;lang-ja:: <JapaneseOU>
ou;lang-ja;phonetic:: 44GI44GE44GO44KH44GG44G2
ou;lang-en: Sales
description: Japanese office

dn:: dWlkPXJvZ2FzYXdhcmEsb3U95Za25qWt6YOoLG89QWlyaXVz
# dn:: uid=<uid>,ou=<JapaneseOU>,o=Airius
userpassword: {SHA}O3HSv1MusyL4kTjP+HKI5uxuNoM=
objectclass: top
objectclass: person
objectclass: organizationalPerson
objectclass: inetOrgPerson
uid: rogasawara
mail: rogasawara@airius.co.jp
givenname;lang-ja:: 44Ot44OJ44OL44O8
# givenname;lang-ja:: <JapaneseGivenname>
sn;lang-ja:: 5bCP56yg5Y6f
# sn;lang-ja:: <JapaneseSn>
cn;lang-ja:: 5bCP56yg5Y6fIOODreODieODi+ODvA==
# cn;lang-ja:: <JapaneseCn>
title;lang-ja:: 5Za25qWt6YOoIOmDqOmVtw==
# title;lang-ja:: <JapaneseTitle>
preferredlanguage: ja
givenname:: 44Ot44OJ44OL44O8
# givenname:: <JapaneseGivenname>
sn:: 5bCP56yg5Y6f
# sn:: <JapaneseSn>
cn:: 5bCP56yg5Y6fIOODreODieODi+ODvA==
# cn:: <JapaneseCn>
title:: 5Za25qWt6YOoIOmDqOmVtw==
# title:: <JapaneseTitle>
givenname;lang-en: Rodney
sn;lang-en: Ogasawara
cn;lang-en: Rodney Ogasawara
title;lang-en: Sales, Director
`;

const EXAMPLE_5_URL = `version: 1
dn: cn=Horatio Jensen, ou=Product Testing, dc=airius, dc=com
objectclass: top
cn: Horatio Jensen
jpegphoto:< file:///usr/local/directory/photos/fiona.jpg
`;

const EXAMPLE_6_CHANGE = `version: 1
# Add a new entry
dn: cn=Fiona Jensen, ou=Marketing, dc=airius, dc=com
changetype: add
objectclass: top
cn: Fiona Jensen

# Delete an existing entry
dn: cn=Robert Jensen, ou=Marketing, dc=airius, dc=com
changetype: delete
`;

describe('LDIF reader (RFC 2849)', () => {
  it('unfolds a continued line: the newline and one leading space go', () => {
    const { entries, problems } = readLdif(EXAMPLE_2_FOLDED);
    expect(problems).to.deep.equal([]);
    expect(entries).to.have.length(1);
    const [entry] = entries;
    expect(entry!.dn).to.equal('cn=Barbara Jensen, ou=Product Development, dc=airius, dc=com');
    expect(entry!.line).to.equal(2);
    expect(entry!.attributes.get('description')).to.deep.equal(['Babs is a big sailing fan, and travels extensively in search of perfect sailing conditions.']);
    expect(entry!.attributes.get('cn')).to.deep.equal(['Barbara Jensen', 'Barbara J Jensen', 'Babs Jensen']);
  });

  it('keeps every value of an attribute given 25,000 times, in order (each had copied all before it: a 30-second import)', () => {
    const values = Array.from({ length: 25_000 }, (_, i) => `v${i}`);
    const { entries, problems } = readLdif(`dn: cn=M,dc=x\nmail: m@x.example\n${values.map((value) => `description: ${value}`).join('\n')}\n`);
    expect(problems).to.deep.equal([]);
    expect(entries[0]!.attributes.get('description')).to.deep.equal(values);
  });

  it('decodes a folded base64 value to its bytes, a CR included', () => {
    const [entry] = readLdif(EXAMPLE_3_BASE64).entries;
    const [description] = entry!.attributes.get('description')!;
    expect(Buffer.isBuffer(description)).to.equal(true);
    expect(textOf(description!)).to.equal(
      'What a careful reader you are!  This value is base-64-encoded because it has a control character in it (a CR).\r  By the way, you should really get out more.',
    );
    expect(entry!.attributes.get('cn')).to.deep.equal(['Gern Jensen', 'Gern O Jensen']);
  });

  it('reads UTF-8 DNs and values in base64, skips comments, keeps attribute options', () => {
    const { entries, problems } = readLdif(EXAMPLE_4_UTF8);
    expect(problems).to.deep.equal([]);
    expect(entries.map((entry) => entry.dn)).to.deep.equal(['ou=営業部,o=Airius', 'uid=rogasawara,ou=営業部,o=Airius']);
    expect(entries.map((entry) => entry.line)).to.deep.equal([2, 14]);
    const person = entries[1]!;
    expect(textOf(person.attributes.get('cn')![0]!)).to.equal('小笠原 ロドニー');
    expect(person.attributes.get('cn;lang-en')).to.deep.equal(['Rodney Ogasawara']);
    expect(person.attributes.get('mail')).to.deep.equal(['rogasawara@airius.co.jp']);
    expect([...person.attributes.keys()].some((name) => name.startsWith('#'))).to.equal(false);
  });

  it('names a URL value and change records as problems, by line, and reads none of them', () => {
    expect(readLdif(EXAMPLE_5_URL)).to.deep.equal({
      entries: [],
      problems: ['line 5: jpegphoto is a URL; the bridge only imports values written in the file'],
    });
    expect(readLdif(EXAMPLE_6_CHANGE)).to.deep.equal({
      entries: [],
      problems: [
        'line 4: a change record (changetype: add); export entries instead (ldapsearch -LLL, ldifde -f)',
        'line 10: a change record (changetype: delete); export entries instead (ldapsearch -LLL, ldifde -f)',
      ],
    });
  });

  it('reports every broken line, not only the first, and keeps the good records', () => {
    const ldif = ['dn: cn=Good,dc=contoso,dc=com', 'cn: Good', '', 'dn: cn=Bad,dc=contoso,dc=com', 'not a line', 'photo:: ***', '', 'cn: no dn', ''].join(
      '\r\n',
    );
    const { entries, problems } = readLdif(ldif);
    expect(entries.map((entry) => entry.dn)).to.deep.equal(['cn=Good,dc=contoso,dc=com']);
    expect(problems).to.deep.equal([
      "line 5: not an LDIF line ('name: value' expected)",
      'line 6: photo is not base64',
      "line 8: a record starts with dn:, not 'cn:'",
    ]);
  });

  it('names a dn: inside a record as a problem: records are separated by blank lines, and no attribute is named dn', () => {
    const ldif = ['dn: cn=Alice,dc=example,dc=com', 'mail: alice@example.com', 'DN: cn=Bob,dc=example,dc=com', 'mail: bob@example.com', ''].join('\n');
    expect(readLdif(ldif)).to.deep.equal({ entries: [], problems: ['line 3: a new dn: needs a blank line before it'] });
  });

  it('keeps the values of an attribute written in several cases together, under its first spelling, in file order (RFC 4512 §2.5)', () => {
    const ldif = [
      'dn: cn=Split,dc=example,dc=com',
      'mail: a@example.com',
      'cn: Split',
      'Mail: b@example.com',
      'MAIL: c@example.com',
      'mail: d@example.com',
    ].join('\n');
    const [entry] = readLdif(ldif).entries;
    expect(Object.fromEntries(entry!.attributes)).to.deep.equal({ mail: ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com'], cn: ['Split'] });
  });

  it('reads a value after a long run of blanks, a lone CR or a line separator in it too', () => {
    const run = ' '.repeat(LONG_RUN);
    const ldif = ['dn: cn=Run,dc=contoso,dc=com', `description:${run}x`, `title:${run}\rx`, `cn:${run}\u2028`, ''].join('\n');
    const { entries, problems } = readLdif(ldif);
    expect(problems).to.deep.equal([]);
    expect(Object.fromEntries(entries[0]!.attributes)).to.deep.equal({ description: ['x'], title: ['\rx'], cn: ['\u2028'] });
  });
});
