import { expect } from 'chai';
import { compareKeys, prefixEnd } from '../../src/store/search-text.js';

describe('compareKeys: keys in the stores’ order', () => {
  it('orders by code point, as UTF-8 bytes sort, where UTF-16 units put U+E000–U+FFFF after the astral planes', () => {
    expect(compareKeys('a\uE000', 'a\u{10000}')).to.be.below(0);
    expect(compareKeys('a\uFFFF', prefixEnd('a'))).to.be.below(0);
    expect(compareKeys('ab', 'a')).to.be.above(0);
    expect(compareKeys('same', 'same')).to.equal(0);
    const alphabet = ['a', 'z', 'é', '\uD7FF', '\uE000', '\uFFFD', '\uFFFF', '\u{10000}', '\u{1F600}', '\u{10FFFF}'];
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647);
    const keys = Array.from({ length: 500 }, () => Array.from({ length: 1 + (next() % 4) }, () => alphabet[next() % alphabet.length]).join(''));
    const byBytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...keys].sort(compareKeys)).to.deep.equal(byBytes);
  });
});
