import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MOCHA = fileURLToPath(new URL('../../node_modules/mocha/bin/mocha.js', import.meta.url));

/** mocha run on one fixture with the project's settings (.mocharc.json: this reporter), as CI runs it: its last line and exit code. */
function runFixture(name: string): Promise<{ line: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MOCHA, `test/support/reporter-fixtures/${name}.fixture.ts`], { cwd: ROOT });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ line: stdout.trim().split('\n').at(-1)!, status }));
  });
}

describe('the test run’s closing line (CI reads "N passed, M failed")', () => {
  it('counts the tests a failing before hook kept from running, and the run fails', async () => {
    const { line, status } = await runFixture('failing-hook');
    expect(line).to.equal('0 passed, 1 failed, 3 not run');
    expect(status).to.equal(4);
  });

  it('counts pending tests (what skipping leaves) as not run, and the run fails even where nothing else did', async () => {
    const { line, status } = await runFixture('pending');
    expect(line).to.equal('1 passed, 1 failed, 2 not run');
    expect(status).to.equal(3);
  });

  it('ends a run where every test passed with 0 not run and exit code 0', async () => {
    expect(await runFixture('all-pass')).to.deep.equal({ line: '1 passed, 0 failed, 0 not run', status: 0 });
  });
});
