import { expect } from 'chai';
import { decodeFoldedText, decodeText } from '../../src/domain/text-bytes.js';

describe('text from bytes without a declared charset', () => {
  const withMark = (mark: number[], text: string, encoding: BufferEncoding) => Buffer.concat([Buffer.from(mark), Buffer.from(text, encoding)]);
  const swapped = (text: string) => Buffer.from(text, 'utf16le').swap16();

  it('reads UTF-8, a UTF-8 or UTF-16 byte-order mark, and else Windows-1252 (with its €, which Latin-1 lacks)', () => {
    expect(decodeText(Buffer.from('Zoë €', 'utf8'))).to.equal('Zoë €');
    expect(decodeText(withMark([0xef, 0xbb, 0xbf], 'Zoë', 'utf8'))).to.equal('Zoë');
    expect(decodeText(withMark([0xff, 0xfe], 'Zoë', 'utf16le'))).to.equal('Zoë');
    expect(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), swapped('Zoë')]))).to.equal('Zoë');
    expect(decodeText(Buffer.from([0x4a, 0x6f, 0x73, 0xe9, 0x20, 0x80]))).to.equal('José €');
  });

  it('reads a vCard line folded in the middle of a UTF-8 character as UTF-8, the fold moved in front of the character (RFC 6350 §3.2)', () => {
    const foldedAt = (text: string, octet: number, fold = '\r\n ') => {
      const bytes = Buffer.from(text, 'utf8');
      return Buffer.concat([bytes.subarray(0, octet), Buffer.from(fold), bytes.subarray(octet)]);
    };
    expect(decodeFoldedText(foldedAt('FN:Zoë\r\nN:Κώστας;\r\n', 12))).to.equal('FN:Zoë\r\nN:\r\n Κώστας;\r\n');
    expect(decodeFoldedText(foldedAt('NOTE:€ 😀', 7, '\n\t'))).to.equal('NOTE:\n\t€ 😀');
    expect(decodeFoldedText(foldedAt('NOTE:€ 😀', 12))).to.equal('NOTE:€ \r\n 😀');
    expect(decodeFoldedText(foldedAt('FN:Zoë', 6))).to.equal('FN:Zo\r\n ë');
    // A file that is not UTF-8 for another reason is still Windows-1252; a fold moved reads the same once unfolded.
    expect(decodeFoldedText(Buffer.from([0x46, 0x4e, 0x3a, 0xe9, 0x0d, 0x0a, 0x20, 0x80])).replace('\r\n ', '')).to.equal('FN:é€');
  });
});
