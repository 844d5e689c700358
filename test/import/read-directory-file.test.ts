import { expect } from 'chai';
import { ImportFileError } from '../../src/import/import-file-error.js';
import { readDirectoryFile } from '../../src/import/read-directory-file.js';

/** The problems a refused file lists, or [] for a file read. */
function problemsOf(content: string, format: 'csv' | 'json'): string[] {
  try {
    readDirectoryFile(content, format);
    return [];
  } catch (error) {
    if (!(error instanceof ImportFileError)) throw error;
    return error.problems;
  }
}

describe('the refs of a JSON directory file', () => {
  it('takes the references nested under refs, as an export writes them', () => {
    const json = JSON.stringify([{ email: 'lee.gu@contoso.com', displayName: 'Lee Gu', refs: { ldapDn: 'cn=Lee Gu', graphId: 'g-1' } }]);
    expect(readDirectoryFile(json, 'json')[0]?.refs).to.deep.equal({ ldapDn: 'cn=Lee Gu', graphId: 'g-1' });
  });

  it('refuses the whole file for a key in refs that is no reference, naming it, rather than letting it overwrite the item', () => {
    const json = JSON.stringify([
      { email: 'ok@contoso.com', displayName: 'Ok' },
      { email: 'newbie@contoso.com', displayName: 'Newbie', refs: { email: 'alex.wilber@contoso.com', displayName: 'Alex (pwned)', graphId: 'g-2' } },
      { email: 'both@contoso.com', displayName: 'Both', graphId: 'g-3', refs: { graphId: 'g-4' } },
      { email: 'list@contoso.com', displayName: 'List', refs: ['cn=List'] },
    ]);
    expect(problemsOf(json, 'json')).to.deep.equal([
      "item 2: unknown reference 'email', 'displayName' in refs (the references are ldapDn, graphId, superOfficeId, whatsappPhone, ucwaPerson)",
      "item 3: 'graphId' given both in refs and beside it",
      'item 4: refs is not an object',
    ]);
  });
});
