import { expect } from 'chai';
import { LoginThrottle } from '../../src/auth/login-throttle.js';

describe('login throttle', () => {
  const options = { maxFailures: 3, backoffSeconds: 1, backoffMaxSeconds: 8, maxTracked: 100 };
  const start = 1_000_000;
  /** `count` attempts let through and never passed: failures. */
  const fail = (throttle: LoginThrottle, count: number, username: (i: number) => string | undefined, address: (i: number) => string, now = start) => {
    for (let i = 0; i < count; i++) expect(throttle.attempt(username(i), address(i), now), `attempt ${i}`).to.equal(0);
  };

  it('lets the allowed failures through, then doubles the wait with each further failure, up to the cap', () => {
    const throttle = new LoginThrottle(options);
    const waits: number[] = [];
    let now = start;
    for (let failure = 1; failure <= 8; failure++) {
      expect(throttle.attempt('user@contoso.com', '192.0.2.1', now)).to.equal(0);
      waits.push(throttle.waitSeconds('user@contoso.com', '192.0.2.99', now));
      now += 60_000; // waited out, the next attempt is allowed and fails again
      expect(throttle.waitSeconds('user@contoso.com', '192.0.2.99', now)).to.equal(0);
    }
    expect(waits).to.deep.equal([0, 0, 1, 2, 4, 8, 8, 8]);
  });

  it('counts an attempt as it is let through: guesses sent at once see each other', () => {
    const throttle = new LoginThrottle(options);
    const answers = Array.from({ length: 40 }, (_, i) => throttle.attempt('victim@contoso.com', `192.0.2.${i}`, start));
    expect(answers.filter((wait) => wait === 0)).to.have.length(3);
    expect(answers.slice(3).every((wait) => wait === 1)).to.equal(true);
  });

  it('counts per client address as well', () => {
    const throttle = new LoginThrottle(options);
    fail(
      throttle,
      3,
      (i) => `user${i}@contoso.com`,
      () => '192.0.2.1',
    );
    expect(throttle.waitSeconds('someone.else@contoso.com', '192.0.2.1', start)).to.equal(1);
    expect(throttle.waitSeconds('someone.else@contoso.com', '192.0.2.2', start)).to.equal(0);
  });

  it('forgives, on a success, its own account’s failures at the address, and no one else’s', () => {
    const throttle = new LoginThrottle(options);
    fail(
      throttle,
      2,
      () => 'typist@contoso.com',
      () => '192.0.2.1',
    );
    throttle.passed('typist@contoso.com', '192.0.2.1');
    fail(
      throttle,
      2,
      (i) => `victim${i}@contoso.com`,
      () => '192.0.2.1',
    );
    // The guesser's own login, right (renewed from a check before, or checked now), clears nothing of theirs.
    throttle.passed('guesser@contoso.com', '192.0.2.1');
    expect(throttle.attempt('guesser@contoso.com', '192.0.2.1', start)).to.equal(0);
    throttle.passed('guesser@contoso.com', '192.0.2.1');
    fail(
      throttle,
      1,
      () => 'victim2@contoso.com',
      () => '192.0.2.1',
    );
    expect(throttle.waitSeconds('victim9@contoso.com', '192.0.2.1', start), 'three victims failed here').to.equal(1);
  });

  it('takes back an attempt nothing was checked for', () => {
    const throttle = new LoginThrottle(options);
    fail(
      throttle,
      3,
      () => 'user@contoso.com',
      () => '192.0.2.1',
    );
    expect(throttle.waitSeconds('user@contoso.com', '192.0.2.1', start)).to.equal(1);
    throttle.uncounted('user@contoso.com', '192.0.2.1');
    expect(throttle.waitSeconds('user@contoso.com', '192.0.2.1', start)).to.equal(0);
    expect(throttle.attempt(undefined, '192.0.2.7', start)).to.equal(0);
    throttle.uncounted(undefined, '192.0.2.7');
    fail(
      throttle,
      2,
      () => undefined,
      () => '192.0.2.7',
    );
    expect(throttle.waitSeconds(undefined, '192.0.2.7', start), 'two tokens refused of three allowed').to.equal(0);
  });

  it('remembers a bounded number of accounts and addresses, the least recently failed forgotten first', () => {
    const throttle = new LoginThrottle({ ...options, maxTracked: 10 });
    fail(
      throttle,
      3,
      () => 'victim@contoso.com',
      () => '192.0.2.1',
    );
    expect(throttle.waitSeconds('victim@contoso.com', '192.0.2.7', start)).to.equal(1);
    fail(
      throttle,
      10,
      (i) => `spray${i}@contoso.com`,
      (i) => `198.51.100.${i}`,
    );
    expect(throttle.waitSeconds('victim@contoso.com', '192.0.2.7', start), 'pushed out by twenty newer entries').to.equal(0);
  });
});
