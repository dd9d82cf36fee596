/** The names under which the global setup hands the shared server and bundle to test files (via the environment). */
export const TEST_TEMPORAL_ADDRESS = 'STOCKFLOW_TEST_TEMPORAL_ADDRESS';
export const TEST_WORKFLOW_BUNDLE = 'STOCKFLOW_TEST_WORKFLOW_BUNDLE';
export const TEST_TEMPORAL_CLI = 'STOCKFLOW_TEST_TEMPORAL_CLI';
