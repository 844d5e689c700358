import { expect } from 'chai';
import sharp from 'sharp';
import request from 'supertest';
import { contactOwner, userOwner } from '../../src/domain/photo-owner.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { expectOnlyAllowed } from '../support/allowed-methods.js';
import { samplePhoto } from '../support/sample-images.js';
import { envelope, parseSoap } from '../support/soap.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const LIMITS = { maxInputBytes: 10_000_000, maxInputPixels: 40_000_000, jpegQuality: 85 };

describe('REST facade /api', () => {
  let t: TestBridge;
  let itemId: string;
  let attachmentId: string;
  let leeId: number;
  const reader = basic(READER);

  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([
      { email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} },
      { email: 'alex.wu@contoso.com', displayName: 'Alex Wu', refs: {} },
    ]);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(500, 500), 'test');
    [leeId] = (await t.store.addContacts(READER.username, [
      { displayName: 'Lee Gu', emailAddresses: ['lee@fabrikam.com'], phones: {}, refs: {}, photo: await normalizePhoto(await samplePhoto(300, 300), LIMITS) },
    ])) as [number];
    const resolved = await soap('<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>Lee</m:UnresolvedEntry></m:ResolveNames>');
    itemId = resolved.Envelope.Body.ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage.ResolutionSet.Resolution.Mailbox.ItemId.$.Id;
    attachmentId = await attachmentIdOf(itemId);
  });
  after(() => t.close());

  const soap = async (body: string) =>
    parseSoap((await request(t.bridge.server).post('/EWS/Exchange.asmx').set('Authorization', reader).send(envelope(body))).text);
  /** The AttachmentId of the contact's photo, as GetItem gives it. */
  const attachmentIdOf = async (id: string): Promise<string> => {
    const item = await soap(
      `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`,
    );
    return item.Envelope.Body.GetItemResponse.ResponseMessages.GetItemResponseMessage.Items.Contact.Attachments.FileAttachment.AttachmentId.$.Id;
  };

  const get = (path: string, authorization = reader) => request(t.bridge.server).get(path).set('Authorization', authorization).buffer(true);
  const widthOf = async (body: Buffer) => (await sharp(body).metadata()).width;

  it('resolves a name to exactly one person and returns their photo at the size asked for', async () => {
    const res = await get('/api/people/photo?name=alex.wil&size=HR120x120').expect(200).expect('content-type', 'image/jpeg');
    expect(await widthOf(res.body as Buffer)).to.equal(120);
    expect(res.headers.etag).to.match(/-120x120"$/);
    await get('/api/people/photo?name=alex.wil&size=HR120x120')
      .set('If-None-Match', res.headers.etag as string)
      .expect(304);
  });

  it("resolves the caller's contacts too, and SMTP: for an exact address", async () => {
    expect(await widthOf((await get('/api/people/photo?name=SMTP:lee@fabrikam.com').expect(200)).body as Buffer)).to.equal(300);
  });

  it('answers 409 for an ambiguous name, 404 for no match or no photo, 400 for a missing name or bad size', async () => {
    expect((await get('/api/people/photo?name=alex').expect(409)).text).to.match(/matches several people/);
    await get('/api/people/photo?name=nobody').expect(404);
    await get('/api/people/photo?name=Alex%20Wu').expect(404);
    await get('/api/people/photo').expect(400);
    await get('/api/people/photo?name=alex.wil&size=HR97x97').expect(400);
    await get('/api/people/photo?name=alex.wil&scope=Everywhere').expect(400);
  });

  it('refuses a size, name or scope given twice or in brackets with 400 naming it, as the REST photo URL does, rather than reading it as absent', async () => {
    const refused: [string, RegExp][] = [
      ['name=alex.wil&size=HR96x96&size=HR48x48', /the 'size' parameter is given more than once/],
      ['name=alex.wil&size[]=HR96x96', /the 'size' parameter takes one value \(size=…\), not 'size\[\]'/],
      ['name=alex.wil&scope=Contacts&scope=ActiveDirectory', /the 'scope' parameter is given more than once/],
      ['name=alex.wil&name=alex.wu', /the 'name' parameter is given more than once/],
      ['name[a]=alex.wil', /the 'name' parameter takes one value \(name=…\), not 'name\[a\]'/],
    ];
    for (const [query, reason] of refused) {
      const res = await get(`/api/people/photo?${query}`);
      expect(res.status, query).to.equal(400);
      expect(res.text, query).to.match(reason);
    }
    await get(`/api/contacts/${encodeURIComponent(itemId)}/photo?size=HR96x96&size=HR48x48`).expect(400, /the 'size' parameter is given more than once/);
    // Named in any case, as on the REST photo URL.
    expect(await widthOf((await get('/api/people/photo?Name=alex.wil&SIZE=HR96x96').expect(200)).body as Buffer)).to.equal(96);
  });

  it("returns a contact's photo by its ItemId, and an attachment's bytes by its AttachmentId", async () => {
    const photo = await get(`/api/contacts/${encodeURIComponent(itemId)}/photo?size=HR96x96`).expect(200);
    expect(await widthOf(photo.body as Buffer)).to.equal(96);
    const attachment = await get(`/api/attachments/${encodeURIComponent(attachmentId)}`).expect(200);
    expect(await widthOf(attachment.body as Buffer)).to.equal(300);
  });

  it("treats another mailbox's ids as missing and tampered ids as malformed", async () => {
    await get(`/api/contacts/${encodeURIComponent(itemId)}/photo`, basic(ADMIN)).expect(404);
    await get(`/api/attachments/${encodeURIComponent(attachmentId)}`, basic(ADMIN)).expect(404);
    const res = await get(`/api/contacts/${encodeURIComponent(attachmentId)}/photo`).expect(400);
    expect(res.headers['x-ews-response-code']).to.equal('ErrorInvalidIdMalformed');
    await get('/api/attachments/not-an-id').expect(400);
  });

  it('answers another method on its paths 405 naming GET and HEAD; HEAD as GET', async () => {
    // POST, PUT and DELETE were the 404 of a path the bridge does not have.
    for (const path of [
      '/api/openapi.json',
      '/api/people/photo',
      `/api/contacts/${encodeURIComponent(itemId)}/photo`,
      `/api/attachments/${encodeURIComponent(attachmentId)}`,
    ]) {
      const [post] = await expectOnlyAllowed(t.bridge.server, path, 'GET, HEAD', reader);
      expect([post!.headers['content-type'], post!.text]).to.deep.equal(['text/plain; charset=utf-8', 'use GET, HEAD\n']);
    }
    await request(t.bridge.server).head('/api/people/photo?name=alex.wil').set('Authorization', reader).expect(200).expect('content-type', 'image/jpeg');
  });

  it('requires credentials', async () => {
    const res = await request(t.bridge.server).get('/api/people/photo?name=alex.wil').expect(401);
    expect(res.headers['www-authenticate']).to.match(/^Basic realm=/);
  });

  it('sends Vary: Accept with every answer of its photo routes: a 401, a 405 and a 404 as a photo', async () => {
    for (const path of [
      '/api/people/photo?name=alex',
      `/api/contacts/${encodeURIComponent(itemId)}/photo`,
      `/api/attachments/${encodeURIComponent(attachmentId)}`,
    ]) {
      const refused = await request(t.bridge.server).get(path).set('Origin', 'https://elsewhere.example').expect(401);
      expect(refused.headers.vary, path).to.match(/\bAccept\b/);
      expect((await request(t.bridge.server).delete(path).set('Authorization', reader).expect(405)).headers.vary, path).to.match(/\bAccept\b/);
    }
    expect((await get('/api/people/photo?name=nobody').expect(404)).headers.vary).to.match(/\bAccept\b/);
    expect((await get('/api/people/photo?name=alex.wil').expect(200)).headers.vary).to.match(/\bAccept\b/);
  });

  it('serves its OpenAPI document, naming every facade path', async () => {
    const res = await request(t.bridge.server).get('/api/openapi.json').expect(200);
    expect(res.body.openapi).to.equal('3.1.0');
    expect(Object.keys(res.body.paths)).to.include.members([
      '/api/people/photo',
      '/api/contacts/{id}/photo',
      '/api/attachments/{id}',
      '/ews/exchange.asmx/s/GetUserPhoto',
    ]);
    // Made once: every answer the same bytes and ETag, and the ETag honoured.
    const again = await request(t.bridge.server).get('/api/openapi.json').expect(200);
    expect([again.text, again.headers.etag]).to.deep.equal([res.text, res.headers.etag]);
    await request(t.bridge.server).get('/api/openapi.json').set('If-None-Match', String(res.headers.etag)).expect(304);
  });

  it("answers a replaced photo's AttachmentId as a missing one, and the new photo's with its bytes", async () => {
    await t.bridge.photos.setPhoto(contactOwner(leeId), await samplePhoto(200, 200), 'test');
    const current = await attachmentIdOf(itemId);
    expect(current).to.not.equal(attachmentId);
    expect((await get(`/api/attachments/${encodeURIComponent(attachmentId)}`).expect(404)).headers['x-ews-response-code']).to.equal('ErrorItemNotFound');
    expect(await widthOf((await get(`/api/attachments/${encodeURIComponent(current)}`).expect(200)).body as Buffer)).to.equal(200);
  });
});
