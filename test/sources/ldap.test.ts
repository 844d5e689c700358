import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import sharp from 'sharp';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { createLogger } from '../../src/logger.js';
import { ldapSource, LOOKUP_MAX_BYTES } from '../../src/sources/ldap.js';
import {
  CredentialsRefusedError,
  failureOf as failureKindOf,
  InconclusiveAnswerError,
  MisconfiguredSourceError,
  PermanentSourceError,
  type PhotoReference,
  type SourceAnswer,
  UnusableAnswerError,
} from '../../src/sources/photo-source.js';
import { samplePhoto } from '../support/sample-images.js';
import { resilient } from '../../src/sources/resilient-source.js';
import { BASE_DN, BINDS_RESTRICTED_DN, PEOPLE_DN, READER as LDAP_READER, startSlapd, type Slapd } from '../support/slapd.js';
import { envelope, parseSoap } from '../support/soap.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const person = (cn: string) => `cn=${cn},${PEOPLE_DN}`;
const user = (emails: string[], refs: Partial<PhotoReference> = {}): PhotoReference => ({ kind: 'user', emails, ...refs });
const photoBytes = (answer: SourceAnswer) => (answer.kind === 'photo' ? answer.bytes : undefined);
/** A JPEG made `bytes` long by bytes before its end marker, which decoders skip. */
const padded = (jpeg: Buffer, bytes: number) => Buffer.concat([jpeg.subarray(0, -2), Buffer.alloc(bytes - jpeg.length), jpeg.subarray(-2)]);
const NOT_AN_IMAGE = Buffer.from('not an image at all');

describe('LDAP / Active Directory source, against a real slapd', () => {
  let slapd: Slapd;
  const photos: Record<string, Buffer> = {};

  before(async () => {
    slapd = await startSlapd();
    const adUser = (cn: string, attributes: Record<string, string | string[] | Buffer>) =>
      slapd.add(person(cn), { objectClass: ['inetOrgPerson', 'adUser'], cn, sn: cn.split(' ').at(-1)!, ...attributes });
    for (const [name, width, height] of [
      ['ada', 96, 96],
      ['adaJpeg', 300, 200],
      ['bob', 240, 180],
      ['dee', 96, 96],
      ['eve', 96, 96],
      ['odd', 64, 64],
      ['fay', 96, 96],
      ['gus', 96, 96],
      ['hal', 80, 60],
      ['ivy', 48, 36],
      ['kim', 96, 96],
      ['newHire', 80, 80],
      ['lou', 96, 96],
      ['max', 72, 72],
      ['gil', 96, 96],
    ] as const) {
      photos[name] = await samplePhoto(width, height);
    }
    await adUser('Ada Lovelace', { mail: 'ada@example.com', thumbnailPhoto: photos.ada!, jpegPhoto: photos.adaJpeg!, proxyAddresses: 'SMTP:ada@example.com' });
    await adUser('Bob Jpeg', { mail: 'bob@example.com', jpegPhoto: photos.bob! });
    await adUser('Cyd Nophoto', { mail: 'cyd@example.com' });
    await adUser('Dee Proxy', {
      mail: 'dee@corp.example.com',
      proxyAddresses: ['SMTP:dee@corp.example.com', 'smtp:dee@legacy.example.org'],
      thumbnailPhoto: photos.dee!,
    });
    // Found only by the DN reference: the address searches look in mail and proxyAddresses.
    await adUser('Eve Nomail', { userPrincipalName: 'eve@example.com', thumbnailPhoto: photos.eve! });
    await adUser('Odd Address', { mail: 'odd(name)*@example.com', thumbnailPhoto: photos.odd! });
    await adUser('Fay Crowd', { mail: 'fay@example.com', thumbnailPhoto: photos.fay! });
    await adUser('Gus Stale', { mail: 'gus@example.com', thumbnailPhoto: photos.gus! });
    await adUser('Hal Wide', { mail: 'hal@example.com', thumbnailPhoto: photos.hal! });
    await adUser('Ivy Uploaded', { mail: 'ivy@example.com', thumbnailPhoto: photos.ivy! });
    await adUser('Jon Uploaded', { mail: 'jon@example.com' });
    // The DN an import stored for kim@ and ned@, given to someone else since; Kim's entry moved.
    await adUser('Kim Reused', { mail: 'new.hire@example.com', thumbnailPhoto: photos.newHire! });
    await adUser('Kim Moved', { mail: 'kim@example.com', thumbnailPhoto: photos.kim! });
    await adUser('Lou Renamed', {
      mail: 'lou.new@example.com',
      proxyAddresses: ['SMTP:lou.new@example.com', 'smtp:lou@example.org'],
      thumbnailPhoto: photos.lou!,
    });
    await adUser('Max Large', { mail: 'max@example.com', thumbnailPhoto: photos.max!, jpegPhoto: padded(photos.max!, 5 * 1024 * 1024) });
    // Each photo attribute under the byte limit of a read, together over it.
    await adUser('Pat Two', { mail: 'pat@example.com', thumbnailPhoto: Buffer.alloc(3 * 1024 * 1024, 0x20), jpegPhoto: padded(photos.max!, 3 * 1024 * 1024) });
    await adUser('Gil Garbage', { mail: 'gil@example.com', thumbnailPhoto: NOT_AN_IMAGE, jpegPhoto: photos.gil! });
    await adUser('Hob Garbage', { mail: 'hob@example.com', thumbnailPhoto: NOT_AN_IMAGE });
    // More entries share one address than a lookup may read (slapd gives the reader 3, sizeLimit 10); only the last has a photo.
    for (let n = 1; n <= 12; n++) await adUser(`Dup ${n}`, { mail: 'dup@example.com', ...(n === 12 ? { thumbnailPhoto: photos.ivy! } : {}) });
  });
  after(() => slapd?.dispose());

  const settings = (overrides: Record<string, unknown> = {}) =>
    ldapSource.schema.parse({ url: slapd.url, bindDn: LDAP_READER.dn, bindPassword: LDAP_READER.password, baseDn: BASE_DN, ...overrides });
  const source = (overrides: Record<string, unknown> = {}) => ldapSource.create('ad', settings(overrides), createLogger('silent'));
  const fetch = (reference: PhotoReference, overrides: Record<string, unknown> = {}) => source(overrides).fetch(reference, AbortSignal.timeout(5000));
  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.fail('expected the lookup to fail'),
      (error: Error) => error,
    );

  describe('settings', () => {
    const problems = (raw: Record<string, unknown>) =>
      ldapSource.schema
        .safeParse({ url: 'ldap://dc1.corp.example.com', baseDn: BASE_DN, ...raw })
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

    it('defaults to mail and proxyAddresses, thumbnailPhoto then jpegPhoto, photos in their own shape, anonymous and no TLS upgrade', () => {
      expect(ldapSource.schema.parse({ url: 'ldaps://dc1.corp.example.com:636', baseDn: BASE_DN }))
        .to.include({ startTls: false, sizeLimit: 10, keepShape: true })
        .and.deep.include({
          searchAttributes: ['mail', 'proxyAddresses'],
          photoAttributes: ['thumbnailPhoto', 'jpegPhoto'],
        });
    });

    it('refuses what cannot work, naming the setting', () => {
      expect(problems({ url: 'https://dc1' })).to.deep.equal(['url: must be ldap://host[:port] or ldaps://host[:port]']);
      expect(problems({ url: 'ldaps://dc1', startTls: true })).to.deep.equal(['startTls: is for ldap:// URLs; ldaps:// is TLS already']);
      expect(problems({ bindDn: LDAP_READER.dn })).to.deep.equal(['bindPassword: bindDn and bindPassword go together']);
      expect(problems({ userFilter: 'mail=*)' })).to.deep.equal(['userFilter: is not an LDAP filter']);
      expect(problems({ photoAttributes: ['thumbnail Photo'] })).to.deep.equal(['photoAttributes.0: is not an LDAP attribute name']);
      expect(problems({ bindPasword: 'typo' })?.[0]).to.match(/bindPasword/);
      // RFC 4516 LDAP URLs have no userinfo; one written with it bound anonymously and showed the password.
      for (const url of ['ldap://svc:Pa55word!@dc1.corp.example.com', 'ldaps://svc@dc1.corp.example.com:636']) {
        expect(problems({ url }), url).to.deep.equal(['url: must not hold a user or password (an LDAP URL has none): set bindDn and bindPassword']);
      }
    });
  });

  describe('lookups', () => {
    it("reads thumbnailPhoto as binary, byte for byte, for the entry with the person's mail", async () => {
      expect(photoBytes(await fetch(user(['ada@example.com'])))).to.deep.equal(photos.ada);
    });

    it('falls back to jpegPhoto, and follows the configured order of photo attributes', async () => {
      expect(photoBytes(await fetch(user(['bob@example.com'])))).to.deep.equal(photos.bob);
      expect(photoBytes(await fetch(user(['ada@example.com']), { photoAttributes: ['jpegPhoto', 'thumbnailPhoto'] }))).to.deep.equal(photos.adaJpeg);
    });

    it('answers "no photo" for an entry without photo attributes, and for an address no entry has', async () => {
      expect(await fetch(user(['cyd@example.com']))).to.deep.equal({ kind: 'none' });
      expect(await fetch(user(['nobody@example.com']))).to.deep.equal({ kind: 'none' });
    });

    it('finds a person by a proxyAddresses address, primary (SMTP:) or secondary (smtp:)', async () => {
      expect(photoBytes(await fetch(user(['dee@legacy.example.org'])))).to.deep.equal(photos.dee);
      expect(photoBytes(await fetch(user(['dee@corp.example.com']), { searchAttributes: ['proxyAddresses'] }))).to.deep.equal(photos.dee);
      expect(await fetch(user(['dee@legacy.example.org']), { searchAttributes: ['mail'] })).to.deep.equal({ kind: 'none' });
    });

    it('reads the entry an LDAP DN reference names, and falls back to the addresses when the DN is gone or referred', async () => {
      expect(photoBytes(await fetch(user(['eve@example.com'], { ldapDn: person('Eve Nomail') })))).to.deep.equal(photos.eve);
      expect(photoBytes(await fetch(user(['ada@example.com'], { ldapDn: person('Moved Away') })))).to.deep.equal(photos.ada);
      expect(await fetch(user(['nobody@example.com'], { ldapDn: person('Moved Away') }))).to.deep.equal({ kind: 'none' });
      expect(await fetch(user(['nobody@example.com'], { ldapDn: 'not a DN' }))).to.deep.equal({ kind: 'none' });
      // Another domain's DN, as a Global Catalog import wrote it: the directory refers it elsewhere.
      expect(photoBytes(await fetch(user(['ada@example.com'], { ldapDn: 'CN=Ada,OU=People,DC=child,DC=example,DC=org' })))).to.deep.equal(photos.ada);
    });

    it("takes the entry a DN names only when it holds one of the person's addresses, else searches by address", async () => {
      // AD gave the CN to someone else: the photo is the person's own, found by address, or none.
      expect(photoBytes(await fetch(user(['kim@example.com'], { ldapDn: person('Kim Reused') })))).to.deep.equal(photos.kim);
      expect(await fetch(user(['ned@example.com'], { ldapDn: person('Kim Reused') }))).to.deep.equal({ kind: 'none' });
      expect(photoBytes(await fetch(user([], { ldapDn: person('Eve Nomail') }))), 'known by the DN alone: nothing else to tell them by').to.deep.equal(
        photos.eve,
      );
      // An address the store knows besides the primary one (a secondary proxy address, in AD's smtp: form) is theirs too.
      const lou = user(['lou@example.com'], { ldapDn: person('Lou Renamed'), otherAddresses: ['lou@example.org'] });
      expect(photoBytes(await fetch(lou))).to.deep.equal(photos.lou);
      expect(await fetch({ ...lou, otherAddresses: [] })).to.deep.equal({ kind: 'none' });
      expect(photoBytes(await fetch(user(['LOU@example.org'], { ldapDn: person('Lou Renamed') })))).to.deep.equal(photos.lou);
    });

    it('reads the photo attributes one at a time: a large jpegPhoto does not hide the thumbnailPhoto, and each read has the byte limit', async () => {
      const searchesBefore = await slapd.searches();
      expect(photoBytes(await fetch(user(['max@example.com'])))).to.deep.equal(photos.max);
      expect((await slapd.searches()) - searchesBefore, 'the thumbnail answers: no second read').to.equal(1);
      expect(photoBytes(await fetch(user(['pat@example.com'])))).to.deep.equal(padded(photos.max!, 3 * 1024 * 1024));
      const tooLarge = await failureOf(fetch(user(['max@example.com']), { photoAttributes: ['jpegPhoto', 'thumbnailPhoto'] }));
      expect(tooLarge).to.be.instanceOf(PermanentSourceError);
      expect(tooLarge.message).to.equal(`the directory sent more than ${LOOKUP_MAX_BYTES} bytes for one read of a photo lookup`);
    });

    it('passes over a photo attribute that is no image for the next one, and fails as unusable when none is one', async () => {
      expect(photoBytes(await fetch(user(['gil@example.com'])))).to.deep.equal(photos.gil);
      const unusable = await failureOf(fetch(user(['hob@example.com'])));
      expect(unusable).to.be.instanceOf(UnusableAnswerError);
      expect(unusable.message).to.equal(`the thumbnailPhoto of ${person('Hob Garbage')} (19 bytes) is not an image the bridge can read`);
    });

    it('fails as "try again", not "no photo", when the directory cut the search off before an entry with a photo', async () => {
      const error = await failureOf(fetch(user(['dup@example.com'])));
      expect(error).to.be.instanceOf(InconclusiveAnswerError);
      expect(failureKindOf(error)).to.equal('transient');
      expect(error.message).to.equal(
        "the directory cut off the search for dup@example.com after 3 entries (sizeLimitExceeded, 4), none with a photo: raise sizeLimit, or the directory's own size limit for the bind account",
      );
    });

    it('takes nothing it cannot look up', () => {
      expect(source().accepts(user([]))).to.equal(false);
      expect(source().accepts(user([], { ldapDn: person('Eve Nomail') }))).to.equal(true);
      expect(source().accepts(user(['ada@example.com']))).to.equal(true);
    });

    it('matches an address literally: filter syntax in it cannot reach other entries (no LDAP injection)', async () => {
      for (const attempt of ['*', '*)(mail=*', 'ada@example.com)(mail=*', 'x)(|(mail=*)(cn=*', '\\2a', 'smtp:*', '*@example.com']) {
        expect(await fetch(user([attempt])), attempt).to.deep.equal({ kind: 'none' });
      }
      expect(photoBytes(await fetch(user(['odd(name)*@example.com'])))).to.deep.equal(photos.odd);
    });
  });

  describe('connection and credentials', () => {
    it('fails as a setup to mend (no retry, no lockout) when the directory refuses the bind, without showing the password', async () => {
      const error = await failureOf(fetch(user(['ada@example.com']), { bindPassword: 'wrong password' }));
      expect(error).to.be.instanceOf(MisconfiguredSourceError);
      expect(error.message).to.equal(`the directory refused the bind as ${LDAP_READER.dn}: invalid credentials`);
    });

    it('fails as a setup to mend, "try again", when the directory refuses the bind otherwise (unwillingToPerform, 53), and binds again at the next lookup, as it may pass', async () => {
      const refused = { bindDn: `cn=photo-reader,${BINDS_RESTRICTED_DN}` };
      const why = `the directory refused the bind as ${refused.bindDn}: UnwillingToPerformError (53): operation restricted`;
      const gated = resilient(source(refused), { timeoutMs: 5000, retries: 2, breakerThreshold: 100, breakerHalfOpenMs: 1000 });
      for (const email of ['ada@example.com', 'bob@example.com']) {
        const error = await failureOf(gated.fetch(user([email]), AbortSignal.timeout(5000)));
        expect([error instanceof MisconfiguredSourceError, error instanceof CredentialsRefusedError, failureKindOf(error), error.message]).to.deep.equal([
          true,
          false,
          'transient',
          why,
        ]);
      }
    });

    it('fails as a setup to mend for a base DN that does not exist or another server holds, or a CA file that cannot be read', async () => {
      const error = await failureOf(fetch(user(['ada@example.com']), { baseDn: 'ou=nowhere,dc=example,dc=com' }));
      expect(error).to.be.instanceOf(MisconfiguredSourceError);
      expect(error.message).to.equal('the directory has no entry ou=nowhere,dc=example,dc=com (noSuchObject, 32): check baseDn');
      const referred = await failureOf(fetch(user(['ada@example.com']), { baseDn: 'dc=child,dc=example,dc=org' }));
      expect(referred).to.be.instanceOf(MisconfiguredSourceError);
      expect(referred.message).to.equal('the directory answered a referral (10): another server holds the base DN');
      const anonymous = await failureOf(fetch(user(['ada@example.com']), { bindDn: undefined, bindPassword: undefined }));
      expect(anonymous, 'an anonymous search the directory lets see nothing').to.be.instanceOf(MisconfiguredSourceError);
      const noCa = await failureOf(fetch(user(['ada@example.com']), { url: slapd.ldapsUrl, caFile: '/nonexistent/ca.pem' }));
      expect(noCa).to.be.instanceOf(MisconfiguredSourceError);
      expect(noCa.message).to.match(/^caFile: ENOENT/);
    });

    it('talks ldaps:// and StartTLS, trusting the configured CA', async () => {
      expect(photoBytes(await fetch(user(['ada@example.com']), { url: slapd.ldapsUrl, caFile: slapd.caFile }))).to.deep.equal(photos.ada);
      expect(photoBytes(await fetch(user(['ada@example.com']), { startTls: true, caFile: slapd.caFile }))).to.deep.equal(photos.ada);
    });

    it('refuses a certificate no trusted CA signed, as a failure worth retrying elsewhere', async () => {
      for (const overrides of [{ url: slapd.ldapsUrl }, { startTls: true }]) {
        const error = await failureOf(fetch(user(['ada@example.com']), overrides));
        expect(error).to.not.be.instanceOf(PermanentSourceError);
        expect(error.message).to.match(/certificate/i);
      }
    });

    it('fails (to be retried) when nothing listens, and gives up on a server that never answers', async () => {
      const dead = await failureOf(fetch(user(['ada@example.com']), { url: 'ldap://127.0.0.1:1' }));
      expect(dead).to.not.be.instanceOf(PermanentSourceError);
      expect(dead.message).to.match(/ECONNREFUSED/);

      const sockets = new Set<Socket>();
      const silent: Server = createServer((socket) => sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const url = `ldap://127.0.0.1:${(silent.address() as { port: number }).port}`;
      try {
        expect((await failureOf(fetch(user(['ada@example.com']), { url, timeoutMs: 200 }))).message).to.match(/timeout|timed out/i);
        const aborted = source({ url }).fetch(user(['ada@example.com']), AbortSignal.timeout(200));
        expect((await failureOf(aborted)).name).to.equal('TimeoutError');
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    });
  });

  describe('sources check', () => {
    const check = (sample: PhotoReference | undefined, overrides: Record<string, unknown> = {}) => source(overrides).check(sample, AbortSignal.timeout(5000));

    it('says reachable, authenticated, and what the sample lookup found', async () => {
      expect(await check(user(['ada@example.com']))).to.deep.equal([
        { step: 'reachable', ok: true, detail: `${slapd.url} answers` },
        { step: 'authenticated', ok: true, detail: `bound as ${LDAP_READER.dn}` },
        { step: 'sample lookup', ok: true, detail: `thumbnailPhoto of ${person('Ada Lovelace')}, ${photos.ada!.length} bytes` },
      ]);
      expect((await check(user(['cyd@example.com'])))[2]).to.deep.equal({
        step: 'sample lookup',
        ok: true,
        detail: `${person('Cyd Nophoto')} has no thumbnailPhoto or jpegPhoto`,
      });
      expect((await check(undefined))[2]).to.deep.equal({ step: 'base DN', ok: true, detail: `${BASE_DN} is readable (no sample user given)` });
    });

    it('says which photo attribute the sample lookup passed over as no image, and fails when no attribute holds one', async () => {
      const passedOver = `the thumbnailPhoto of ${person('Gil Garbage')} (19 bytes) is not an image the bridge can read`;
      expect((await check(user(['gil@example.com'])))[2]).to.deep.equal({
        step: 'sample lookup',
        ok: true,
        detail: `jpegPhoto of ${person('Gil Garbage')}, ${photos.gil!.length} bytes (${passedOver})`,
      });
      expect((await check(user(['hob@example.com'])))[2]).to.deep.equal({
        step: 'sample lookup',
        ok: false,
        detail: `the thumbnailPhoto of ${person('Hob Garbage')} (19 bytes) is not an image the bridge can read`,
      });
    });

    it('tells a refused bind from an unreachable server', async () => {
      expect(await check(undefined, { bindPassword: 'wrong password' })).to.deep.equal([
        { step: 'reachable', ok: true, detail: `${slapd.url} answers` },
        { step: 'authenticated', ok: false, detail: `the directory refused the bind as ${LDAP_READER.dn}: invalid credentials` },
      ]);
      const [unreachable, ...rest] = await check(undefined, { url: 'ldap://127.0.0.1:1' });
      expect(rest).to.deep.equal([]);
      expect(unreachable).to.include({ step: 'reachable', ok: false });
      expect(unreachable!.detail).to.match(/ECONNREFUSED/);
    });
  });

  describe('through the bridge', () => {
    let t: TestBridge;
    let dir: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'epb-ldap-'));
      const config = join(dir, 'bridge.json');
      writeFileSync(
        config,
        JSON.stringify({
          sources: [{ name: 'ad', type: 'ldap', url: slapd.url, bindDn: LDAP_READER.dn, bindPassword: LDAP_READER.password, baseDn: BASE_DN }],
          sourceOrder: { users: ['ad'], contacts: [] },
        }),
      );
      t = await startTestBridge({ BRIDGE_CONFIG: config, BRIDGE_SOURCE_TIMEOUT_MS: '2000', BRIDGE_SOURCE_RETRIES: '0' });
      await t.store.upsertUsers([
        { email: 'ada@example.com', displayName: 'Ada Lovelace', refs: {} },
        { email: 'eve@example.com', displayName: 'Eve Nomail', refs: { ldapDn: person('Eve Nomail') } },
        { email: 'fay@example.com', displayName: 'Fay Crowd', refs: {} },
        { email: 'gus@example.com', displayName: 'Gus Stale', refs: {} },
        { email: 'dup@example.com', displayName: 'Dup', refs: {} },
        { email: 'ned@example.com', displayName: 'Ned Left', refs: { ldapDn: person('Kim Reused') } },
        { email: 'lou@example.com', otherAddresses: ['lou@example.org'], displayName: 'Lou Renamed', refs: { ldapDn: person('Lou Renamed') } },
        { email: 'max@example.com', displayName: 'Max Large', refs: {} },
        { email: 'gil@example.com', displayName: 'Gil Garbage', refs: {} },
      ]);
    });
    after(async () => {
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const restPhoto = (email: string, size = 'HR64x64') =>
      request(t.bridge.server).get(`/ews/exchange.asmx/s/GetUserPhoto?email=${email}&size=${size}`).set('Authorization', basic(READER)).buffer(true);
    const widthOf = async (bytes: Buffer) => (await sharp(bytes).metadata()).width;

    it("answers SOAP GetUserPhoto with PictureData from the user's thumbnailPhoto, at the size asked for", async () => {
      const res = await request(t.bridge.server)
        .post('/EWS/Exchange.asmx')
        .set('Authorization', basic(READER))
        .set('Content-Type', 'text/xml; charset=utf-8')
        .send(envelope('<m:GetUserPhoto><m:Email>ada@example.com</m:Email><m:SizeRequested>HR48x48</m:SizeRequested></m:GetUserPhoto>'))
        .expect(200);
      const response = (await parseSoap(res.text)).Envelope.Body.GetUserPhotoResponse;
      expect(response.ResponseCode).to.equal('NoError');
      expect(response.ContentType).to.equal('image/jpeg');
      const picture = Buffer.from(response.PictureData, 'base64');
      expect(await sharp(picture).metadata()).to.include({ format: 'jpeg', width: 48, height: 48 });
      expect((await t.store.getPhotoInfo(userOwner('ada@example.com')))?.source).to.equal('ad');
    });

    it('without a size order of its own, HR48x48 of a user with an uploaded photo is the upload, cropped square', async () => {
      await t.store.upsertUsers([{ email: 'ivy@example.com', displayName: 'Ivy Uploaded', refs: {} }]);
      await t.bridge.photos.setPhoto(userOwner('ivy@example.com'), await samplePhoto(600, 400), 'upload');
      const callsBefore = t.bridge.upstream.stats.upstreamCalls;
      const res = await restPhoto('ivy@example.com', 'HR48x48').expect(200);
      expect(await sharp(res.body as Buffer).metadata()).to.include({ width: 48, height: 48 });
      expect(t.bridge.upstream.stats.upstreamCalls - callsBefore, 'the directory is not asked').to.equal(0);
    });

    it('serves the REST photo URL as JPEG bytes for a user whose LDAP DN reference leads to the photo', async () => {
      const res = await restPhoto('eve@example.com').expect(200).expect('content-type', 'image/jpeg');
      expect(await widthOf(res.body as Buffer)).to.equal(64);
    });

    it("answers 404, not the photo of whoever holds the DN now, for a user whose stored LDAP DN names another person's entry", async () => {
      await restPhoto('ned@example.com').expect(404);
      expect(await t.store.getPhotoInfo(userOwner('ned@example.com'))).to.equal(undefined);
    });

    it("takes the entry a stored DN names by one of the user's other addresses the store knows", async () => {
      const res = await restPhoto('lou@example.com', 'HR96x96').expect(200);
      expect(await widthOf(res.body as Buffer)).to.equal(96);
    });

    it('serves the thumbnailPhoto of an entry whose jpegPhoto is over the byte limit, and the jpegPhoto of one whose thumbnailPhoto is no image', async () => {
      const max = await restPhoto('max@example.com', 'HR96x96').expect(200);
      expect(await widthOf(max.body as Buffer)).to.equal(72);
      const gil = await restPhoto('gil@example.com', 'HR96x96').expect(200);
      expect(await widthOf(gil.body as Buffer)).to.equal(96);
    });

    it('answers "try again" (503), not ErrorItemNotFound (404), for a user whose search the directory cut off before a photo', async () => {
      await restPhoto('dup@example.com').expect(503);
      expect(await t.store.getPhotoInfo(userOwner('dup@example.com'))).to.equal(undefined);
    });

    it('asks the directory once for 50 concurrent requests for one uncached user', async () => {
      const [callsBefore, searchesBefore] = [t.bridge.upstream.stats.upstreamCalls, await slapd.searches()];
      const responses = await Promise.all(Array.from({ length: 50 }, () => restPhoto('fay@example.com')));
      expect(responses.map((res) => res.status)).to.deep.equal(Array(50).fill(200));
      expect(new Set(responses.map((res) => (res.body as Buffer).toString('base64'))).size).to.equal(1);
      expect(t.bridge.upstream.stats.upstreamCalls - callsBefore).to.equal(1);
      expect((await slapd.searches()) - searchesBefore).to.equal(1);
    });

    it('serves the stored photo when the directory is down once the photo is due for a refresh', async () => {
      const fresh = await restPhoto('gus@example.com').expect(200);
      const db = new Database(t.databasePath);
      try {
        db.prepare("UPDATE user_photos SET updated_at = '2000-01-01T00:00:00.000Z' WHERE user_id = (SELECT id FROM users WHERE email = ?)").run(
          'gus@example.com',
        );
      } finally {
        db.close();
      }
      t.bridge.photos.forgetAll();
      const [staleBefore, failuresBefore] = [t.bridge.photos.stats.staleServed, t.bridge.upstream.stats.upstreamFailures];
      await slapd.stop();
      try {
        const stale = await restPhoto('gus@example.com').expect(200);
        expect(Buffer.compare(stale.body as Buffer, fresh.body as Buffer)).to.equal(0);
        expect(t.bridge.photos.stats.staleServed - staleBefore).to.equal(1);
        expect(t.bridge.upstream.stats.upstreamFailures - failuresBefore).to.equal(1);
      } finally {
        await slapd.start();
      }
    });
  });

  describe("Exchange's HR48x48 rule, as sourceOrder.bySize", () => {
    // "The HR48x48 size code always returns the Active Directory thumbnail image if it is available."
    // "If no photo is stored on the Exchange server, the thumbnail image stored in AD DS will be returned."
    //   https://learn.microsoft.com/exchange/client-developer/exchange-web-services/how-to-get-user-photos-by-using-ews-in-exchange
    // "The thumbnail image is not necessarily square, even if the size code specifies a square image."
    //   MS-OXWSPHOTO 3.1.5.1.1 GetUserPhoto
    let t: TestBridge;
    let dir: string;
    const UPLOAD = { width: 600, height: 400 };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'epb-ldap-hr48-'));
      const config = join(dir, 'bridge.json');
      writeFileSync(
        config,
        JSON.stringify({
          sources: [{ name: 'ad', type: 'ldap', url: slapd.url, bindDn: LDAP_READER.dn, bindPassword: LDAP_READER.password, baseDn: BASE_DN }],
          sourceOrder: { users: ['store', 'ad'], contacts: [], bySize: { HR48x48: { users: ['ad', 'store'] } } },
        }),
      );
      t = await startTestBridge({ BRIDGE_CONFIG: config, BRIDGE_SOURCE_TIMEOUT_MS: '2000', BRIDGE_SOURCE_RETRIES: '0' });
      await t.store.upsertUsers(['hal', 'ivy', 'jon', 'cyd'].map((name) => ({ email: `${name}@example.com`, displayName: name, refs: {} })));
      for (const name of ['ivy', 'jon'])
        await t.bridge.photos.setPhoto(userOwner(`${name}@example.com`), await samplePhoto(UPLOAD.width, UPLOAD.height), 'upload');
    });
    after(async () => {
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const restPhoto = (email: string, size: string) =>
      request(t.bridge.server).get(`/ews/exchange.asmx/s/GetUserPhoto?email=${email}&size=${size}`).set('Authorization', basic(READER)).buffer(true);
    const sizeOf = async (bytes: Buffer) => {
      const { width, height } = await sharp(bytes).metadata();
      return [width, height];
    };
    const soapPhoto = async (email: string, size: string) => {
      const res = await request(t.bridge.server)
        .post('/EWS/Exchange.asmx')
        .set('Authorization', basic(READER))
        .set('Content-Type', 'text/xml; charset=utf-8')
        .send(envelope(`<m:GetUserPhoto><m:Email>${email}</m:Email><m:SizeRequested>${size}</m:SizeRequested></m:GetUserPhoto>`))
        .expect(200);
      return Buffer.from((await parseSoap(res.text)).Envelope.Body.GetUserPhotoResponse.PictureData as string, 'base64');
    };

    it('answers HR48x48 with the directory thumbnail, as it is (48x36), although the user has an uploaded photo', async () => {
      const [callsBefore, searchesBefore] = [t.bridge.upstream.stats.upstreamCalls, await slapd.searches()];
      const res = await restPhoto('ivy@example.com', 'HR48x48').expect(200);
      expect(await sizeOf(res.body as Buffer)).to.deep.equal([48, 36]);
      expect(t.bridge.upstream.stats.upstreamCalls - callsBefore, 'the directory answered').to.equal(1);
      expect((await slapd.searches()) - searchesBefore).to.equal(1);
      expect((await t.store.getPhotoInfo(userOwner('ivy@example.com')))?.source, 'the stored upload stays').to.equal('upload');
    });

    it('answers the other sizes from the uploaded photo, square, without asking the directory', async () => {
      const callsBefore = t.bridge.upstream.stats.upstreamCalls;
      for (const [size, side] of [
        ['HR64x64', 64],
        ['HR96x96', 96],
        ['HR648x648', 400],
      ] as const) {
        const res = await restPhoto('ivy@example.com', size).expect(200);
        expect(await sizeOf(res.body as Buffer), size).to.deep.equal([side, side]);
      }
      expect(t.bridge.upstream.stats.upstreamCalls - callsBefore).to.equal(0);
    });

    it('gives SOAP GetUserPhoto the same thumbnail in PictureData at HR48x48, and a square at HR96x96', async () => {
      expect(await sizeOf(await soapPhoto('ivy@example.com', 'HR48x48'))).to.deep.equal([48, 36]);
      expect(await sizeOf(await soapPhoto('ivy@example.com', 'HR96x96'))).to.deep.equal([96, 96]);
    });

    it('gives the thumbnail and the upload different ETags', async () => {
      const small = await restPhoto('ivy@example.com', 'HR48x48').expect(200);
      const upload = await restPhoto('ivy@example.com', 'HR64x64').expect(200);
      expect(small.headers.etag).to.match(/^"[^"]+"$/);
      expect(small.headers.etag).to.not.equal(upload.headers.etag);
    });

    it('falls back to the uploaded photo at HR48x48 when the directory has no thumbnail for the user', async () => {
      const res = await restPhoto('jon@example.com', 'HR48x48').expect(200);
      expect(await sizeOf(res.body as Buffer)).to.deep.equal([48, 48]);
    });

    it('serves a user without a stored photo the directory thumbnail at every size, in its own shape and never enlarged', async () => {
      const large = await restPhoto('hal@example.com', 'HR96x96').expect(200);
      expect(await sizeOf(large.body as Buffer)).to.deep.equal([80, 60]);
      expect((await t.store.getPhotoInfo(userOwner('hal@example.com')))?.source).to.equal('ad');
      const searchesBefore = await slapd.searches();
      const small = await restPhoto('hal@example.com', 'HR48x48').expect(200);
      expect(await sizeOf(small.body as Buffer)).to.deep.equal([48, 36]);
      expect((await slapd.searches()) - searchesBefore, 'the stored thumbnail stands for the directory while fresh').to.equal(0);
    });

    it('answers 404 at every size for a user with neither an uploaded photo nor a thumbnail', async () => {
      await restPhoto('cyd@example.com', 'HR48x48').expect(404);
      await restPhoto('cyd@example.com', 'HR96x96').expect(404);
    });

    it('falls through to the uploaded photo at HR48x48 while the directory is down', async () => {
      t.bridge.photos.forgetAll();
      const failuresBefore = t.bridge.upstream.stats.upstreamFailures;
      await slapd.stop();
      try {
        const res = await restPhoto('ivy@example.com', 'HR48x48').expect(200);
        expect(await sizeOf(res.body as Buffer)).to.deep.equal([48, 48]);
        expect(t.bridge.upstream.stats.upstreamFailures - failuresBefore).to.equal(1);
      } finally {
        await slapd.start();
        t.bridge.photos.forgetAll();
      }
    });
  });
});
