// Jest environment of the integration tests: Node's, plus a flag that test/support/service-process.ts reads in its
// afterEach / afterAll hooks to show the output of the services a failing test ran (tests are quiet otherwise).
const { TestEnvironment } = require('jest-environment-node');

class ServiceLogsEnvironment extends TestEnvironment {
  async handleTestEvent(event) {
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') {
      this.global.__IRIS_FAILED_TESTS__ = (this.global.__IRIS_FAILED_TESTS__ ?? 0) + 1;
    }
  }
}

module.exports = ServiceLogsEnvironment;
