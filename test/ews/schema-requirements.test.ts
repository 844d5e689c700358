import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parseStringPromise } from 'xml2js';
import { BridgeError } from '../../src/domain/errors.js';
import { OPERATION_HANDLERS } from '../../src/ews/operation-table.js';
import { DEFAULT_PRECISION } from '../../src/ews/ews-time.js';
import { readSoapRequest } from '../../src/ews/soap-reader.js';
import { envelope } from '../support/soap.js';

const LIMITS = { maxItemsPerRequest: 250, maxAnswerBytes: 4 * 1024 * 1024 };

/** A request each operation reads without complaint, holding every element its schema type requires, once. */
const VALID: Record<string, string> = {
  GetUserPhoto: '<m:GetUserPhoto><m:Email>adele.vance@contoso.example</m:Email><m:SizeRequested>HR96x96</m:SizeRequested></m:GetUserPhoto>',
  ResolveNames:
    '<m:ResolveNames ReturnFullContactData="false"><m:ParentFolderIds><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds><m:UnresolvedEntry>adele</m:UnresolvedEntry></m:ResolveNames>',
  GetItem: '<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="x"/></m:ItemIds></m:GetItem>',
  GetAttachment: '<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="x"/></m:AttachmentIds></m:GetAttachment>',
  GetFolder:
    '<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="contacts"/></m:FolderIds></m:GetFolder>',
  FindItem:
    '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>' +
    '<m:IndexedPageItemView MaxEntriesReturned="10" Offset="0" BasePoint="Beginning"/><m:QueryString>adele</m:QueryString>' +
    '<m:ParentFolderIds><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds></m:FindItem>',
  FindFolder:
    '<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>' +
    '<m:IndexedPageFolderView MaxEntriesReturned="10" Offset="0" BasePoint="Beginning"/>' +
    '<m:ParentFolderIds><t:DistinguishedFolderId Id="root"/></m:ParentFolderIds></m:FindFolder>',
  SyncFolderItems:
    '<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId><t:DistinguishedFolderId Id="contacts"/></m:SyncFolderId>' +
    '<m:SyncState></m:SyncState><m:MaxChangesReturned>100</m:MaxChangesReturned><m:SyncScope>NormalItems</m:SyncScope></m:SyncFolderItems>',
  SyncFolderHierarchy:
    '<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:SyncFolderId><t:DistinguishedFolderId Id="root"/></m:SyncFolderId></m:SyncFolderHierarchy>',
  FindPeople:
    '<m:FindPeople><m:PersonaShape><t:BaseShape>IdOnly</t:BaseShape></m:PersonaShape><m:IndexedPageItemView MaxEntriesReturned="10" Offset="0" BasePoint="Beginning"/>' +
    '<m:ParentFolderId><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderId><m:QueryString>adele</m:QueryString></m:FindPeople>',
  GetPersona: '<m:GetPersona><m:PersonaId Id="x"/></m:GetPersona>',
  ConvertId:
    '<m:ConvertId DestinationFormat="EwsId"><m:SourceIds><t:AlternateId Format="EwsId" Id="x" Mailbox="adele.vance@contoso.example"/></m:SourceIds></m:ConvertId>',
};

/** The shapes' own required child: ItemResponseShapeType, FolderResponseShapeType and PersonaResponseShapeType each require a BaseShape. */
const SHAPES = ['ItemShape', 'FolderShape', 'PersonaShape'];

/** The lists the schema types NonEmptyArrayOf…: present but empty, they fail validation as absent ones do. */
const NON_EMPTY_LISTS = ['ItemIds', 'AttachmentIds', 'FolderIds', 'ParentFolderIds', 'SourceIds'];

interface SchemaParticle {
  $: { name: string; minOccurs?: string; maxOccurs?: string; use?: string };
}

/** Each request type's elements and attributes as wsdl/messages.xsd, the schema clients are served, declares them. */
async function requestTypes(): Promise<Map<string, { elements: SchemaParticle[]; attributes: SchemaParticle[] }>> {
  const schema = await parseStringPromise(readFileSync(new URL('../../wsdl/messages.xsd', import.meta.url), 'utf8'));
  const types = schema['xs:schema']['xs:complexType'] as {
    $: { name: string };
    'xs:sequence'?: { 'xs:element'?: SchemaParticle[] }[];
    'xs:attribute'?: SchemaParticle[];
  }[];
  return new Map(types.map((type) => [type.$.name, { elements: type['xs:sequence']?.[0]?.['xs:element'] ?? [], attributes: type['xs:attribute'] ?? [] }]));
}

function read(operation: string, body: string) {
  return () => OPERATION_HANDLERS.get(operation)!.read(readSoapRequest(envelope(body)).operation, LIMITS, DEFAULT_PRECISION);
}

/** A top-level element of the body (and what it holds), found by its local name. */
function elementIn(body: string, local: string): string {
  const found = new RegExp(`<m:${local}(?:\\s[^>]*)?(?:/>|>.*?</m:${local}>)`).exec(body)?.[0];
  if (!found) throw new Error(`the valid ${body.slice(3, 20)} has no ${local}`);
  return found;
}

function failsValidation(operation: string, body: string, naming: string) {
  const error = (() => {
    try {
      read(operation, body)();
    } catch (thrown) {
      return thrown;
    }
  })();
  expect(error, body).to.be.instanceOf(BridgeError);
  expect([(error as BridgeError).responseCode, (error as BridgeError).message], body).to.satisfy(
    ([code, message]: string[]) => code === 'ErrorSchemaValidation' && message!.includes(`'${naming}'`),
  );
}

describe('what the schema requires of a request', () => {
  let types: Awaited<ReturnType<typeof requestTypes>>;
  before(async () => {
    types = await requestTypes();
  });

  it('reads what the served schema requires of every operation: 16 elements and 3 attributes in all', () => {
    const required = [...OPERATION_HANDLERS.keys()].map((operation) => {
      const { elements, attributes } = types.get(`${operation}Type`)!;
      return [elements.filter((element) => element.$.minOccurs !== '0').length, attributes.filter((attribute) => attribute.$.use === 'required').length];
    });
    expect(required.reduce(([elements, attributes], [e, a]) => [elements! + e!, attributes! + a!], [0, 0])).to.deep.equal([16, 3]);
  });

  for (const operation of OPERATION_HANDLERS.keys()) {
    it(`${operation}: without an element or attribute its schema type requires, or with an element twice, it fails schema validation`, () => {
      const body = VALID[operation]!;
      expect(read(operation, body), body).to.not.throw();
      const { elements, attributes } = types.get(`${operation}Type`)!;
      const required = elements.filter((element) => element.$.minOccurs !== '0').map((element) => element.$.name);
      for (const name of required) failsValidation(operation, body.replace(elementIn(body, name), ''), name);
      // Every element of these types is maxOccurs 1; each one the valid request holds, sent twice:
      for (const { $ } of elements.filter((element) => body.includes(`<m:${element.$.name}`))) {
        expect($.maxOccurs ?? '1', $.name).to.equal('1');
        const once = elementIn(body, $.name);
        failsValidation(operation, body.replace(once, once + once), $.name);
      }
      for (const { $ } of attributes.filter((attribute) => attribute.$.use === 'required')) {
        failsValidation(operation, body.replace(new RegExp(` ${$.name}="[^"]*"`), ''), $.name);
      }
    });
  }

  it('GetItem without an ItemShape is read in the Default shape, and ResolveNames without ReturnFullContactData as false, as the served schema allows', () => {
    const { elements } = types.get('GetItemType')!;
    expect(elements.find((element) => element.$.name === 'ItemShape')?.$.minOccurs).to.equal('0');
    const unshaped = read('GetItem', VALID.GetItem!.replace(/<m:ItemShape>.*<\/m:ItemShape>/, ''))() as { fields: Set<string> };
    const defaulted = read('GetItem', VALID.GetItem!.replace('IdOnly', 'Default'))() as { fields: Set<string> };
    expect([...unshaped.fields])
      .to.deep.equal([...defaulted.fields])
      .and.to.include('HasPicture');
    const bare = read('ResolveNames', VALID.ResolveNames!.replace(' ReturnFullContactData="false"', ''))() as { fields: unknown };
    expect(bare.fields).to.deep.equal((read('ResolveNames', VALID.ResolveNames!)() as { fields: unknown }).fields);
  });

  it('a shape without its BaseShape, or with two, fails schema validation', () => {
    for (const [operation, body] of Object.entries(VALID)) {
      for (const shape of SHAPES.filter((name) => body.includes(`<m:${name}>`))) {
        const baseShape = '<t:BaseShape>IdOnly</t:BaseShape>';
        failsValidation(operation, body.replace(`<m:${shape}>${baseShape}`, `<m:${shape}>`), 'BaseShape');
        failsValidation(operation, body.replace(`<m:${shape}>${baseShape}`, `<m:${shape}>${baseShape}${baseShape}`), 'BaseShape');
      }
    }
  });

  it('ConvertId: an AlternateId without an attribute types.xsd requires of it fails schema validation (none is taken as empty, nor the Format as EwsId)', () => {
    const schema = readFileSync(new URL('../../wsdl/types.xsd', import.meta.url), 'utf8');
    const alternate = /<xs:complexType name="AlternateIdType">(.*?)<\/xs:complexType>/s.exec(schema)![1]!;
    const required = [...alternate.matchAll(/<xs:attribute name="(\w+)"[^>]*use="required"/g)].map(([, name]) => name!);
    expect(required).to.deep.equal(['Format', 'Id', 'Mailbox']);
    for (const name of required) failsValidation('ConvertId', VALID.ConvertId!.replace(new RegExp(` ${name}="[^"]*"`), ''), name);
  });

  it('an IndexedPageItemView or IndexedPageFolderView without an attribute types.xsd requires of it fails schema validation (none is read as Offset 0 or Beginning)', () => {
    const schema = readFileSync(new URL('../../wsdl/types.xsd', import.meta.url), 'utf8');
    const view = /<xs:complexType name="IndexedPageViewType">(.*?)<\/xs:complexType>/s.exec(schema)![1]!;
    const required = [...view.matchAll(/<xs:attribute name="(\w+)"[^>]*use="required"/g)].map(([, name]) => name!);
    expect(required).to.deep.equal(['Offset', 'BasePoint']);
    let views = 0;
    for (const [operation, body] of Object.entries(VALID)) {
      if (!/<m:IndexedPage(?:Item|Folder)View /.test(body)) continue;
      for (const name of required) failsValidation(operation, body.replace(new RegExp(` ${name}="[^"]*"`), ''), name);
      views++;
    }
    expect(views).to.equal(3);
  });

  it('an id element without the Id types.xsd requires of it fails schema validation, in every operation (none is read as empty or malformed)', () => {
    const schema = readFileSync(new URL('../../wsdl/types.xsd', import.meta.url), 'utf8');
    const requiring = [...schema.matchAll(/<xs:complexType name="(\w+)">(?:(?!<\/xs:complexType>).)*?<xs:attribute name="Id"[^>]*use="required"/gs)].map(
      ([, type]) => type,
    );
    expect(requiring).to.deep.equal(['ItemIdType', 'AttachmentIdType', 'AlternateIdType', 'FolderIdType', 'DistinguishedFolderIdType']);
    const bodies: [string, string][] = [
      ...Object.entries(VALID),
      ['SyncFolderItems', VALID.SyncFolderItems!.replace('<t:DistinguishedFolderId Id="contacts"/>', '<t:FolderId Id="x"/>')],
      ['SyncFolderItems', VALID.SyncFolderItems!.replace('<m:MaxChangesReturned>', '<m:Ignore><t:ItemId Id="x"/></m:Ignore><m:MaxChangesReturned>')],
    ];
    const refused = [];
    for (const [operation, body] of bodies) {
      for (const [id] of body.matchAll(/<(?:m|t):(?:ItemId|AttachmentId|AlternateId|FolderId|DistinguishedFolderId|PersonaId) [^>]*\/>/g)) {
        failsValidation(operation, body.replace(id, id.replace(/ Id="[^"]*"/, '')), 'Id');
        refused.push(operation);
      }
    }
    expect(refused).to.deep.equal([
      'ResolveNames',
      'GetItem',
      'GetAttachment',
      'GetFolder',
      'FindItem',
      'FindFolder',
      'SyncFolderItems',
      'SyncFolderHierarchy',
      'FindPeople',
      'GetPersona',
      'ConvertId',
      'SyncFolderItems',
      'SyncFolderItems',
      'SyncFolderItems',
    ]);
  });

  it('a list the schema has non-empty fails schema validation empty', () => {
    let lists = 0;
    for (const [operation, body] of Object.entries(VALID)) {
      for (const list of NON_EMPTY_LISTS.filter((name) => body.includes(`<m:${name}>`))) {
        failsValidation(operation, body.replace(elementIn(body, list), `<m:${list}/>`), list);
        lists++;
      }
    }
    expect(lists).to.equal(7);
  });

  it('a folder list past its bound of 10 is ErrorInvalidRequest, refused whole', () => {
    const folder = '<t:DistinguishedFolderId Id="contacts"/>';
    for (const operation of ['FindItem', 'FindFolder', 'ResolveNames']) {
      const body = VALID[operation]!.replace(/<m:ParentFolderIds>.*<\/m:ParentFolderIds>/, `<m:ParentFolderIds>${folder.repeat(11)}</m:ParentFolderIds>`);
      expect(read(operation, body), operation).to.throw(BridgeError, 'at most 10 ids per request; this one has 11');
      expect(read(operation, body.replace(folder, '')), operation).to.not.throw();
    }
  });

  it('a target folder (SyncFolderId, FindPeople’s ParentFolderId) holds one folder id, no fewer, no more', () => {
    const folder = '<t:DistinguishedFolderId Id="contacts"/>';
    for (const [operation, target] of [
      ['SyncFolderItems', 'SyncFolderId'],
      ['FindPeople', 'ParentFolderId'],
    ] as const) {
      const body = VALID[operation]!;
      failsValidation(operation, body.replace(`<m:${target}>${folder}`, `<m:${target}>`), target);
      failsValidation(operation, body.replace(`<m:${target}>${folder}`, `<m:${target}>${folder}${folder}`), target);
    }
  });

  it('a boolean the schema types xs:boolean is one of true, false, 1 and 0', () => {
    for (const value of ['true', ' 1 ', 'false', '0']) {
      expect(read('ResolveNames', VALID.ResolveNames!.replace('"false"', `"${value}"`))).to.not.throw();
    }
    failsValidation('ResolveNames', VALID.ResolveNames!.replace('"false"', '"yes"'), 'ReturnFullContactData');
    const mime = (value: string) => VALID.GetItem!.replace('</t:BaseShape>', `</t:BaseShape><t:IncludeMimeContent>${value}</t:IncludeMimeContent>`);
    expect(read('GetItem', mime('true'))).to.not.throw();
    failsValidation('GetItem', mime('TRUE'), 'IncludeMimeContent');
  });

  describe('a Restriction’s tests and a SortOrder, held to their schema types', () => {
    const name = '<t:FieldURI FieldURI="contacts:DisplayName"/>';
    const constant = (value: string) => `<t:Constant Value="${value}"/>`;
    const findItem = (restriction: string, sortOrder = '') =>
      VALID.FindItem!.replace(/<m:QueryString>.*<\/m:QueryString>/, `<m:Restriction>${restriction}</m:Restriction>${sortOrder}`);
    const findFolder = (restriction: string) =>
      VALID.FindFolder!.replace('<m:IndexedPageFolderView', `<m:Restriction>${restriction}</m:Restriction><m:IndexedPageFolderView`);

    it('reads each test that holds its path and its operand', () => {
      for (const restriction of [
        `<t:IsEqualTo>${name}<t:FieldURIOrConstant>${constant('Ann')}</t:FieldURIOrConstant></t:IsEqualTo>`,
        `<t:Contains ContainmentMode="Prefixed" ContainmentComparison="IgnoreCase">${name}${constant('An')}</t:Contains>`,
        `<t:Exists>${name}</t:Exists>`,
        `<t:Not><t:IsGreaterThan>${name}<t:FieldURIOrConstant>${constant('M')}</t:FieldURIOrConstant></t:IsGreaterThan></t:Not>`,
        `<t:IsEqualTo><t:FieldURI FieldURI="item:LastModifiedTime"/><t:FieldURIOrConstant>${constant('2024-01-01T23:00:00.123456789Z')}</t:FieldURIOrConstant></t:IsEqualTo>`,
      ]) {
        expect(read('FindItem', findItem(restriction)), restriction).to.not.throw();
      }
      expect(
        read(
          'FindFolder',
          findFolder(
            '<t:IsEqualTo><t:FieldURI FieldURI="folder:DisplayName"/><t:FieldURIOrConstant><t:Constant Value="Contacts"/></t:FieldURIOrConstant></t:IsEqualTo>',
          ),
        ),
      ).to.not.throw();
    });

    it('a test missing its path or its operand, with one operand too many, or an element no search expression is: ErrorSchemaValidation (they were ErrorUnsupportedQueryFilter, or found nothing)', () => {
      const broken: [string, string][] = [
        [`<t:IsEqualTo>${name}</t:IsEqualTo>`, 'FieldURIOrConstant'],
        [`<t:IsEqualTo><t:FieldURIOrConstant>${constant('Ann')}</t:FieldURIOrConstant></t:IsEqualTo>`, 'IsEqualTo'],
        [`<t:IsEqualTo>${name}<t:FieldURIOrConstant><t:Constant/></t:FieldURIOrConstant></t:IsEqualTo>`, 'Value'],
        [`<t:IsEqualTo>${name}<t:FieldURIOrConstant/></t:IsEqualTo>`, 'FieldURIOrConstant'],
        [`<t:IsEqualTo>${name}<t:FieldURIOrConstant>${constant('Ann')}${constant('Bea')}</t:FieldURIOrConstant></t:IsEqualTo>`, 'FieldURIOrConstant'],
        [
          `<t:IsEqualTo>${name}<t:FieldURIOrConstant>${constant('Ann')}</t:FieldURIOrConstant><t:FieldURIOrConstant>${constant('Bea')}</t:FieldURIOrConstant></t:IsEqualTo>`,
          'IsEqualTo',
        ],
        [`<t:Contains>${name}</t:Contains>`, 'Constant'],
        [`<t:Exists/>`, 'Exists'],
        [`<t:Exists>${name}${constant('Ann')}</t:Exists>`, 'Exists'],
        [`<t:IsSimilarTo>${name}${constant('Ann')}</t:IsSimilarTo>`, 'IsSimilarTo'],
        [`<t:And><t:Contains>${name}</t:Contains></t:And>`, 'Constant'],
      ];
      for (const [restriction, naming] of broken) {
        failsValidation('FindItem', findItem(restriction), naming);
        failsValidation('FindFolder', findFolder(restriction.replace('contacts:DisplayName', 'folder:DisplayName')), naming);
      }
      // Schema-valid but not searchable here: still the codes Exchange gives what it cannot search by.
      const excludes = `<t:Excludes>${name}<t:Bitmask Value="1"/></t:Excludes>`;
      expect(read('FindItem', findItem(excludes)))
        .to.throw(BridgeError)
        .with.property('responseCode', 'ErrorUnsupportedQueryFilter');
      const twoProperties = `<t:IsEqualTo>${name}<t:FieldURIOrConstant><t:FieldURI FieldURI="contacts:Surname"/></t:FieldURIOrConstant></t:IsEqualTo>`;
      expect(read('FindItem', findItem(twoProperties)))
        .to.throw(BridgeError)
        .with.property('responseCode', 'ErrorUnsupportedQueryFilter');
    });

    it('a time constant that is no xs:dateTime (hour 24, no seconds, year 0000) fails schema validation', () => {
      for (const time of ['2024-01-01T24:00:00Z', '2024-01-01T00:00Z', '0000-01-01T00:00:00Z']) {
        const restriction = `<t:IsGreaterThan><t:FieldURI FieldURI="item:LastModifiedTime"/><t:FieldURIOrConstant>${constant(time)}</t:FieldURIOrConstant></t:IsGreaterThan>`;
        expect(read('FindItem', findItem(restriction)), time)
          .to.throw(BridgeError)
          .with.property('responseCode', 'ErrorSchemaValidation');
      }
    });

    it('an empty SortOrder, or a FieldOrder without its Order, fails schema validation (they were read as no order, and Ascending)', () => {
      const exists = `<t:Exists>${name}</t:Exists>`;
      expect(read('FindItem', findItem(exists, `<m:SortOrder><t:FieldOrder Order="Descending">${name}</t:FieldOrder></m:SortOrder>`))).to.not.throw();
      failsValidation('FindItem', findItem(exists, '<m:SortOrder/>'), 'SortOrder');
      failsValidation('FindItem', findItem(exists, `<m:SortOrder><t:FieldOrder>${name}</t:FieldOrder></m:SortOrder>`), 'Order');
    });
  });

  it('FindPeople’s Traversal is one of ItemQueryTraversalType’s values; SoftDeleted and Associated find no one', () => {
    const withTraversal = (value: string) => VALID.FindPeople!.replace('<m:FindPeople>', `<m:FindPeople Traversal="${value}">`);
    expect((read('FindPeople', withTraversal('Shallow'))() as { findsNothing: boolean }).findsNothing).to.equal(false);
    expect((read('FindPeople', withTraversal('Associated'))() as { findsNothing: boolean }).findsNothing).to.equal(true);
    expect(read('FindPeople', withTraversal('Bogus')))
      .to.throw(BridgeError)
      .with.property('responseCode', 'ErrorSchemaValidation');
  });
});
