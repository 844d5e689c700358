import { expect } from 'chai';
import { Authenticator } from '../../src/auth/authenticator.js';
import { parseBasicAuthorization } from '../../src/auth/basic-credentials.js';
import { hashPassword, verifyPassword } from '../../src/auth/password-hash.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

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

  it('returns nothing for other schemes, garbage and missing parts', () => {
    for (const header of [undefined, '', 'Bearer x', 'Basic', 'Basic ***', basic('nocolon'), basic(':password-only'), `Basic ${'A'.repeat(5000)}`]) {
      expect(parseBasicAuthorization(header), String(header)).to.equal(undefined);
    }
  });
});

describe('Authenticator', () => {
  let store: SqliteStore;
  before(async () => {
    store = new SqliteStore(':memory:');
    await store.putAccount('reader@contoso.com', await hashPassword('secret'), 'user');
  });
  after(() => store.close());

  it('accepts stored credentials and remembers them for the synchronous hot path', async () => {
    const auth = new Authenticator(store, { realm: 'realm', allowAnonymousRead: false });
    const header = basic('reader@contoso.com:secret');
    expect(auth.cached(header)).to.equal(undefined);
    expect(await auth.authenticateRead(header)).to.deep.equal({ ok: true, principal: { username: 'reader@contoso.com', role: 'user' } });
    expect(auth.cached(header)).to.deep.include({ ok: true });
  });

  it('refuses wrong passwords and unknown users with the same reason, and does not remember failures', async () => {
    const auth = new Authenticator(store, { realm: 'realm', allowAnonymousRead: false });
    const wrong = await auth.authenticateRead(basic('reader@contoso.com:nope'));
    const unknown = await auth.authenticateRead(basic('ghost@contoso.com:secret'));
    expect(wrong).to.deep.equal({ ok: false, reason: 'wrong user name or password' });
    expect(unknown).to.deep.equal(wrong);
    expect(auth.cached(basic('reader@contoso.com:nope'))).to.equal(undefined);
  });

  it('forgets remembered credentials when accounts change', async () => {
    const auth = new Authenticator(store, { realm: 'realm', allowAnonymousRead: false });
    const header = basic('reader@contoso.com:secret');
    await auth.authenticateRead(header);
    auth.forgetAll();
    expect(auth.cached(header)).to.equal(undefined);
  });

  it('with anonymous read on, lets reads through but still checks accounts for administration', async () => {
    const auth = new Authenticator(store, { realm: 'realm', allowAnonymousRead: true });
    expect((await auth.authenticateRead(undefined)).ok).to.equal(true);
    expect((await auth.authenticateAccount(undefined)).ok).to.equal(false);
    expect((await auth.authenticateAccount(basic('reader@contoso.com:secret'))).ok).to.equal(true);
  });

  it('verifies concurrent first requests with the same header once', async () => {
    class CountingStore extends SqliteStore {
      lookups = 0;
      override async getAccount(username: string) {
        this.lookups++;
        return super.getAccount(username);
      }
    }
    const counting = new CountingStore(':memory:');
    await counting.putAccount('reader@contoso.com', await hashPassword('secret'), 'user');
    const auth = new Authenticator(counting, { realm: 'realm', allowAnonymousRead: false });
    const results = await Promise.all(Array.from({ length: 20 }, () => auth.authenticateRead(basic('reader@contoso.com:secret'))));
    expect(results.every((result) => result.ok)).to.equal(true);
    expect(counting.lookups).to.equal(1);
    await counting.close();
  });

  it('re-verifies a remembered header in the background before it runs out, without making the caller wait', async () => {
    const auth = new Authenticator(store, { realm: 'realm', allowAnonymousRead: false, verifiedTtlMs: 1200 });
    const header = basic('reader@contoso.com:secret');
    await auth.authenticateRead(header);
    await new Promise((resolve) => setTimeout(resolve, 1050));
    expect(auth.cached(header), 'answered from memory in its last sixth').to.deep.include({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(auth.cached(header), 'renewed, so still remembered past the first TTL').to.deep.include({ ok: true });
    const lazy = new Authenticator(store, { realm: 'realm', allowAnonymousRead: false, verifiedTtlMs: 1200 });
    await lazy.authenticateRead(header);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(lazy.cached(header), 'without a request in its last sixth it simply expires').to.equal(undefined);
  });

  it('builds the Basic challenge from the realm', () => {
    expect(new Authenticator(store, { realm: 'Contoso photos', allowAnonymousRead: false }).challenge).to.equal('Basic realm="Contoso photos"');
  });
});
