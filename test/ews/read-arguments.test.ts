import { expect } from 'chai';
import { findItem } from '../../src/ews/operations/find-item.js';
import { getFolder } from '../../src/ews/operations/get-folder.js';
import { getUserPhoto } from '../../src/ews/operations/get-user-photo.js';
import { resolveNames } from '../../src/ews/operations/resolve-names.js';
import { BridgeError } from '../../src/domain/errors.js';
import { DEFAULT_PRECISION } from '../../src/ews/ews-time.js';
import { readSoapRequest } from '../../src/ews/soap-reader.js';
import { xsInt } from '../../src/ews/soap-args.js';
import { envelope } from '../support/soap.js';

const LIMITS = { maxItemsPerRequest: 250, maxAnswerBytes: 4 * 1024 * 1024 };

/**
 * What an operation reads from a request is remembered per envelope, counted by the
 * envelope's bytes: it must hold no more than that — strings and numbers, not the
 * request's element trees.
 */
describe('the arguments an operation reads', () => {
  // 150 empty elements inside each folder id: a tree the answer never needs.
  const paddedFolder = `<t:DistinguishedFolderId Id="contacts">${'<t:a/>'.repeat(150)}</t:DistinguishedFolderId>`;
  const cases = [
    {
      operation: findItem,
      body: `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds>${paddedFolder.repeat(10)}</m:ParentFolderIds></m:FindItem>`,
    },
    {
      operation: getFolder,
      body: `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>${paddedFolder.repeat(5)}</m:FolderIds></m:GetFolder>`,
    },
  ];

  for (const { operation, body } of cases) {
    it(`hold no element trees and less than the request's own text: ${body.slice(3, 12)}`, () => {
      const request = envelope(body);
      const args = operation.read(readSoapRequest(request).operation, LIMITS, DEFAULT_PRECISION);
      const serialised = JSON.stringify(args, (_key, value: unknown) => (value instanceof Set ? [...value] : value));
      expect(serialised).to.not.include('"children"');
      expect(serialised.length).to.be.below(request.length / 10);
    });
  }
});

describe('text the schema has as a string', () => {
  // Read as its text alone, `alex<m:x>IGNORED</m:x>.wilber@…` was Alex's address, the element dropped.
  for (const [operation, body] of [
    [
      getUserPhoto,
      '<m:GetUserPhoto><m:Email>alex<m:x>IGNORED</m:x>.wilber@contoso.example</m:Email><m:SizeRequested>HR96x96</m:SizeRequested></m:GetUserPhoto>',
    ],
    [resolveNames, '<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>al<m:x/>ex</m:UnresolvedEntry></m:ResolveNames>'],
  ] as const) {
    it(`is refused holding an element, as schema validation refuses it: ${operation === getUserPhoto ? 'GetUserPhoto Email' : 'ResolveNames UnresolvedEntry'}`, () => {
      const read = () => operation.read(readSoapRequest(envelope(body)).operation, LIMITS, DEFAULT_PRECISION);
      expect(read).to.throw(BridgeError).with.property('responseCode', 'ErrorSchemaValidation');
    });
  }

  it("reads an enumeration's value without XML's white space around it, and refuses one with another blank (a no-break space), as schema validation does", () => {
    const shape = (value: string, attribute = '') =>
      getFolder.read(
        readSoapRequest(
          envelope(
            `<m:GetFolder><m:FolderShape><t:BaseShape${attribute}>${value}</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="contacts"/></m:FolderIds></m:GetFolder>`,
          ),
        ).operation,
        LIMITS,
        DEFAULT_PRECISION,
      );
    expect(() => shape('\n  IdOnly\r\n\t')).to.not.throw();
    for (const blank of ['&#xA0;', '&#x3000;', '&#xFEFF;']) {
      expect(() => shape(`IdOnly${blank}`), blank)
        .to.throw(BridgeError)
        .with.property('responseCode', 'ErrorSchemaValidation');
    }
  });
});

describe("the schema's NonEmptyStringType", () => {
  const read = (entry: string) => () =>
    resolveNames.read(
      readSoapRequest(envelope(`<m:ResolveNames ReturnFullContactData="false">${entry}</m:ResolveNames>`)).operation,
      LIMITS,
      DEFAULT_PRECISION,
    );

  it('is refused empty, in either form, with the words of the fault Exchange sends (it was a search that found no one)', () => {
    for (const entry of ['<m:UnresolvedEntry/>', '<m:UnresolvedEntry></m:UnresolvedEntry>']) {
      expect(read(entry), entry)
        .to.throw(BridgeError)
        .with.property(
          'message',
          "The request failed schema validation: The 'http://schemas.microsoft.com/exchange/services/2006/messages:UnresolvedEntry' element is invalid - The value '' is invalid according to its datatype 'http://schemas.microsoft.com/exchange/services/2006/types:NonEmptyStringType' - The actual length is less than the MinLength value.",
        );
    }
  });

  it('takes blanks as text, as the schema does', () => {
    expect(read('<m:UnresolvedEntry> </m:UnresolvedEntry>')()).to.include({ entry: '' });
  });
});

describe('an xs:int', () => {
  it('is a 32-bit integer with XML’s blanks around it, and nothing else', () => {
    for (const [text, value] of [
      ['-2147483648', -(2 ** 31)],
      ['2147483647', 2 ** 31 - 1],
      [' \t+10\r\n', 10],
      ['007', 7],
    ] as const) {
      expect(xsInt(text, 'Offset'), text).to.equal(value);
    }
    for (const text of ['2147483648', '-2147483649', '\u00a010', '10\u2003', '\ufeff0', '1e3', '0x10', '', '1.0']) {
      expect(() => xsInt(text, 'Offset'), JSON.stringify(text))
        .to.throw(BridgeError)
        .with.property('responseCode', 'ErrorSchemaValidation');
    }
  });
});
