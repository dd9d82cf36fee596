/**
 * Omnitron logins across a cluster: N worker processes starting at once and running flows on both channels log in at
 * most once each (one token per process, shared by every activity execution), and when Omnitron forgets the tokens
 * each logs in once more — never a login per activity.
 */
import { StockflowClient } from '../../src/client';
import { startSandbox, type Sandbox } from '../../src/sandbox/server';
import type { SendFlowSummary } from '../../workflows/send-flows';
import { sandboxControl, type Control } from '../support/channel-checks';
import { connectIsolatedTemporal, type IsolatedTemporal } from '../support/isolated-namespace';
import { FAST_TUNING } from '../support/stock-env';
import { uniqueTaskQueue } from '../support/temporal';
import { killWorker, spawnWorker, type WorkerProcess } from '../support/worker-processes';

const WORKERS = 3;
const SKUS = 600;

let sandbox: Sandbox;
let temporal: IsolatedTemporal;
let control: Control;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, marketplace: { batchDelayMs: 50 } });
  control = sandboxControl(sandbox);
  await control('POST', 'seed', { skus: SKUS });
  temporal = await connectIsolatedTemporal('worker-logins');
});

afterAll(async () => {
  for (const worker of workers) await killWorker(worker);
  await temporal?.close();
  await sandbox?.close();
});

test(`${WORKERS} workers starting at once make at most one Omnitron login each, and one each after tokens expire`, async () => {
  const taskQueue = uniqueTaskQueue('worker-logins');
  const options = { sandbox, namespace: temporal.namespace, taskQueue, limits: { itemsPerRequest: 25 } };
  workers.push(...(await Promise.all(Array.from({ length: WORKERS }, () => spawnWorker(options)))));
  const stockflow = new StockflowClient(temporal.client, taskQueue);
  const runBoth = async (flow: 'insertProductStocks' | 'updateProductStocks') => {
    const handles = await Promise.all(
      [1, 2].map((channelId) => stockflow.start(flow, { channelId, tuning: FAST_TUNING })),
    );
    return (await Promise.all(handles.map((h) => h.result()))) as SendFlowSummary[];
  };

  const inserts = await runBoth('insertProductStocks');
  // Many activity executions on every worker (pages of 25 on two channels), yet one login per process at most.
  expect(inserts.map((s) => s.pages)).toEqual([SKUS / 25, SKUS / 25]);
  const first = sandbox.state.catalog.logins;
  expect(first).toBeGreaterThanOrEqual(1);
  expect(first).toBeLessThanOrEqual(WORKERS);

  await control('POST', 'omnitron/expire-tokens', {});
  await control('POST', 'stocks', { random: { count: 200, seed: 11 } });
  const updates = await runBoth('updateProductStocks');
  expect(updates.every((s) => s.pagesFailed === 0)).toBe(true);
  expect(updates.map((s) => s.pages).reduce((a, b) => a + b)).toBeGreaterThan(0);
  expect(sandbox.state.catalog.logins - first).toBeGreaterThanOrEqual(1);
  expect(sandbox.state.catalog.logins - first).toBeLessThanOrEqual(WORKERS);
}, 240_000);
