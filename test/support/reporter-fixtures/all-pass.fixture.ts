// Not a test of the bridge: one passing test, for counting-reporter.test.ts.
describe('fine', () => {
  it('runs', () => {});
});
