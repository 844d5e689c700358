import { expect } from 'chai';
import { canonicalAddressPrefix, canonicalUpToAsciiCase, isSmtpAddress, normalizeSmtpAddress } from '../../src/domain/email.js';
import { BridgeError } from '../../src/domain/errors.js';

/** Calls normalizeSmtpAddress and returns the BridgeError it must throw. */
function rejectionOf(value: string): BridgeError {
  try {
    const normalized = normalizeSmtpAddress(value);
    expect.fail(`expected ${JSON.stringify(value)} to be rejected, but it normalised to ${JSON.stringify(normalized)}`);
  } catch (error) {
    if (!(error instanceof BridgeError)) throw error;
    return error;
  }
}

/** A well-formed address of exactly `length` characters: 64-char local part, '@', domain, '.com'. */
function addressOfLength(length: number): string {
  const local = 'a'.repeat(64);
  return `${local}@${'b'.repeat(length - local.length - 1 - '.com'.length)}.com`;
}

describe('normalizeSmtpAddress', () => {
  it('keeps an ordinary lower-case address as it is', () => {
    expect(normalizeSmtpAddress('alice@example.com')).to.equal('alice@example.com');
  });

  it('folds the address to lower case (the directory key)', () => {
    expect(normalizeSmtpAddress('Alice.Smith@Example.COM')).to.equal('alice.smith@example.com');
    expect(normalizeSmtpAddress('BOB@CONTOSO.ORG')).to.equal('bob@contoso.org');
  });

  it('writes every spelling of one address alike: composed (NFC), with the domain in Unicode', () => {
    const composed = 'ren\u00e9e@b\u00fccher.example';
    for (const spelling of ['rene\u0301e@bu\u0308cher.example', 'REN\u00c9E@xn--bcher-kva.example', 'Rene\u0301e@XN--BCHER-KVA.EXAMPLE', composed]) {
      expect(normalizeSmtpAddress(spelling), JSON.stringify(spelling)).to.equal(composed);
    }
  });

  it('takes an address holding a character that shows nothing, as one stored before may: only an import refuses it as new', () => {
    expect(normalizeSmtpAddress('Ali\u200creza@contoso.example')).to.equal('ali\u200creza@contoso.example');
    expect(normalizeSmtpAddress('adele.vance\u200b@contoso.example')).to.equal('adele.vance\u200b@contoso.example');
  });

  it('leaves a domain that is no IDNA name as written, lower-cased', () => {
    expect(normalizeSmtpAddress('Anna@XN--ZZ.example')).to.equal('anna@xn--zz.example');
  });

  it('drops plain spaces around the address', () => {
    expect(normalizeSmtpAddress('  bob@example.com  ')).to.equal('bob@example.com');
  });

  it('refuses a control character or a space other than U+0020 around the address, rather than trimming it', () => {
    for (const around of ['\t', '\r\n', '\n', '\u000b', '\u000c', '\u00a0', '\ufeff', '\u3000', '\u2028', ' \t ']) {
      for (const value of [`${around}bob@example.com`, `bob@example.com${around}`]) {
        expect(rejectionOf(value).responseCode, JSON.stringify(value)).to.equal('ErrorInvalidSmtpAddress');
      }
    }
  });

  it('accepts plus-addressing, dots, hyphens and subdomains', () => {
    expect(normalizeSmtpAddress('first.last+tag@mail.sub-domain.example.co.uk')).to.equal('first.last+tag@mail.sub-domain.example.co.uk');
  });

  it("accepts a local part of RFC 5321's atext (/, ?, #, …) and a domain of any script", () => {
    for (const address of ["o'brien/sales?#1@contoso.com", 'info@bücher.example', 'user@xn--bcher-kva.example', 'x@123.example']) {
      expect(isSmtpAddress(address), address).to.equal(true);
    }
  });

  const REJECTED: ReadonlyArray<[string, string]> = [
    ['bob', 'no @ at all'],
    ['a@b', 'no dot in the domain'],
    ["' OR 1=1 --", 'an SQL injection attempt'],
    ['bob@', 'no domain'],
    ['@example.com', 'no local part'],
    ['bob@@example.com', 'two @'],
    ['bob smith@example.com', 'a space inside'],
    ['<bob@example.com>', 'angle brackets'],
    ['"Bob" <bob@example.com>', 'a display name'],
    ['bob@example.com;eve@example.com', 'two addresses'],
    ['bob@example.', 'an empty last label'],
    ['bob@example.com\u0000', 'a NUL after it'],
    ['bo\u0001b@example.com', 'a control character inside'],
    ['bob@exam\u007fple.com', 'DEL in the domain'],
    ['bob@example.c\u0085om', 'a C1 control character'],
    ['bob@example.com/extra', 'a path after it'],
    ['bob@example.com?Protocol=EWS', 'a query after it'],
    ['bob@exa#mple.com', 'a # in the domain'],
    ['bob@-example.com', 'a label that starts with a hyphen'],
    ['bob@example-.com', 'a label that ends with a hyphen'],
    ['bob@example..com', 'an empty label'],
    ['bob@exam_ple.com', 'an underscore in the domain'],
  ];

  for (const [value, why] of REJECTED) {
    it(`rejects ${JSON.stringify(value)}: ${why}`, () => {
      const error = rejectionOf(value);
      expect(error.httpStatus).to.equal(400);
      expect(error.responseCode).to.equal('ErrorInvalidSmtpAddress');
      expect(error.message).to.include('is not an SMTP address');
    });
  }

  it("rejects '' saying the parameter is required", () => {
    const error = rejectionOf('');
    expect(error.httpStatus).to.equal(400);
    expect(error.responseCode).to.equal('ErrorInvalidSmtpAddress');
    expect(error.message).to.equal("the 'email' parameter is required");
  });

  it('treats plain spaces only like an empty value, and a tab among them as a malformed one', () => {
    const error = rejectionOf('   ');
    expect(error.responseCode).to.equal('ErrorInvalidSmtpAddress');
    expect(error.message).to.equal("the 'email' parameter is required");
    expect(rejectionOf('   \t ').message).to.equal("'\t' is not an SMTP address");
  });

  it('accepts an address of exactly 320 characters', () => {
    const address = addressOfLength(320);
    expect(address).to.have.length(320);
    expect(isSmtpAddress(address)).to.equal(true);
    expect(normalizeSmtpAddress(address)).to.equal(address);
  });

  it('rejects an address longer than 320 characters', () => {
    const address = addressOfLength(321);
    expect(address).to.have.length(321);
    expect(isSmtpAddress(address)).to.equal(false);
    const error = rejectionOf(address);
    expect(error.httpStatus).to.equal(400);
    expect(error.responseCode).to.equal('ErrorInvalidSmtpAddress');
  });

  it('rejects a huge address and does not echo all of it', () => {
    const address = `${'a'.repeat(10_000)}@example.com`;
    const error = rejectionOf(address);
    expect(error.responseCode).to.equal('ErrorInvalidSmtpAddress');
    expect(error.message.length).to.be.below(200);
  });

  it('measures the length limit after trimming', () => {
    const address = addressOfLength(320);
    expect(normalizeSmtpAddress(`   ${address}   `)).to.equal(address);
  });
});

describe('canonicalUpToAsciiCase', () => {
  it('writes an address a store could not compare with another spelling canonical, and leaves one only ASCII case sets apart as typed', () => {
    expect(canonicalUpToAsciiCase('Ju\u0308rgen@xn--mller-kva.example')).to.equal('j\u00fcrgen@m\u00fcller.example');
    expect(canonicalUpToAsciiCase('Anna@XN--BCHER-KVA.example')).to.equal('anna@b\u00fccher.example');
    expect(canonicalUpToAsciiCase('Johanna@Fabrikam.com')).to.equal('Johanna@Fabrikam.com');
  });
});

describe('canonicalAddressPrefix', () => {
  it('writes the start of an address composed and lower-cased, each whole A-label of its domain as its U-label, and one typed in part as typed', () => {
    expect(canonicalAddressPrefix('Ju\u0308rg')).to.equal('j\u00fcrg');
    expect(canonicalAddressPrefix('Anna@XN--BCHER-KVA')).to.equal('anna@b\u00fccher');
    expect(canonicalAddressPrefix('anna@xn--bcher-kva.xn--p1ai')).to.equal('anna@b\u00fccher.\u0440\u0444');
    expect(canonicalAddressPrefix('anna@xn--bcher-kva.1')).to.equal('anna@b\u00fccher.1');
    expect(canonicalAddressPrefix('anna@xn--bcher-kva.xn--')).to.equal('anna@b\u00fccher.xn--');
    expect(canonicalAddressPrefix('anna@xn--bcher-k')).to.equal('anna@xn--bcher-k');
    expect(canonicalAddressPrefix('anna@xn--bcher-')).to.equal('anna@xn--bcher-');
    expect(canonicalAddressPrefix('xn--bcher-kva')).to.equal('xn--bcher-kva');
    expect(canonicalAddressPrefix('Megan.B')).to.equal('megan.b');
  });
});
