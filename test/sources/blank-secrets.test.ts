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

  it("blanks a piece of a secret glued to a word, as Graph's error code cut to 64 characters carries one", () => {
    const token = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20ifQ.c2lnbmF0dXJl';
    expect(quotedErrorCode(`Denied_${token}`.slice(0, 64), [token])).to.equal('Denied_…');
    expect(blankSecrets(`x${token.slice(20, 40)}_Request_ResourceNotFound`, [token])).to.equal('x…_Request_ResourceNotFound');
    // Seven characters of it are no piece: words are not blanked for a letter or two they share with a secret.
    expect(blankSecrets(`Denied_${token.slice(0, 7)}`, [token])).to.equal(`Denied_${token.slice(0, 7)}`);
  });

  it('blanks a piece of a secret after a dotted capital I, which lower-cases to two characters and shifted where pieces were cut', () => {
    const token = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20ifQ.c2lnbmF0dXJl';
    expect(quotedUpstream(`${'İ'.repeat(60)}${token.slice(0, 50)}`, [token])).to.equal(`${'İ'.repeat(60)}…`);
    expect(blankSecrets(`İstanbul_${token.slice(10, 40)}_İzmir`, [token])).to.equal('İstanbul_…_İzmir');
    // A secret with one in it still matches itself, whole or in part.
    expect(blankSecrets('denied İSTANBUL-Secret-42 and _İstanbul-secr', ['İstanbul-Secret-42'])).to.equal('denied … and _…');
  });

  describe('URL-encoded secrets', () => {
    const password = 'p@ss/w0rd+Secret=Value!';
    const token = 'Xk9#qL2$vB7!mN4@wQ';

    it('decodes each encoded run on its own: one stray % stopped all decoding, and an encoded password was logged', () => {
      expect(quotedUpstream(`100% failed; client_secret=${encodeURIComponent(password)}`, [password])).to.equal('100% failed; client_secret=…');
      // A character cut in two at the end of a run leaves the rest of the run decoded, and blanked.
      const cyrillic = 'пароль-секрет-42';
      expect(blankSecrets(`bad ${encodeURIComponent(cyrillic).slice(0, 52)} 50%`, [cyrillic])).to.equal('bad …%D0 50%');
    });

    it("blanks a form's password, whose spaces are written +, whole or cut short", () => {
      const phrase = 'correct horse battery staple';
      expect(quotedUpstream('password=correct+horse+battery+staple&grant_type=password', [phrase])).to.equal('password=…&grant_type=password');
      expect(quotedUpstream('password=Correct+Horse+Batt', [phrase])).to.equal('password=…');
    });

    it('blanks a secret encoded twice, and one with a % in it echoed as it was sent', () => {
      expect(quotedUpstream(`secret=${encodeURIComponent(encodeURIComponent(password))}`, [password])).to.equal('secret=…');
      expect(quotedUpstream(`next=${encodeURIComponent(`https://app/?pw=${encodeURIComponent(token.slice(0, 12))}`)}`, [token])).to.equal(
        'next=https://app/?pw=…',
      );
      expect(quotedUpstream('echo Pa%41ss-Word%2520long', ['Pa%41ss-Word%2520long'])).to.equal('echo …');
    });
  });
});
