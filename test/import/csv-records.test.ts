import { expect } from 'chai';
import { readCsvRecords } from '../../src/import/csv-records.js';
import { ImportFileError } from '../../src/import/import-file-error.js';

describe('CSV reader: the header', () => {
  const columns = ['email', 'displayName'];
  const problemsOf = (content: string) => {
    try {
      readCsvRecords(content, columns);
    } catch (error) {
      expect(error).to.be.instanceOf(ImportFileError);
      return (error as ImportFileError).problems;
    }
    return expect.fail('the header should have been refused');
  };

  it('names each column given again once, however often, among 100,000 (each had been compared with all before it: 12 s)', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => (i % 2 === 0 ? 'email' : 'displayName'));
    expect(problemsOf(`${many.join(',')}\n`)).to.deep.equal([
      "line 1: the column 'email' is named more than once",
      "line 1: the column 'displayName' is named more than once",
    ]);
  });

  it('names every column it does not know', () => {
    expect(problemsOf('email,displayName,c0,c1\n')).to.deep.equal([
      "line 1: unknown column 'c0' (the columns are email, displayName)",
      "line 1: unknown column 'c1' (the columns are email, displayName)",
    ]);
  });
});

describe('CSV reader: where a row is', () => {
  const wheres = (content: string) => readCsvRecords<Record<string, string>>(content, ['email', 'displayName']).map(({ where }) => where);

  it('names a row by the line it starts on, past quoted line breaks and skipped blank lines, whichever line break the file writes', () => {
    for (const newline of ['\n', '\r\n', '\r']) {
      const file = ['', 'email,displayName', '', 'a@x.example,"Two', 'Lines"', 'b@x.example,"Three', '', 'Lines"', '', 'c@x.example,C', ''].join(newline);
      expect(wheres(file), JSON.stringify(newline)).to.deep.equal(['line 4', 'line 6', 'line 10']);
    }
  });

  it('reports a row with a quoted line break and the wrong number of fields at the line it starts on', () => {
    try {
      readCsvRecords('email,displayName\r\n"a@x.example\r\n",A,extra\r\n', ['email', 'displayName']);
      expect.fail('the row should have been refused');
    } catch (error) {
      expect((error as ImportFileError).problems).to.deep.equal(['line 2: 3 field(s), but the header has 2']);
    }
  });
});
