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

describe('the items of a JSON directory file', () => {
  it('names an item that is no object as such, and says which values hiddenFromAddressLists takes', () => {
    const json = JSON.stringify([null, 5, [], { email: 'a@contoso.com', displayName: 'A', hiddenFromAddressLists: 1 }]);
    const notAnObject = 'not an object (each item is a user: {"email": …, "displayName": …})';
    expect(problemsOf(json, 'json')).to.deep.equal([
      `item 1: ${notAnObject}`,
      `item 2: ${notAnObject}`,
      `item 3: ${notAnObject}`,
      'item 4: hiddenFromAddressLists is not true or false (JSON: a boolean, or "TRUE", "FALSE", "1" or "0" as text)',
    ]);
  });
});

describe('the fields a directory file leaves out', () => {
  it('are kept as stored: the columns a CSV file has not, one list for all its rows; the keys each JSON item has not', () => {
    const [first, second] = readDirectoryFile('email,displayName,title,ldapDn\na@contoso.com,A,,\nb@contoso.com,B,Eng,cn=B\n', 'csv');
    const keptByCsv = ['givenName', 'surname', 'alias', 'company', 'department', 'businessPhone', 'mobilePhone', 'sipAddress', 'manager'];
    expect(first?.kept).to.deep.equal([...keptByCsv, 'hiddenFromAddressLists', 'graphId', 'superOfficeId', 'whatsappPhone', 'ucwaPerson', 'otherAddresses']);
    expect(second?.kept).to.equal(first?.kept);

    const json = JSON.stringify([
      { email: 'c@contoso.com', displayName: 'C', givenName: '', surname: 'S', alias: 'c', company: 'Co', department: 'D', title: 'T' },
      { email: 'd@contoso.com', displayName: 'D', refs: { ldapDn: 'cn=D' }, hiddenFromAddressLists: false },
    ]);
    const [c, d] = readDirectoryFile(json, 'json');
    expect(c?.kept).to.deep.equal([
      'businessPhone',
      'mobilePhone',
      'sipAddress',
      'manager',
      'hiddenFromAddressLists',
      'ldapDn',
      'graphId',
      'superOfficeId',
      'whatsappPhone',
      'ucwaPerson',
      'otherAddresses',
    ]);
    expect(d?.kept).to.not.include.members(['ldapDn', 'hiddenFromAddressLists']);
    expect(d?.kept).to.include.members(['title', 'graphId', 'otherAddresses']);
  });

  it('are none for a file with every column, as an export writes it', () => {
    const header =
      'email,displayName,givenName,surname,alias,company,department,title,businessPhone,mobilePhone,sipAddress,manager,hiddenFromAddressLists,ldapDn,graphId,superOfficeId,whatsappPhone,ucwaPerson,otherAddresses';
    expect(readDirectoryFile(`${header}\na@contoso.com,A${','.repeat(17)}\n`, 'csv')[0]).to.not.have.property('kept');
  });
});
