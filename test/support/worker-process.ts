/**
 * A stockflow worker in a process of its own, so a test can SIGKILL it mid-run the way a node dies in production (no
 * shutdown hook, no drain). Built by `npm run build` to dist/test/support/worker-process.js and spawned with
 * `process.execPath`. It is wired exactly like production — createStockflowWorker with the real clients of
 * sandboxStockDeps over loopback — and configured only through the environment:
 *
 *   STOCKFLOW_TEST_TEMPORAL_ADDRESS   Temporal frontend (the jest run's dev server)
 *   STOCKFLOW_TEST_WORKFLOW_BUNDLE    the workflow bundle the global setup wrote
 *   STOCKFLOW_WORKER_NAMESPACE        optional, default "default"
 *   STOCKFLOW_WORKER_TASK_QUEUE       task queue to poll
 *   STOCKFLOW_WORKER_SANDBOX_URLS     JSON of the sandbox's `urls` (Sandbox['urls'])
 *   STOCKFLOW_WORKER_LIMITS           optional JSON of channel limits, e.g. {"itemsPerRequest":50}
 *   STOCKFLOW_WORKER_SHUTDOWN_GRACE   optional, default "1s"
 *   STOCKFLOW_WORKER_REPEAT_WINDOW_MS optional: the sandbox Trendyol's repeat window, when the test shortened it
 *   STOCKFLOW_WORKER_CHANNELS         optional JSON array of channel ids, default [1, 2]
 *
 * Prints `WORKER_READY <pid>` on stdout once the worker exists; SIGTERM/SIGINT shut it down gracefully.
 */
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { ChannelConfig } from '../../src/channels/registry';
import { sandboxStockDeps } from '../../src/sandbox/connect';
import type { Sandbox } from '../../src/sandbox/server';
import { createStockflowWorker } from '../../src/worker';
import { TEST_TEMPORAL_ADDRESS, TEST_WORKFLOW_BUNDLE } from './shared-env';

export const WORKER_NAMESPACE = 'STOCKFLOW_WORKER_NAMESPACE';
export const WORKER_TASK_QUEUE = 'STOCKFLOW_WORKER_TASK_QUEUE';
export const WORKER_SANDBOX_URLS = 'STOCKFLOW_WORKER_SANDBOX_URLS';
export const WORKER_LIMITS = 'STOCKFLOW_WORKER_LIMITS';
export const WORKER_SHUTDOWN_GRACE = 'STOCKFLOW_WORKER_SHUTDOWN_GRACE';
export const WORKER_REPEAT_WINDOW_MS = 'STOCKFLOW_WORKER_REPEAT_WINDOW_MS';
export const WORKER_CHANNELS = 'STOCKFLOW_WORKER_CHANNELS';
export const WORKER_READY_LINE = /WORKER_READY (\d+)/;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`worker-process: ${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const urls = JSON.parse(required(WORKER_SANDBOX_URLS)) as Sandbox['urls'];
  const limitsText = process.env[WORKER_LIMITS];
  const limits = limitsText ? (JSON.parse(limitsText) as ChannelConfig['limits']) : undefined;
  const connection = await NativeConnection.connect({ address: required(TEST_TEMPORAL_ADDRESS) });
  const worker = await createStockflowWorker({
    connection,
    namespace: process.env[WORKER_NAMESPACE] ?? 'default',
    taskQueue: required(WORKER_TASK_QUEUE),
    workflowBundle: { codePath: required(TEST_WORKFLOW_BUNDLE) },
    shutdownGraceTime: process.env[WORKER_SHUTDOWN_GRACE] ?? '1s',
    stock: sandboxStockDeps(urls, {
      limits,
      repeatWindowMs: process.env[WORKER_REPEAT_WINDOW_MS] ? Number(process.env[WORKER_REPEAT_WINDOW_MS]) : undefined,
      channelIds: JSON.parse(process.env[WORKER_CHANNELS] ?? '[1, 2]') as number[],
    }),
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => worker.shutdown());
  const run = worker.run();
  process.stdout.write(`WORKER_READY ${process.pid}\n`);
  await run;
  await connection.close();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`worker-process failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
