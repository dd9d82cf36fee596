/**
 * Prints the run's test counts as one plain line ("tests: N passed, N failed, N skipped") that CI logs and humans can
 * read at a glance, after jest's own summary.
 */
class CountReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    process.stdout.write(
      `\ntests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped\n`,
    );
  }
}
module.exports = CountReporter;
