// Not a test of the bridge: a file whose before hook fails, for counting-reporter.test.ts.
describe('a failing before hook', () => {
  before(() => {
    throw new Error('no server');
  });
  it('one', () => {});
  it('two', () => {});
  it('three', () => {});
});
