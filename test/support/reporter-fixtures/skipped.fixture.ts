// Not a test of the bridge: skipped tests beside a pass and a failure, for counting-reporter.test.ts.
describe('skipped', () => {
  it('runs', () => {});
  it.skip('skipped', () => {});
  it('skips itself', function () {
    this.skip();
  });
  it('fails', () => {
    throw new Error('x');
  });
});
