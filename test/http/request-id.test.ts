import type { IncomingMessage } from 'node:http';
import { expect } from 'chai';
import { DIRECT } from '../../src/http/addressing.js';
import { requestIdOf } from '../../src/http/request-id.js';

describe('request ids', () => {
  const request = { headers: {}, socket: { remoteAddress: '192.0.2.7' } } as unknown as IncomingMessage;

  it("stay unique and within 12 characters past the counter's fourth digit (a longer id is a rope V8 flattens in every header check)", () => {
    // Past 46,656 (36^3) ids the counter has four base-36 digits: with an 8-character prefix, ids of 13.
    const ids = Array.from({ length: 50_000 }, () => requestIdOf(request, DIRECT));
    expect(new Set(ids).size).to.equal(ids.length);
    expect(Math.max(...ids.map((id) => id.length))).to.be.at.most(12);
    expect(ids.at(-1)).to.match(/^[0-9a-f]{6}-[0-9a-z]{1,5}$/);
  });
});
