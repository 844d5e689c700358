import { expect } from 'chai';
import { LoginThrottle, MAX_LOGINS_PER_ADDRESS } from '../../src/auth/login-throttle.js';

describe('login throttle', () => {
  /** The throttle's clock, moved by the tests. */
  let now = 0;
  beforeEach(() => {
    now = 1_000_000;
  });
  const options = { maxFailures: 3, backoffSeconds: 1, backoffMaxSeconds: 8, maxTracked: 100, now: () => now };
  const NAT = '192.0.2.1';
  /** A login let through, checked and refused. */
  const fail = (throttle: LoginThrottle, username: string, address: string) => {
    expect(throttle.attempt(username, address), `${username} from ${address}`).to.equal(0);
    throttle.failed(username, address);
  };

  it('lets the allowed failures through, then doubles the wait with each further failure, up to the cap', () => {
    const throttle = new LoginThrottle(options);
    const waits: number[] = [];
    for (let failure = 1; failure <= 8; failure++) {
      fail(throttle, 'user@contoso.com', `192.0.2.${failure}`);
      waits.push(throttle.waitSeconds('user@contoso.com', '192.0.2.99'));
      now += 8_000; // waited out, the next attempt is allowed and fails again
      expect(throttle.waitSeconds('user@contoso.com', '192.0.2.99')).to.equal(0);
    }
    expect(waits).to.deep.equal([0, 0, 1, 2, 4, 8, 8, 8]);
  });

  it('forgets the failures of an account and of an address after a quiet spell of twice the longest back-off (16 s), not before', () => {
    const throttle = new LoginThrottle(options);
    for (let i = 0; i < 3; i++) fail(throttle, 'typist@contoso.com', NAT);
    now += 16_000;
    fail(throttle, 'typist@contoso.com', NAT);
    expect(throttle.waitSeconds('typist@contoso.com', '192.0.2.99'), 'the fourth failure of the account, 16 s on').to.equal(2);
    expect(throttle.waitSeconds('other@contoso.com', NAT), 'the fourth failure at the address').to.equal(2);
    now += 16_001;
    fail(throttle, 'typist@contoso.com', NAT);
    expect(throttle.waitSeconds('typist@contoso.com', NAT), 'a first failure again').to.equal(0);
  });

  it('keeps a back-off as long as it was when the wall clock is stepped (NTP, a host resumed): by default it reads a clock that only moves forward', () => {
    const wallClock = Date.now;
    let stepMs = 0;
    Date.now = () => wallClock() + stepMs;
    try {
      const throttle = new LoginThrottle({ maxFailures: 3, backoffSeconds: 60, backoffMaxSeconds: 600, maxTracked: 100 });
      for (let i = 0; i < 3; i++) fail(throttle, 'user@contoso.com', NAT);
      // On the wall clock, an hour back made this back-off 3660 s, and an hour on ended it.
      stepMs = -3_600_000;
      expect(throttle.waitSeconds('user@contoso.com', NAT), 'an hour back').to.be.within(1, 60);
      stepMs = 3_600_000;
      expect(throttle.waitSeconds('user@contoso.com', NAT), 'an hour on').to.be.within(1, 60);
    } finally {
      Date.now = wallClock;
    }
  });

  it('counts an attempt against its account as it is let through: guesses at one account sent at once see each other', () => {
    const throttle = new LoginThrottle(options);
    const answers = Array.from({ length: 40 }, (_, i) => throttle.attempt('victim@contoso.com', `192.0.2.${i}`));
    expect(answers.filter((wait) => wait === 0)).to.have.length(3);
    expect(answers.slice(3).every((wait) => wait === 1)).to.equal(true);
  });

  it('holds up no one behind one address for logins still being checked: eight colleagues at once all go through', () => {
    const throttle = new LoginThrottle(options);
    expect(Array.from({ length: 8 }, (_, i) => throttle.attempt(`colleague${i}@contoso.com`, NAT))).to.deep.equal(new Array<number>(8).fill(0));
  });

  it('counts the failures of an address, whichever accounts they were for', () => {
    const throttle = new LoginThrottle(options);
    for (let i = 0; i < 3; i++) fail(throttle, `user${i}@contoso.com`, NAT);
    expect(throttle.waitSeconds('someone.else@contoso.com', NAT)).to.equal(1);
    expect(throttle.waitSeconds('someone.else@contoso.com', '192.0.2.2')).to.equal(0);
  });

  it('forgives, on a success, what that login failed at that address, and nothing else', () => {
    const throttle = new LoginThrottle(options);
    fail(throttle, 'typist@contoso.com', NAT);
    fail(throttle, 'typist@contoso.com', NAT);
    throttle.passed('typist@contoso.com', NAT);
    fail(throttle, 'victim0@contoso.com', NAT);
    fail(throttle, 'victim1@contoso.com', NAT);
    // The guesser's own login, right, clears nothing: not their failures elsewhere either.
    fail(throttle, 'guesser@contoso.com', '198.51.100.7');
    fail(throttle, 'guesser@contoso.com', '198.51.100.8');
    throttle.passed('guesser@contoso.com', NAT);
    fail(throttle, 'victim2@contoso.com', NAT);
    expect(throttle.waitSeconds('victim9@contoso.com', NAT), 'three victims failed here').to.equal(1);
  });

  it('takes back an attempt nothing was checked for', () => {
    const throttle = new LoginThrottle(options);
    for (let i = 0; i < 3; i++) expect(throttle.attempt('user@contoso.com', NAT)).to.equal(0);
    expect(throttle.waitSeconds('user@contoso.com', '192.0.2.8')).to.equal(1);
    throttle.uncounted('user@contoso.com');
    expect(throttle.waitSeconds('user@contoso.com', '192.0.2.8')).to.equal(0);
  });

  it('counts an IPv6 client by its /64 and an IPv4 client written as IPv6 as that IPv4 address', () => {
    const throttle = new LoginThrottle(options);
    for (let i = 1; i <= 3; i++) fail(throttle, `spray${i}@contoso.com`, `2001:db8:5:7::${i.toString(16)}`);
    expect(throttle.waitSeconds('other@contoso.com', '2001:db8:5:7:ffff:1:2:3'), 'another address of the same /64').to.equal(1);
    expect(throttle.waitSeconds('other@contoso.com', '2001:0db8:0005:0007::abcd'), 'written out in full').to.equal(1);
    expect(throttle.waitSeconds('other@contoso.com', '2001:db8:5:8::1'), 'the next /64').to.equal(0);
    for (let i = 1; i <= 3; i++) fail(throttle, `spray${i}@contoso.com`, '::ffff:198.51.100.9');
    expect(throttle.waitSeconds('other@contoso.com', '198.51.100.9')).to.equal(1);
    expect(throttle.waitSeconds('other@contoso.com', '198.51.100.10')).to.equal(0);
  });

  it('counts a client that a translator (NAT64, SIIT) gave an IPv6 address by that whole address, and a 6to4 one by its IPv4 address', () => {
    const throttle = new LoginThrottle(options);
    for (const [translated, another] of [
      ['64:ff9b::198.51.100.9', '64:ff9b::198.51.100.10'],
      ['::ffff:0:198.51.100.9', '::ffff:0:198.51.100.10'],
    ]) {
      for (let i = 1; i <= 3; i++) fail(throttle, `spray${i}@contoso.com`, translated!);
      expect(throttle.waitSeconds('other@contoso.com', translated!)).to.equal(1);
      // Every IPv4 client of the translator has an address in the one /64: counted by it, one guesser locked them all out.
      expect(throttle.waitSeconds('other@contoso.com', another!), `${another} is another client`).to.equal(0);
    }
    // 6to4 gives an IPv4 address a /48: 65,536 /64s to guess from.
    for (let i = 1; i <= 3; i++) fail(throttle, `spray${i}@contoso.com`, `2002:c633:6409:${i}::1`);
    expect(throttle.waitSeconds('other@contoso.com', '2002:c633:6409:ffff::1')).to.equal(1);
    expect(throttle.waitSeconds('other@contoso.com', '2002:c633:640a:1::1'), 'another IPv4 address').to.equal(0);
  });

  it("counts a Teredo client by its IPv4 address (RFC 4380 §4: the last 32 bits inverted), not by its Teredo server's /64", () => {
    const throttle = new LoginThrottle(options);
    // Server 65.54.227.120, client 192.0.2.45 (inverted: 3fff:fdd2) behind port 40000 (inverted: 63bf).
    for (let i = 1; i <= 3; i++) fail(throttle, `spray${i}@contoso.com`, '2001:0:4136:e378:8000:63bf:3fff:fdd2');
    expect(throttle.waitSeconds('other@contoso.com', '2001:0:4136:e378:8000:1234:3fff:fdd2'), 'the same client, another port').to.equal(1);
    expect(throttle.waitSeconds('other@contoso.com', '192.0.2.45'), 'its IPv4 address').to.equal(1);
    expect(throttle.waitSeconds('other@contoso.com', '2001:0:4136:e378:8000:63bf:3fff:fdd3'), 'another client of the same server').to.equal(0);
  });

  it('remembers a bounded number of accounts and addresses, the least recently failed forgotten first', () => {
    const throttle = new LoginThrottle({ ...options, maxTracked: 10 });
    for (let i = 0; i < 3; i++) fail(throttle, 'victim@contoso.com', NAT);
    expect(throttle.waitSeconds('victim@contoso.com', '192.0.2.7')).to.equal(1);
    for (let i = 0; i < 10; i++) fail(throttle, `spray${i}@contoso.com`, `198.51.100.${i}`);
    expect(throttle.waitSeconds('victim@contoso.com', '192.0.2.7'), 'pushed out by twenty newer entries').to.equal(0);
  });

  it('remembers which logins failed at an address by name up to a limit, then by a bit each: a forgotten guess is no oracle, and few others are held back', () => {
    const throttle = new LoginThrottle(options);
    const victim = 'adele.vance@contoso.com';
    fail(throttle, victim, NAT);
    for (let i = 0; i < 3 * MAX_LOGINS_PER_ADDRESS; i++) {
      now += options.backoffMaxSeconds * 1000;
      fail(throttle, `spray${i}@contoso.com`, NAT);
    }
    // The victim's failure is long let go of by name, and is still one that may have been.
    expect(throttle.mayHaveFailedAt(victim, NAT)).to.equal(true);
    expect(throttle.mayHaveFailedAt(victim, '198.51.100.7'), 'another address').to.equal(false);
    // Two thirds of the names let go of: the bits they set take few of a thousand others for failed ones.
    const heldBack = Array.from({ length: 1000 }, (_, i) => throttle.mayHaveFailedAt(`colleague${i}@contoso.com`, NAT)).filter(Boolean).length;
    expect(heldBack).to.be.below(100);
    // The address still counts every failure: a forgotten login's success forgives none of them.
    throttle.passed(victim, NAT);
    expect(throttle.waitSeconds('anyone@contoso.com', NAT)).to.equal(options.backoffMaxSeconds);
  });

  it('marks a login tried at an address while held back, unchecked, as one that may have failed there, until it logs in there', () => {
    const throttle = new LoginThrottle(options);
    const victim = 'adele.vance@contoso.com';
    // Held back from elsewhere: the account.
    for (let i = 0; i < 3; i++) fail(throttle, victim, '203.0.113.66');
    expect(throttle.attempt(victim, NAT)).to.be.above(0);
    expect([throttle.mayHaveFailedAt(victim, NAT), throttle.waitSeconds('colleague@contoso.com', NAT)]).to.deep.equal([true, 0]);
    now += options.backoffMaxSeconds * 1000;
    expect(throttle.attempt(victim, NAT)).to.equal(0);
    throttle.passed(victim, NAT);
    expect(throttle.mayHaveFailedAt(victim, NAT)).to.equal(false);
  });
});
