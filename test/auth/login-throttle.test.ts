import { expect } from 'chai';
import { LoginThrottle } from '../../src/auth/login-throttle.js';

describe('login throttle', () => {
  const options = { maxFailures: 3, backoffSeconds: 1, backoffMaxSeconds: 8, maxTracked: 100 };
  const start = 1_000_000;

  it('lets the allowed failures through, then doubles the wait with each further failure, up to the cap', () => {
    const throttle = new LoginThrottle(options);
    const waits: number[] = [];
    let now = start;
    for (let failure = 1; failure <= 8; failure++) {
      throttle.recordFailure('user@contoso.com', '192.0.2.1', now);
      waits.push(throttle.waitSeconds('user@contoso.com', '192.0.2.99', now));
      now += 60_000; // waited out, the next attempt is allowed and fails again
      expect(throttle.waitSeconds('user@contoso.com', '192.0.2.99', now)).to.equal(0);
    }
    expect(waits).to.deep.equal([0, 0, 1, 2, 4, 8, 8, 8]);
  });

  it('counts per client address as well, and a success clears both', () => {
    const throttle = new LoginThrottle(options);
    for (let i = 0; i < 3; i++) throttle.recordFailure(`user${i}@contoso.com`, '192.0.2.1', start);
    expect(throttle.waitSeconds('someone.else@contoso.com', '192.0.2.1', start)).to.equal(1);
    expect(throttle.waitSeconds('someone.else@contoso.com', '192.0.2.2', start)).to.equal(0);
    throttle.recordSuccess('user0@contoso.com', '192.0.2.1');
    expect(throttle.waitSeconds('someone.else@contoso.com', '192.0.2.1', start)).to.equal(0);
  });

  it('remembers a bounded number of accounts and addresses, the least recently failed forgotten first', () => {
    const throttle = new LoginThrottle({ ...options, maxTracked: 10 });
    for (let i = 0; i < 3; i++) throttle.recordFailure('victim@contoso.com', '192.0.2.1', start);
    expect(throttle.waitSeconds('victim@contoso.com', '192.0.2.7', start)).to.equal(1);
    for (let i = 0; i < 10; i++) throttle.recordFailure(`spray${i}@contoso.com`, `198.51.100.${i}`, start);
    expect(throttle.waitSeconds('victim@contoso.com', '192.0.2.7', start), 'pushed out by twenty newer entries').to.equal(0);
  });
});
