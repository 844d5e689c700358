import { expect } from 'chai';
import { jsonWithUnseenEscaped, oneLine, oneTerminalLine, withoutTrailingSlashes } from '../../src/domain/plain-text.js';
import { LONG_RUN } from '../support/long-run.js';

describe('plain text', () => {
  it('escapes for a terminal what oneLine escapes, and format characters and those that show nothing; oneLine keeps those but the direction overrides, as HTTP answers carry them', () => {
    const text = 'a\u001b\n\u202Eb\u200bc\u00add\u{E0041}e\u2800f\u200c\u0639\u2067';
    expect(oneTerminalLine(text)).to.equal('a\\u001b\\u000a\\u202eb\\u200bc\\u00add\\u{e0041}e\\u2800f\\u200c\u0639\\u2067');
    expect(oneLine(text)).to.equal('a\\u001b\\u000a\\u202eb\u200bc\u00add\u{E0041}e\u2800f\u200c\u0639\\u2067');
    expect(oneTerminalLine('Zoë 😀 דנה')).to.equal('Zoë 😀 דנה');
  });

  it('escapes in a JSON line what oneTerminalLine escapes but the C0 controls, as JSON escapes: the same value, none of them in the text', () => {
    const value = 'a\u009b\u2028\u202Eb\u200bc\u{E0041}\u0639\u007f\udc00 Zoë 😀 דנה\n';
    const line = `${JSON.stringify({ value })}\n`;
    const escaped = jsonWithUnseenEscaped(line);
    expect(escaped).to.equal('{"value":"a\\u009b\\u2028\\u202eb\\u200bc\\udb40\\udc41\u0639\\u007f\\udc00 Zoë 😀 דנה\\n"}\n');
    expect((JSON.parse(escaped) as { value: string }).value).to.equal(value);
  });

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
