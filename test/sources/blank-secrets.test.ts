import { expect } from 'chai';
import { blankSecrets, quotedUpstream } from '../../src/sources/blank-secrets.js';

describe('what an upstream said, secrets blanked', () => {
  it('blanks before it cuts: a secret cut short and glued to the text before it was logged', () => {
    const said = `${'A'.repeat(288)}topsecret-client-value`;
    const quoted = quotedUpstream(said, ['topsecret-client-value']);
    expect(quoted).to.equal(`${'A'.repeat(288)}…`);
    expect(quotedUpstream(`no secret here ${'x'.repeat(500)}`, ['topsecret-client-value'], 20)).to.equal('no secret here xxxxx');
  });

  it('blanks the longest secret first, so one within another leaves nothing of either', () => {
    expect(
      blankSecrets('signed Photo Bridge-pzqc70604i.202612052050.c2lnbmF0dXJl/aGVyZQ==', [
        'Photo Bridge-pzqc70604i',
        'Photo Bridge-pzqc70604i.202612052050.c2lnbmF0dXJl/aGVyZQ==',
      ]),
    ).to.equal('signed …');
  });
});
