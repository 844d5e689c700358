import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import ICAL from 'ical.js';
import sharp from 'sharp';
import request from 'supertest';
import { contactOwner, userOwner } from '../../src/domain/photo-owner.js';
import { parseSizeCode } from '../../src/domain/size-code.js';
import type { SoapAnswer } from '../../src/ews/ews-operation.js';
import { ItemIds } from '../../src/ews/item-ids.js';
import { cachedPhotoAnswer } from '../../src/ews/operations/get-user-photo.js';
import { heldWhenSent } from '../../src/http/end-with-body.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { expectOnlyAllowed } from '../support/allowed-methods.js';
import { samplePhoto } from '../support/sample-images.js';
import { envelope, parseSoap } from '../support/soap.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const LIMITS = { maxInputBytes: 10_000_000, maxInputPixels: 40_000_000, jpegQuality: 85 };
const mailbox = READER.username;

describe('EWS SOAP endpoint /EWS/Exchange.asmx', () => {
  let t: TestBridge;
  let leeId: number;

  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([
      { email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', givenName: 'Alex', surname: 'Wilber', title: 'Marketing Assistant', refs: {} },
      { email: 'alex.wu@contoso.com', displayName: 'Alex Wu', refs: {} },
      { email: 'no.photo@contoso.com', displayName: 'No Photo', refs: {} },
    ]);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(400, 400), 'test');
    [leeId] = (await t.store.addContacts(mailbox, [
      {
        displayName: 'Lee Gu',
        givenName: 'Lee',
        surname: 'Gu',
        company: 'Fabrikam',
        jobTitle: 'Director',
        emailAddresses: ['lee.gu@fabrikam.com'],
        phones: { business: '+1 425 555 0100' },
        refs: {},
        photo: await normalizePhoto(await samplePhoto(200, 300), LIMITS),
      },
    ])) as [number];
    await t.store.addContacts(ADMIN.username, [{ displayName: 'Private Person', emailAddresses: ['private@x.com'], phones: {}, refs: {} }]);
  });
  after(() => t.close());

  const post = (body: string, as = READER) =>
    request(t.bridge.server).post('/EWS/Exchange.asmx').set('Authorization', basic(as)).set('Content-Type', 'text/xml; charset=utf-8').send(body);
  /** A POST on the agent's connection, as a keep-alive client sends one. */
  const postOn = (agent: http.Agent, port: number, body: string, as = READER, contentType = 'text/xml; charset=utf-8') =>
    new Promise<string>((resolve, reject) => {
      const headers = { authorization: basic(as), 'content-type': contentType };
      http
        .request({ agent, port, host: '127.0.0.1', method: 'POST', path: '/EWS/Exchange.asmx', headers }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve(text));
        })
        .on('error', reject)
        .end(body);
    });
  const call = async (body: string, as = READER) => {
    const res = await post(envelope(body), as);
    return { res, xml: await parseSoap(res.text) };
  };

  describe('the wire, as ews-wire.md says', () => {
    it('answers text/xml with t:ServerVersionInfo in the header of every response', async () => {
      const { res, xml } = await call('<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>alex.wilber</m:UnresolvedEntry></m:ResolveNames>');
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('text/xml; charset=utf-8');
      expect(xml.Envelope.Header.ServerVersionInfo.$).to.include({ MajorVersion: '15', Version: 'Exchange2016' });
    });

    it('answers a POST to the service URL with any query and in any case, as clients set it (…/Exchange.asmx?wsdl)', async () => {
      const body = envelope('<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>alex.wilber</m:UnresolvedEntry></m:ResolveNames>');
      for (const path of ['/EWS/Exchange.asmx?wsdl', '/ews/exchange.asmx?x=1', '/EWS/Exchange.asmx?']) {
        const res = await request(t.bridge.server).post(path).set('Authorization', basic(READER)).set('Content-Type', 'text/xml; charset=utf-8').send(body);
        expect(
          [res.status, (await parseSoap(res.text)).Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage.ResponseCode],
          path,
        ).to.deep.equal([200, 'NoError']);
      }
      await request(t.bridge.server).post('/EWS/Exchange.asmxx').set('Authorization', basic(READER)).send(body).expect(404);
    });

    it('dispatches on the Body, whatever SOAPAction says and whatever prefixes the client uses', async () => {
      const body =
        '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>' +
        '<GetUserPhoto xmlns="http://schemas.microsoft.com/exchange/services/2006/messages"><Email>alex.wilber@contoso.com</Email><SizeRequested>HR48x48</SizeRequested></GetUserPhoto>' +
        '</e:Body></e:Envelope>';
      const res = await post(body).set('SOAPAction', '"http://schemas.microsoft.com/exchange/services/2006/messages/ResolveNames"').expect(200);
      expect((await parseSoap(res.text)).Envelope.Body.GetUserPhotoResponse.ResponseCode).to.equal('NoError');
    });

    it('reads a request sent as UTF-16 behind its byte-order mark, as a WCF client set to UTF-16 sends it', async () => {
      const body = envelope('<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>alex.wilber</m:UnresolvedEntry></m:ResolveNames>').replace(
        'encoding="utf-8"',
        'encoding="utf-16"',
      );
      const res = await request(t.bridge.server)
        .post('/EWS/Exchange.asmx')
        .set('Authorization', basic(READER))
        .set('Content-Type', 'text/xml; charset=utf-16')
        .send(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(body, 'utf16le')]))
        .expect(200);
      const message = (await parseSoap(res.text)).Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage;
      expect(message.ResolutionSet.Resolution.Mailbox.EmailAddress).to.equal('alex.wilber@contoso.com');
    });

    it('reads a request in the encoding it declares (ISO-8859-1 found no Jürgen), and faults one whose bytes are not in it', async () => {
      await t.store.upsertUsers([{ email: 'juergen.weiss@contoso.com', displayName: 'Jürgen Weiß', refs: {} }]);
      const resolve = '<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>Jürgen</m:UnresolvedEntry></m:ResolveNames>';
      const latin1 = Buffer.from(envelope(resolve).replace('encoding="utf-8"', 'encoding="ISO-8859-1"'), 'latin1');
      const declared = await request(t.bridge.server)
        .post('/EWS/Exchange.asmx')
        .set('Authorization', basic(READER))
        .set('Content-Type', 'text/xml')
        .send(latin1);
      const message = (await parseSoap(declared.text)).Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage;
      expect(message.ResolutionSet.Resolution.Mailbox.EmailAddress).to.equal('juergen.weiss@contoso.com');
      const mislabelled = await request(t.bridge.server)
        .post('/EWS/Exchange.asmx')
        .set('Authorization', basic(READER))
        .set('Content-Type', 'text/xml; charset=utf-8')
        .send(Buffer.from(envelope(resolve), 'latin1'));
      expect(mislabelled.status).to.equal(500);
      expect(mislabelled.text).to.include('the request is not UTF-8');
      await t.store.removeUser('juergen.weiss@contoso.com');
    });

    it('refuses an ExchangeImpersonation the schema does not allow (two headers, two accounts in one) with its validation fault, never served as the caller', async () => {
      const resolve = '<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>alex.wilber</m:UnresolvedEntry></m:ResolveNames>';
      const impersonating = (...names: string[]) =>
        `<t:ExchangeImpersonation><t:ConnectingSID>${names.map((name) => `<t:PrimarySmtpAddress>${name}</t:PrimarySmtpAddress>`).join('')}</t:ConnectingSID></t:ExchangeImpersonation>`;
      for (const header of [impersonating(READER.username) + impersonating(ADMIN.username), impersonating(READER.username, ADMIN.username)]) {
        const res = await post(envelope(resolve, header));
        expect([res.status, res.text.match(/<e:ResponseCode[^>]*>(\w+)</)?.[1]]).to.deep.equal([500, 'ErrorSchemaValidation']);
      }
      const asSelf = await post(envelope(resolve, impersonating(READER.username)));
      expect(asSelf.status).to.equal(200);
    });

    it('answers operations it does not serve with ErrorInvalidOperation on HTTP 200', async () => {
      const { res, xml } = await call('<m:ExpandDL><m:Mailbox><t:EmailAddress>team@contoso.com</t:EmailAddress></m:Mailbox></m:ExpandDL>');
      expect(res.status).to.equal(200);
      const message = xml.Envelope.Body.ExpandDLResponse.ResponseMessages.ExpandDLResponseMessage;
      expect(message.$.ResponseClass).to.equal('Error');
      expect(message.ResponseCode).to.equal('ErrorInvalidOperation');
    });

    it("faults a Body element in a namespace that declares no EWS operation as Exchange's schema check does; ResolveNames under https://… was told it is not served", async () => {
      const resolve = '<ResolveNames ReturnFullContactData="false" xmlns="%"><UnresolvedEntry>alex</UnresolvedEntry></ResolveNames>';
      for (const namespace of ['https://schemas.microsoft.com/exchange/services/2006/messages', 'http://schemas.microsoft.com/exchange/services/2006/types']) {
        const res = await post(envelope(resolve.replace('%', namespace))).expect(500);
        const fault = (await parseSoap(res.text)).Envelope.Body.Fault;
        expect([fault.faultcode._ ?? fault.faultcode, fault.faultstring._], namespace).to.deep.equal([
          'a:ErrorSchemaValidation',
          `The request failed schema validation: The '${namespace}:ResolveNames' element is not declared.`,
        ]);
      }
      const unqualified = await post(envelope('<ResolveNames/>')).expect(500);
      expect(unqualified.text).to.include('The &apos;ResolveNames&apos; element is not declared.');
    });

    for (const [what, body, reason] of [
      ['malformed XML', '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><m:GetItem>', /not well-formed/],
      [
        'a DOCTYPE with an entity',
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&e;</soap:Body></soap:Envelope>',
        /DOCTYPE|not well-formed/,
      ],
      ['something that is not an envelope', '<hello/>', /not a SOAP 1.1 Envelope/],
      ['an empty Body', '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body></soap:Body></soap:Envelope>', /names no operation/],
      ['an empty request', '', /names no operation|not well-formed/],
    ] as const) {
      it(`answers ${what} with a SOAP fault (HTTP 500) and no stack trace`, async () => {
        const res = await post(body).expect(500);
        const fault = (await parseSoap(res.text)).Envelope.Body.Fault;
        expect(fault.faultcode).to.equal('s:Client');
        expect(fault.faultstring._ ?? fault.faultstring).to.match(reason);
        expect(res.text).to.not.match(/\.ts:\d+|at [A-Za-z]+ \(/);
        expect(res.text).to.not.include('root:');
      });
    }

    it('answers a SOAP 1.2 Envelope with the VersionMismatch fault (SOAP 1.1 §4.4.1), not as a client error', async () => {
      const resolve = '<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>alex</m:UnresolvedEntry></m:ResolveNames>';
      const soap12 = envelope(resolve).replaceAll('http://schemas.xmlsoap.org/soap/envelope/', 'http://www.w3.org/2003/05/soap-envelope');
      const refused = await post(soap12).expect(500);
      const fault = (await parseSoap(refused.text)).Envelope.Body.Fault;
      expect([fault.faultcode, fault.faultstring._]).to.deep.equal([
        's:VersionMismatch',
        "the Envelope's namespace 'http://www.w3.org/2003/05/soap-envelope' is not SOAP 1.1's, 'http://schemas.xmlsoap.org/soap/envelope/'",
      ]);
    });

    it('answers a header marked mustUnderstand that EWS does not define with the MustUnderstand fault (SOAP 1.1 §4.2.3), and serves one it does', async () => {
      const resolve = '<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>alex</m:UnresolvedEntry></m:ResolveNames>';
      const refused = await post(envelope(resolve, '<o:Session xmlns:o="urn:other" soap:mustUnderstand="1">7</o:Session>')).expect(500);
      const fault = (await parseSoap(refused.text)).Envelope.Body.Fault;
      expect([fault.faultcode, fault.faultstring._]).to.deep.equal([
        's:MustUnderstand',
        "The header 'Session' from the namespace 'urn:other' was not understood by the recipient of this message.",
      ]);
      const served = await post(envelope(resolve, '<t:RequestServerVersion Version="Exchange2013" soap:mustUnderstand="1"/>')).expect(200);
      expect(Object.keys((await parseSoap(served.text)).Envelope.Body)).to.deep.equal(['ResolveNamesResponse']);
    });

    const folders = '<m:ParentFolderIds><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds>';
    for (const [what, body] of [
      ['a SearchScope', '<m:ResolveNames ReturnFullContactData="false" SearchScope="Banana"><m:UnresolvedEntry>a</m:UnresolvedEntry></m:ResolveNames>'],
      ['a ContactDataShape', '<m:ResolveNames ReturnFullContactData="true" ContactDataShape="All"><m:UnresolvedEntry>a</m:UnresolvedEntry></m:ResolveNames>'],
      ['a boolean', '<m:ResolveNames ReturnFullContactData="yes"><m:UnresolvedEntry>a</m:UnresolvedEntry></m:ResolveNames>'],
      // exchangelib's resolve_names(["alex", "patti"]) sends one envelope so; the first alone was answered.
      [
        'a second UnresolvedEntry',
        '<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>alex</m:UnresolvedEntry><m:UnresolvedEntry>patti</m:UnresolvedEntry></m:ResolveNames>',
      ],
      [
        'a second Email',
        '<m:GetUserPhoto><m:Email>alex.wilber@contoso.com</m:Email><m:Email>patti@contoso.com</m:Email><m:SizeRequested>HR48x48</m:SizeRequested></m:GetUserPhoto>',
      ],
      ['a BaseShape', `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Banana</t:BaseShape></m:ItemShape>${folders}</m:FindItem>`],
      [
        'a BasePoint',
        `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="1" Offset="0" BasePoint="Middle"/>${folders}</m:FindItem>`,
      ],
      // These were per-item ErrorInvalidRequest or ErrorUnsupportedQueryFilter.
      ['a Traversal', `<m:FindItem Traversal="Bogus"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>${folders}</m:FindItem>`],
      ...['abc', '1e2', '99999999999'].map(
        (max) =>
          [
            `a MaxEntriesReturned of ${max}`,
            `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="${max}" Offset="0" BasePoint="Beginning"/>${folders}</m:FindItem>`,
          ] as const,
      ),
      [
        'an Order',
        `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SortOrder><t:FieldOrder Order="constructor"><t:FieldURI FieldURI="contacts:DisplayName"/></t:FieldOrder></m:SortOrder>${folders}</m:FindItem>`,
      ],
      ...['ContainmentMode="Bogus"', 'ContainmentComparison="Bogus"'].map(
        (attributes) =>
          [
            `a ${attributes.split('=')[0]}`,
            `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:Restriction><t:Contains ${attributes}><t:FieldURI FieldURI="contacts:DisplayName"/><t:Constant Value="a"/></t:Contains></m:Restriction>${folders}</m:FindItem>`,
          ] as const,
      ),
    ] as const) {
      it(`answers ${what} the schema does not allow with an ErrorSchemaValidation fault (HTTP 500), as Exchange, never a default in its place`, async () => {
        const res = await post(envelope(body)).expect(500);
        const fault = (await parseSoap(res.text)).Envelope.Body.Fault;
        expect(fault.faultcode._ ?? fault.faultcode).to.equal('a:ErrorSchemaValidation');
        expect(fault.detail.ResponseCode._ ?? fault.detail.ResponseCode).to.equal('ErrorSchemaValidation');
        expect(fault.faultstring._ ?? fault.faultstring).to.match(/^The request failed schema validation: /);
      });
    }

    it('reads the xs:int spellings +5 and 005 alike', async () => {
      for (const max of ['+5', '005', ' 5 ']) {
        const body = `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="${max}" Offset="0" BasePoint="Beginning"/>${folders}</m:FindItem>`;
        const { res, xml } = await call(body);
        expect(res.status, max).to.equal(200);
        expect(xml.Envelope.Body.FindItemResponse.ResponseMessages.FindItemResponseMessage.$.ResponseClass, max).to.equal('Success');
      }
    });

    it('reads the xs:boolean spellings 1 and 0 as true and false', async () => {
      for (const flag of ['1', '0', 'true', 'false']) {
        const { res } = await call(`<m:ResolveNames ReturnFullContactData="${flag}"><m:UnresolvedEntry>alex.wilber</m:UnresolvedEntry></m:ResolveNames>`);
        expect(res.status, flag).to.equal(200);
        expect(res.text.includes('<t:Contact>'), flag).to.equal(flag === '1' || flag === 'true');
      }
    });

    it('refuses a body over 1 MiB with 413', async () => {
      await post(
        envelope(`<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>${'a'.repeat(1100 * 1024)}</m:UnresolvedEntry></m:ResolveNames>`),
      ).expect(413);
    });

    it('asks for credentials with a Basic challenge', async () => {
      const res = await request(t.bridge.server).post('/EWS/Exchange.asmx').send(envelope('<m:ConvertId/>')).expect(401);
      expect(res.headers['www-authenticate']).to.equal('Basic realm="ews-photo-bridge"');
      await post(envelope('<m:ConvertId/>'), { ...READER, password: 'wrong' }).expect(401);
    });

    it('serves the WSDL with soap:address built from the Host, and the schemas it imports', async () => {
      for (const path of ['/EWS/Exchange.asmx?wsdl', '/ews/exchange.asmx?WSDL', '/EWS/Services.wsdl']) {
        const res = await request(t.bridge.server).get(path).set('Authorization', basic(READER)).set('Host', 'mail.contoso.com:8443').expect(200);
        expect(res.text).to.include('<soap:address location="http://mail.contoso.com:8443/EWS/Exchange.asmx"/>');
        expect(res.text).to.include('schemaLocation="messages.xsd"');
      }
      const messages = await request(t.bridge.server).get('/EWS/messages.xsd').set('Authorization', basic(READER)).expect(200);
      expect(messages.text).to.include('schemaLocation="types.xsd"');
      await request(t.bridge.server).get('/EWS/types.xsd').set('Authorization', basic(READER)).expect(200);
      await request(t.bridge.server).get('/EWS/Exchange.asmx?wsdl').expect(401);
    });

    it('shows a browser that logs in a page pointing at ?wsdl, as Exchange shows its service page; 401 without a login', async () => {
      const page = await request(t.bridge.server).get('/EWS/Exchange.asmx').set('Authorization', basic(READER)).expect(200);
      expect([page.headers['content-type'], page.headers['content-security-policy']]).to.deep.equal(['text/html; charset=utf-8', "default-src 'none'"]);
      expect(page.text).to.include('<a href="Exchange.asmx?wsdl">');
      await request(t.bridge.server).head('/EWS/Exchange.asmx').set('Authorization', basic(READER)).expect(200);
      await request(t.bridge.server).get('/EWS/Exchange.asmx').expect(401);
    });

    it('answers another method with 405 naming what the URL takes; OPTIONS names POST too', async () => {
      for (const method of ['put', 'delete', 'patch'] as const) {
        const res = await request(t.bridge.server)[method]('/EWS/Exchange.asmx').set('Authorization', basic(READER)).expect(405);
        expect(res.headers.allow, method).to.equal('GET, HEAD, POST');
      }
      const options = await request(t.bridge.server).options('/EWS/Exchange.asmx').expect(200);
      expect(options.headers.allow).to.equal('GET, HEAD, POST');
    });

    it('answers another method on the WSDL and its schemas 405 naming GET and HEAD; a schema it does not have stays 404', async () => {
      // They were the 404 of a path the bridge does not have.
      for (const path of ['/EWS/Services.wsdl', '/EWS/messages.xsd', '/EWS/types.xsd']) {
        await expectOnlyAllowed(t.bridge.server, path, 'GET, HEAD', basic(READER));
        await request(t.bridge.server).head(path).set('Authorization', basic(READER)).expect(200);
      }
      await request(t.bridge.server).post('/EWS/nothing.xsd').set('Authorization', basic(READER)).expect(404);
    });
  });

  describe('GetUserPhoto', () => {
    const photoRequest = (email: string, size = 'HR96x96') =>
      `<m:GetUserPhoto><m:Email>${email}</m:Email><m:SizeRequested>${size}</m:SizeRequested></m:GetUserPhoto>`;

    it('returns the same bytes and ETag as the REST URL, with Expires', async () => {
      const asked = Date.now();
      const { res, xml } = await call(photoRequest('Alex.Wilber@contoso.com'));
      const answered = Date.now();
      const response = xml.Envelope.Body.GetUserPhotoResponse;
      expect(response.$.ResponseClass).to.equal('Success');
      expect(response.HasChanged).to.equal('true');
      expect(response.ContentType).to.equal('image/jpeg');
      const picture = Buffer.from(response.PictureData, 'base64');
      expect((await sharp(picture).metadata()).width).to.equal(96);
      const rest = await request(t.bridge.server)
        .get('/ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber@contoso.com&size=HR96x96')
        .set('Authorization', basic(READER))
        .buffer(true);
      expect(res.headers.etag).to.equal(rest.headers.etag);
      expect(Buffer.compare(picture, rest.body as Buffer)).to.equal(0);
      // The default max-age (an hour) from the request, to the second an HTTP date carries (truncated).
      expect(Date.parse(res.headers.expires as string)).to.be.within(asked + 3600_000 - 1000, answered + 3600_000);
    });

    /**
     * GetUserPhoto's answer for a photo at a size as its run makes it at once, without awaiting
     * anything, for a photo the cache holds; undefined when the answer has to be awaited.
     */
    const answeredAtOnce = (email: string, size: string): SoapAnswer | undefined =>
      cachedPhotoAnswer(userOwner(email), parseSizeCode(size), {
        photos: t.bridge.photos,
        ifNoneMatch: undefined,
        photoMaxAgeSeconds: 3600,
        startedAt: performance.now(),
      });
    /** The answer kept for a cached photo at a size: asked twice at once, the very same bytes, not made again. */
    const keptAnswer = (email: string, size: string): Buffer => {
      const [first, again] = [answeredAtOnce(email, size), answeredAtOnce(email, size)];
      expect(first, `${size} answered at once`).to.not.equal(undefined);
      expect(first!.body, `${size} kept`).to.be.instanceOf(Buffer).and.equal(again!.body);
      return first!.body as Buffer;
    };

    it('answers a repeat from the cache, without a store look or a resize, exactly as it answered the first time', async () => {
      const email = 'alex.wilber@contoso.com';
      t.bridge.photos.forgetAll();
      const first = await call(photoRequest(email, 'HR64x64'));
      const { storeLookups, resizes } = t.bridge.photos.stats;
      const again = await call(photoRequest(email, 'HR64x64'));
      expect(again.xml.Envelope.Body).to.deep.equal(first.xml.Envelope.Body);
      expect(again.xml.Envelope.Header).to.deep.equal(first.xml.Envelope.Header);
      for (const header of ['etag', 'content-type']) expect(again.res.headers[header], header).to.equal(first.res.headers[header]);
      expect(again.res.headers['request-id']).to.be.a('string');
      expect({ ...t.bridge.photos.stats }).to.include({ storeLookups, resizes });
      // The cached photo is answered in the same turn, with the answer kept for it: what was sent, byte for byte.
      expect(keptAnswer(email, 'HR64x64').toString()).to.equal(first.res.text);
    });

    it('counts the answer it keeps for a photo against the photo cache, byte for byte', async () => {
      t.bridge.photos.forgetAll();
      const before = t.bridge.photos.renditionCache;
      const { res } = await call(photoRequest('alex.wilber@contoso.com', 'HR120x120'));
      const photo = await request(t.bridge.server)
        .get('/ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber@contoso.com&size=HR120x120')
        .set('Authorization', basic(READER))
        .buffer(true);
      const after = t.bridge.photos.renditionCache;
      const kept = keptAnswer('alex.wilber@contoso.com', 'HR120x120');
      expect(kept.length).to.equal(Number(res.headers['content-length']));
      expect(after.entries - before.entries).to.equal(1);
      // The photo and the answer as sent, each with the text it is sent as when small, and the entry's own 512 bytes.
      expect(after.bytes - before.bytes).to.equal(heldWhenSent((photo.body as Buffer).length) + heldWhenSent(kept.length) + 512);
    });

    it('counts no answer for a photo in a format SOAP never sends (a browser’s WebP)', async () => {
      t.bridge.photos.forgetAll();
      const before = t.bridge.photos.renditionCache;
      const webp = await request(t.bridge.server)
        .get('/ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber@contoso.com&size=HR120x120')
        .set('Authorization', basic(READER))
        .set('Accept', 'image/webp')
        .buffer(true)
        .expect('content-type', 'image/webp');
      const after = t.bridge.photos.renditionCache;
      expect(after.entries - before.entries).to.equal(1);
      expect(after.bytes - before.bytes).to.equal(heldWhenSent((webp.body as Buffer).length) + 512);
    });

    it('answers each of the envelopes one kept-alive connection alternates as itself', async () => {
      const server = t.bridge.server;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      let connections = 0;
      const counted = () => connections++;
      server.on('connection', counted);
      try {
        const { port } = server.address() as AddressInfo;
        for (const width of [48, 64, 48, 48, 64]) {
          const answer = await postOn(agent, port, envelope(photoRequest('alex.wilber@contoso.com', `HR${width}x${width}`)));
          const picture = Buffer.from((await parseSoap(answer)).Envelope.Body.GetUserPhotoResponse.PictureData as string, 'base64');
          expect((await sharp(picture).metadata()).width).to.equal(width);
        }
        expect(connections).to.equal(1);
      } finally {
        server.off('connection', counted);
        agent.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('reads the same bytes again in the charset each request names, on one kept-alive connection too', async () => {
      const server = t.bridge.server;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const { port } = server.address() as AddressInfo;
        const body = envelope(photoRequest('alex.wilber@contoso.com', 'HR48x48'));
        const asSent = (charset: string) => postOn(agent, port, body, READER, `text/xml; charset=${charset}`);
        expect(await asSent('utf-8')).to.include('<m:ResponseCode>NoError</m:ResponseCode>');
        // Answered from the connection's last envelope, these bytes were read as UTF-8 again: a request refused on a new connection was served.
        expect(await asSent('utf-7')).to.include('<faultstring xml:lang="en-US">the request&apos;s encoding &apos;utf-7&apos; is not supported</faultstring>');
      } finally {
        agent.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('answers HasChanged=false without data when If-None-Match holds the ETag', async () => {
      const first = await call(photoRequest('alex.wilber@contoso.com'));
      const res = await post(envelope(photoRequest('alex.wilber@contoso.com')))
        .set('If-None-Match', first.res.headers.etag as string)
        .expect(200);
      const response = (await parseSoap(res.text)).Envelope.Body.GetUserPhotoResponse;
      expect(response.HasChanged).to.equal('false');
      expect(response.PictureData).to.equal(undefined);
    });

    it('answers "no photo" with HTTP 404 and ErrorItemNotFound, as Exchange does', async () => {
      for (const email of ['no.photo@contoso.com', 'nobody@contoso.com']) {
        const { res, xml } = await call(photoRequest(email));
        expect(res.status).to.equal(404);
        expect(xml.Envelope.Body.GetUserPhotoResponse.ResponseCode).to.equal('ErrorItemNotFound');
      }
    });

    it('answers a bad size code or address with an error response on HTTP 200', async () => {
      expect((await call(photoRequest('alex.wilber@contoso.com', 'HR97x97'))).xml.Envelope.Body.GetUserPhotoResponse.ResponseCode).to.equal(
        'ErrorInvalidPhotoSize',
      );
      expect((await call(photoRequest("x' OR 1=1 --"))).xml.Envelope.Body.GetUserPhotoResponse.ResponseCode).to.equal('ErrorInvalidSmtpAddress');
      // XML's blanks around it are no part of it; a no-break space or a byte-order mark is, as on the photo URLs.
      expect((await call(photoRequest('\n\t alex.wilber@contoso.com \r\n'))).xml.Envelope.Body.GetUserPhotoResponse.ResponseCode).to.equal('NoError');
      for (const blank of ['\u00a0', '\u3000', '\ufeff']) {
        expect((await call(photoRequest(`${blank}alex.wilber@contoso.com`))).xml.Envelope.Body.GetUserPhotoResponse.ResponseCode, blank).to.equal(
          'ErrorInvalidSmtpAddress',
        );
      }
    });
  });

  describe('ResolveNames', () => {
    const resolve = async (entry: string, attributes = 'ReturnFullContactData="true" ContactDataShape="AllProperties"') =>
      (await call(`<m:ResolveNames ${attributes}><m:UnresolvedEntry>${entry}</m:UnresolvedEntry></m:ResolveNames>`)).xml.Envelope.Body.ResolveNamesResponse
        .ResponseMessages.ResolveNamesResponseMessage;

    it('resolves one directory user with full contact data and the photo', async () => {
      const message = await resolve('alex.wilber');
      expect(message.$.ResponseClass).to.equal('Success');
      expect(message.ResolutionSet.$).to.deep.equal({ TotalItemsInView: '1', IncludesLastItemInRange: 'true' });
      const { Mailbox, Contact } = message.ResolutionSet.Resolution;
      expect(Mailbox).to.deep.include({ Name: 'Alex Wilber', EmailAddress: 'alex.wilber@contoso.com', RoutingType: 'SMTP', MailboxType: 'Mailbox' });
      expect(Contact).to.deep.include({
        DisplayName: 'Alex Wilber',
        GivenName: 'Alex',
        Surname: 'Wilber',
        JobTitle: 'Marketing Assistant',
        ContactSource: 'ActiveDirectory',
        HasPicture: 'true',
      });
      expect((await sharp(Buffer.from(Contact.Photo, 'base64')).metadata()).width).to.equal(96);
    });

    it("resolves the caller's own contact with a Contact mailbox type and an ItemId", async () => {
      const message = await resolve('Lee');
      const { Mailbox, Contact } = message.ResolutionSet.Resolution;
      expect(Mailbox).to.deep.include({ Name: 'Lee Gu', EmailAddress: 'lee.gu@fabrikam.com', MailboxType: 'Contact' });
      expect(Mailbox.ItemId.$.Id).to.be.a('string');
      expect(Mailbox.ItemId.$.ChangeKey).to.be.a('string');
      expect(Contact.CompanyName).to.equal('Fabrikam');
      expect(Contact.EmailAddresses.Entry).to.deep.equal({ _: 'lee.gu@fabrikam.com', $: { Key: 'EmailAddress1' } });
    });

    it("answers the caller's own contact alike whatever ReturnFullContactData says; a directory user's t:Contact comes with it alone", async () => {
      const [without, full] = await Promise.all(['false', 'true'].map((flag) => resolve('Lee', `ReturnFullContactData="${flag}"`)));
      expect(without.ResolutionSet.Resolution).to.deep.equal(full.ResolutionSet.Resolution);
      expect(without.ResolutionSet.Resolution.Mailbox.ItemId.$.Id).to.be.a('string');
      expect(without.ResolutionSet.Resolution.Contact).to.deep.include({ DisplayName: 'Lee Gu', CompanyName: 'Fabrikam', ContactSource: 'Store' });
      const [user, fullUser] = await Promise.all(['false', 'true'].map((flag) => resolve('alex.wilber', `ReturnFullContactData="${flag}"`)));
      expect(user.ResolutionSet.Resolution.Contact).to.equal(undefined);
      expect(fullUser.ResolutionSet.Resolution.Contact).to.deep.include({ DisplayName: 'Alex Wilber', ContactSource: 'ActiveDirectory' });
    });

    it("gives back the address of a contact's that was resolved: its second or third, not always its first", async () => {
      await t.store.addContacts(mailbox, [
        { displayName: 'Sean Triple', emailAddresses: ['sean@triple.example', 'Sean.Second@Triple.example', 'third@triple.example'], phones: {}, refs: {} },
      ]);
      const resolved = async (entry: string) => (await resolve(entry, 'ReturnFullContactData="false"')).ResolutionSet.Resolution.Mailbox.EmailAddress;
      expect(await resolved('smtp:third@triple.example')).to.equal('third@triple.example');
      expect(await resolved('THIRD')).to.equal('third@triple.example');
      expect(await resolved('sean.second')).to.equal('Sean.Second@Triple.example');
      expect(await resolved('Sean Triple')).to.equal('sean@triple.example');
    });

    it('warns ErrorNameResolutionMultipleResults with the whole set when several match', async () => {
      const message = await resolve('alex', 'ReturnFullContactData="false"');
      expect(message.$.ResponseClass).to.equal('Warning');
      expect(message.ResponseCode).to.equal('ErrorNameResolutionMultipleResults');
      expect(message.ResolutionSet.Resolution.map((r: any) => r.Mailbox.EmailAddress)).to.deep.equal(['alex.wilber@contoso.com', 'alex.wu@contoso.com']);
      expect(message.ResolutionSet.Resolution[0].Contact).to.equal(undefined);
    });

    it("answers ErrorNameResolutionNoResults when nothing matches, and never shows another mailbox's contacts", async () => {
      for (const entry of ['zzz', 'Private', 'SMTP:private@x.com']) {
        const message = await resolve(entry);
        expect(message.$.ResponseClass).to.equal('Error');
        expect(message.ResponseCode).to.equal('ErrorNameResolutionNoResults');
      }
    });

    it('reads SMTP: as a match against the start of addresses alone, and honours the SearchScope', async () => {
      expect((await resolve('SMTP:alex.wu@contoso.com')).ResolutionSet.Resolution.Mailbox.Name).to.equal('Alex Wu');
      const partial = await resolve('SMTP:alex.w');
      expect(partial.ResponseCode).to.equal('ErrorNameResolutionMultipleResults');
      expect([partial.ResolutionSet.Resolution].flat().map((resolution: any) => resolution.Mailbox.Name)).to.have.members(['Alex Wilber', 'Alex Wu']);
      expect((await resolve('SMTP:wilber')).ResponseCode).to.equal('ErrorNameResolutionNoResults');
      expect((await resolve('Lee', 'ReturnFullContactData="false" SearchScope="ActiveDirectory"')).ResponseCode).to.equal('ErrorNameResolutionNoResults');
      expect((await resolve('alex.wilber', 'ReturnFullContactData="false" SearchScope="Contacts"')).ResponseCode).to.equal('ErrorNameResolutionNoResults');
    });

    it('resolves a legacy DN (bare, EX: or X500:), as Autodiscover hands it out, to the one user it names; a part of one to none', async () => {
      const dn = '/o=ExchangePhotoBridge/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alex.wilber';
      for (const entry of [dn, `EX:${dn}`, `x500:${dn.toUpperCase()}`]) {
        const message = await resolve(entry, 'ReturnFullContactData="false"');
        expect([message.ResponseCode, message.ResolutionSet?.Resolution.Mailbox.EmailAddress], entry).to.deep.equal(['NoError', 'alex.wilber@contoso.com']);
      }
      for (const entry of [dn.slice(0, -3), `${dn}/cn=more`]) expect((await resolve(entry)).ResponseCode, entry).to.equal('ErrorNameResolutionNoResults');
      expect((await resolve(dn, 'ReturnFullContactData="false" SearchScope="Contacts"')).ResponseCode).to.equal('ErrorNameResolutionNoResults');
    });

    it('reads SMTP: as the start of an address in any of its spellings: decomposed, or with a whole A-label for its domain', async () => {
      await t.store.upsertUsers([
        { email: 'jürgen@müller.example', displayName: 'J. Müller', refs: {} },
        { email: 'anna@bücher.example', displayName: 'A. Bücher', refs: {} },
      ]);
      const directory = 'ReturnFullContactData="false" SearchScope="ActiveDirectory"';
      expect((await resolve('smtp:Ju\u0308rg', directory)).ResolutionSet.Resolution.Mailbox.EmailAddress).to.equal('jürgen@müller.example');
      expect((await resolve('SMTP:anna@xn--bcher-kva', directory)).ResolutionSet.Resolution.Mailbox.EmailAddress).to.equal('anna@bücher.example');
      expect((await resolve('smtp:anna@xn--bcher-k', directory)).ResponseCode).to.equal('ErrorNameResolutionNoResults');
    });

    it('reads SIP: as the start of a SIP address in any of its spellings, whichever it was imported in', async () => {
      await t.store.upsertUsers([{ email: 'juergen@contoso.com', displayName: 'J. Müller', sipAddress: 'sip:Ju\u0308rgen@xn--bcher-kva.example', refs: {} }]);
      const directory = 'ReturnFullContactData="false" SearchScope="ActiveDirectory"';
      expect((await resolve('sip:Ju\u0308rg', directory)).ResolutionSet.Resolution.Mailbox.EmailAddress).to.equal('juergen@contoso.com');
      expect((await resolve('SIP:jürgen@xn--bcher-kva', directory)).ResolutionSet.Resolution.Mailbox.EmailAddress).to.equal('juergen@contoso.com');
      expect((await resolve('sip:jürgen@bücher.example', directory)).ResolutionSet.Resolution.Mailbox.EmailAddress).to.equal('juergen@contoso.com');
      expect((await resolve('sip:jürgen@xn--bcher-k', directory)).ResponseCode).to.equal('ErrorNameResolutionNoResults');
    });

    it('finds directory users and contacts by names as they are typed: a final Σ in capitals, an apostrophe or a ZWNJ left out', async () => {
      await t.store.upsertUsers([{ email: 'alireza@contoso.com', displayName: 'علی\u200cرضا رضایی', refs: {} }]);
      const contact = (displayName: string, email: string) => ({ displayName, emailAddresses: [email], phones: {}, refs: {} });
      await t.store.addContacts(mailbox, [
        contact('Κώστας Σαμαράς', 'kostas@example.gr'),
        contact("Mary O'Neill", 'mary@example.ie'),
        contact('علی\u200cرضا کریمی', 'alireza@example.ir'),
      ]);
      const names = async (entry: string) =>
        [(await resolve(entry, 'ReturnFullContactData="false" SearchScope="ActiveDirectoryContacts"')).ResolutionSet.Resolution]
          .flat()
          .map((resolution: any) => resolution.Mailbox.Name);
      expect(await names('ΚΩΣ')).to.deep.equal(['Κώστας Σαμαράς']);
      expect(await names('ONeill')).to.deep.equal(["Mary O'Neill"]);
      expect(await names('علیرضا')).to.deep.equal(['علی\u200cرضا رضایی', 'علی\u200cرضا کریمی']);
    });

    it('returns at most 100 resolutions and says the range was cut', async () => {
      await t.store.upsertUsers(Array.from({ length: 120 }, (_, i) => ({ email: `bulk${i}@contoso.com`, displayName: `Bulk ${i}`, refs: {} })));
      const message = await resolve('bulk', 'ReturnFullContactData="false"');
      expect(message.ResolutionSet.Resolution).to.have.length(100);
      expect(message.ResolutionSet.$.IncludesLastItemInRange).to.equal('false');
    });
  });

  describe('GetItem and GetAttachment', () => {
    let itemId: string;
    before(async () => {
      const { xml } = await call('<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>Lee</m:UnresolvedEntry></m:ResolveNames>');
      itemId = xml.Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage.ResolutionSet.Resolution.Mailbox.ItemId.$.Id;
    });
    const getItem = (ids: string[], shape = '<m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape>') =>
      call(`<m:GetItem>${shape}<m:ItemIds>${ids.map((id) => `<t:ItemId Id="${id}"/>`).join('')}</m:ItemIds></m:GetItem>`);
    const messagesOf = (xml: Record<string, any>) => [xml.Envelope.Body.GetItemResponse.ResponseMessages.GetItemResponseMessage].flat();

    it('returns the contact in schema order, with HasPicture and the photo as a contact-photo attachment', async () => {
      const { res, xml } = await getItem([itemId]);
      const [message] = messagesOf(xml);
      expect(message.$.ResponseClass).to.equal('Success');
      const contact = message.Items.Contact;
      expect(contact).to.deep.include({ DisplayName: 'Lee Gu', ItemClass: 'IPM.Contact', HasPicture: 'true', HasAttachments: 'true' });
      expect(contact.Attachments.FileAttachment).to.deep.include({
        Name: 'ContactPicture.jpg',
        ContentType: 'image/jpeg',
        IsContactPhoto: 'true',
        IsInline: 'false',
      });
      expect(contact.Attachments.FileAttachment.Content).to.equal(undefined);
      const order = [...res.text.matchAll(/<t:(ItemId|ItemClass|Attachments|HasAttachments|DisplayName|CompanyName|Surname|HasPicture)\b/g)].map((m) => m[1]);
      expect(order).to.deep.equal(['ItemId', 'ItemClass', 'Attachments', 'HasAttachments', 'DisplayName', 'CompanyName', 'Surname', 'HasPicture']);
    });

    it('honours IdOnly plus AdditionalProperties and ignores FieldURIs it does not know', async () => {
      const shape =
        '<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>' +
        '<t:FieldURI FieldURI="contacts:HasPicture"/><t:FieldURI FieldURI="contacts:Nickname"/><t:FieldURI FieldURI="item:Attachments"/>' +
        '<t:IndexedFieldURI FieldURI="contacts:EmailAddress" FieldIndex="EmailAddress1"/>' +
        '<t:ExtendedFieldURI PropertyTag="0x3A45" PropertyType="String"/>' +
        '</t:AdditionalProperties></m:ItemShape>';
      const contact = messagesOf((await getItem([itemId], shape)).xml)[0].Items.Contact;
      expect(Object.keys(contact).sort()).to.deep.equal(['Attachments', 'EmailAddresses', 'HasPicture', 'ItemId']);
    });

    it('gives the contact as a vCard in MimeContent, first, its photo in PHOTO, when item:MimeContent or IncludeMimeContent asks; no shape includes it', async () => {
      const asked = async (shape: string) => {
        const { res, xml } = await getItem([itemId], shape);
        return { text: res.text, contact: messagesOf(xml)[0].Items.Contact };
      };
      const { text, contact } = await asked(
        '<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:MimeContent"/></t:AdditionalProperties></m:ItemShape>',
      );
      expect(text).to.match(/<t:Contact><t:MimeContent CharacterSet="UTF-8">[A-Za-z0-9+/=]+<\/t:MimeContent><t:ItemId /);
      const vcard = Buffer.from(contact.MimeContent._, 'base64').toString('utf8');
      expect(vcard).to.match(/^BEGIN:VCARD\r\nVERSION:3\.0\r\n/);
      expect(vcard).to.include('\r\nFN:Lee Gu\r\n').and.include('\r\nEMAIL;TYPE=INTERNET,PREF:lee.gu@fabrikam.com\r\n').and.include('\r\nORG:Fabrikam');
      expect(vcard.endsWith('END:VCARD\r\n')).to.equal(true);
      // The photo attachment, as MS-OXVCARD exports it: the bytes GetAttachment serves.
      const photo = ICAL.Component.fromString(vcard).getFirstProperty('photo')!;
      expect([photo.getParameter('encoding'), photo.getParameter('type')]).to.deep.equal(['b', 'JPEG']);
      const attachmentId = messagesOf((await getItem([itemId])).xml)[0].Items.Contact.Attachments.FileAttachment.AttachmentId.$.Id;
      const attached = await call(`<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="${attachmentId}"/></m:AttachmentIds></m:GetAttachment>`);
      const content = attached.xml.Envelope.Body.GetAttachmentResponse.ResponseMessages.GetAttachmentResponseMessage.Attachments.FileAttachment.Content;
      expect(String(photo.getFirstValue())).to.equal(content);
      const included = await asked('<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent></m:ItemShape>');
      expect(included.contact.MimeContent._).to.equal(contact.MimeContent._);
      expect((await asked('<m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape>')).contact.MimeContent).to.equal(undefined);
    });

    it('gives only the dictionary members IndexedFieldURI names, in GetItem and in FindItem', async () => {
      await t.store.addContacts(mailbox, [
        {
          displayName: 'Quinn Baker',
          emailAddresses: ['quinn@work.example', 'quinn@home.example'],
          phones: { business: '+1 425 555 0111', mobile: '+1 425 555 0122' },
          refs: {},
        },
      ]);
      const { xml } = await call('<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>Quinn</m:UnresolvedEntry></m:ResolveNames>');
      const quinnId = xml.Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage.ResolutionSet.Resolution.Mailbox.ItemId.$.Id;
      const members = (...paths: [string, string][]) =>
        '<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>' +
        paths.map(([uri, index]) => `<t:IndexedFieldURI FieldURI="${uri}" FieldIndex="${index}"/>`).join('') +
        '</t:AdditionalProperties></m:ItemShape>';
      const entriesOf = (dictionary: { Entry: unknown } | undefined) => [dictionary?.Entry ?? []].flat().map((entry: any) => [entry.$.Key, entry._]);

      const second = messagesOf((await getItem([quinnId], members(['contacts:EmailAddress', 'EmailAddress2']))).xml)[0].Items.Contact;
      expect(Object.keys(second).sort()).to.deep.equal(['EmailAddresses', 'ItemId']);
      expect(entriesOf(second.EmailAddresses)).to.deep.equal([['EmailAddress2', 'quinn@home.example']]);

      const asked = members(['contacts:PhoneNumber', 'MobilePhone'], ['contacts:EmailAddress', 'EmailAddress1'], ['contacts:EmailAddress', 'EmailAddress3']);
      const several = messagesOf((await getItem([quinnId], asked)).xml)[0].Items.Contact;
      expect(entriesOf(several.EmailAddresses)).to.deep.equal([['EmailAddress1', 'quinn@work.example']]);
      expect(entriesOf(several.PhoneNumbers)).to.deep.equal([['MobilePhone', '+1 425 555 0122']]);

      const absent = messagesOf((await getItem([quinnId], members(['contacts:PhoneNumber', 'HomePhone']))).xml)[0].Items.Contact;
      expect(Object.keys(absent)).to.deep.equal(['ItemId']);

      const found = await call(
        `<m:FindItem Traversal="Shallow">${members(['contacts:EmailAddress', 'EmailAddress2'])}` +
          '<m:IndexedPageItemView MaxEntriesReturned="10" Offset="0" BasePoint="Beginning"/>' +
          '<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="contacts:DisplayName"/><t:FieldURIOrConstant><t:Constant Value="Quinn Baker"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>' +
          '<m:ParentFolderIds><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds></m:FindItem>',
      );
      const listed = found.xml.Envelope.Body.FindItemResponse.ResponseMessages.FindItemResponseMessage.RootFolder.Items.Contact;
      expect(entriesOf(listed.EmailAddresses)).to.deep.equal([['EmailAddress2', 'quinn@home.example']]);
    });

    it("answers one message per id: found, another mailbox's (not found), tampered (malformed), empty", async () => {
      const { xml: admin } = await call('<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>Private</m:UnresolvedEntry></m:ResolveNames>', ADMIN);
      const foreignId = admin.Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage.ResolutionSet.Resolution.Mailbox.ItemId.$.Id;
      const tampered = Buffer.from(itemId, 'base64');
      tampered[5]! ^= 1;
      const { res, xml } = await getItem([itemId, foreignId, tampered.toString('base64'), 'garbage!', '']);
      expect(res.status).to.equal(200);
      const messages = messagesOf(xml);
      expect(messages.map((m) => m.ResponseCode)).to.deep.equal([
        'NoError',
        'ErrorItemNotFound',
        'ErrorInvalidIdMalformed',
        'ErrorInvalidIdMalformed',
        'ErrorInvalidIdEmpty',
      ]);
      expect(messages[1].$.ResponseClass).to.equal('Error');
      expect(messages[1].Items).to.equal('');
    });

    it("changes the ChangeKey when the contact's photo changes, and gives the new photo a new AttachmentId: the old one's is gone", async () => {
      const shape =
        '<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Attachments"/></t:AdditionalProperties></m:ItemShape>';
      const contactNow = async () => messagesOf((await getItem([itemId], shape)).xml)[0].Items.Contact;
      const before = await contactNow();
      await t.bridge.photos.setPhoto(contactOwner(leeId), await samplePhoto(250, 250), 'test');
      const after = await contactNow();
      expect(after.ItemId.$.ChangeKey).to.not.equal(before.ItemId.$.ChangeKey);
      const [replaced, current] = [before, after].map((contact) => contact.Attachments.FileAttachment.AttachmentId.$.Id as string);
      expect(current).to.not.equal(replaced);
      // EWS changes no attachment in place (it has Create- and DeleteAttachment only): a photo replaced is an attachment
      // deleted. An id given before ids named their photo stands for the photo the contact holds: clients kept it across the upgrade.
      const unversioned = new ItemIds(await t.store.secret('item-ids', 32)).encode('contactPhoto', leeId);
      const { xml } = await call(
        `<m:GetAttachment><m:AttachmentIds>${[replaced, unversioned, current].map((id) => `<t:AttachmentId Id="${id}"/>`).join('')}</m:AttachmentIds></m:GetAttachment>`,
      );
      const messages = [xml.Envelope.Body.GetAttachmentResponse.ResponseMessages.GetAttachmentResponseMessage].flat();
      expect(messages.map((m) => m.ResponseCode)).to.deep.equal(['ErrorInvalidAttachmentId', 'NoError', 'NoError']);
      for (const message of messages.slice(1))
        expect((await sharp(Buffer.from(message.Attachments.FileAttachment.Content, 'base64')).metadata()).width).to.equal(250);
    });

    it('GetAttachment returns the photo bytes as one unbroken base64 string; other ids fail per item', async () => {
      const attachmentId = messagesOf((await getItem([itemId])).xml)[0].Items.Contact.Attachments.FileAttachment.AttachmentId.$.Id;
      const { res, xml } = await call(
        `<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="${attachmentId}"/><t:AttachmentId Id="${itemId}"/></m:AttachmentIds></m:GetAttachment>`,
      );
      const messages = [xml.Envelope.Body.GetAttachmentResponse.ResponseMessages.GetAttachmentResponseMessage].flat();
      expect(messages.map((m) => m.ResponseCode)).to.deep.equal(['NoError', 'ErrorInvalidIdMalformed']);
      const attachment = messages[0].Attachments.FileAttachment;
      expect(attachment.IsContactPhoto).to.equal('true');
      expect(attachment.Content).to.match(/^[A-Za-z0-9+/]+=*$/);
      const bytes = Buffer.from(attachment.Content, 'base64');
      expect(Number(attachment.Size)).to.equal(bytes.length);
      const meta = await sharp(bytes).metadata();
      expect([meta.format, meta.width, meta.height]).to.deep.equal(['jpeg', 250, 250]);
      expect(res.text).to.not.match(/<t:Content>[^<]*\n/);
      const other = await call(`<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="${attachmentId}"/></m:AttachmentIds></m:GetAttachment>`, ADMIN);
      expect(other.xml.Envelope.Body.GetAttachmentResponse.ResponseMessages.GetAttachmentResponseMessage.ResponseCode).to.equal('ErrorInvalidAttachmentId');
    });
  });
});
