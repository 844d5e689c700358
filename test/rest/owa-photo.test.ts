import { expect } from 'chai';
import sharp from 'sharp';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { samplePhoto } from '../support/sample-images.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const EWS_URL = '/ews/exchange.asmx/s/GetUserPhoto';
const OWA_URLS = ['/owa/service.svc/s/GetPersonaPhoto', '/owa/service.svc/s/GetUserPhoto'] as const;

describe('OWA photo URLs: /owa/service.svc/s/GetPersonaPhoto and GetUserPhoto', () => {
  let t: TestBridge;
  const reader = basic(READER);

  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([
      { email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} },
      { email: 'no.photo@contoso.com', displayName: 'No Photo', refs: {} },
    ]);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(800, 600), 'test');
  });
  after(() => t.close());

  const get = (url: string) => request(t.bridge.server).get(url).set('Authorization', reader);

  for (const path of OWA_URLS) {
    it(`${path} answers as the EWS REST URL does: the same bytes, type and ETag (OWA's UA and sc ignored)`, async () => {
      const ews = await get(`${EWS_URL}?email=alex.wilber@contoso.com&size=HR96x96`).buffer(true).expect(200);
      const owa = await get(`${path}?email=alex.wilber@contoso.com&UA=0&size=HR96x96&sc=1700000000000`).buffer(true).expect(200);
      expect(owa.headers['content-type']).to.equal('image/jpeg');
      expect(owa.headers.etag).to.equal(ews.headers.etag);
      expect(Buffer.compare(owa.body as Buffer, ews.body as Buffer)).to.equal(0);
      const meta = await sharp(owa.body as Buffer).metadata();
      expect([meta.width, meta.height]).to.deep.equal([96, 96]);
    });
  }

  it('matches the path case-insensitively, as IIS does', async () => {
    await get('/OWA/Service.svc/s/getpersonaphoto?email=Alex.Wilber@contoso.com&UA=0&size=HR48X48').expect(200).expect('content-type', 'image/jpeg');
  });

  it('answers 304 when If-None-Match holds the ETag', async () => {
    const url = `${OWA_URLS[0]}?email=alex.wilber@contoso.com&UA=0&size=HR64x64`;
    const first = await get(url).expect(200);
    const res = await get(url)
      .set('If-None-Match', first.headers.etag as string)
      .expect(304);
    expect(res.headers.etag).to.equal(first.headers.etag);
  });

  it('serves the largest available photo when no size is given', async () => {
    const res = await get(`${OWA_URLS[0]}?email=alex.wilber@contoso.com&UA=0`).buffer(true).expect(200);
    expect((await sharp(res.body as Buffer).metadata()).width).to.equal(486);
  });

  it('takes the conversion knobs of the EWS URL (type=PNG)', async () => {
    await get(`${OWA_URLS[0]}?email=alex.wilber@contoso.com&UA=0&size=HR48x48&type=PNG`).expect(200).expect('content-type', 'image/png');
  });

  describe('refuses as the EWS REST URL does, with the same statuses and one-line reasons', () => {
    const cases: [string, string, number, RegExp][] = [
      ['a user without a photo', 'email=no.photo@contoso.com&UA=0&size=HR96x96', 404, /no photo for 'no.photo@contoso.com'/],
      ['an unknown user', 'email=nobody@contoso.com&UA=0&size=HR96x96', 404, /no photo for 'nobody@contoso.com'/],
      ['an unknown size code', 'email=alex.wilber@contoso.com&UA=0&size=HR97x97', 400, /unknown size code 'HR97x97'/],
      ['a missing email', 'UA=0&size=HR96x96', 400, /'email' parameter is required/],
    ];
    for (const [what, query, status, reason] of cases) {
      it(`${what} → ${status}`, async () => {
        const res = await get(`${OWA_URLS[0]}?${query}`).expect(status);
        expect(res.headers['content-type']).to.match(/^text\/plain/);
        expect(res.text).to.match(reason);
      });
    }
  });

  it('asks for credentials (401 with the Basic challenge) and refuses other methods (405)', async () => {
    const res = await request(t.bridge.server).get(`${OWA_URLS[0]}?email=alex.wilber@contoso.com&UA=0&size=HR96x96`).expect(401);
    expect(res.headers['www-authenticate']).to.match(/^Basic realm=/);
    const post = await request(t.bridge.server).post(OWA_URLS[1]).set('Authorization', reader).send('x').expect(405);
    expect(post.headers.allow).to.equal('GET, HEAD');
  });
});
