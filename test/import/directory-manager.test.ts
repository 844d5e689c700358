import { expect } from 'chai';
import { readDirectoryFile } from '../../src/import/read-directory-file.js';
import { writeDirectoryFile } from '../../src/import/write-directory-file.js';
import { ImportFileError } from '../../src/import/import-file-error.js';

describe('the manager column of a directory file', () => {
  const csv = ['email,displayName,manager', 'ana@contoso.com,Ana Almeida,', 'bob@contoso.com,Bob Anand, Ana@Contoso.com '].join('\n');

  it('takes the manager as an address, lower-cased like every address; empty means none', () => {
    const users = readDirectoryFile(csv, 'csv');
    expect(users.map((user) => [user.email, user.manager])).to.deep.equal([
      ['ana@contoso.com', undefined],
      ['bob@contoso.com', 'ana@contoso.com'],
    ]);
    const json = JSON.stringify([{ email: 'cy@contoso.com', displayName: 'Cy', manager: 'bob@contoso.com' }]);
    expect(readDirectoryFile(json, 'json')[0]?.manager).to.equal('bob@contoso.com');
  });

  it('takes no manager for a person naming themselves, in any spelling, as import-ldap takes none', () => {
    const users = readDirectoryFile('email,displayName,manager\nself@contoso.com,Self,SELF@Contoso.com\nbob@contoso.com,Bob,self@contoso.com\n', 'csv');
    expect(users.map((user) => [user.email, user.manager])).to.deep.equal([
      ['self@contoso.com', undefined],
      ['bob@contoso.com', 'self@contoso.com'],
    ]);
    const json = JSON.stringify([{ email: 'self@contoso.com', displayName: 'Self', manager: 'Self@contoso.com' }]);
    expect(readDirectoryFile(json, 'json')[0]).to.not.have.property('manager');
  });

  it('refuses a manager that is not an address, naming the row and its every other problem', () => {
    let failure: unknown;
    try {
      readDirectoryFile('email,displayName,otherAddresses,manager\nbob@contoso.com,Bob,nobody,Ana Almeida\n', 'csv');
    } catch (error) {
      failure = error;
    }
    expect(failure).to.be.instanceOf(ImportFileError);
    // Every problem of the row, not the first alone.
    expect((failure as ImportFileError).message).to.include('line 2: otherAddresses.0 is not an SMTP address; manager is not an SMTP address');
  });

  it('is written by an export and read back the same, in CSV and JSON', () => {
    // As a store lists them: whole, with no fields kept (a JSON export leaves unset ones out, which read back as kept).
    const read = (content: string, format: 'csv' | 'json') => readDirectoryFile(content, format).map(({ kept: _kept, ...user }) => user);
    const users = read(csv, 'csv');
    for (const format of ['csv', 'json'] as const) expect(read(writeDirectoryFile(users, format), format)).to.deep.equal(users);
  });
});
