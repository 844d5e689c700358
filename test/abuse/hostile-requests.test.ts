import { DELTA_TOKENS_PER_MAILBOX } from '../../src/store/delta-tokens.js';
import { expect } from 'chai';
import { photoLikeJpeg } from '../../bench/fixture.js';
import { EWS_MIN_ANSWER_BYTES } from '../../src/config.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { normalizePhoto } from '../../src/photos/normalize.js';
import { samplePhoto } from '../support/sample-images.js';
import { basic, READER, ShareClock, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { faultCodeOf, idsIn, photosIn, responseCodesOf } from './ews-answer.js';
import {
  attributesOnOneElement,
  attributesSpread,
  blanksInGetUserPhoto,
  distinctIds,
  endlessSyncState,
  findItem,
  findPeople,
  forgedSyncState,
  staleSyncState,
  getAttachment,
  getItem,
  getUserPhoto,
  INHERITED_NAMES,
  inheritedNameAsOperation,
  inheritedNameAsEnumValues,
  inheritedNameInGetItem,
  inheritedNameInResolveNames,
  LONG_NAMES,
  nested,
  ONE_MIB,
  orOfCompanyBounds,
  orOfContains,
  repeatedIds,
  resolveNames,
  syncFolderItems,
} from './hostile-bodies.js';
import { statusWithBodyHeld } from './held-body.js';
import { rawRequest, type RawAnswer, type RawRequest } from './raw-request.js';
import { xmlProblem } from './strict-xml.js';

/**
 * Issue 8's attacks, replayed in process with a valid login: what each is answered
 * (status, EWS codes) and how much (messages, bytes). `npm run abuse` replays the same
 * requests against a bridge process and prints times and memory, which are no assertions.
 */
const LIMITS = { maxInputBytes: 10_000_000, maxInputPixels: 40_000_000, jpegQuality: 85 };
/** The smallest answer cap the settings allow. */
const MAX_ANSWER_BYTES = EWS_MIN_ANSWER_BYTES;
/** exchangelib's chunk. */
const MAX_ITEMS = 100;
const PHOTO_USER = 'alex.wilber@contoso.com';
/** What one error message of an id list costs at most, envelope of the message included. */
const ERROR_MESSAGE_BYTES = 512;

interface Bridge {
  t: TestBridge;
  port: number;
  /** A POST to the SOAP endpoint as the reader, or as `authorization` says (null: none). */
  post(body: string | Buffer, options?: RawRequest & { authorization?: string | null }): Promise<RawAnswer & { text: string }>;
  /** Pays back the logins' shares of the bridge's time, by moving their clock a minute on. */
  payBack(): void;
}

async function startBridge(env: Record<string, string> = {}): Promise<Bridge> {
  const shares = new ShareClock();
  const t = await startTestBridge(env, undefined, shares.now);
  const { port } = await t.bridge.listen();
  return {
    t,
    port,
    payBack: () => shares.payBack(),
    async post(body, { authorization = basic(READER), ...options } = {}) {
      const headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8', ...(authorization === null ? {} : { authorization }) };
      const answer = await rawRequest(`http://127.0.0.1:${port}/EWS/Exchange.asmx`, { ...options, body, headers });
      return { ...answer, text: answer.body.toString('utf8') };
    },
  };
}

/** A fault for a request that cannot be read: HTTP 500, s:Client, whole and without internals. */
function expectClientFault(answer: { status: number; text: string }, reason: RegExp): void {
  expect(answer.status).to.equal(500);
  expect(faultCodeOf(answer.text)).to.equal('s:Client');
  expect(answer.text).to.match(reason);
  expect(xmlProblem(answer.text)).to.equal(undefined);
}

describe('hostile requests with a valid login (issue 8)', () => {
  let b: Bridge;
  let leeItemId: string;
  let leeAttachmentId: string;

  before(async () => {
    b = await startBridge({ BRIDGE_EWS_MAX_ANSWER_BYTES: String(MAX_ANSWER_BYTES), BRIDGE_EWS_MAX_ITEMS_PER_REQUEST: String(MAX_ITEMS) });
    const { store, bridge } = b.t;
    await store.upsertUsers([
      { email: PHOTO_USER, displayName: 'Alex Wilber', refs: {} },
      // Imports refuse control characters; a store written any other way must still give well-formed answers.
      { email: 'ctrl.char@contoso.com', displayName: 'Ctrl\u0001Char', title: 'Boss\u0001\u001F', refs: {} },
    ]);
    await bridge.photos.setPhoto(userOwner(PHOTO_USER), await samplePhoto(200, 200), 'test');
    await store.addContacts(READER.username, [
      { displayName: 'Lee Gu', emailAddresses: ['lee.gu@fabrikam.com'], phones: {}, refs: {}, photo: await normalizePhoto(await photoLikeJpeg(120), LIMITS) },
      { displayName: 'Ctrl\u0001Contact', company: 'Fab\u0002rikam', emailAddresses: ['ctrl.contact@fabrikam.com'], phones: {}, refs: {} },
    ]);
    const lee = await b.post(getItem(idsIn((await b.post(resolveNames('Lee', 'ReturnFullContactData="false"'))).text, 'ItemId')));
    [leeItemId] = idsIn(lee.text, 'ItemId') as [string];
    [leeAttachmentId] = idsIn(lee.text, 'AttachmentId') as [string];
  });
  after(() => b.t.close());
  // Each test on the reader's whole share: many send 1 MiB envelopes, whose reading is charged to it (ews-endpoint.ts).
  beforeEach(() => b.payBack());

  describe('id lists: GetAttachment and GetItem', () => {
    it(`answers the same AttachmentId listed ${MAX_ITEMS} times (the cap) once: one photo, ${MAX_ITEMS - 1} short errors`, async () => {
      const answer = await b.post(getAttachment(new Array<string>(MAX_ITEMS).fill(leeAttachmentId)));
      expect(answer.status).to.equal(200);
      const codes = responseCodesOf(answer.text);
      expect(codes).to.have.length(MAX_ITEMS);
      expect(codes[0]).to.equal('NoError');
      // The repeats' own error messages count against the answer cap too: past it they would read ErrorMessageSizeExceeded.
      const repeats = codes.slice(1);
      const withinCap = repeats.filter((code) => code === 'ErrorInvalidRequest').length;
      expect(withinCap).to.be.greaterThan(0);
      expect(repeats.slice(withinCap)).to.satisfy((rest: string[]) => rest.every((code) => code === 'ErrorMessageSizeExceeded'));
      expect(photosIn(answer.text)).to.equal(1);
      const onePhoto = (await b.post(getAttachment([leeAttachmentId]))).body.length;
      expect(answer.body.length).to.be.at.most(onePhoto + (MAX_ITEMS - 1) * ERROR_MESSAGE_BYTES);
      expect(answer.body.length).to.be.at.most(MAX_ANSWER_BYTES);
    });

    it('refuses 1 MiB of one repeated AttachmentId (the 347 MB amplification) whole, with a fault and no photo', async () => {
      const ids = repeatedIds(leeAttachmentId);
      expect(ids.length).to.be.greaterThan(5000);
      const body = getAttachment(ids);
      expect(body.length).to.be.at.most(ONE_MIB);
      const answer = await b.post(body);
      expectClientFault(answer, /more than \d+ elements/);
      expect(answer.body.length).to.be.below(2048);
    });

    it('refuses a GetItem of 1000 distinct ids whole: one ErrorInvalidRequest', async () => {
      const answer = await b.post(getItem(distinctIds(1000)));
      expect(answer.status).to.equal(200);
      expect(responseCodesOf(answer.text)).to.deep.equal(['ErrorInvalidRequest']);
    });

    it('refuses a GetItem of 4000 distinct ids while reading it: more elements than a request may have', async () => {
      expectClientFault(await b.post(getItem(distinctIds(4000))), /more than \d+ elements/);
    });

    it('answers an AttachmentId once whatever its padding: other spellings of it are malformed', async () => {
      const answer = await b.post(getAttachment([leeAttachmentId, `${leeAttachmentId}=`, `${leeAttachmentId}==`]));
      expect(responseCodesOf(answer.text)).to.deep.equal(['NoError', 'ErrorInvalidIdMalformed', 'ErrorInvalidIdMalformed']);
      expect(photosIn(answer.text)).to.equal(1);
    });

    it('answers a GetItem of the same ItemId listed many times once', async () => {
      const answer = await b.post(getItem(new Array<string>(100).fill(leeItemId)));
      const codes = responseCodesOf(answer.text);
      expect(codes.filter((code) => code === 'NoError')).to.have.length(1);
      expect(codes).to.have.length(100);
    });
  });

  for (const entry of ['x'.repeat(60_000), `SMTP:${'x'.repeat(60_000)}@contoso.com`]) {
    it(`resolves a ${entry.length}-character entry to nothing (SQLite refused it as a LIKE pattern: an internal error)`, async () => {
      const answer = await b.post(resolveNames(entry));
      expect(answer.status).to.equal(200);
      expect(responseCodesOf(answer.text)).to.deep.equal(['ErrorNameResolutionNoResults']);
    });
  }

  describe('contact folder searches and syncs', () => {
    it('refuses a Restriction of 600 Contains or 127 comparisons of the company in one Or with ErrorRestrictionTooComplex, before any search, in FindItem and FindPeople', async () => {
      const view = '<m:IndexedPageItemView MaxEntriesReturned="10" Offset="0" BasePoint="Beginning"/>';
      for (const body of [orOfContains(600), orOfCompanyBounds(127)].flatMap((or) => [findItem(1, or), findPeople('contacts', view, undefined, or)])) {
        const answer = await b.post(body);
        expect([answer.status, responseCodesOf(answer.text), xmlProblem(answer.text)]).to.deep.equal([200, ['ErrorRestrictionTooComplex'], undefined]);
      }
    });

    it('bounds a FindPeople search: 341 distinct words find no one, an offset past every match an empty page, a QueryString over 1,024 characters is refused', async () => {
      const view = (offset: number) => `<m:IndexedPageItemView MaxEntriesReturned="250" Offset="${offset}" BasePoint="Beginning"/>`;
      const words = Array.from({ length: 341 }, (_, i) => String.fromCharCode(97 + Math.floor(i / 26), 97 + (i % 26))).join(' ');
      for (const [body, code] of [
        [findPeople('directory', view(0), words), 'NoError'],
        [findPeople('directory', view(2_147_483_647), 'a'), 'NoError'],
        [findPeople('directory', view(0), 'a'.repeat(1025)), 'ErrorInvalidRequest'],
      ] as const) {
        const answer = await b.post(body);
        expect([answer.status, responseCodesOf(answer.text), xmlProblem(answer.text), answer.text.includes('<t:Persona>')]).to.deep.equal([
          200,
          [code],
          undefined,
          false,
        ]);
      }
    });

    it('answers a SyncState of nearly 1 MiB it never gave with ErrorInvalidSyncStateData, read in one pass', async () => {
      const forged = await b.post(syncFolderItems(endlessSyncState()));
      expect([forged.status, responseCodesOf(forged.text), xmlProblem(forged.text)]).to.deep.equal([200, ['ErrorInvalidSyncStateData'], undefined]);
    });

    it('answers a forged SyncState of 5,000 ids with ErrorInvalidSyncStateData: it tells no ItemIds', async () => {
      const forged = await b.post(syncFolderItems(forgedSyncState(5_000)));
      expect([forged.status, responseCodesOf(forged.text), forged.text.includes('<t:ItemId')]).to.deep.equal([200, ['ErrorInvalidSyncStateData'], false]);
    });

    it('answers a SyncState of 5,000 contacts since deleted with as many deletions as fit in the answer cap', async () => {
      const answer = await b.post(syncFolderItems(await staleSyncState(b.t.store, READER.username, 5_000)));
      const deletions = (answer.text.match(/<t:Delete>/g) ?? []).length;
      expect([answer.status, responseCodesOf(answer.text), xmlProblem(answer.text)]).to.deep.equal([200, ['NoError'], undefined]);
      expect(deletions).to.be.within(1, 511);
      expect(answer.body.length).to.be.at.most(MAX_ANSWER_BYTES);
      expect(answer.text).to.include('<m:IncludesLastItemInRange>false</m:IncludesLastItemInRange>');
    });

    it('bounds Graph contact delta: 60 rounds at once by one login are each 200 or 503, the mailbox keeps its newest 32 tokens, a forged token is 410', async () => {
      const delta = (query = '') =>
        fetch(`http://127.0.0.1:${b.port}/v1.0/me/contacts/delta${query}`, { headers: { authorization: basic(READER) } }).then(async (answer) => ({
          status: answer.status,
          body: (await answer.json()) as { '@odata.deltaLink'?: string; error?: { code: string } },
        }));
      const answers = await Promise.all(Array.from({ length: 60 }, () => delta()));
      expect(answers.every((answer) => answer.status === 200 || answer.status === 503)).to.equal(true);
      const tokens = answers.flatMap((answer) =>
        answer.body['@odata.deltaLink'] ? [new URL(answer.body['@odata.deltaLink']).searchParams.get('$deltatoken')!] : [],
      );
      const kept = await Promise.all(tokens.map((token) => b.t.store.deltaState(READER.username, token)));
      expect(kept.filter((state) => state !== undefined).length).to.equal(Math.min(tokens.length, DELTA_TOKENS_PER_MAILBOX.delta));
      const forged = await delta(`?$deltatoken=${'A'.repeat(2_000)}`);
      expect([forged.status, forged.body.error?.code]).to.deep.equal([410, 'syncStateNotFound']);
    });

    it('answers a SyncState of nearly 1 MiB within the answer cap, the state it gives back counted in it', async () => {
      const state = await staleSyncState(b.t.store, READER.username, 150_000);
      expect(state.length).to.be.within(ONE_MIB - 64 * 1024, ONE_MIB - 4096);
      const answer = await b.post(syncFolderItems(state));
      expect([answer.status, responseCodesOf(answer.text), xmlProblem(answer.text)]).to.deep.equal([200, ['NoError'], undefined]);
      expect(answer.body.length).to.be.at.most(MAX_ANSWER_BYTES);
    });
  });

  describe('the envelope reader', () => {
    it('refuses 95 k attributes on one element with a fault', async () => {
      const body = attributesOnOneElement(95_000);
      expect(body.length).to.be.at.most(ONE_MIB);
      expectClientFault(await b.post(body), /more than \d+ attributes/);
    });

    it('refuses 80 k attributes spread 32 per element: more attributes than a request may have in all', async () => {
      const body = attributesSpread(80_000, 'alex.wilber');
      expect(body.length).to.be.at.most(ONE_MIB);
      expectClientFault(await b.post(body), /more than \d+ attributes/);
    });

    it('reads 3,000 attributes spread 32 per element, within every limit, and answers the request', async () => {
      const answer = await b.post(attributesSpread(3_000, 'alex.wilber'));
      expect(answer.status).to.equal(200);
      expect(responseCodesOf(answer.text)).to.deep.equal(['NoError']);
    });

    it('refuses 10 k levels of nesting with a fault', async () => {
      expectClientFault(await b.post(nested(10_000)), /nests deeper than \d+/);
    });

    for (const [what, body] of Object.entries(LONG_NAMES)) {
      it(`refuses a 900 KB name (${what}) with a short fault that does not repeat it`, async () => {
        const answer = await b.post(body(900_000));
        expectClientFault(answer, /a name in the request is longer than 256 characters/);
        expect(answer.body.length).to.be.below(1024);
      });
    }

    it('answers an unknown operation with a name of 256 characters, within the limit, with ErrorInvalidOperation', async () => {
      const answer = await b.post(LONG_NAMES.operation(256 - 'm:'.length));
      expect(answer.status).to.equal(200);
      expect(responseCodesOf(answer.text)).to.deep.equal(['ErrorInvalidOperation']);
      expect(answer.body.length).to.be.below(4096);
    });

    it('answers a GetUserPhoto padded with 16 KB of blanks like any other', async () => {
      const answer = await b.post(blanksInGetUserPhoto(PHOTO_USER, 16 * 1024));
      expect(answer.status).to.equal(200);
      expect(responseCodesOf(answer.text)).to.deep.equal(['NoError']);
      expect(photosIn(answer.text)).to.equal(1);
    });
  });

  describe('names every JavaScript object inherits', () => {
    for (const name of INHERITED_NAMES) {
      it(`answers <m:${name}/> as the operation with ErrorInvalidOperation on HTTP 200, in a well-formed envelope`, async () => {
        const answer = await b.post(inheritedNameAsOperation(name));
        expect(answer.status).to.equal(200);
        expect(responseCodesOf(answer.text)).to.deep.equal(['ErrorInvalidOperation']);
        expect(xmlProblem(answer.text)).to.equal(undefined);
      });

      it(`reads ${name} inside ResolveNames and GetItem as plain data`, async () => {
        const resolved = await b.post(inheritedNameInResolveNames(name));
        expect(resolved.status).to.equal(200);
        expect(responseCodesOf(resolved.text)).to.deep.equal(['ErrorNameResolutionNoResults']);
        const item = await b.post(inheritedNameInGetItem(name));
        expect(item.status).to.equal(200);
        expect(responseCodesOf(item.text)).to.deep.equal(['ErrorInvalidIdMalformed']);
        for (const answer of [resolved, item]) expect(xmlProblem(answer.text)).to.equal(undefined);
      });

      it(`answers ${name} where the schema allows only some values with the ErrorSchemaValidation fault`, async () => {
        for (const body of inheritedNameAsEnumValues(name)) {
          const answer = await b.post(body);
          expect([answer.status, faultCodeOf(answer.text)]).to.deep.equal([500, 'a:ErrorSchemaValidation']);
          expect(xmlProblem(answer.text)).to.equal(undefined);
        }
      });
    }
  });

  it('answers full contact data of a user and a contact with control characters in several fields with XML a strict parser reads', async () => {
    const answer = await b.post(resolveNames('Ctrl'));
    expect(answer.status).to.equal(200);
    expect(xmlProblem(answer.text)).to.equal(undefined);
    expect(answer.text).to.include('<t:Name>CtrlChar</t:Name>').and.include('<t:Name>CtrlContact</t:Name>');
    expect(answer.text).to.not.match(/[\u0001\u0002\u001F]/);
  });

  it('refuses a 30 MB body sent chunked, without a Content-Length to refuse it by, with 413 that says the connection closes', async () => {
    const answer = await b.post(Buffer.alloc(30 * 1024 * 1024, 'a'), { chunked: true });
    expect([answer.status, answer.headers.connection]).to.deep.equal([413, 'close']);
  });

  it('lets a client still sending a 30 MB body it declared read the 413 (the connection is not reset under it)', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const answer = await b.post(Buffer.alloc(30 * 1024 * 1024, 'a'));
      expect([answer.status, answer.headers.connection]).to.deep.equal([413, 'close']);
    }
  });
});

describe('bodies of callers who are not logged in (SOAP and Autodiscover)', () => {
  let b: Bridge;
  before(async () => {
    b = await startBridge();
  });
  after(() => b.t.close());

  for (const path of ['/EWS/Exchange.asmx', '/autodiscover/autodiscover.svc', '/autodiscover/autodiscover.xml']) {
    it(`answers ${path} 401 before the body is in, without a login or with a wrong password`, async () => {
      for (const headers of [{}, { authorization: basic({ ...READER, password: 'wrong' }) }] as Record<string, string>[]) {
        // 60 KiB: within every one of these doors' limits (Autodiscover's is 64 KiB).
        expect(await statusWithBodyHeld(b.port, path, { 'content-type': 'text/xml', ...headers }, 60 * 1024, 1024)).to.equal(401);
      }
    });
  }

  it('refuses a body declared over its door’s limit with 413 at once, before any login or byte of it', async () => {
    for (const path of ['/EWS/Exchange.asmx', '/autodiscover/autodiscover.svc']) {
      for (const authorization of [undefined, basic({ ...READER, password: 'wrong' }), basic(READER)]) {
        const headers: Record<string, string> = { 'content-type': 'text/xml', ...(authorization ? { authorization } : {}) };
        expect(await statusWithBodyHeld(b.port, path, headers, 30 * ONE_MIB, 1024)).to.equal(413);
      }
    }
  });

  it('reads the body of a caller who is logged in: nothing is answered while it is held back', async () => {
    expect(await statusWithBodyHeld(b.port, '/EWS/Exchange.asmx', { 'content-type': 'text/xml', authorization: basic(READER) }, ONE_MIB, 1024, 1500)).to.equal(
      0,
    );
  });
});

describe('login throttling on the SOAP endpoint', () => {
  let b: Bridge;
  before(async () => {
    // A long back-off, so the throttled answer cannot expire on a slow machine between two requests.
    b = await startBridge({ BRIDGE_LOGIN_BACKOFF_SECONDS: '30' });
  });
  after(() => b.t.close());

  it('answers 5 wrong passwords with 401, then an ErrorServerBusy fault (HTTP 500) with Retry-After, even for the right password', async () => {
    const asReader = (password: string) => b.post(getUserPhoto(PHOTO_USER), { authorization: basic({ ...READER, password }) });
    for (let i = 0; i < 5; i++) expect((await asReader(`guess ${i}`)).status).to.equal(401);
    for (const password of ['guess 5', READER.password]) {
      const answer = await asReader(password);
      expect(answer.status).to.equal(500);
      expect(answer.headers['retry-after']).to.equal('30');
      expect(faultCodeOf(answer.text)).to.equal('a:ErrorServerBusy');
      expect(answer.text).to.include('<t:Value Name="BackOffMilliseconds">30000</t:Value>');
      expect(xmlProblem(answer.text)).to.equal(undefined);
    }
  });
});

describe('anonymous read (BRIDGE_ANONYMOUS_READ=true) on the SOAP endpoint', () => {
  let b: Bridge;
  before(async () => {
    b = await startBridge({ BRIDGE_ANONYMOUS_READ: 'true' });
    await b.t.store.upsertUsers([{ email: PHOTO_USER, displayName: 'Alex Wilber', refs: {} }]);
    await b.t.bridge.photos.setPhoto(userOwner(PHOTO_USER), await samplePhoto(100, 100), 'test');
  });
  after(() => b.t.close());

  const anonymously = { authorization: null };

  it('serves GetUserPhoto without credentials', async () => {
    const answer = await b.post(getUserPhoto(PHOTO_USER), anonymously);
    expect(answer.status).to.equal(200);
    expect(photosIn(answer.text)).to.equal(1);
  });

  for (const [what, body] of [
    ['ResolveNames', resolveNames('Alex')],
    ['GetItem', getItem(distinctIds(1))],
    ['GetAttachment', getAttachment(distinctIds(1))],
    ['FindPeople', findPeople('directory', '<m:IndexedPageItemView Offset="0" BasePoint="Beginning"/>', 'Alex')],
    ['an operation it does not serve', inheritedNameAsOperation('ExpandDL')],
  ] as const) {
    it(`asks for a login for ${what}: 401 with the Basic challenge, no directory data`, async () => {
      const answer = await b.post(body, anonymously);
      expect(answer.status).to.equal(401);
      expect(answer.headers['www-authenticate']).to.equal('Basic realm="ews-photo-bridge"');
      expect(answer.text).to.not.include('Alex');
    });
  }
});
