import { expect } from 'chai';
import { renewalTime } from '../../src/sources/token-renewal.js';

describe('when an access token is renewed', () => {
  const now = 1_000_000;
  it('five minutes before it ends, or half-way through a shorter life, kept a minute at least', () => {
    expect(renewalTime(3600, now)).to.equal(now + 55 * 60_000);
    expect(renewalTime('3599', now)).to.equal(now + 3599_000 - 5 * 60_000);
    expect(renewalTime(120, now)).to.equal(now + 60_000);
    // Said to live a second, or a millisecond: asked for again on nearly every call. Half a minute; a refusal renews it sooner.
    expect(renewalTime(1, now)).to.equal(now + 30_000);
    expect(renewalTime(0.001, now)).to.equal(now + 30_000);
  });

  it('never, when the server names no lifetime: kept until the API refuses it', () => {
    for (const missing of [undefined, null, 0, -5, 'soon', '']) expect(renewalTime(missing, now)).to.equal(Infinity);
  });
});
