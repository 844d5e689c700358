import { expect } from 'chai';
import { comparableDn } from '../../src/import/comparable-dn.js';
import { LONG_RUN } from '../support/long-run.js';

const same = (a: string, b: string) => comparableDn(a) === comparableDn(b);

describe('DNs compared as RFC 4514 reads them', () => {
  it('ignores case and blanks around separators, and keeps blanks inside a value', () => {
    expect(comparableDn('CN=Adele Vance , OU = People,DC=Contoso+ UID=adele')).to.equal('cn=adele vance,ou=people,dc=contoso+uid=adele');
  });

  it('keeps the blank after an escaped comma: cn=A\\, B and cn=A\\,B are two people', () => {
    expect(same('cn=A\\, B,dc=example,dc=com', 'cn=A\\,B,dc=example,dc=com')).to.equal(false);
    expect(comparableDn('cn=A\\, B,dc=example,dc=com')).to.equal('cn=a\\, b,dc=example,dc=com');
  });

  it('reads an escaped character and its hex pair alike, UTF-8 hex pairs as their character (section 2.4)', () => {
    expect(same('cn=Boss\\2C Big,dc=example,dc=com', 'CN=boss\\, big, DC=Example, DC=Com')).to.equal(true);
    // RFC 4514 section 4's example.
    expect(same('CN=Lu\\C4\\8Di\\C4\\87', 'cn=Lučić')).to.equal(true);
    expect(comparableDn('CN=Before\\0dAfter,DC=example,DC=net')).to.equal('cn=before\rafter,dc=example,dc=net');
    expect(same('CN=James \\"Jim\\" Smith\\, III,DC=example,DC=net', 'cn=james \\22jim\\22 smith\\2c iii,dc=example,dc=net')).to.equal(true);
  });

  it('drops unescaped blanks at the ends of a value and keeps escaped ones', () => {
    expect(same('cn=  a  ,dc=x', 'cn=a,dc=x')).to.equal(true);
    expect(same('cn=\\ a\\ ,dc=x', 'cn=a,dc=x')).to.equal(false);
    expect(same('cn=\\ a\\20,dc=x', 'cn=\\20a\\ ,dc=x')).to.equal(true);
    expect(same('cn=a  b,dc=x', 'cn=a b,dc=x')).to.equal(false);
  });

  it('takes the values of a multi-valued RDN in any order', () => {
    expect(same('OU=Sales+CN=J.  Smith,DC=example,DC=net', 'cn=j.  smith + ou=sales,dc=example,dc=net')).to.equal(true);
  });

  it('keeps a #hex value as hex, not the text a \\# begins', () => {
    expect(comparableDn('1.3.6.1.4.1.1466.0=#04024869,DC=example,DC=com')).to.equal('1.3.6.1.4.1.1466.0=#04024869,dc=example,dc=com');
    expect(same('cn=#04024869', 'cn=\\#04024869')).to.equal(false);
  });

  it('keys a string that is no DN as written but for case, equal only to itself in any case', () => {
    for (const text of ['cn=a ,  , b', 'cn=a\\q', 'cn=\\c3', 'cn=a,', 'no equals sign', 'cn=a;b'] as const) expect(comparableDn(text)).to.equal(text);
    // RFC 2253's `;` between RDNs, as older tools write it, in two cases: one entry, as the earlier comparison had it.
    expect(same('CN=A;OU=B', 'cn=a;ou=b')).to.equal(true);
    expect(same('cn=a;ou=b', 'cn=a,ou=b')).to.equal(false);
  });

  it('reads a long run of blanks with no separator after it, and one before a separator', () => {
    const run = ' '.repeat(LONG_RUN);
    expect(comparableDn(`cn=a${run}b,dc=x`)).to.equal(`cn=a${run}b,dc=x`);
    expect(comparableDn(`cn=a${run},dc=x`)).to.equal('cn=a,dc=x');
    expect(comparableDn(`cn=a,${run}`)).to.equal(`cn=a,${run}`);
  });
});
