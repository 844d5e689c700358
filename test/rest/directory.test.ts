import { expect } from 'chai';
import request from 'supertest';
import type { DirectoryUser } from '../../src/domain/directory.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { MAX_BROWSED_PEOPLE } from '../../src/rest/directory-routes.js';
import { expectOnlyAllowed } from '../support/allowed-methods.js';
import { samplePhoto } from '../support/sample-images.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const DIRECTORY_SIZE = 10_000;

function employee(i: number): DirectoryUser {
  const n = String(i).padStart(5, '0');
  return {
    email: `person${n}@contoso.com`,
    displayName: `Person ${n}`,
    department: i % 10 === 0 ? 'Finance' : 'Engineering',
    title: i % 7 === 0 ? 'Architect' : 'Developer',
    refs: {},
  };
}

describe('directory search /api/people and the page at /', () => {
  let t: TestBridge;
  const reader = basic(READER);

  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers(Array.from({ length: DIRECTORY_SIZE }, (_, i) => employee(i)));
    await t.store.upsertUsers([{ email: 'percent@contoso.com', displayName: 'Hundred % Sure', department: 'R&D', refs: {} }]);
    await t.bridge.photos.setPhoto(userOwner('person00001@contoso.com'), await samplePhoto(200, 200), 'test');
  });
  after(() => t.close());

  const get = (path: string, authorization = reader) => request(t.bridge.server).get(path).set('Authorization', authorization);

  it('pages through the first ten thousand people in name order, saying whether more follow', async () => {
    const first = (await get('/api/people?limit=3').expect(200).expect('content-type', /json/)).body;
    expect(first.people.map((p: { email: string }) => p.email)).to.deep.equal(['percent@contoso.com', 'person00000@contoso.com', 'person00001@contoso.com']);
    expect(first.hasMore).to.equal(true);
    // 10,001 people: browsing ends at the 10,000th (MAX_BROWSED_PEOPLE); a search finds the last.
    const last = (await get(`/api/people?offset=${MAX_BROWSED_PEOPLE - 2}&limit=5`).expect(200)).body;
    expect(last.people.map((p: { email: string }) => p.email)).to.deep.equal(['person09997@contoso.com', 'person09998@contoso.com']);
    expect([last.hasMore, last.capped], 'the 10,001st is past the window').to.deep.equal([false, true]);
    expect((await get('/api/people?q=person09999').expect(200)).body.people).to.have.length(1);
  });

  it('matches name, address, department and title anywhere, case-insensitively', async () => {
    expect((await get('/api/people?q=00042').expect(200)).body.people.map((p: { email: string }) => p.email)).to.deep.equal(['person00042@contoso.com']);
    expect((await get('/api/people?q=PERSON00043%40').expect(200)).body.people).to.have.length(1);
    const finance = (await get('/api/people?q=finance&limit=100').expect(200)).body;
    expect(finance.people).to.have.length(100);
    expect(finance.people.every((p: { department: string }) => p.department === 'Finance')).to.equal(true);
    const architects = (await get('/api/people?q=architect&limit=2').expect(200)).body;
    expect(architects.people.map((p: { title: string }) => p.title)).to.deep.equal(['Architect', 'Architect']);
  });

  it('writes its JSON with nosniff, so a search echoed in it is never read as HTML', async () => {
    const page = await get(`/api/people?q=${encodeURIComponent('<img src=x onerror=alert(1)>')}`).expect(200);
    expect([page.headers['content-type'], page.headers['x-content-type-options'], page.body.q]).to.deep.equal([
      'application/json; charset=utf-8',
      'nosniff',
      '<img src=x onerror=alert(1)>',
    ]);
  });

  it('searches words, so % and _ alone find no one rather than everyone', async () => {
    expect((await get('/api/people?q=%25').expect(200)).body.people).to.deep.equal([]);
    expect((await get('/api/people?q=_').expect(200)).body.people).to.deep.equal([]);
    expect((await get('/api/people?q=%25%20sure').expect(200)).body.people.map((p: { email: string }) => p.email)).to.deep.equal(['percent@contoso.com']);
  });

  it("gives each person's manager and direct reports as {email, displayName}", async () => {
    await t.store.upsertUsers([
      { email: 'boss@contoso.com', displayName: 'Boss Lady', refs: {} },
      { email: 'report@contoso.com', displayName: 'Report Person', manager: 'boss@contoso.com', refs: {} },
    ]);
    const [boss] = (await get('/api/people?q=boss%20lady').expect(200)).body.people;
    expect(boss).to.deep.include({ manager: null, directReports: [{ email: 'report@contoso.com', displayName: 'Report Person' }] });
    const [report] = (await get('/api/people?q=report%20person').expect(200)).body.people;
    expect(report).to.deep.include({ manager: { email: 'boss@contoso.com', displayName: 'Boss Lady' }, directReports: [] });
    await t.store.removeUser('report@contoso.com');
    await t.store.removeUser('boss@contoso.com');
  });

  it("gives a manager named by another of their addresses (a secondary proxy address) as the report's manager, and the report among theirs", async () => {
    await t.store.upsertUsers([{ email: 'report@contoso.com', displayName: 'Report Person', manager: 'Boss.Lady@corp.contoso.com', refs: {} }]);
    await t.store.upsertUsers([{ email: 'boss@contoso.com', displayName: 'Boss Lady', otherAddresses: ['boss.lady@corp.contoso.com'], refs: {} }]);
    try {
      const [boss] = (await get('/api/people?q=boss%20lady').expect(200)).body.people;
      expect(boss).to.deep.include({ directReports: [{ email: 'report@contoso.com', displayName: 'Report Person' }], directReportCount: 1 });
      const [report] = (await get('/api/people?q=report%20person').expect(200)).body.people;
      expect(report).to.deep.include({ manager: { email: 'boss@contoso.com', displayName: 'Boss Lady' } });
    } finally {
      await t.store.removeUser('report@contoso.com');
      await t.store.removeUser('boss@contoso.com');
    }
  });

  it("gives as a report's manager whoever owns the address they name now, and the report among theirs, once it changes hands", async () => {
    await t.store.upsertUsers([
      { email: 'report@contoso.com', displayName: 'Report Person', manager: 'ceo@contoso.com', refs: {} },
      { email: 'alice@contoso.com', displayName: 'Alice First', otherAddresses: ['ceo@contoso.com'], refs: {} },
      { email: 'bob@contoso.com', displayName: 'Bob Second', otherAddresses: ['ceo@contoso.com'], refs: {} },
    ]);
    const seen = async () => {
      const people = async (q: string) => (await get(`/api/people?q=${encodeURIComponent(q)}`).expect(200)).body.people as Record<string, unknown>[];
      const [alice, bob, report] = [(await people('alice first'))[0]!, (await people('bob second'))[0]!, (await people('report person'))[0]!];
      return [alice.directReportCount, bob.directReportCount, (report.manager as { email: string }).email];
    };
    try {
      expect(await seen()).to.deep.equal([1, 0, 'alice@contoso.com']);
      await t.store.upsertUsers([{ email: 'alice@contoso.com', displayName: 'Alice First', refs: {} }]);
      expect(await seen()).to.deep.equal([0, 1, 'bob@contoso.com']);
    } finally {
      for (const email of ['report@contoso.com', 'alice@contoso.com', 'bob@contoso.com']) await t.store.removeUser(email);
    }
  });

  it('gives each phone the tel: URI that dials it (RFC 3966), or null for one without a country code or that is no number', async () => {
    const dialled: [string, string | null][] = [
      ['+1 (425) 555-0100 ext. 1234', 'tel:+14255550100;ext=1234'],
      ['+49 (0)30 1234567-89', 'tel:+4930123456789'],
      ['+44 (0)20 7946 0958', 'tel:+442079460958'],
      ['+\u0669\u0667\u0661 \u0664 \u0661\u0662\u0663 \u0664\u0665\u0666\u0667', 'tel:+97141234567'],
      ['\uff0b\uff18\uff11 \uff13\uff0d\uff11\uff12\uff13\uff14\uff0d\uff15\uff16\uff17\uff18', 'tel:+81312345678'],
      ['1-800-FLOWERS', null],
      ['+1-800-FLOWERS', null],
      ['\uff10\uff13\uff0d\uff11\uff12\uff13\uff14\uff0d\uff15\uff16\uff17\uff18', null],
    ];
    const people = dialled.map(([phone], i) => ({
      email: `phone${i}@contoso.com`,
      displayName: `Phone Owner${i}`,
      businessPhone: phone,
      mobilePhone: phone,
      refs: {},
    }));
    await t.store.upsertUsers(people);
    for (const [i, [phone, uri]] of dialled.entries()) {
      const [person] = (await get(`/api/people?q=phone${i}`).expect(200)).body.people;
      expect(person, phone).to.deep.include({ businessPhone: phone, businessPhoneUri: uri, mobilePhone: phone, mobilePhoneUri: uri });
    }
    for (const person of people) await t.store.removeUser(person.email);
  });

  it('finds people by names as they are typed: an apostrophe or hyphen left out, a ZWNJ left out, a final Σ in capitals', async () => {
    const typed = [
      { email: 'mary.oneill@contoso.com', displayName: "Mary O'Neill", refs: {} },
      { email: 'mcdonald@contoso.com', displayName: 'Kirsten McDonald-Smith', refs: {} },
      { email: 'alireza@contoso.com', displayName: 'علی\u200cرضا رضایی', refs: {} },
      { email: 'kostas@contoso.com', displayName: 'Κώστας Σαμαράς', refs: {} },
    ];
    await t.store.upsertUsers(typed);
    const found = async (q: string) => (await get(`/api/people?q=${encodeURIComponent(q)}`).expect(200)).body.people.map((p: { email: string }) => p.email);
    for (const q of ['oneill', 'ONeill', "o'neill"]) expect(await found(q), q).to.deep.equal(['mary.oneill@contoso.com']);
    expect(await found('mcdonaldsmith')).to.deep.equal(['mcdonald@contoso.com']);
    expect(await found('علیرضا')).to.deep.equal(['alireza@contoso.com']);
    expect(await found('ΚΩΣ')).to.deep.equal(['kostas@contoso.com']);
    for (const { email } of typed) await t.store.removeUser(email);
  });

  it('says who has a photo, with a version that changes with the photo', async () => {
    const [withPhoto, without] = (await get('/api/people?q=person0000&limit=2').expect(200)).body.people.reverse();
    expect(without.photo).to.equal(null);
    expect(withPhoto.photo.version).to.match(/^[0-9a-f]{16}$/);
    await t.bridge.photos.setPhoto(userOwner('person00001@contoso.com'), await samplePhoto(210, 210), 'test');
    const [changed] = (await get('/api/people?q=person00001').expect(200)).body.people;
    expect(changed.photo.version).to.not.equal(withPhoto.photo.version);
  });

  it('refuses a search over 200 characters and bad paging with 400, a 5,000-character URL with 414, and anonymous callers with 401', async () => {
    expect((await get(`/api/people?q=${'a'.repeat(201)}`).expect(400)).text).to.match(/longer than 200/);
    await get(`/api/people?q=${'a'.repeat(5000)}`).expect(414);
    await get('/api/people?limit=0').expect(400);
    await get('/api/people?limit=101').expect(400);
    await get('/api/people?offset=-1').expect(400);
    // Number() read these as 2, 10 and 5.
    for (const query of ['offset=0x2', 'limit=1e1', 'limit=%20%205%20']) await get(`/api/people?${query}`).expect(400);
    await get('/api/people?q=a&q=b').expect(400);
    await request(t.bridge.server).get('/api/people').expect(401).expect('www-authenticate', /Basic/);
  });

  it('refuses q, offset or limit given twice or in brackets with 400 naming it, rather than browsing as if it were not there', async () => {
    const refused: [string, RegExp][] = [
      ['q[a]=person00042', /the 'q' parameter takes one value \(q=…\), not 'q\[a\]'/],
      ['q%5B%5D=person00042', /the 'q' parameter takes one value \(q=…\), not 'q\[\]'/],
      ['Q[]=person00042', /the 'q' parameter takes one value/],
      ['q=person00042&q=person00043', /the 'q' parameter is given more than once/],
      ['q=person00042&Q=person00043', /the 'q' parameter is given more than once/],
      ['limit[]=3', /the 'limit' parameter takes one value \(limit=…\), not 'limit\[\]'/],
      ['limit=3&limit=4', /the 'limit' parameter is given more than once/],
      ['offset[x]=1', /the 'offset' parameter takes one value \(offset=…\), not 'offset\[x\]'/],
    ];
    for (const [query, reason] of refused) {
      const res = await get(`/api/people?${query}`);
      expect(res.status, query).to.equal(400);
      expect(res.text, query).to.match(reason);
    }
    // Other parameters, brackets or not, are not the API's: left alone, as before.
    expect((await get('/api/people?q=person00042&_=1&x[a]=b').expect(200)).body.people).to.have.length(1);
  });

  it('tells the page who is calling, with which role, and the upload limit', async () => {
    const maxUploadBytes = 10 * 1024 * 1024;
    expect((await get('/api/me').expect(200)).body).to.deep.equal({ username: READER.username, role: 'user', maxUploadBytes });
    expect((await get('/api/me', basic(ADMIN)).expect(200)).body).to.deep.equal({ username: ADMIN.username, role: 'admin', maxUploadBytes });
  });

  it('serves the page behind the same credentials, with a strict CSP and revalidation', async () => {
    await request(t.bridge.server).get('/').expect(401).expect('www-authenticate', /Basic/);
    const page = await get('/')
      .expect(200)
      .expect('content-type', /text\/html/);
    expect(page.headers['content-security-policy']).to.include("script-src 'self'").and.include("default-src 'none'");
    expect(page.headers['cache-control']).to.equal('private, no-cache');
    expect(page.text).to.include('src="web/directory.js"');
    // Its icon declared and served, so a browser does not ask for /favicon.ico (a 404, logged as an error).
    expect(page.text).to.include('<link rel="icon" href="web/favicon.svg" type="image/svg+xml" />');
    await get('/web/favicon.svg')
      .expect(200)
      .expect('content-type', /^image\/svg\+xml/);
    await get('/')
      .set('If-Modified-Since', page.headers['last-modified'] as string)
      .expect(304);
    await get('/web/directory.js')
      .expect(200)
      .expect('content-type', /javascript/)
      .expect('content-security-policy', /script-src 'self'/);
    await get('/web/nothing-here.js').expect(404);
    // A file's name with a slash after it names a folder there is not: 404, not "use GET, HEAD" to a GET.
    // The files' names in another case are files there are not, as on the disk: 404, not "use GET, HEAD".
    // The page is at `/` alone: at /web/index.html its relative links named files there are not.
    for (const path of ['/web/directory.js/', '/web/directory.css/', '/web/DIRECTORY.JS', '/web/Directory.css', '/web/index.html']) {
      const res = await get(path).expect(404);
      expect(res.text).to.equal(`nothing at GET ${path}\n`);
    }
  });

  it('answers a Range on the page and its files with the whole file, and offers none: an If-Range with their weak ETag must not hold (RFC 9110 §13.1.5)', async () => {
    const script = await get('/web/directory.js').expect(200);
    expect(script.headers.etag).to.match(/^W\//);
    for (const path of ['/', '/web/directory.js']) {
      const whole = await get(path).expect(200);
      expect(whole.headers['accept-ranges']).to.equal(undefined);
      for (const conditions of [{}, { 'If-Range': script.headers.etag as string }, { 'If-Range': whole.headers['last-modified'] as string }]) {
        const res = await get(path).set('Range', 'bytes=0-9').set(conditions).expect(200);
        expect(res.text).to.equal(whole.text);
      }
    }
  });

  it('answers another method on its paths 405 naming GET and HEAD, as plain text as its other errors; HEAD as GET; a file it does not have stays 404', async () => {
    // POST, PUT and DELETE were the 404 of a path the bridge does not have.
    for (const path of ['/api/me', '/api/people', '/', '/web/directory.js', '/sign-out']) {
      const [post] = await expectOnlyAllowed(t.bridge.server, path, 'GET, HEAD', reader);
      expect([post!.headers['content-type'], post!.headers['x-ews-response-code'], post!.text]).to.deep.equal([
        'text/plain; charset=utf-8',
        'ErrorInvalidRequest',
        'use GET, HEAD\n',
      ]);
    }
    for (const path of ['/api/people?limit=3', '/', '/web/directory.js']) await request(t.bridge.server).head(path).set('Authorization', reader).expect(200);
    await request(t.bridge.server).post('/web/nothing-here.js').set('Authorization', reader).expect(404);
    await request(t.bridge.server).post('/web/index.html').set('Authorization', reader).expect(404);
    await request(t.bridge.server).post('/api/nothing-here').set('Authorization', reader).expect(404);
  });

  it('is documented in the OpenAPI document', async () => {
    const paths = (await get('/api/openapi.json').expect(200)).body.paths;
    expect(paths).to.include.keys('/api/people', '/api/me');
  });
});
