/** Jest: unit tests (pure logic, no I/O) and integration tests (real Kafka + real PostgreSQL).
 *  Integration infrastructure is started once by test/setup/global-setup.ts. */
const moduleNameMapper = {
  '^@iris/(.*)$': '<rootDir>/libs/$1/src',
};
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
};
const common = { rootDir: __dirname, moduleNameMapper, transform, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,test}/**/*.unit.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,test}/**/*.{int,e2e}.spec.ts'],
      // Node's, and it tells test/support/service-process.ts when a test failed (to show that test's service logs).
      testEnvironment: '<rootDir>/test/setup/service-logs-environment.js',
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};
