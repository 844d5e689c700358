import { expect } from 'chai';
import { Authenticator, REMEMBERED_HEADER_BYTES, type AuthenticatorOptions, type AuthResult } from '../../src/auth/authenticator.js';
import { parseBasicAuthorization } from '../../src/auth/basic-credentials.js';
import { BearerTokens } from '../../src/auth/bearer-tokens.js';
import { KNOWN_CLIENT_MS } from '../../src/auth/known-clients.js';
import { hashPassword, verifyPassword } from '../../src/auth/password-hash.js';
import { loadConfig } from '../../src/config.js';
import { BridgeError } from '../../src/domain/errors.js';
import { createLogger } from '../../src/logger.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { createTestIssuer } from '../support/jwt-issuer.js';

const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
const CLIENT = '192.0.2.10';

/** A store that counts account lookups: a throttled login must not reach the store or scrypt. */
class CountingStore extends SqliteStore {
  lookups = 0;
  override async getAccount(username: string) {
    this.lookups++;
    return super.getAccount(username);
  }
}

/** A store whose account reads fail as a PostgreSQL server's do when it is down, while `unreachable`. */
class DownStore extends CountingStore {
  unreachable = false;
  override async getAccount(username: string) {
    if (this.unreachable) {
      this.lookups++;
      throw BridgeError.storeUnreachable(1000);
    }
    return super.getAccount(username);
  }
}

/** Log lines as JSON objects, to check what a failed login leaves behind. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('warn', { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

function authenticator(store: SqliteStore, options: Partial<AuthenticatorOptions> = {}): Authenticator {
  return new Authenticator(store, {
    realm: 'realm',
    allowAnonymousRead: false,
    log: createLogger('silent'),
    throttle: { maxFailures: 3, backoffSeconds: 60, backoffMaxSeconds: 600, maxTracked: 1000 },
    hashing: { workers: 1, maxQueued: 16 },
    ...options,
  });
}

const errorOf = (result: AuthResult) =>
  result.ok ? undefined : { status: result.error.httpStatus, code: result.error.responseCode, message: result.error.message };

describe('password hashes', () => {
  it('are salted scrypt, never the password, and verify only the right password', async () => {
    const one = await hashPassword('correct horse');
    const two = await hashPassword('correct horse');
    expect(one).to.match(/^scrypt\$\d+\$\d+\$\d+\$/);
    expect(one).to.not.include('correct horse');
    expect(one).to.not.equal(two);
    expect(await verifyPassword('correct horse', one)).to.equal(true);
    expect(await verifyPassword('correct horsf', one)).to.equal(false);
    expect(await verifyPassword('correct horse', 'plain-text')).to.equal(false);
  });
});

describe('parseBasicAuthorization', () => {
  it('reads user and password, allowing colons in the password', () => {
    expect(parseBasicAuthorization(basic('a@b.com:pa:ss'))).to.deep.equal({ username: 'a@b.com', password: 'pa:ss' });
    expect(parseBasicAuthorization(`basic   ${Buffer.from('u:p').toString('base64')}`)).to.deep.equal({ username: 'u', password: 'p' });
  });

  it('reads credentials that are not UTF-8 as Windows-1252, as .NET Framework clients encode them', () => {
    const encoded = (bytes: number[]) => `Basic ${Buffer.from(bytes).toString('base64')}`;
    const zoe = [0x7a, 0x6f, 0xeb]; // "zoë" in Windows-1252 (and Latin-1)
    expect(parseBasicAuthorization(encoded([...zoe, 0x3a, 0x80, 0x31]))).to.deep.equal({ username: 'zoë', password: '€1' });
    expect(parseBasicAuthorization(basic('zoë:€1'))).to.deep.equal({ username: 'zoë', password: '€1' });
  });

  it('returns nothing for other schemes, garbage, missing parts and control characters (RFC 7617 §2)', () => {
    for (const header of [
      undefined,
      '',
      'Bearer x',
      'Basic',
      'Basic ***',
      basic('nocolon'),
      basic(':password-only'),
      `Basic ${'A'.repeat(5000)}`,
      basic('adele\0:pw'),
      basic('adele:p\x7fw'),
    ]) {
      expect(parseBasicAuthorization(header), String(header)).to.equal(undefined);
    }
  });
});

describe('Authenticator', () => {
  let store: SqliteStore;
  const opened: Authenticator[] = [];
  const make = (options: Partial<AuthenticatorOptions> = {}, on: SqliteStore = store) => {
    const auth = authenticator(on, options);
    opened.push(auth);
    return auth;
  };
  before(async () => {
    store = new SqliteStore(':memory:');
    await store.putAccount('reader@contoso.com', await hashPassword('secret'), 'user');
    await store.putAccount('boss@contoso.com', await hashPassword('boss secret'), 'admin');
  });
  after(async () => {
    await Promise.all(opened.map((auth) => auth.close()));
    await store.close();
  });

  it('accepts stored credentials and remembers them for the synchronous hot path', async () => {
    const auth = make();
    const header = basic('reader@contoso.com:secret');
    expect(auth.cached(header, 'photo', CLIENT)).to.equal(undefined);
    expect(await auth.authenticate(header, 'photo', CLIENT)).to.deep.equal({ ok: true, principal: { username: 'reader@contoso.com', role: 'user' } });
    expect(auth.cached(header, 'photo', CLIENT)).to.deep.include({ ok: true });
    expect(auth.cached(header, 'user', CLIENT)).to.deep.include({ ok: true });
  });

  it('remembers headers up to a byte budget, not only a count: respelled 4 KiB headers push the oldest out', async () => {
    const auth = make();
    const [, credentials] = basic('reader@contoso.com:secret').split(' ');
    // The scheme in any of its 32 spellings of case, then 3,900 blanks and more: each header another key, each some 4 KiB.
    const respelled = (i: number) =>
      `${[...'basic'].map((c, bit) => ((i >> bit) & 1 ? c.toUpperCase() : c)).join('')}${' '.repeat(3900 + (i >> 5))}${credentials}`;
    const count = Math.ceil((REMEMBERED_HEADER_BYTES * 1.1) / 3900);
    expect(count).to.be.below(10_000);
    for (let i = 0; i < count; i++) expect(await auth.authenticate(respelled(i), 'photo', CLIENT), String(i)).to.deep.include({ ok: true });
    expect(auth.cached(respelled(0), 'photo', CLIENT)).to.equal(undefined);
    expect(auth.cached(respelled(count - 1), 'photo', CLIENT)).to.deep.include({ ok: true });
  });

  it('answers a missing header with 401 at once, for every need', () => {
    const auth = make();
    for (const need of ['photo', 'user', 'admin'] as const) {
      expect(errorOf(auth.cached(undefined, need, CLIENT)!)).to.deep.include({ status: 401, code: 'ErrorAccessDenied' });
    }
  });

  it('refuses wrong passwords and unknown users with the same 401, remembers no failure, and logs name and address but never the password', async () => {
    const { log, lines } = capturedLog();
    const auth = make({ log });
    const wrong = await auth.authenticate(basic('reader@contoso.com:nope-password'), 'user', CLIENT);
    const unknown = await auth.authenticate(basic('ghost@contoso.com:nope-password'), 'user', CLIENT);
    expect(errorOf(wrong)).to.deep.equal({ status: 401, code: 'ErrorAccessDenied', message: 'wrong user name or password' });
    expect(errorOf(unknown)).to.deep.equal(errorOf(wrong));
    expect(wrong).to.deep.include({ attemptedUser: 'reader@contoso.com' });
    expect(auth.cached(basic('reader@contoso.com:nope-password'), 'user', CLIENT)).to.equal(undefined);
    expect(lines.map((line) => [line.user, line.clientAddress])).to.deep.equal([
      ['reader@contoso.com', CLIENT],
      ['ghost@contoso.com', CLIENT],
    ]);
    expect(JSON.stringify(lines)).to.not.include('nope-password');
  });

  it('lets only administrators through for admin, answering 403 for other accounts', async () => {
    const auth = make();
    expect((await auth.authenticate(basic('boss@contoso.com:boss secret'), 'admin', CLIENT)).ok).to.equal(true);
    expect(errorOf(await auth.authenticate(basic('reader@contoso.com:secret'), 'admin', CLIENT))).to.deep.include({ status: 403 });
    expect(errorOf(auth.cached(basic('reader@contoso.com:secret'), 'admin', CLIENT)!), 'the same from memory').to.deep.include({ status: 403 });
  });

  it('with anonymous read on, lets only photos through without credentials, ignoring any header for them', async () => {
    const auth = make({ allowAnonymousRead: true });
    expect(auth.cached(undefined, 'photo', CLIENT)).to.deep.equal({ ok: true, principal: { username: 'anonymous', role: 'user' } });
    expect((await auth.authenticate(basic('reader@contoso.com:wrong'), 'photo', CLIENT)).ok).to.equal(true);
    expect(errorOf(await auth.authenticate(undefined, 'user', CLIENT))).to.deep.include({ status: 401 });
    expect(errorOf(await auth.authenticate(undefined, 'admin', CLIENT))).to.deep.include({ status: 401 });
    expect((await auth.authenticate(basic('reader@contoso.com:secret'), 'user', CLIENT)).ok).to.equal(true);
  });

  it('checks a password once for every spelling of one login (scheme case, blanks, name case); a wrong password is still checked', async () => {
    const auth = make();
    const token = (text: string) => Buffer.from(text).toString('base64');
    const spellings = [
      basic('reader@contoso.com:secret'),
      `basic ${token('reader@contoso.com:secret')}`,
      `BASIC   ${token('reader@contoso.com:secret')}`,
      `Basic\t${token('reader@contoso.com:secret')}`,
      basic('Reader@Contoso.COM:secret'),
      basic('READER@CONTOSO.COM:secret'),
    ];
    for (const header of spellings) expect(await auth.authenticate(header, 'user', CLIENT)).to.deep.include({ ok: true });
    // Concurrent first requests of new spellings share the one remembered check too.
    const more = Array.from({ length: 20 }, (_, i) => `Basic${' '.repeat(i + 2)}${token('reader@contoso.com:secret')}`);
    expect((await Promise.all(more.map((header) => auth.authenticate(header, 'user', CLIENT)))).every((result) => result.ok)).to.equal(true);
    expect(auth.stats.passwordChecks).to.equal(1);
    expect(errorOf(await auth.authenticate(`basic  ${token('reader@contoso.com:Secret')}`, 'user', CLIENT))).to.deep.include({ status: 401 });
    expect(auth.stats.passwordChecks).to.equal(2);
  });

  it('after a store change, re-reads a remembered login’s account row instead of hashing its password again', async () => {
    const counting = new CountingStore(':memory:');
    await counting.putAccount('reader@contoso.com', await hashPassword('secret'), 'user');
    const auth = make({}, counting);
    const header = basic('reader@contoso.com:secret');
    await auth.authenticate(header, 'photo', CLIENT);
    auth.accountsMayHaveChanged();
    expect(auth.cached(header, 'photo', CLIENT), 'not believed from memory alone').to.equal(undefined);
    expect(await auth.authenticate(header, 'photo', CLIENT)).to.deep.include({ ok: true });
    expect({ lookups: counting.lookups, passwordChecks: auth.stats.passwordChecks }).to.deep.equal({ lookups: 2, passwordChecks: 1 });
    expect(auth.cached(header, 'photo', CLIENT), 'believed again').to.deep.include({ ok: true });
    await counting.close();
  });

  it('after a store change, refuses a remembered login whose password was changed or whose account was removed', async () => {
    const local = new SqliteStore(':memory:');
    await local.putAccount('reader@contoso.com', await hashPassword('secret'), 'user');
    await local.putAccount('boss@contoso.com', await hashPassword('boss secret'), 'admin');
    const auth = make({}, local);
    const reader = basic('reader@contoso.com:secret');
    const boss = basic('boss@contoso.com:boss secret');
    await auth.authenticate(reader, 'photo', CLIENT);
    await auth.authenticate(boss, 'admin', CLIENT);
    await local.putAccount('reader@contoso.com', await hashPassword('new secret'), 'user');
    await local.removeAccount('boss@contoso.com');
    auth.accountsMayHaveChanged();
    expect(errorOf(await auth.authenticate(reader, 'photo', CLIENT))).to.deep.include({ status: 401 });
    expect(errorOf(await auth.authenticate(boss, 'admin', CLIENT))).to.deep.include({ status: 401 });
    expect((await auth.authenticate(basic('reader@contoso.com:new secret'), 'photo', CLIENT)).ok).to.equal(true);
    await local.close();
  });

  it('verifies concurrent first requests with the same header once', async () => {
    const counting = new CountingStore(':memory:');
    await counting.putAccount('reader@contoso.com', await hashPassword('secret'), 'user');
    const auth = make({}, counting);
    const results = await Promise.all(Array.from({ length: 20 }, () => auth.authenticate(basic('reader@contoso.com:secret'), 'photo', CLIENT)));
    expect(results.every((result) => result.ok)).to.equal(true);
    expect(counting.lookups).to.equal(1);
    await counting.close();
  });

  it('believes a checked bearer token ten minutes at most, however far off its expiry, then checks it again', async () => {
    const issuer = await createTestIssuer();
    try {
      const bearer = (await BearerTokens.fromSettings(loadConfig(issuer.env)))!;
      // The real verifier, counted: each check is a signature verified.
      let checks = 0;
      const verify = bearer.verify.bind(bearer);
      bearer.verify = (token) => (checks++, verify(token));
      let now = 1_000_000;
      const auth = make({ now: () => now, bearer });
      const header = `Bearer ${await issuer.sign({}, { expiresIn: '365d' })}`;
      expect(await auth.authenticate(header, 'photo', CLIENT)).to.deep.include({ ok: true });
      now += 9 * 60_000;
      expect(auth.cached(header, 'photo', CLIENT), 'believed within ten minutes').to.deep.include({ ok: true });
      now += 2 * 60_000;
      expect(auth.cached(header, 'photo', CLIENT), 'checked again after ten').to.equal(undefined);
      expect(await auth.authenticate(header, 'photo', CLIENT)).to.deep.include({ ok: true, principal: { username: 'reader@contoso.com', role: 'user' } });
      expect(checks).to.equal(2);
    } finally {
      issuer.close();
    }
  });

  it('re-verifies a remembered header in the background before it runs out, without making the caller wait', async () => {
    let now = 1_000_000;
    const auth = make({ now: () => now });
    const lazy = make({ now: () => now });
    const header = basic('reader@contoso.com:secret');
    await auth.authenticate(header, 'photo', CLIENT);
    await lazy.authenticate(header, 'photo', CLIENT);
    for (const client of [auth, lazy]) expect(client.cached(header, 'photo', CLIENT), 'looked at again soon after').to.deep.include({ ok: true });
    now += 55_000;
    expect(auth.cached(header, 'photo', CLIENT), 'answered from memory in its last sixth').to.deep.include({ ok: true });
    // Another spelling of the login joins the renewal under way: once it is answered, the renewal is done.
    expect(await auth.authenticate(basic('READER@contoso.com:secret'), 'photo', CLIENT)).to.deep.include({ ok: true });
    now += 6_000;
    expect(auth.cached(header, 'photo', CLIENT), 'renewed, so still remembered past the first minute').to.deep.include({ ok: true });
    expect(auth.stats.passwordChecks, 'renewed from the account row, not by scrypt').to.equal(1);
    expect(lazy.cached(header, 'photo', CLIENT), 'without a request in its last sixth it simply expires').to.equal(undefined);
  });

  it('believes a login checked in the last ten minutes while the store cannot be reached, asking it again every few seconds; never a login it has not checked', async () => {
    let now = 1_000_000;
    const down = new DownStore(':memory:');
    await down.putAccount('reader@contoso.com', await hashPassword('secret'), 'user');
    const auth = make({ now: () => now }, down);
    const header = basic('reader@contoso.com:secret');
    expect(await auth.authenticate(header, 'photo', CLIENT)).to.deep.include({ ok: true });
    down.unreachable = true;
    now += 61_000;
    expect(auth.cached(header, 'photo', CLIENT), 'the minute is up').to.equal(undefined);
    expect(await auth.authenticate(header, 'photo', CLIENT)).to.deep.include({ ok: true });
    const asked = down.lookups;
    expect(auth.cached(header, 'photo', CLIENT), 'remembered a few seconds').to.deep.include({ ok: true });
    expect(down.lookups).to.equal(asked);
    now += 5_001;
    expect(auth.cached(header, 'photo', CLIENT), 'still answered at once').to.deep.include({ ok: true });
    await new Promise((resolve) => setImmediate(resolve));
    expect(down.lookups, 'and asked again in the background').to.equal(asked + 1);
    const refused = { status: 503, code: 'ErrorServerBusy', message: 'the database cannot be reached; try again shortly' };
    expect(errorOf(await auth.authenticate(basic('reader@contoso.com:wrong'), 'photo', CLIENT)), 'another password').to.deep.equal(refused);
    expect(errorOf(await auth.authenticate(basic('boss@contoso.com:boss secret'), 'photo', CLIENT)), 'another login').to.deep.equal(refused);
    // From an address it was never used from, the right password is refused as every wrong one is: no guess is checked meanwhile.
    for (const password of ['wrong', 'secret']) {
      expect(errorOf(await auth.authenticate(basic(`reader@contoso.com:${password}`), 'photo', '203.0.113.66')), password).to.deep.equal(refused);
    }
    now += 10 * 60_000;
    expect(errorOf(await auth.authenticate(header, 'photo', CLIENT)), 'ten minutes after its last check').to.deep.equal(refused);
    down.unreachable = false;
    expect(await auth.authenticate(header, 'photo', CLIENT)).to.deep.include({ ok: true });
    await down.close();
  });

  it('believes no login while the store cannot be reached when the grace is 0 (a replica cut off alone would miss an account removed)', async () => {
    let now = 1_000_000;
    const down = new DownStore(':memory:');
    await down.putAccount('reader@contoso.com', await hashPassword('secret'), 'user');
    const auth = make({ now: () => now, outageGraceMs: 0 }, down);
    const header = basic('reader@contoso.com:secret');
    expect(await auth.authenticate(header, 'photo', CLIENT)).to.deep.include({ ok: true });
    down.unreachable = true;
    now += 61_000;
    expect(errorOf(await auth.authenticate(header, 'photo', CLIENT))).to.deep.include({
      status: 503,
      message: 'the database cannot be reached; try again shortly',
    });
    down.unreachable = false;
    expect(await auth.authenticate(header, 'photo', CLIENT)).to.deep.include({ ok: true });
    await down.close();
  });

  it('builds the Basic challenge from the realm', () => {
    expect(make({ realm: 'Contoso photos' }).challengeFor()).to.equal('Basic realm="Contoso photos"');
  });

  describe('login throttling', () => {
    it('after the allowed failures for an account, answers 429 with Retry-After without looking the account up, from any address', async () => {
      const counting = new CountingStore(':memory:');
      await counting.putAccount('reader@contoso.com', await hashPassword('secret'), 'user');
      const auth = make({}, counting);
      for (let i = 0; i < 3; i++) {
        expect(errorOf(await auth.authenticate(basic(`reader@contoso.com:guess ${i}`), 'user', `198.51.100.${i}`))).to.deep.include({ status: 401 });
      }
      const lookups = counting.lookups;
      for (const [header, address] of [
        [basic('reader@contoso.com:guess 3'), '198.51.100.50'],
        [basic('READER@contoso.com:secret'), '198.51.100.51'],
      ] as const) {
        const throttled = await auth.authenticate(header, 'user', address);
        expect(errorOf(throttled)).to.deep.include({ status: 429, code: 'ErrorServerBusy' });
        expect(throttled.ok ? undefined : throttled.error.retryAfterSeconds).to.equal(60);
      }
      expect(counting.lookups, 'no store lookup, hence no scrypt, while throttled').to.equal(lookups);
      await counting.close();
    });

    it('treats an unknown account exactly like a wrong password', async () => {
      const auth = make();
      const attempts = async (username: string, address: string) => {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) statuses.push(errorOf(await auth.authenticate(basic(`${username}:guess ${i}`), 'user', address))!.status);
        return statuses;
      };
      const known = await attempts('reader@contoso.com', '203.0.113.1');
      const unknown = await attempts('nobody@contoso.com', '203.0.113.2');
      expect(known).to.deep.equal([401, 401, 401, 429, 429]);
      expect(unknown).to.deep.equal(known);
    });

    it('throttles a client address that tries many accounts', async () => {
      const auth = make();
      for (let i = 0; i < 3; i++) await auth.authenticate(basic(`user${i}@contoso.com:guess`), 'user', '203.0.113.9');
      expect(errorOf(await auth.authenticate(basic('boss@contoso.com:boss secret'), 'user', '203.0.113.9'))).to.deep.include({ status: 429 });
      expect((await auth.authenticate(basic('boss@contoso.com:boss secret'), 'user', '203.0.113.10')).ok, 'another address is not affected').to.equal(true);
    });

    it("answers the directory page's signed-out name with 401 on every route, never counted as a failed login at its address", async () => {
      const counting = new CountingStore(':memory:');
      await counting.putAccount('boss@contoso.com', await hashPassword('boss secret'), 'user');
      const auth = make({}, counting);
      for (let i = 0; i < 7; i++)
        expect(errorOf(await auth.authenticate(basic('signed-out:signed-out'), 'user', '203.0.113.20'))).to.deep.include({ status: 401 });
      expect([counting.lookups, auth.stats.basicFailures]).to.deep.equal([0, 0]);
      expect((await auth.authenticate(basic('boss@contoso.com:boss secret'), 'user', '203.0.113.20')).ok).to.equal(true);
      await counting.close();
    });

    it('a checked success resets the count of its account and address; a remembered login renewed does not', async () => {
      const auth = make();
      const guess = (n: number) => auth.authenticate(basic(`reader@contoso.com:guess ${n}`), 'user', CLIENT);
      for (let i = 0; i < 2; i++) expect(errorOf(await guess(i))).to.deep.include({ status: 401 });
      expect((await auth.authenticate(basic('reader@contoso.com:secret'), 'user', CLIENT)).ok).to.equal(true);
      for (let i = 2; i < 4; i++) expect(errorOf(await guess(i)), 'counted from zero again').to.deep.include({ status: 401 });
      // Renewed from the remembered login (another spelling of the header): a guesser's tries are not forgiven by the owner's client.
      const respelled = `Basic  ${Buffer.from('reader@contoso.com:secret').toString('base64')}`;
      expect((await auth.authenticate(respelled, 'user', CLIENT)).ok).to.equal(true);
      expect(errorOf(await guess(4))).to.deep.include({ status: 401 });
      expect(errorOf(await guess(5))).to.deep.include({ status: 429 });
    });

    it('checks no more guesses sent at once than it allows one after another', async () => {
      const auth = make();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => auth.authenticate(basic(`reader@contoso.com:guess ${i}`), 'user', `198.51.100.${i}`)),
      );
      expect(results.map((result) => errorOf(result)!.status).sort()).to.deep.equal([...Array<number>(3).fill(401), ...Array<number>(17).fill(429)]);
      expect(auth.stats.passwordChecks).to.equal(3);
    });

    it('lets a guesser’s own login, renewed in another spelling, forgive none of the guesses at its address', async () => {
      const auth = make();
      await auth.authenticate(basic('reader@contoso.com:secret'), 'user', CLIENT);
      for (let i = 0; i < 2; i++)
        expect(errorOf(await auth.authenticate(basic(`user${i}@contoso.com:guess`), 'user', CLIENT))).to.deep.include({ status: 401 });
      const respelled = `Basic  ${Buffer.from('reader@contoso.com:secret').toString('base64')}`;
      expect((await auth.authenticate(respelled, 'user', CLIENT)).ok).to.equal(true);
      expect(errorOf(await auth.authenticate(basic('user2@contoso.com:guess'), 'user', CLIENT))).to.deep.include({ status: 401 });
      expect(errorOf(await auth.authenticate(basic('user3@contoso.com:guess'), 'user', CLIENT))).to.deep.include({ status: 429 });
    });

    it('keeps answering a remembered login while its account is throttled', async () => {
      const auth = make();
      const header = basic('reader@contoso.com:secret');
      await auth.authenticate(header, 'user', CLIENT);
      for (let i = 0; i < 4; i++) await auth.authenticate(basic(`reader@contoso.com:guess ${i}`), 'user', '203.0.113.77');
      expect((await auth.authenticate(header, 'user', CLIENT)).ok).to.equal(true);
    });

    it('tells a throttled guesser nothing: the right password, remembered for a client logged in elsewhere, is 429 like every wrong one', async () => {
      const auth = make();
      const header = basic('reader@contoso.com:secret');
      expect((await auth.authenticate(header, 'user', CLIENT)).ok).to.equal(true);
      const guesser = '203.0.113.66';
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push(errorOf(await auth.authenticate(basic(`reader@contoso.com:guess ${i}`), 'user', guesser))!.status);
      expect(statuses).to.deep.equal([401, 401, 401, 429, 429, 429]);
      const lookups = auth.stats.passwordChecks;
      // The header the client sends, another spelling of it, and the synchronous hot path: all refused from the guesser's address.
      for (const right of [header, basic('READER@contoso.com:secret'), `basic  ${Buffer.from('reader@contoso.com:secret').toString('base64')}`]) {
        expect(auth.cached(right, 'user', guesser), right).to.equal(undefined);
        expect(errorOf(await auth.authenticate(right, 'user', guesser)), right).to.deep.include({ status: 429 });
      }
      // Nor from an address that never used it, while the account is held back; the client that was using it goes on.
      expect(errorOf(await auth.authenticate(header, 'user', '198.51.100.200'))).to.deep.include({ status: 429 });
      expect(auth.cached(header, 'user', CLIENT)).to.deep.include({ ok: true });
      expect((await auth.authenticate(basic('READER@contoso.com:secret'), 'user', CLIENT)).ok).to.equal(true);
      expect(auth.stats.passwordChecks, 'no password checked while throttled').to.equal(lookups);
    });

    it('tells a guesser whose address is throttled nothing of the accounts in use, whose own counts are low', async () => {
      const auth = make();
      const header = basic('boss@contoso.com:boss secret');
      expect((await auth.authenticate(header, 'user', CLIENT)).ok).to.equal(true);
      const sprayer = '203.0.113.67';
      for (let i = 0; i < 3; i++) await auth.authenticate(basic(`user${i}@contoso.com:guess`), 'user', sprayer);
      expect(auth.cached(header, 'user', sprayer)).to.equal(undefined);
      expect(errorOf(await auth.authenticate(header, 'user', sprayer))).to.deep.include({ status: 429 });
      expect(auth.cached(header, 'user', CLIENT)).to.deep.include({ ok: true });
    });

    it('a guesser at the client’s own address holds its remembered login back too: the two cannot be told apart', async () => {
      const auth = make();
      const header = basic('reader@contoso.com:secret');
      await auth.authenticate(header, 'user', CLIENT);
      for (let i = 0; i < 3; i++) await auth.authenticate(basic(`reader@contoso.com:guess ${i}`), 'user', CLIENT);
      expect(auth.cached(header, 'user', CLIENT)).to.equal(undefined);
      expect(errorOf(await auth.authenticate(header, 'user', CLIENT))).to.deep.include({ status: 429 });
    });

    it('tells a held-back guesser nothing by joining a client’s renewal in flight: each address is judged for itself', async () => {
      const auth = make();
      const header = basic('reader@contoso.com:secret');
      expect((await auth.authenticate(header, 'user', CLIENT)).ok).to.equal(true);
      const guesser = '203.0.113.66';
      for (let i = 0; i < 3; i++) await auth.authenticate(basic(`reader@contoso.com:guess ${i}`), 'user', guesser);
      // Another replica committed: the client's next request renews its login from the account row, and the guesser's comes at once.
      auth.accountsMayHaveChanged();
      const [client, guess] = await Promise.all([auth.authenticate(header, 'user', CLIENT), auth.authenticate(header, 'user', guesser)]);
      expect([client.ok, errorOf(guess)?.status]).to.deep.equal([true, 429]);
    });

    it('lets a client that logged in within a day back in past a guesser’s back-off once its remembered minute ran out, and no one else', async () => {
      let now = 5_000_000;
      const auth = make({ now: () => now });
      const header = basic('reader@contoso.com:secret');
      const guesser = '203.0.113.66';
      const status = async (authorization: string, address: string) => {
        const result = await auth.authenticate(authorization, 'user', address);
        return result.ok ? 200 : errorOf(result)!.status;
      };
      const guess = (n: number) => status(basic(`reader@contoso.com:guess ${n}`), guesser);
      expect(await status(header, CLIENT)).to.equal(200);
      for (let i = 0; i < 3; i++) expect(await guess(i)).to.equal(401);
      // Idle past the remembered minute (and the first back-off), while the guesser keeps the account held back.
      now += 61_000;
      expect(await guess(3)).to.equal(401);
      expect(await guess(4)).to.equal(429);
      const checks = auth.stats.passwordChecks;
      expect(await status(header, CLIENT), 'the client, checked again').to.equal(200);
      expect(auth.stats.passwordChecks).to.equal(checks + 1);
      // Its success forgave the guesser nothing, and the right password from an address that never used it is held back as any guess.
      expect(await guess(5)).to.equal(429);
      expect(await status(header, '198.51.100.200')).to.equal(429);
      // Its own network is its IPv4 address, or its IPv6 /64: another host there is that client.
      expect(await status(header, '192.0.2.11')).to.equal(429);
      // A day later it is no longer known: held back as any login.
      now += KNOWN_CLIENT_MS + 1;
      for (let i = 6; i < 9; i++) expect(await guess(i)).to.equal(401);
      expect(await status(header, CLIENT)).to.equal(429);
    });

    it('knows a client by its IPv6 /64, and holds it back once its login failed there', async () => {
      let now = 5_000_000;
      const auth = make({ now: () => now });
      const header = basic('reader@contoso.com:secret');
      expect((await auth.authenticate(header, 'user', '2001:db8:1:2::10')).ok).to.equal(true);
      for (let i = 0; i < 4; i++) await auth.authenticate(basic(`reader@contoso.com:guess ${i}`), 'user', '203.0.113.66');
      now += 61_000;
      await auth.authenticate(basic('reader@contoso.com:guess 4'), 'user', '203.0.113.66');
      // Another address of the same /64 (a privacy address) is the same client.
      expect((await auth.authenticate(header, 'user', '2001:db8:1:2::beef')).ok).to.equal(true);
      // A wrong password there is checked as known only if it is the known one: another is held back unchecked, and marks the login there.
      expect(errorOf(await auth.authenticate(basic('reader@contoso.com:guess 5'), 'user', '2001:db8:1:2::beef'))).to.deep.include({ status: 429 });
      now += 61_000;
      expect(errorOf(await auth.authenticate(header, 'user', '2001:db8:1:2::10'))).to.deep.include({ status: 429 });
    });

    it('counts a known client’s failure (its password changed since) as any failure, and holds it back from then on', async () => {
      let now = 5_000_000;
      const own = new SqliteStore(':memory:');
      await own.putAccount('reader@contoso.com', await hashPassword('secret'), 'user');
      const auth = make({ now: () => now }, own);
      const header = basic('reader@contoso.com:secret');
      expect((await auth.authenticate(header, 'user', CLIENT)).ok).to.equal(true);
      for (let i = 0; i < 4; i++) await auth.authenticate(basic(`reader@contoso.com:guess ${i}`), 'user', '203.0.113.66');
      await own.putAccount('reader@contoso.com', await hashPassword('new secret'), 'user');
      now += 61_000;
      const failures = auth.stats.basicFailures;
      expect(errorOf(await auth.authenticate(header, 'user', CLIENT))).to.deep.include({ status: 401 });
      expect(auth.stats.basicFailures).to.equal(failures + 1);
      expect(errorOf(await auth.authenticate(header, 'user', CLIENT))).to.deep.include({ status: 429 });
      await own.close();
    });

    it('keeps room in a full hashing queue for other sites: wrong logins over 30 networks of one IPv6 /48 do not make others’ logins 503', async () => {
      const auth = make({ hashing: { workers: 1, maxQueued: 8 } });
      // The decoy an unknown account is compared against, hashed once beforehand.
      expect(errorOf(await auth.authenticate(basic('nobody@contoso.com:x'), 'user', '203.0.113.200'))).to.deep.include({ status: 401 });
      const status = (result: AuthResult) => (result.ok ? 200 : errorOf(result)!.status);
      const flood = Array.from({ length: 30 }, (_, i) => auth.authenticate(basic(`victim${i}@contoso.com:x`), 'user', `2001:db8:0:${i.toString(16)}00::1`));
      // Once the flood has filled the queue (a hash takes milliseconds, a turn of the event loop microseconds).
      await new Promise((resolve) => setImmediate(resolve));
      const logins = [
        auth.authenticate(basic('reader@contoso.com:secret'), 'user', '192.0.2.50'),
        auth.authenticate(basic('boss@contoso.com:boss secret'), 'user', '2001:db8:1::7'),
      ];
      expect((await Promise.all(logins)).map(status)).to.deep.equal([200, 200]);
      const flooded = (await Promise.all(flood)).map(status);
      expect([flooded.filter((each) => each === 401).length, flooded.filter((each) => each === 503).length]).to.deep.equal([7, 23]);
    });

    it('a guesser at the client’s address, the account held back from elsewhere, is told nothing either: its unchecked guesses mark the login there', async () => {
      const auth = make();
      const header = basic('reader@contoso.com:secret');
      expect((await auth.authenticate(header, 'user', CLIENT)).ok).to.equal(true);
      for (let i = 0; i < 3; i++) await auth.authenticate(basic(`reader@contoso.com:guess ${i}`), 'user', '203.0.113.66');
      const checks = auth.stats.passwordChecks;
      const statuses: number[] = [];
      for (const password of ['w1', 'w2', 'secret', 'w3', 'secret']) {
        const result = await auth.authenticate(basic(`reader@contoso.com:${password}`), 'user', CLIENT);
        statuses.push(result.ok ? 200 : errorOf(result)!.status);
      }
      expect(statuses).to.deep.equal([429, 429, 429, 429, 429]);
      expect(auth.stats.passwordChecks, 'no password checked while held back').to.equal(checks);
    });
  });
});
