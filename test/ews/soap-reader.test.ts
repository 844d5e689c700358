import { expect } from 'chai';
import iconv from 'iconv-lite';
import { MalformedEnvelope, readSoapRequest, SOAP_READ_LIMITS, xmlRequestText } from '../../src/ews/soap-reader.js';
import { TYPES_NS } from '../../src/ews/namespaces.js';
import { envelope, MESSAGES_NS } from '../support/soap.js';

const refusal = (xml: string) => {
  try {
    readSoapRequest(xml);
  } catch (error) {
    expect(error).to.be.instanceOf(MalformedEnvelope);
    return (error as Error).message;
  }
  throw new Error('the request was accepted');
};

describe('reading a SOAP request (soap-reader)', () => {
  it('keeps the operation element with attributes by local name, children and text, whatever the prefixes', () => {
    const { operation } = readSoapRequest(
      envelope('<m:ResolveNames ReturnFullContactData="true" xmlns:x="urn:x"><m:UnresolvedEntry> alex &amp; co </m:UnresolvedEntry></m:ResolveNames>'),
    );
    expect(operation.local).to.equal('ResolveNames');
    expect(operation.ns).to.equal(MESSAGES_NS);
    expect([...operation.attributes]).to.deep.equal([['ReturnFullContactData', 'true']]);
    expect(operation.children.map((c) => [c.local, c.text])).to.deep.equal([['UnresolvedEntry', ' alex & co ']]);
  });

  it('drops the SOAP headers, and refuses a Body of two operations (Exchange’s schema has one; the second was answered as if absent)', () => {
    const { operation } = readSoapRequest(envelope('<m:GetItem/>', '<t:TimeZoneContext><t:TimeZoneDefinition Id="UTC"/></t:TimeZoneContext>'));
    expect(operation.local).to.equal('GetItem');
    expect(operation.children).to.have.length(0);
    expect(() => readSoapRequest(envelope('<m:GetUserPhoto/><m:ResolveNames/>'))).to.throw(MalformedEnvelope, 'the SOAP Body holds more than one operation');
  });

  it('holds the envelope to SOAP 1.1 §4.1.1: an optional Header, then one Body, elements alone in the three', () => {
    const soap = (inside: string) =>
      `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="${MESSAGES_NS}" xmlns:x="urn:x">${inside}</soap:Envelope>`;
    const body = '<soap:Body><m:GetFolder/></soap:Body>';
    for (const [inside, reason] of [
      [`${body}${body}`, 'the SOAP Envelope holds Body after its Body'],
      [`${body}<soap:Header/>`, 'the SOAP Envelope holds Header after its Body'],
      [`<soap:Header/><soap:Header/>${body}`, 'the SOAP Envelope holds a second Header'],
      [`<x:Extra/>${body}`, "the SOAP Envelope holds Extra of the namespace 'urn:x', where it has only its Header and Body"],
      [`<x:Body/>${body}`, "the SOAP Envelope holds Body of the namespace 'urn:x', where it has only its Header and Body"],
      [`${body}<Extra/>`, 'the SOAP Envelope holds Extra after its Body'],
      ['<soap:Body>text<m:GetFolder/></soap:Body>', 'the SOAP Body holds text'],
      [`<soap:Header>text</soap:Header>${body}`, 'the SOAP Header holds text'],
      [`text${body}`, 'the SOAP Envelope holds text'],
    ]) {
      expect(refusal(soap(inside!)), inside).to.equal(reason);
    }
    // What SOAP 1.1 allows: blanks between the parts, and namespace-qualified elements after the Body.
    for (const inside of [`\n <soap:Header>\n</soap:Header>\n ${body}\n`, `${body}<x:Extra>ignored</x:Extra>`]) {
      expect(readSoapRequest(soap(inside)).operation.local, inside).to.equal('GetFolder');
    }
  });

  it('refuses a header marked mustUnderstand for it that is not the service’s own with the MustUnderstand fault code (SOAP 1.1 §4.2.3), and drops one for another actor (§4.2.2)', () => {
    const marked = (value: string, ns = 'urn:other', actor = '') =>
      envelope('<m:GetFolder/>', `<o:Trace xmlns:o="${ns}" soap:mustUnderstand="${value}"${actor && ` soap:actor="${actor}"`}/>`);
    const forNext = (value: string) => marked(value, 'urn:other', 'http://schemas.xmlsoap.org/soap/actor/next');
    for (const request of [marked('1'), marked('true'), marked(' 1 '), forNext('1')]) {
      const error = (() => {
        try {
          readSoapRequest(request);
        } catch (thrown) {
          return thrown as MalformedEnvelope;
        }
      })();
      expect([error?.faultCode, error?.message], request).to.deep.equal([
        'MustUnderstand',
        "The header 'Trace' from the namespace 'urn:other' was not understood by the recipient of this message.",
      ]);
    }
    expect(refusal(marked('yes'))).to.equal("a header's mustUnderstand is 'yes', not 1 or 0");
    // Not marked, marked 0, or in a namespace the service understands: read and dropped.
    for (const request of [
      marked('0'),
      marked('false'),
      marked('1', TYPES_NS),
      marked('1', 'urn:other', 'http://intermediary.example/'),
      envelope('<m:GetFolder/>', '<o:Trace xmlns:o="urn:other"/>'),
    ]) {
      expect(readSoapRequest(request).operation.local, request).to.equal('GetFolder');
    }
    expect(readSoapRequest(marked('1'), { understood: new Set(['urn:other']), kept: { ns: 'urn:other', locals: new Set(['Trace']) } }).headers).to.have.length(
      1,
    );
  });

  it('takes inherited property names as plain names', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'valueOf']) {
      const { operation } = readSoapRequest(envelope(`<m:${name} ${name}="1"><m:${name}/></m:${name}>`));
      expect(operation.local).to.equal(name);
      expect(operation.attributes.get(name)).to.equal('1');
      expect(operation.children[0]!.local).to.equal(name);
    }
  });

  it(`refuses more than ${SOAP_READ_LIMITS.attributesPerElement} attributes on an element, before reading the rest`, () => {
    const attributes = Array.from({ length: 95_000 }, (_, i) => ` a${i}="x"`).join('');
    expect(refusal(envelope(`<m:ResolveNames${attributes}/>`))).to.match(/more than \d+ attributes/);
  });

  it(`refuses more than ${SOAP_READ_LIMITS.references} character or entity references, before parsing any (1 MiB of them: 186 ms)`, () => {
    const header = (count: number) => envelope(`<m:ResolveNames><m:UnresolvedEntry>${'&#x41;'.repeat(count)}</m:UnresolvedEntry></m:ResolveNames>`);
    expect(refusal(header(SOAP_READ_LIMITS.references + 1))).to.equal(
      `the request has more than ${SOAP_READ_LIMITS.references} character or entity references`,
    );
    const entry = readSoapRequest(header(SOAP_READ_LIMITS.references)).operation.children[0]!;
    expect(entry.text).to.equal('A'.repeat(SOAP_READ_LIMITS.references));
  });

  it(`refuses more than ${SOAP_READ_LIMITS.lineBreaksAndTabs} line breaks and tabs, and more than ${SOAP_READ_LIMITS.otherMarkup} comments, CDATA sections and processing instructions, before parsing any`, () => {
    const header = (filler: string) => envelope('<m:GetFolder/>', `<t:X a="${filler}">${filler}</t:X>`);
    const half = SOAP_READ_LIMITS.lineBreaksAndTabs / 2;
    for (const mark of ['\r', '\n', '\t', '\r\n']) {
      expect(refusal(header(mark.repeat(half + 1))), JSON.stringify(mark)).to.equal(
        `the request has more than ${SOAP_READ_LIMITS.lineBreaksAndTabs} line breaks and tabs`,
      );
    }
    expect(readSoapRequest(header('\t'.repeat(half))).operation.local).to.equal('GetFolder');
    const marked = (count: number) => envelope('<m:GetFolder/>', ['<!-- -->', '<![CDATA[ ]]>', '<?pi?>'].join('').repeat(count / 3));
    expect(refusal(marked(SOAP_READ_LIMITS.otherMarkup + 3))).to.equal(
      `the request has more than ${SOAP_READ_LIMITS.otherMarkup} comments, CDATA sections and processing instructions`,
    );
    expect(readSoapRequest(marked(SOAP_READ_LIMITS.otherMarkup - 10)).operation.local).to.equal('GetFolder');
  });

  it(`refuses more than ${SOAP_READ_LIMITS.otherMarkupCharacters} characters in comments, CDATA sections and processing instructions, before parsing any`, () => {
    const limit = SOAP_READ_LIMITS.otherMarkupCharacters;
    const refused = `the request has more than ${limit} characters in comments, CDATA sections and processing instructions`;
    const dropped = (markup: string) => envelope('<m:GetFolder/>', `<t:X>${markup}</t:X>`);
    // What the parser reads slowest in each: `]` in a CDATA section, `-` in a comment, `?` in a processing instruction.
    for (const markup of [`<![CDATA[${']'.repeat(limit)}]]>`, `<!--${'-a'.repeat(limit / 2)}-->`, `<?pi ${'?'.repeat(limit)}?>`, `<!--${'x'.repeat(limit)}`]) {
      expect(refusal(dropped(markup)), markup.slice(0, 12)).to.equal(refused);
    }
    // Many small ones count together; under the limit they are read as before.
    expect(refusal(dropped(`<!--${'x'.repeat(limit / 200)}-->`.repeat(201)))).to.equal(refused);
    const kept = readSoapRequest(envelope(`<m:ResolveNames><m:UnresolvedEntry><![CDATA[${']'.repeat(1000)}]]></m:UnresolvedEntry></m:ResolveNames>`));
    expect(kept.operation.children[0]!.text).to.equal(']'.repeat(1000));
  });

  it(`refuses nesting deeper than ${SOAP_READ_LIMITS.depth} and more than ${SOAP_READ_LIMITS.elements} elements`, () => {
    expect(refusal(envelope(`<m:GetItem>${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}</m:GetItem>`))).to.match(/nests deeper/);
    expect(refusal(envelope(`<m:GetItem>${'<a/>'.repeat(SOAP_READ_LIMITS.elements)}</m:GetItem>`))).to.match(/more than \d+ elements/);
  });

  it("refuses a text, or an attribute's value, longer than the limit", () => {
    const limit = SOAP_READ_LIMITS.textCharacters;
    expect(refusal(envelope(`<m:ResolveNames><m:UnresolvedEntry>${'x'.repeat(limit + 1)}</m:UnresolvedEntry></m:ResolveNames>`))).to.match(
      /characters of text/,
    );
    // An attribute the reader keeps or one it drops alike: a 1 MB value in either was read whole.
    const resolveNames = (attribute: string) => envelope(`<m:ResolveNames ${attribute}><m:UnresolvedEntry>x</m:UnresolvedEntry></m:ResolveNames>`);
    for (const name of ['ReturnFullContactData', 'a']) {
      expect(refusal(resolveNames(`${name}="${'x'.repeat(limit + 1)}"`)), name).to.equal(`an attribute's value is longer than ${limit} characters`);
    }
    expect(readSoapRequest(resolveNames(`a="${'x'.repeat(limit)}"`)).operation.attributes.get('a')).to.have.length(limit);
  });

  it('refuses DTDs, undefined entities, characters XML forbids, a root that is not an Envelope, and an Envelope of another namespace', () => {
    expect(refusal(`<!DOCTYPE x [<!ENTITY e "boom">]>${envelope('<m:GetItem>&e;</m:GetItem>')}`)).to.match(/DOCTYPE/);
    expect(refusal(envelope('<m:GetItem>&e;</m:GetItem>'))).to.match(/not well-formed/);
    expect(refusal(envelope('<m:GetItem>\u0001</m:GetItem>'))).to.match(/not well-formed/);
    // XML 1.1 would let &#x1; in; .NET's reader, as Exchange's, takes 1.0 alone.
    const version11 = envelope('<m:GetItem>&#x1;</m:GetItem>').replace('version="1.0"', 'version="1.1"');
    expect(refusal(version11)).to.equal("the XML version '1.1' is not supported: send XML 1.0");
    expect(readSoapRequest(envelope('<m:GetItem/>')).operation.local).to.equal('GetItem');
    expect(refusal('<hello/>')).to.match(/not a SOAP 1.1 Envelope/);
    expect(refusal('<Envelope/>')).to.match(/namespace '' is not SOAP 1.1's/);
    expect(refusal(envelope(''))).to.match(/names no operation/);
  });

  describe('the text of a request, in the encoding it is in (XML 1.0 §4.3.3, RFC 7303 §3.2)', () => {
    const text = (bytes: Buffer, contentType?: string) => xmlRequestText({ bytes, contentType });
    const undecodable = (bytes: Buffer, contentType?: string) => {
      try {
        text(bytes, contentType);
      } catch (error) {
        expect(error).to.be.instanceOf(MalformedEnvelope);
        return (error as Error).message;
      }
      throw new Error('the request was decoded');
    };
    const latin1 = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>Jürgen</a>', 'latin1');

    it("reads UTF-32 behind its byte-order mark, whose little-endian one begins as UTF-16LE's", () => {
      const utf32le = iconv.encode('<a>ë😀</a>', 'utf32le', { addBOM: true });
      expect([...utf32le.subarray(0, 4)]).to.deep.equal([0xff, 0xfe, 0, 0]);
      expect(text(utf32le, 'text/xml; charset=utf-32')).to.equal('<a>ë😀</a>');
      expect(text(iconv.encode('<a>ë😀</a>', 'utf32be', { addBOM: true }))).to.equal('<a>ë😀</a>');
    });

    it('reads UTF-16 or UTF-8 behind its byte-order mark, whatever else is said', () => {
      const bom = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<a>ë</a>', 'utf16le')]);
      expect(text(bom, 'text/xml; charset=utf-8')).to.equal('<a>ë</a>');
      expect(text(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a>ë</a>')]), 'text/xml; charset=iso-8859-1')).to.equal('<a>ë</a>');
      expect(text(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('<a>ë</a>', 'utf16le').swap16()]))).to.equal('<a>ë</a>');
    });

    it("reads the Content-Type's charset, else the encoding declaration's, else UTF-8", () => {
      expect(text(latin1)).to.equal('<?xml version="1.0" encoding="ISO-8859-1"?><a>Jürgen</a>');
      expect(text(Buffer.from('<a>Jürgen</a>', 'latin1'), 'text/xml; charset="iso-8859-1"')).to.equal('<a>Jürgen</a>');
      expect(text(Buffer.from('<a>Jürgen</a>', 'utf8'), 'text/xml; charset=utf-8')).to.equal('<a>Jürgen</a>');
      expect(text(Buffer.from('<a>Jürgen</a>', 'utf8'))).to.equal('<a>Jürgen</a>');
      const farIn = Buffer.from(`<?xml version="1.0"${' '.repeat(300)}encoding="iso-8859-1"?><a>Jürgen</a>`, 'latin1');
      expect(text(farIn)).to.match(/<a>Jürgen<\/a>$/);
    });

    it('takes no UTF-7 (markup written +ADw-, ten times slower to read) nor binary-to-text encodings', () => {
      for (const encoding of ['utf-7', 'UTF7', 'base64', 'hex', 'binary']) {
        expect(undecodable(Buffer.from('<a/>'), `text/xml; charset=${encoding}`), encoding).to.match(/is not supported$/);
      }
      expect(text(Buffer.from('<a>ë</a>', 'latin1'), 'text/xml; charset=windows-1252')).to.equal('<a>ë</a>');
      expect(text(Buffer.from('<a>x</a>'), 'text/xml; charset=us-ascii')).to.equal('<a>x</a>');
    });

    it('refuses bytes that are no text in that encoding, and an encoding not known, rather than reading U+FFFD', () => {
      // A Latin-1 body that says nothing of it: it was read as 'J\ufffdrgen' and found no one.
      expect(undecodable(Buffer.from('<a>Jürgen</a>', 'latin1'))).to.equal('the request is not UTF-8, and declares no other encoding');
      expect(undecodable(Buffer.from('<a>Jürgen</a>', 'latin1'), 'text/xml; charset=utf-8')).to.match(/not UTF-8/);
      expect(undecodable(Buffer.from('<a/>'), 'text/xml; charset=x-klingon')).to.equal("the request's encoding 'x-klingon' is not supported");
      expect(undecodable(Buffer.from([0x3c, 0x61, 0x3e, 0x82, 0xa0, 0x81, 0x3c, 0x2f, 0x61, 0x3e]), 'text/xml; charset=shift_jis')).to.equal(
        'the request is not shift_jis',
      );
      // UTF-16 with a surrogate missing its pair: decoded to itself, it was dropped on the way out, and the answer named another address.
      const lone = Buffer.from('<a>ab\ud800@contoso.example</a>', 'utf16le');
      expect(undecodable(Buffer.concat([Buffer.from([0xff, 0xfe]), lone]))).to.equal('the request is not UTF-16');
      expect(undecodable(lone, 'text/xml; charset=utf-16le')).to.equal('the request is not utf-16le');
      // A last byte cut short, once dropped unseen; UTF-32 with a surrogate for a code point.
      expect(undecodable(Buffer.from([0xff, 0xfe, ...Buffer.from('<a/>', 'utf16le'), 0x20]))).to.equal('the request is not UTF-16');
      expect(undecodable(Buffer.from([0xff, 0xfe, 0, 0, ...iconv.encode('<a/>', 'utf32le'), 0x00, 0xd8, 0, 0]))).to.equal('the request is not UTF-32');
    });
  });
});
