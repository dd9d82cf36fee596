import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { provisionTemporalCli } from '../../src/temporal/provision-cli';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { WORKFLOWS_PATH } from '../../src/worker';
import { TEST_TEMPORAL_ADDRESS, TEST_TEMPORAL_CLI, TEST_WORKFLOW_BUNDLE } from './shared-env';

/**
 * jest global setup (configured in package.json): starts ONE Temporal dev server and bundles the workflows ONCE for
 * the whole run; test files read both from the environment (test/support/temporal.ts). Tests run 2 files at a time.
 */
export default async function globalSetup(): Promise<void> {
  const log = (line: string) => process.stderr.write(`[global-setup] ${line}\n`);
  const cli = await provisionTemporalCli({ log });
  const [server, bundle] = await Promise.all([
    startDevServer({
      provision: { log },
      // Continue-as-new is suggested early so tests exercise it without thousands of events.
      extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=200'],
    }),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: undefined }),
  ]);
  const bundlePath = join(mkdtempSync(join(tmpdir(), 'stockflow-test-')), 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env[TEST_TEMPORAL_ADDRESS] = server.address;
  process.env[TEST_WORKFLOW_BUNDLE] = bundlePath;
  if (cli.executable.type === 'existing-path') process.env[TEST_TEMPORAL_CLI] = cli.executable.path;
  (globalThis as { stockflowDevServer?: DevServer }).stockflowDevServer = server;
  log(`Temporal dev server ${server.address} (CLI from ${server.cliSource}); workflows bundled once`);
}
