import { expect } from 'chai';
import sharp from 'sharp';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { LARGEST_PHOTO_SIZE } from '../../src/domain/size-code.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { PERSONA_COLOURS, placeholderColour } from '../../src/photos/placeholder.js';
import { samplePhoto } from '../support/sample-images.js';
import { envelope, parseSoap } from '../support/soap.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const LIMITS = { maxInputBytes: 10_000_000, maxInputPixels: 40_000_000, jpegQuality: 85 };
const PHOTO_URL = '/ews/exchange.asmx/s/GetUserPhoto';

describe('image conversions on the photo routes (w, h, type, Accept, ifBlank)', () => {
  let t: TestBridge;
  let contactId: string;
  let blankContactId: string;
  let attachmentId: string;
  const reader = basic(READER);

  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([
      { email: 'diego.siciliani@contoso.com', displayName: 'Diego Siciliani', refs: {} },
      { email: 'lynne.robbins@contoso.com', displayName: 'Lynne Robbins', refs: {} },
      { email: 'megan.bowen@contoso.com', displayName: 'Megan Bowen', refs: {} },
      { email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} },
    ]);
    await t.bridge.photos.setPhoto(userOwner('diego.siciliani@contoso.com'), await samplePhoto(500, 500), 'test');
    await t.bridge.photos.setPhoto(userOwner('lynne.robbins@contoso.com'), await samplePhoto(400, 200), 'test');
    await t.store.addContacts(READER.username, [
      { displayName: 'Lee Gu', emailAddresses: ['lee@fabrikam.com'], phones: {}, refs: {}, photo: await normalizePhoto(await samplePhoto(300, 300), LIMITS) },
      { displayName: 'Nestor Wilke', emailAddresses: ['nestor@fabrikam.com'], phones: {}, refs: {} },
    ]);
    const soap = async (body: string) =>
      parseSoap((await request(t.bridge.server).post('/EWS/Exchange.asmx').set('Authorization', reader).send(envelope(body))).text);
    const itemIdOf = async (name: string): Promise<string> =>
      (await soap(`<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>${name}</m:UnresolvedEntry></m:ResolveNames>`)).Envelope.Body
        .ResolveNamesResponse.ResponseMessages.ResolveNamesResponseMessage.ResolutionSet.Resolution.Mailbox.ItemId.$.Id;
    contactId = await itemIdOf('Lee');
    blankContactId = await itemIdOf('Nestor');
    const item = await soap(
      `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${contactId}"/></m:ItemIds></m:GetItem>`,
    );
    attachmentId = item.Envelope.Body.GetItemResponse.ResponseMessages.GetItemResponseMessage.Items.Contact.Attachments.FileAttachment.AttachmentId.$.Id;
  });
  after(() => t.close());

  const get = (path: string) => request(t.bridge.server).get(path).set('Authorization', reader).buffer(true);
  const userPhoto = (email: string, query = '') => get(`${PHOTO_URL}?email=${email}${query}`);
  const imageOf = async (res: request.Response) => {
    const bytes = res.body as Buffer;
    const { format, width, height, hasAlpha } = await sharp(bytes).metadata();
    return { format, width, height, hasAlpha, bytes };
  };
  /** The top-left pixel as #rrggbb plus alpha. */
  const cornerOf = async (bytes: Buffer) => {
    const { data } = await sharp(bytes).ensureAlpha().extract({ left: 0, top: 0, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
    return { colour: `#${[data[0]!, data[1]!, data[2]!].map((value) => value.toString(16).padStart(2, '0')).join('')}`, alpha: data[3] };
  };

  describe('w and h', () => {
    it('fit the square rendition inside the box, keeping its shape', async () => {
      // Lynne's 400x200 photo: the largest square is 200x200, then fitted into the box.
      expect(await imageOf(await userPhoto('lynne.robbins@contoso.com', '&w=100&h=50').expect(200))).to.include({ width: 50, height: 50 });
      expect(await imageOf(await userPhoto('lynne.robbins@contoso.com', '&h=40').expect(200))).to.include({ width: 40, height: 40 });
      expect(await imageOf(await userPhoto('diego.siciliani@contoso.com', '&size=HR240x240&w=80').expect(200))).to.include({ width: 80, height: 80 });
    });

    it('never upscale: not beyond the size code, nor beyond the original', async () => {
      expect(await imageOf(await userPhoto('diego.siciliani@contoso.com', '&size=HR96x96&w=300&h=300').expect(200))).to.include({ width: 96, height: 96 });
      expect(await imageOf(await get(`/api/contacts/${encodeURIComponent(contactId)}/photo?w=600`).expect(200))).to.include({ width: 300, height: 300 });
    });

    for (const bad of ['w=0', 'w=100000', 'w=abc', 'h=-5', 'w=1.5', 'w=649', 'h=']) {
      it(`rejects ${bad} with 400 and a one-line reason`, async () => {
        const res = await userPhoto('diego.siciliani@contoso.com', `&${bad}`).expect(400);
        expect(res.headers['x-ews-response-code']).to.equal('ErrorInvalidRequest');
        expect(res.text).to.match(/^'[wh]' must be a whole number of pixels from 1 to 648, not '.*'\n$/);
      });
    }
  });

  describe('type and Accept', () => {
    it('encodes as PNG, GIF or WEBP when asked, whatever the case', async () => {
      for (const [type, format] of [
        ['PNG', 'png'],
        ['gif', 'gif'],
        ['WebP', 'webp'],
      ] as const) {
        const res = await userPhoto('diego.siciliani@contoso.com', `&size=HR64x64&type=${type}`).expect(200).expect('content-type', `image/${format}`);
        expect(await imageOf(res)).to.include({ format, width: 64, height: 64 });
      }
    });

    it('encodes as AVIF when asked: an ISO-BMFF file of brand avif, AV1-coded, at the size asked for', async () => {
      for (const query of ['&size=HR64x64&type=AVIF', '&size=HR240x240&w=100&h=80&type=avif']) {
        const res = await userPhoto('diego.siciliani@contoso.com', query).expect(200).expect('content-type', 'image/avif');
        const bytes = res.body as Buffer;
        expect(bytes.toString('latin1', 4, 12), query).to.equal('ftypavif');
        const { format, compression, width, height } = await sharp(bytes).metadata();
        expect({ format, compression }).to.deep.equal({ format: 'heif', compression: 'av1' });
        expect([width, height], query).to.deep.equal(query.includes('w=100') ? [80, 80] : [64, 64]);
      }
    });

    it('treats type=JPEG as no conversion at all: the same bytes and ETag as the plain URL', async () => {
      const plain = await userPhoto('diego.siciliani@contoso.com', '&size=HR96x96').expect(200);
      const jpeg = await userPhoto('diego.siciliani@contoso.com', '&size=HR96x96&type=JPEG').expect(200).expect('content-type', 'image/jpeg');
      expect(jpeg.headers.etag).to.equal(plain.headers.etag);
      expect(Buffer.compare(jpeg.body as Buffer, plain.body as Buffer)).to.equal(0);
    });

    it('rejects type=BMP with 400', async () => {
      const res = await userPhoto('diego.siciliani@contoso.com', '&type=BMP').expect(400);
      expect(res.text).to.equal("unknown image type 'BMP'; use one of JPEG, PNG, GIF, WEBP, AVIF\n");
      await get(`/api/contacts/${encodeURIComponent(contactId)}/photo?type=BMP`).expect(400);
    });

    it('picks the format from Accept when type is absent, JPEG on any tie or when nothing offered is acceptable', async () => {
      const formatFor = async (accept: string) =>
        (await imageOf(await userPhoto('diego.siciliani@contoso.com', '&size=HR48x48').set('Accept', accept).expect(200))).format;
      // Browsers' own Accept for images: Chromium's and Firefox's list AVIF first, Safari's WebP.
      expect(await formatFor('image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8')).to.equal('heif');
      expect(await formatFor('image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5')).to.equal('heif');
      expect(
        await formatFor('image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5'),
      ).to.equal('webp');
      expect(await formatFor('image/avif;q=0.9,image/webp;q=0.8,*/*;q=0.5')).to.equal('heif');
      expect(await formatFor('image/png')).to.equal('png');
      expect(await formatFor('image/gif, image/png;q=0.5')).to.equal('gif');
      // Named as much as another, JPEG wins, as Exchange sends it whatever Accept says: Java's HttpURLConnection, Internet Explorer.
      expect(await formatFor('text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2')).to.equal('jpeg');
      expect(await formatFor('image/gif, image/jpeg, image/pjpeg, application/x-ms-application, application/xaml+xml, application/x-ms-xbap, */*')).to.equal(
        'jpeg',
      );
      expect(await formatFor('image/png, image/jpeg')).to.equal('jpeg');
      expect(await formatFor('image/png, image/jpeg;q=0.9')).to.equal('png');
      expect(await formatFor('image/jpeg;q=0, image/*')).to.equal('png');
      // A q that is no qvalue skips its range; blanks around its = are forgiven.
      expect(await formatFor('image/png;q=0.9, image/webp;q = 0.8')).to.equal('png');
      expect(await formatFor('image/webp;q=0x1, image/png;q=0.9')).to.equal('png');
      expect(await formatFor('image/webp;q=1e0, image/png;q=0.9')).to.equal('png');
      expect(await formatFor('image/webp;q=, image/png;q=0.9')).to.equal('png');
      expect(await formatFor('*/*')).to.equal('jpeg');
      expect(await formatFor('image/*')).to.equal('jpeg');
      expect(await formatFor('text/html')).to.equal('jpeg');
      // Longer than any client's: not parsed (a crafted one cost the event loop ten answers' worth).
      expect(await formatFor(`image/png,${'image/x-filler,'.repeat(70)}text/html`)).to.equal('jpeg');
      expect(await formatFor(`image/png,${'image/x-filler,'.repeat(60)}text/html`)).to.equal('png');
    });

    it('lets type override Accept', async () => {
      const res = await userPhoto('diego.siciliani@contoso.com', '&size=HR48x48&type=png').set('Accept', 'image/webp').expect(200);
      expect((await imageOf(res)).format).to.equal('png');
    });

    it('sends Vary: Accept on every answer of every photo route, errors and 304s included', async () => {
      const plain = await userPhoto('diego.siciliani@contoso.com').expect(200);
      const answers = [
        plain,
        await userPhoto('diego.siciliani@contoso.com')
          .set('If-None-Match', plain.headers.etag as string)
          .expect(304),
        await userPhoto('megan.bowen@contoso.com').expect(404),
        await userPhoto('diego.siciliani@contoso.com', '&w=0').expect(400),
        await get('/api/people/photo?name=diego&type=png').expect(200),
        await get('/api/people/photo?name=nobody').expect(404),
        await get(`/api/contacts/${encodeURIComponent(contactId)}/photo`).expect(200),
        await get(`/api/attachments/${encodeURIComponent(attachmentId)}?type=webp`)
          .expect(200)
          .expect('content-type', 'image/webp'),
      ];
      answers.forEach((res, index) => expect(res.headers.vary, `answer ${index} (${res.status})`).to.match(/\bAccept\b/));
    });

    it('adds Accept to the Vary that CORS sets, instead of replacing it', async () => {
      const cors = await startTestBridge({ BRIDGE_CORS_ORIGINS: 'https://addin.example' });
      try {
        await cors.store.upsertUsers([{ email: 'megan.bowen@contoso.com', displayName: 'Megan Bowen', refs: {} }]);
        for (const query of ['', '&ifBlank=ClearPixel', '&w=0']) {
          const res = await request(cors.bridge.server)
            .get(`${PHOTO_URL}?email=megan.bowen@contoso.com${query}`)
            .set('Authorization', reader)
            .set('Origin', 'https://addin.example');
          expect(res.headers.vary, query).to.equal('Origin, Accept');
        }
      } finally {
        await cors.close();
      }
    });
  });

  describe('ETags', () => {
    it('give each rendition its own strong ETag naming the conversion, each answering its own If-None-Match with 304', async () => {
      const queries = [
        '&size=HR240x240',
        '&size=HR240x240&w=80',
        '&size=HR240x240&w=80&type=png',
        '&size=HR240x240&type=png',
        '&size=HR240x240&w=80&h=60&type=webp',
      ];
      const etags: string[] = [];
      for (const query of queries) {
        const etag = (await userPhoto('diego.siciliani@contoso.com', query).expect(200)).headers.etag as string;
        await userPhoto('diego.siciliani@contoso.com', query).set('If-None-Match', etag).expect(304);
        etags.push(etag);
      }
      expect(new Set(etags).size).to.equal(queries.length);
      expect(etags[2]).to.match(/^"[0-9a-f]{32}-240x240-w80-png"$/);
      expect(etags[4]).to.match(/^"[0-9a-f]{32}-240x240-w80h60-webp"$/);
      await userPhoto('diego.siciliani@contoso.com', '&size=HR240x240&type=png').set('If-None-Match', etags[0]!).expect(200);
    });

    it('serves a box no smaller than the side served as the plain rendition: the same bytes and ETag, no second encode', async () => {
      // Diego's photo is 500 px: HR648x648 serves 500x500, which w=500, w=647 or h=600 do not shrink.
      const plain = await userPhoto('diego.siciliani@contoso.com', '&size=HR648x648').expect(200);
      const encodes = t.bridge.photos.stats.renditionMisses;
      for (const box of ['&w=500', '&w=647', '&h=600', '&w=647&h=500']) {
        const boxed = await userPhoto('diego.siciliani@contoso.com', `&size=HR648x648${box}`).expect(200);
        expect([boxed.headers.etag, Buffer.compare(boxed.body as Buffer, plain.body as Buffer)], box).to.deep.equal([plain.headers.etag, 0]);
      }
      expect(t.bridge.photos.stats.renditionMisses).to.equal(encodes);
      // One side that does shrink it is a conversion of its own; the other, bounding nothing, is left out of its ETag.
      const shrunk = await userPhoto('diego.siciliani@contoso.com', '&size=HR648x648&w=499&h=600').expect(200);
      expect(shrunk.headers.etag).to.match(/^"[0-9a-f]{32}-500x500-w499-jpeg"$/);
      expect(await imageOf(shrunk)).to.include({ width: 499, height: 499 });
    });

    it('keeps a conversion in the rendition cache, where the hot path finds it', async () => {
      await userPhoto('diego.siciliani@contoso.com', '&size=HR120x120&w=50&type=gif').expect(200);
      const cached = t.bridge.photos.cachedPhoto(userOwner('diego.siciliani@contoso.com'), 120, { width: 50, type: 'gif' });
      expect(cached).to.include({ contentType: 'image/gif', width: 50, height: 50 });
    });
  });

  it('documents w, h, type and ifBlank on every photo route in the OpenAPI document', async () => {
    const { paths } = (await request(t.bridge.server).get('/api/openapi.json').expect(200)).body as {
      paths: Record<string, { get: { parameters: { name: string }[] } }>;
    };
    for (const path of [PHOTO_URL, '/api/people/photo', '/api/contacts/{id}/photo', '/api/attachments/{id}']) {
      expect(
        paths[path]!.get.parameters.map((parameter) => parameter.name),
        path,
      ).to.include.members(['w', 'h', 'type', 'ifBlank']);
    }
  });

  describe('ifBlank, for people without a photo', () => {
    it('answers 404 by default and for Null', async () => {
      await userPhoto('megan.bowen@contoso.com').expect(404);
      await userPhoto('megan.bowen@contoso.com', '&ifBlank=Null&type=png').expect(404);
    });

    it('rejects an unknown ifBlank with 400, even for someone with a photo', async () => {
      const res = await userPhoto('diego.siciliani@contoso.com', '&ifBlank=Sometimes').expect(400);
      expect(res.text).to.match(/^unknown ifBlank 'Sometimes'; use one of Null, ClearPixel, SrNoPhoto, SrNoPhotoWithBorder, GenericFileIcon, Default\n$/);
      await get('/api/people/photo?name=nobody&ifBlank=Sometimes').expect(400);
    });

    it('sends a photo as usual when there is one', async () => {
      const res = await userPhoto('diego.siciliani@contoso.com', '&size=HR64x64&ifBlank=ClearPixel').expect(200);
      expect(await imageOf(res)).to.include({ format: 'jpeg', width: 64, height: 64 });
    });

    it('ClearPixel: a 1×1 transparent image in the type asked for, white for JPEG', async () => {
      for (const format of ['png', 'gif', 'webp'] as const) {
        const res = await userPhoto('megan.bowen@contoso.com', `&ifBlank=ClearPixel&type=${format}`).expect(200).expect('content-type', `image/${format}`);
        const image = await imageOf(res);
        expect(image).to.include({ format, width: 1, height: 1, hasAlpha: true });
        expect((await cornerOf(image.bytes)).alpha).to.equal(0);
      }
      const jpeg = await imageOf(await userPhoto('megan.bowen@contoso.com', '&ifBlank=ClearPixel').expect(200).expect('content-type', 'image/jpeg'));
      expect(jpeg).to.include({ format: 'jpeg', width: 1, height: 1 });
      expect((await cornerOf(jpeg.bytes)).colour).to.equal('#ffffff');
    });

    it('SrNoPhoto: initials on the colour derived from the name, at the size asked for', async () => {
      const megan = await imageOf(await userPhoto('megan.bowen@contoso.com', '&size=HR96x96&ifBlank=SrNoPhoto&type=png').expect(200));
      const alex = await imageOf(await userPhoto('alex.wilber@contoso.com', '&size=HR96x96&ifBlank=SrNoPhoto&type=png').expect(200));
      expect(megan).to.include({ format: 'png', width: 96, height: 96 });
      expect(alex).to.include({ format: 'png', width: 96, height: 96 });
      expect((await cornerOf(megan.bytes)).colour).to.equal(placeholderColour('Megan Bowen'));
      expect((await cornerOf(alex.bytes)).colour).to.equal(placeholderColour('Alex Wilber'));
      expect(placeholderColour('Megan Bowen')).to.not.equal(placeholderColour('Alex Wilber'));
      // The initials are drawn in white over the coloured ground.
      const { channels } = await sharp(megan.bytes).stats();
      expect(channels.slice(0, 3).map((channel) => channel.max)).to.deep.equal([255, 255, 255]);
    });

    it('draws the placeholder anew when the name changes, ignoring case and spacing', async () => {
      const render = async (name: string) => {
        await t.store.upsertUsers([{ email: 'renamed@contoso.com', displayName: name, refs: {} }]);
        return (await userPhoto('renamed@contoso.com', '&size=HR64x64&ifBlank=SrNoPhoto&type=png').expect(200)).body as Buffer;
      };
      const first = await render('Megan Bowen');
      const renamed = await render('megan bowen ');
      expect(Buffer.compare(first, renamed), 'the colour and initials ignore case and spaces').to.equal(0);
      const other = await render('Zoe Quinn');
      expect(Buffer.compare(first, other)).to.not.equal(0);
    });

    it('Default is SrNoPhoto; SrNoPhotoWithBorder adds a white frame; GenericFileIcon is a grey person', async () => {
      const srNoPhoto = await userPhoto('megan.bowen@contoso.com', '&size=HR64x64&ifBlank=SrNoPhoto').expect(200);
      const byDefault = await userPhoto('megan.bowen@contoso.com', '&size=HR64x64&ifBlank=Default').expect(200);
      expect(byDefault.headers.etag).to.equal(srNoPhoto.headers.etag);
      expect(Buffer.compare(byDefault.body as Buffer, srNoPhoto.body as Buffer)).to.equal(0);

      const bordered = await imageOf(await userPhoto('megan.bowen@contoso.com', '&size=HR64x64&ifBlank=SrNoPhotoWithBorder&type=png').expect(200));
      expect(bordered).to.include({ width: 64, height: 64 });
      expect((await cornerOf(bordered.bytes)).colour).to.equal('#ffffff');

      const icon = await imageOf(await userPhoto('megan.bowen@contoso.com', '&size=HR64x64&ifBlank=GenericFileIcon&type=png').expect(200));
      expect(icon).to.include({ width: 64, height: 64 });
      expect((await cornerOf(icon.bytes)).colour).to.equal('#e1dfdd');
    });

    it('fits placeholders into w and h too, never above the size code, in any type', async () => {
      expect(await imageOf(await userPhoto('megan.bowen@contoso.com', '&ifBlank=SrNoPhoto&w=40&h=60&type=webp').expect(200))).to.include({
        format: 'webp',
        width: 40,
        height: 40,
      });
      expect(await imageOf(await userPhoto('megan.bowen@contoso.com', '&size=HR48x48&ifBlank=SrNoPhoto&w=200').expect(200))).to.include({
        format: 'jpeg',
        width: 48,
        height: 48,
      });
      expect(await imageOf(await userPhoto('megan.bowen@contoso.com', '&ifBlank=GenericFileIcon').expect(200))).to.include({
        width: LARGEST_PHOTO_SIZE,
        height: LARGEST_PHOTO_SIZE,
      });
    });

    it('gives placeholders their own ETags, with 304 on a match', async () => {
      const etags: string[] = [];
      for (const query of [
        '&ifBlank=SrNoPhoto',
        '&ifBlank=SrNoPhoto&type=png',
        '&ifBlank=SrNoPhoto&w=50',
        '&ifBlank=ClearPixel',
        '&ifBlank=GenericFileIcon',
        '&ifBlank=SrNoPhotoWithBorder',
      ]) {
        const etag = (await userPhoto('megan.bowen@contoso.com', query).expect(200)).headers.etag as string;
        await userPhoto('megan.bowen@contoso.com', query).set('If-None-Match', etag).expect(304);
        etags.push(etag);
      }
      expect(new Set(etags).size).to.equal(etags.length);
      const alex = (await userPhoto('alex.wilber@contoso.com', '&ifBlank=SrNoPhoto').expect(200)).headers.etag as string;
      expect(etags).to.not.include(alex);
    });

    it('draws one placeholder per look, however many names share it: the placeholders of 60 unknown addresses', async () => {
      const before = t.bridge.photos.renditionCache.entries;
      const etags = new Set<string>();
      for (let i = 0; i < 60; i++) {
        etags.add(
          (await userPhoto(`zz${i}@unknown.example`, '&ifBlank=SrNoPhoto&type=png').expect(200).expect('content-type', 'image/png')).headers.etag as string,
        );
      }
      // The initials are the same for every one of these names; only the colour differs, one of the persona colours.
      expect(etags.size).to.be.within(2, PERSONA_COLOURS.length);
      expect(t.bridge.photos.renditionCache.entries - before).to.equal(etags.size);
    });

    it('works on the facade too: a resolved person, and a contact by its ItemId', async () => {
      const person = await imageOf(await get('/api/people/photo?name=megan&size=HR64x64&ifBlank=SrNoPhoto&type=png').expect(200));
      expect(person).to.include({ width: 64, height: 64 });
      expect((await cornerOf(person.bytes)).colour).to.equal(placeholderColour('Megan Bowen'));

      await get(`/api/contacts/${encodeURIComponent(blankContactId)}/photo`).expect(404);
      const contact = await imageOf(
        await get(`/api/contacts/${encodeURIComponent(blankContactId)}/photo?ifBlank=SrNoPhoto&w=32&type=gif`)
          .expect(200)
          .expect('content-type', 'image/gif'),
      );
      expect(contact).to.include({ format: 'gif', width: 32, height: 32 });
      expect((await cornerOf(contact.bytes)).colour).to.equal(placeholderColour('Nestor Wilke'));
    });
  });
});
