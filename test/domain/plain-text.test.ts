import { expect } from 'chai';
import { withoutTrailingSlashes } from '../../src/domain/plain-text.js';
import { LONG_RUN } from '../support/long-run.js';

describe('plain text', () => {
  it('drops the slashes a URL ends with, and only those', () => {
    expect(withoutTrailingSlashes('https://crm.example.com/SuperOffice///')).to.equal('https://crm.example.com/SuperOffice');
    expect(withoutTrailingSlashes('https://crm.example.com/a//b')).to.equal('https://crm.example.com/a//b');
    expect(withoutTrailingSlashes('///')).to.equal('');
    expect(withoutTrailingSlashes('')).to.equal('');
  });

  it('reads a long run of slashes that does not end the text, and one that does', () => {
    const run = '/'.repeat(LONG_RUN);
    expect(withoutTrailingSlashes(`https://a.example${run}x`)).to.equal(`https://a.example${run}x`);
    expect(withoutTrailingSlashes(`https://a.example${run}`)).to.equal('https://a.example');
  });
});
