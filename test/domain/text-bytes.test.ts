import { expect } from 'chai';
import { decodeText } from '../../src/domain/text-bytes.js';

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
});
