import { expect } from 'chai';
import { loadOperationTable, OPERATION_HANDLERS } from '../../src/ews/operation-table.js';
import { readWsdlContract } from '../../src/ews/wsdl-contract.js';
import { MESSAGES_NS } from '../support/soap.js';

describe('the EWS operation table and wsdl/', () => {
  it('has a handler for exactly the operations the served WSDL declares, dispatched by their request element', async () => {
    const contract = await readWsdlContract();
    expect(contract.map((op) => op.name).sort()).to.deep.equal([...OPERATION_HANDLERS.keys()].sort());
    for (const op of contract) {
      expect(op.soapAction).to.equal(`${MESSAGES_NS}/${op.name}`);
      expect(op.requestElement).to.deep.equal({ local: op.name, ns: MESSAGES_NS });
      // GetPersona's answer is its one response message, named so, as Exchange writes it (exchangelib reads GetPersonaResponseMessage).
      expect(op.responseElement).to.equal(op.name === 'GetPersona' ? 'GetPersonaResponseMessage' : `${op.name}Response`);
    }
    const table = await loadOperationTable();
    expect([...table.keys()].sort()).to.deep.equal(contract.map((op) => op.requestElement.local).sort());
    expect(table.get('constructor')).to.equal(undefined);
  });

  it('refuses to start when code and WSDL disagree', async () => {
    const contract = await readWsdlContract();
    const extra = {
      name: 'ExpandDL',
      soapAction: `${MESSAGES_NS}/ExpandDL`,
      requestElement: { local: 'ExpandDL', ns: MESSAGES_NS },
      responseElement: 'ExpandDLResponse',
    };
    const missingOne = contract.filter((op) => op.name !== 'GetItem');
    const problem = async (ops: typeof contract) =>
      await loadOperationTable(ops).then(
        () => '',
        (error: Error) => error.message,
      );
    expect(await problem([...contract, extra])).to.match(/declares ExpandDL, which has no handler/);
    expect(await problem(missingOne)).to.match(/GetItem has a handler but is not in the WSDL/);
  });
});
