// mocha's spec reporter, plus the closing line CI reads: "N passed, M failed, K not run".
// A test that never ran (skipped, or past a hook that failed) is neither a pass nor a
// failure: counted only as those two, a file whose `before` failed showed "0 passed,
// 1 failed" for its three tests, and a skipped test let the run end green.
const Mocha = require('mocha');

const { EVENT_RUN_END, EVENT_TEST_FAIL } = Mocha.Runner.constants;

class CountingReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    // Hooks fail under this event too, and a test may fail more than once (an error after it ended).
    const failedTests = new Set();
    runner.on(EVENT_TEST_FAIL, (runnable) => {
      if (runnable.type === 'test') failedTests.add(runnable);
    });
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures } = runner.stats;
      // runner.total counts the tests the run was to make (after --grep), pending ones included.
      this.notRun = Math.max(0, runner.total - passes - failedTests.size);
      process.stdout.write(`\n${passes} passed, ${failures} failed, ${this.notRun} not run\n`);
    });
  }

  /** mocha exits with what this hands on: the failures, and as many more for the tests that never ran. */
  done(failures, exit) {
    exit(failures + (this.notRun ?? 0));
  }
}

module.exports = CountingReporter;
