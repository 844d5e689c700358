import { expect } from 'chai';
import type { PhotoSize } from '../../src/domain/size-code.js';
import { conversionRequestOf } from '../../src/rest/conversion-query.js';

describe('conversion parameters: one result per name', () => {
  it('drops a width or height no smaller than the photo size: it bounds nothing', () => {
    const of = (query: string, size: PhotoSize) => conversionRequestOf(new URLSearchParams(query), undefined, size)?.conversion;
    expect(of('w=49&type=png', 48)).to.deep.equal({ type: 'png' });
    expect(of('w=600&h=48&type=png', 48)).to.deep.equal({ type: 'png' });
    expect(of('w=40&h=600&type=png', 48)).to.deep.equal({ width: 40, type: 'png' });
    // Nothing left to change: no conversion at all, the plain photo.
    expect(conversionRequestOf(new URLSearchParams('w=96'), undefined, 96)).to.equal(undefined);
  });
});
