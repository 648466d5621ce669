// Prints Jest's own totals as one plain line, "N passed, N failed", last of all;
// also writes it to $SREGISTRY_TEST_SUMMARY so .ci/run can repeat it after npm's output.
const { writeFileSync } = require('node:fs');

class CountReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed`;
    process.stdout.write(`${line}\n`);
    if (process.env.SREGISTRY_TEST_SUMMARY) writeFileSync(process.env.SREGISTRY_TEST_SUMMARY, `${line}\n`);
  }
}
module.exports = CountReporter;
