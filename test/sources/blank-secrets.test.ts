import { expect } from 'chai';
import { blankSecrets, quotedErrorCode, quotedUpstream } from '../../src/sources/blank-secrets.js';

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

  it("blanks a token endpoint's error code as its description: UCWA's password, SuperOffice's secret echoed there were logged", () => {
    expect(quotedErrorCode('invalid_grant', ['HunterPassword2'])).to.equal('invalid_grant');
    expect(quotedErrorCode('HunterPassword2', ['HunterPassword2'])).to.equal('…');
    expect(quotedErrorCode('bad_request client_secret=SoClientSecret999', ['SoClientSecret999'])).to.equal('bad_request client_secret=…');
    expect(quotedErrorCode(400, ['x'])).to.equal(undefined);
  });
});
