import { expect } from 'chai';
import { initialsOf } from '../../src/photos/initials.js';
import { PERSONA_COLOURS } from '../../src/photos/placeholder.js';

/** WCAG 2.2's relative luminance of an sRGB colour written #rrggbb. */
function luminance(colour: string): number {
  const [r, g, b] = [1, 3, 5].map((at) => parseInt(colour.slice(at, at + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

describe('the initials of a placeholder', () => {
  it('are the first letters of the first and last words, accents and strokes left off', () => {
    expect(initialsOf('Émile Zola')).to.equal('EZ');
    expect(initialsOf('Øyvind Straße')).to.equal('OS');
    expect(initialsOf('Łukasz Ćwikła')).to.equal('LC');
    expect(initialsOf('đorđe ıbrahim Æsir')).to.equal('DA');
    expect(initialsOf('megan.bowen@contoso.com')).to.equal('MB');
    expect(initialsOf('王小明')).to.equal('');
  });

  it("read a letter's compatibility forms as the letter: digraphs, Fraktur and full-width letters", () => {
    expect(initialsOf('\u01C5emal \u01C8uba')).to.equal('DL');
    expect(initialsOf('\u210C Fraktur')).to.equal('HF');
    expect(initialsOf('\uFF21nna \uFF3Aeta')).to.equal('AZ');
  });

  it('are white on grounds each with a contrast of at least 4.5:1 (WCAG 2.2 1.4.3), so everyone can read them', () => {
    const contrasts = PERSONA_COLOURS.map((colour) => [colour, (1 + 0.05) / (luminance(colour) + 0.05)] as const);
    expect(contrasts.filter(([, contrast]) => contrast < 4.5)).to.deep.equal([]);
  });
});
