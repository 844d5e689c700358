import { expect } from 'chai';
import { formatChecks } from '../../src/sources/check-sources.js';

describe('formatChecks', () => {
  it("writes an upstream's words with their terminal controls and direction overrides escaped, one line a step", () => {
    const text = formatChecks([
      {
        name: 'crm',
        type: 'superoffice',
        steps: [{ step: 'reachable', ok: false, detail: 'HTTP 500: \u001b[2J\u001b]0;owned\u0007\nfake ok line \u202eeno' }],
      },
    ]);
    expect(text).to.equal('crm (superoffice)\n  FAIL reachable: HTTP 500: \\u001b[2J\\u001b]0;owned\\u0007\\u000afake ok line \\u202eeno\n');
  });
});
