/**
 * History growth is bounded per stock, not per run: ONE updateProductStocks run over 10,000 changed stocks on the
 * async Trendyol channel at its real 1,000 items a request (so 10 pages, 10 batches it awaits) accounts for every
 * changed stock, leaves the marketplace equal to Omnitron, and its execution chain (every run across continue-as-new)
 * stays under a fixed number of history events per 1,000 stocks. A regression that adds events per page, or that
 * stops continuing-as-new, fails here long before a production run reaches the 51,200-event limit.
 */
import type { StockflowWorker } from '../../src/worker';
import { StockflowClient } from '../../src/client';
import { sandboxStockDeps } from '../../src/sandbox/connect';
import { startSandbox, type Sandbox } from '../../src/sandbox/server';
import type { SendFlowSummary } from '../../workflows/send-flows';
import {
  batchCounts,
  expectedQuantities,
  lastBatchPk,
  pksInSeveralDoneBatches,
  sandboxControl,
  channelMismatches,
  type Control,
} from '../support/channel-checks';
import { chainHistories, firstRunId, type RunHistory } from '../support/histories';
import { connectIsolatedTemporal, type IsolatedTemporal } from '../support/isolated-namespace';
import { FAST_TUNING } from '../support/stock-env';
import { createTestWorker, uniqueTaskQueue } from '../support/temporal';

const SKUS = 10_000;
/**
 * Measured on the dev server of `npm test` (suggestContinueAsNew=200), since the flow awaits its own batches (issue
 * #12): the updateProductStocks chain of 9,800 stocks in 10 pages took 152 events in 1 run = 15.5 events per 1,000
 * stocks (12 a page: two workflow tasks, the openBatch and sendPage activities; plus the checkBatches activities and
 * timers of the last batches), and no awaitChannelBatch child. Before, 279 events in the chain and 110 in 10
 * children. Bound: ~20 % headroom. Per run, a history must stay near the continue-as-new suggestion (200) instead of
 * growing with the run.
 */
const MAX_CHAIN_EVENTS_PER_1000_STOCKS = 19;
const MAX_EVENTS_PER_RUN = 260;

let sandbox: Sandbox;
let control: Control;
let temporal: IsolatedTemporal;
let worker: StockflowWorker;
let workerRun: Promise<void>;
let stockflow: StockflowClient;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, marketplace: { batchDelayMs: 20 } });
  control = sandboxControl(sandbox);
  await control('POST', 'seed', { skus: SKUS });
  temporal = await connectIsolatedTemporal('history-bound');
  const taskQueue = uniqueTaskQueue('history-bound');
  // Trendyol's real limits: 1,000 items a request (no override).
  worker = await createTestWorker(temporal, {
    namespace: temporal.namespace,
    taskQueue,
    stock: sandboxStockDeps(sandbox.urls),
  });
  workerRun = worker.run();
  stockflow = new StockflowClient(temporal.client, taskQueue);
});

afterAll(async () => {
  if (worker) {
    worker.shutdown();
    await workerRun;
  }
  await temporal?.close();
  await sandbox?.close();
});

const eventsOf = (runs: RunHistory[]) => runs.reduce((n, r) => n + (r.history.events?.length ?? 0), 0);

test('10,000 changed stocks in one updateProductStocks run: all accounted for, history bounded per 1,000', async () => {
  const insert = await stockflow.start('insertProductStocks', { channelId: 1, tuning: FAST_TUNING });
  await insert.result();

  // A new quantity for every SKU's main-list record at location 110 (seeded stock is 0..40, so 100+ always differs).
  const changes = Array.from({ length: SKUS }, (_, i) => ({
    sku: `SF${String(i + 1).padStart(7, '0')}`,
    location: '110',
    stock: 100 + (i % 50),
  }));
  expect(await control<{ changed: number }>('POST', 'stocks', { changes })).toMatchObject({ changed: SKUS });
  // Of the 10,000 changed stocks, those of products never listed on the channel are Omnitron inserts, not updates.
  const { notListed } = await control<{ notListed: number }>('GET', 'channels/1/expected');
  expect(notListed).toBe(SKUS / 50);

  const batchesBefore = lastBatchPk(sandbox);
  const started = Date.now();
  const update = await stockflow.start('updateProductStocks', { channelId: 1, tuning: FAST_TUNING });
  const summary = (await update.result()) as SendFlowSummary;
  const durationMs = Date.now() - started;

  expect(summary.stocksSent + summary.stocksFailed).toBe(SKUS - notListed);
  expect(summary.pagesFailed).toBe(0);
  expect(summary.pages).toBe(Math.ceil((SKUS - notListed) / 1_000));

  const expected = await expectedQuantities(control, 1);
  expect(Object.keys(expected)).toHaveLength(SKUS - notListed);
  expect(await channelMismatches(control, 1, expected)).toEqual([]);
  const counts = await batchCounts(control, 1);
  expect({ initialized: counts.initialized, commit: counts.commit }).toEqual({ initialized: 0, commit: 0 });
  expect(pksInSeveralDoneBatches(sandbox, 1, batchesBefore)).toEqual([]);

  // Every run of the chain, followed from the first run through each ContinuedAsNew event.
  const runs = await chainHistories(temporal.client, update.workflowId, firstRunId(update));
  expect(runs).toHaveLength(summary.runs);
  const events = eventsOf(runs);
  const perThousand = (events * 1_000) / (SKUS - notListed);
  const children: RunHistory[] = [];
  for (const run of runs) {
    for (const event of run.history.events ?? []) {
      const child = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (child?.workflowId && child.runId) {
        children.push(...(await chainHistories(temporal.client, child.workflowId, child.runId)));
      }
    }
  }
  console.log(
    `history-bound: ${SKUS - notListed} stocks in ${summary.pages} pages, ${durationMs} ms; ${runs.length} runs, ` +
      `${events} events (${perThousand.toFixed(1)} per 1,000 stocks; per run ${runs
        .map((r) => r.history.events?.length ?? 0)
        .join('/')}); ${children.length} awaitChannelBatch runs, ${eventsOf(children)} events`,
  );
  expect(children).toEqual([]); // the flow awaits its batches itself
  expect(perThousand).toBeLessThan(MAX_CHAIN_EVENTS_PER_1000_STOCKS);
  for (const run of runs) expect(run.history.events?.length ?? 0).toBeLessThan(MAX_EVENTS_PER_RUN);
}, 180_000);
