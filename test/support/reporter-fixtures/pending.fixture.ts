// Not a test of the bridge: pending tests (written without a body, as mocha's skipping leaves
// them) beside a pass and a failure, for counting-reporter.test.ts.
describe('pending', () => {
  it('runs', () => {});
  it('is written without a body');
  it('is written without a body too');
  it('fails', () => {
    throw new Error('x');
  });
});
