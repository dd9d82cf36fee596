/**
 * One jest run for unit, contract and workflow tests. The global setup starts ONE Temporal dev server and bundles the
 * workflows ONCE for the whole run; test files attach to both (test/support/temporal.ts).
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  setupFiles: ['<rootDir>/test/support/quiet-runtime.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/support/count-reporter.js'],
  testTimeout: 120_000,
  // The SDK's native handles outlive the tests by a moment; everything is closed explicitly, this only ends the wait.
  forceExit: true,
  maxWorkers: 2,
};
