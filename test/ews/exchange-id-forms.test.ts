import { expect } from 'chai';
import { ewsIdsOfRestId, readExchangeId, restIdOf, writeExchangeId, EXCHANGE_ID_FORMATS } from '../../src/ews/exchange-id-forms.js';

// One message's ids as Exchange Online gave them through EWS and through Graph (microsoftgraph/microsoft-graph-docs-contrib#2924).
const EWS_ID =
  'AAMkAGUzMWEzZmRjLTkzY2EtNDMxNS1hOTMzLWRiZjQyNjE2MDc0NgFRAAgI2a+mhiqAAEYAAAAAsWi2nD1JzUqEiTxqPbFNSgcA2iKnZiVk1kCLU+Dw4WArgQAAAAABDQAA2iKnZiVk1kCLU+Dw4WArgQAASTCjRwAAEA==';
const GRAPH_ID =
  'AAMkAGUzMWEzZmRjLTkzY2EtNDMxNS1hOTMzLWRiZjQyNjE2MDc0NgFRAAgI2a_mhiqAAEYAAAAAsWi2nD1JzUqEiTxqPbFNSgcA2iKnZiVk1kCLU_Dw4WArgQAAAAABDQAA2iKnZiVk1kCLU_Dw4WArgQAASTCjRwAAEA==';

describe('Exchange id forms', () => {
  it('writes an EWS id as Exchange gives it to Graph, and reads it back', () => {
    expect(restIdOf(EWS_ID)).to.equal(GRAPH_ID);
    expect(ewsIdsOfRestId(GRAPH_ID)[0]).to.equal(EWS_ID);
    // `/` is written `-` (OfficeDev/office-js#754: "replace _ with + and - with /" to go back).
    expect(restIdOf('ab/c+d==')).to.equal('ab-c_d==');
    expect(ewsIdsOfRestId('ab-c_d==')).to.deep.equal(['ab/c+d==', 'ab+c/d==']);
    expect(ewsIdsOfRestId('abcd')).to.deep.equal(['abcd']);
  });

  it('writes entry ids URL-safe, the padding as its count, and reads every form back', () => {
    expect(writeExchangeId('ab/c+d==', 'entryId')).to.equal('ab_c-d2');
    expect(writeExchangeId('abc/', 'immutableEntryId')).to.equal('abc_0');
    for (const format of EXCHANGE_ID_FORMATS) expect(readExchangeId(writeExchangeId(EWS_ID, format), format)[0], format).to.equal(EWS_ID);
    expect(readExchangeId('abc', 'entryId')).to.deep.equal([]);
    expect(readExchangeId('ab+c0', 'entryId')).to.deep.equal([]);
  });
});
