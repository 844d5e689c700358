import { expect } from 'chai';
import { initialsOf } from '../../src/photos/initials.js';

describe('the initials of a placeholder', () => {
  it('are the first letters of the first and last words, accents and strokes left off', () => {
    expect(initialsOf('Émile Zola')).to.equal('EZ');
    expect(initialsOf('Øyvind Straße')).to.equal('OS');
    expect(initialsOf('Łukasz Ćwikła')).to.equal('LC');
    expect(initialsOf('đorđe ıbrahim Æsir')).to.equal('DA');
    expect(initialsOf('megan.bowen@contoso.com')).to.equal('MB');
    expect(initialsOf('王小明')).to.equal('');
  });
});
