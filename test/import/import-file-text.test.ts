import { expect } from 'chai';
import iconv from 'iconv-lite';
import { ImportFileError } from '../../src/import/import-file-error.js';
import { importFileText } from '../../src/import/import-file-text.js';

describe('a file to import, as text', () => {
  const utf8 = (text: string) => Buffer.from(text, 'utf8');
  const latin1 = (text: string) => Buffer.from(text, 'latin1');
  const refusal = (bytes: Buffer) => {
    try {
      importFileText(bytes);
    } catch (error) {
      if (error instanceof ImportFileError) return error.problems;
      throw error;
    }
    return 'read';
  };

  it('reads UTF-8 (with or without its byte-order mark), UTF-16, and else Windows-1252', () => {
    expect(importFileText(utf8('\uFEFFemail,displayName\nr@x.example,Renée\n'))).to.equal('email,displayName\nr@x.example,Renée\n');
    expect(importFileText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Zoë', 'utf16le')]))).to.equal('Zoë');
    expect(importFileText(latin1('email;displayName\r\nj@x.example;Jos\xe9 M\xfcller \x80\r\n'))).to.equal(
      'email;displayName\r\nj@x.example;José Müller €\r\n',
    );
  });

  it('reads Windows-1252 whose letters and punctuation side by side look like UTF-8 (ß then a dash, É then a quote)', () => {
    for (const name of ['Thomas Groß–Weiß', 'JOSÉ’S CAFÉ', 'Hans „Weiß“ Müller', '«\u00a0René\u00a0» Martin']) {
      const file = Buffer.concat([latin1('email,displayName\r\nx@x.example,'), iconv.encode(name, 'win1252'), latin1('\r\n')]);
      expect(importFileText(file), name).to.equal(`email,displayName\r\nx@x.example,${name}\r\n`);
    }
  });

  it('refuses bytes that are not UTF-8 after a UTF-8 byte-order mark, or beside lines of UTF-8, naming the line, instead of garbling every name', () => {
    const marked = Buffer.concat([utf8('\uFEFFemail,displayName\nbom1@x.example,Renée Dupont\n'), latin1('bom2@x.example,Caf\xe9 Latin1\n')]);
    expect(refusal(marked)).to.deep.equal([
      "line 3: bytes that are not UTF-8, though UTF-8's byte-order mark starts the file; save the file again in one encoding, UTF-8",
    ]);
    const pasted = Buffer.concat([utf8('email,displayName\nr@x.example,Renée\n'), latin1('c@x.example,Caf\xe9\n')]);
    expect(refusal(pasted)).to.deep.equal([
      'line 3: bytes that are not UTF-8, though other lines of the file are UTF-8; save the file again in one encoding, UTF-8',
    ]);
    const mac = Buffer.concat([utf8('email,displayName\rr@x.example,Renée\rz@x.example,Zoë\r'), latin1('c@x.example,Caf\xe9\r')]);
    expect(refusal(mac)).to.deep.equal([
      'line 4: bytes that are not UTF-8, though other lines of the file are UTF-8; save the file again in one encoding, UTF-8',
    ]);
    const cut = utf8('email,displayName\nw@x.example,Wang 王').subarray(0, -1);
    expect(refusal(Buffer.concat([cut, utf8('\n')]))).to.equal('read');
    expect(refusal(Buffer.concat([utf8('a,Zoë\n'), cut]))).to.deep.equal([
      'line 3: bytes that are not UTF-8, though other lines of the file are UTF-8; save the file again in one encoding, UTF-8',
    ]);
  });

  it('reads a vCard line folded in the middle of a UTF-8 character as UTF-8, the fold moved in front of the character (RFC 6350 §3.2)', () => {
    const foldedAt = (text: string, octet: number, fold = '\r\n ') => {
      const bytes = utf8(text);
      return Buffer.concat([bytes.subarray(0, octet), Buffer.from(fold), bytes.subarray(octet)]);
    };
    const folded = (bytes: Buffer) => importFileText(bytes, { folded: true });
    expect(folded(foldedAt('FN:Zoë\r\nN:Κώστας;\r\n', 12))).to.equal('FN:Zoë\r\nN:\r\n Κώστας;\r\n');
    expect(folded(foldedAt('NOTE:€ 😀', 7, '\n\t'))).to.equal('NOTE:\n\t€ 😀');
    expect(folded(foldedAt('NOTE:€ 😀', 12))).to.equal('NOTE:€ \r\n 😀');
    expect(folded(foldedAt('FN:Zoë', 6))).to.equal('FN:Zo\r\n ë');
    // A file that is not UTF-8 for another reason is still Windows-1252; a fold moved reads the same once unfolded.
    expect(folded(Buffer.from([0x46, 0x4e, 0x3a, 0xe9, 0x0d, 0x0a, 0x20, 0x80])).replace('\r\n ', '')).to.equal('FN:é€');
  });

  it('refuses UTF-16 and UTF-32 behind their byte-order mark that are not, naming the line, instead of garbling it', () => {
    const marked = (encoding: 'utf16le' | 'utf16be' | 'utf32le' | 'utf32be', text: string, tail: number[] = []) =>
      Buffer.concat([iconv.encode(text, encoding, { addBOM: true }), Buffer.from(tail)]);
    const said = (line: number, encoding: string) =>
      `line ${line}: bytes that are not ${encoding}, though its byte-order mark starts the file; save the file again in one encoding, UTF-8`;
    // A lone high surrogate (D800) in line 2, each byte order.
    const lone = (order: 'le' | 'be') => [
      ...iconv.encode('email,displayName\r\nls@x.example,Lone ', `utf16${order}`),
      ...(order === 'le' ? [0x00, 0xd8] : [0xd8, 0x00]),
    ];
    expect(refusal(Buffer.from([0xff, 0xfe, ...lone('le'), 0x58, 0x00]))).to.deep.equal([said(2, 'UTF-16')]);
    expect(refusal(Buffer.from([0xfe, 0xff, ...lone('be'), 0x00, 0x58]))).to.deep.equal([said(2, 'UTF-16')]);
    // An odd last byte, once silently dropped.
    expect(refusal(marked('utf16le', 'email,displayName\nodd@x.example,Odd\n', [0x41]))).to.deep.equal([said(3, 'UTF-16')]);
    // A code point past U+10FFFF, a surrogate as a code point, a last code unit cut short.
    expect(refusal(marked('utf32le', 'a\nb😀', [0x00, 0x00, 0x11, 0x00]))).to.deep.equal([said(2, 'UTF-32')]);
    expect(refusal(marked('utf32be', 'a\n\nb', [0x00, 0x00, 0xdc, 0x00]))).to.deep.equal([said(3, 'UTF-32')]);
    expect(refusal(marked('utf32le', 'a', [0x41, 0x00]))).to.deep.equal([said(1, 'UTF-32')]);
    // Well-formed text, astral characters and U+FFFD written as such included, still reads.
    for (const encoding of ['utf16le', 'utf16be', 'utf32le', 'utf32be'] as const)
      expect(importFileText(marked(encoding, 'Zoë 😀 \uFFFD'))).to.equal('Zoë 😀 \uFFFD');
  });
});
