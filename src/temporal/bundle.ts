/**
 * The workflow bundle, built once ahead of time (`npm run bundle`, the Docker image does it) so a worker starts in a
 * second instead of running webpack at every start. A worker uses STOCKFLOW_WORKFLOW_BUNDLE when set, else the
 * bundle next to the compiled code when it exists, else bundles from source.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../worker';

/** dist/workflow-bundle.js, beside dist/src/ (the same file when this module runs from source, as under jest). */
const COMPILED_ROOT = join(__dirname, '..', '..');
export const PREBUILT_BUNDLE = join(
  basename(COMPILED_ROOT) === 'dist' ? COMPILED_ROOT : join(COMPILED_ROOT, 'dist'),
  'workflow-bundle.js',
);

export function prebuiltBundle(env: NodeJS.ProcessEnv = process.env): WorkerOptions['workflowBundle'] | undefined {
  const path = env.STOCKFLOW_WORKFLOW_BUNDLE ?? (existsSync(PREBUILT_BUNDLE) ? PREBUILT_BUNDLE : undefined);
  if (path && !existsSync(path)) throw new Error(`STOCKFLOW_WORKFLOW_BUNDLE: no file at ${path}`);
  return path ? { codePath: path } : undefined;
}

if (require.main === module) {
  bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH })
    .then(({ code }) => {
      mkdirSync(dirname(PREBUILT_BUNDLE), { recursive: true });
      writeFileSync(PREBUILT_BUNDLE, code);
      console.log(`workflow bundle: ${PREBUILT_BUNDLE} (${Math.round(code.length / 1024)} KiB)`);
    })
    .catch((err: Error) => {
      console.error(err.message);
      process.exitCode = 1;
    });
}
