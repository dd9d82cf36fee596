/**
 * Records histories of real runs of every workflow type stockflow registers, on a dev server with an in-process worker
 * wired like production against a small seeded sandbox: the four send flows on both channels (async Trendyol with its
 * awaitChannelBatch children, sync Shopify), getStockBatchRequests finishing a batch nobody awaits, and selfCheck.
 * Used by test/replay/replay.test.ts (record now, replay at once) and test/replay/record-histories.ts (fixtures).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { createStockActivities } from '../../activities/stock';
import type { SendBatchResult } from '../../activities/stock-types';
import { sandboxStockDeps } from '../../src/sandbox/connect';
import { startSandbox } from '../../src/sandbox/server';
import { StockflowClient } from '../../src/client';
import { createStockflowWorker } from '../../src/worker';
import type { StockFlowName } from '../../workflows/definitions';
import { sandboxControl } from '../support/channel-checks';
import { chainHistories, firstRunId, type RunHistory } from '../support/histories';
import { uniqueTaskQueue } from '../support/temporal';

/** Every workflow type of the bundle (workflows/index.ts): a replay suite must cover each. */
export const WORKFLOW_TYPES = [
  'selfCheck',
  'updateProductStocks',
  'insertProductStocks',
  'updateProductStocksFromExtraStockList',
  'insertProductStocksFromExtraStockList',
  'awaitChannelBatch',
  'getStockBatchRequests',
  'reconcileChannelStock',
  'scheduledFlow',
] as const;

export interface RecordOptions {
  client: Client;
  nativeConnection: NativeConnection;
  namespace: string;
  workflowBundlePath: string;
  log?: (line: string) => void;
}

/** Small on purpose: histories stay a few dozen events, fixtures a few KB. */
const SKUS = 40;
const LIMITS = { itemsPerRequest: 15 };
const TUNING = { pollInitial: '100ms', pollMax: '300ms' } as const;

export interface RecordedRun extends RunHistory {
  /** What the run was, e.g. "insertProductStocks on channel 1". */
  label: string;
}

export async function recordHistories(options: RecordOptions): Promise<RecordedRun[]> {
  const log = options.log ?? (() => undefined);
  const sandbox = await startSandbox({ port: 0, marketplace: { batchDelayMs: 50 } });
  const control = sandboxControl(sandbox);
  await control('POST', 'seed', { skus: SKUS });
  const deps = sandboxStockDeps(sandbox.urls, { limits: LIMITS });
  const taskQueue = uniqueTaskQueue('replay');
  const worker = await createStockflowWorker({
    connection: options.nativeConnection,
    namespace: options.namespace,
    taskQueue,
    workflowBundle: { codePath: options.workflowBundlePath },
    shutdownGraceTime: '1s',
    stock: deps,
  });
  const stockflow = new StockflowClient(options.client, taskQueue);
  const started: { label: string; workflowId: string; runId: string }[] = [];

  const runFlow = async (flow: StockFlowName, channelId: number) => {
    const handle = await stockflow.start(flow, { channelId, tuning: TUNING });
    started.push({
      label: `${flow} on channel ${channelId}`,
      workflowId: handle.workflowId,
      runId: firstRunId(handle),
    });
    log(`${flow} on channel ${channelId}: ${JSON.stringify(await handle.result())}`);
  };
  /** A few stock changes at one location, so the update flows have something to send. */
  const change = (location: string, from: number, count: number, stock: number) =>
    control('POST', 'stocks', {
      changes: Array.from({ length: count }, (_, i) => ({
        sku: `SF${String(from + i).padStart(7, '0')}`,
        location,
        stock,
      })),
    });

  try {
    await worker.runUntil(async () => {
      const selfCheck = await options.client.workflow.start('selfCheck', {
        taskQueue,
        workflowId: `replay-self-check-${taskQueue}`,
        args: [{ wait: '100ms' }],
      });
      started.push({ label: 'selfCheck', workflowId: selfCheck.workflowId, runId: selfCheck.firstExecutionRunId });
      await selfCheck.result();

      await runFlow('insertProductStocks', 1);
      await runFlow('insertProductStocks', 2);
      await runFlow('insertProductStocksFromExtraStockList', 1);
      await runFlow('insertProductStocksFromExtraStockList', 2);
      await change('110', 1, 20, 77); // main list (locations 110, 113)
      await change('111', 1, 20, 66); // extra list 2 (location 111)
      await runFlow('updateProductStocks', 1);
      await runFlow('updateProductStocks', 2);
      await runFlow('updateProductStocksFromExtraStockList', 1);
      await runFlow('updateProductStocksFromExtraStockList', 2);

      // A batch sent to Trendyol that no workflow awaits (as an older deployment might leave): the safety net finds
      // it and finishes it through an awaitChannelBatch child of its own.
      await change('110', 21, 10, 55);
      // The activities themselves, run in the SDK's mock activity context (they heartbeat).
      const act = createStockActivities(deps);
      const activity = new MockActivityEnvironment();
      const page = {
        channelId: 1,
        kind: 'updates' as const,
        target: { stockListId: null, warehouseCode: null },
        addProductObjects: false,
        addPrice: false,
        isSuccessLog: true,
      };
      const { batchPk } = (await activity.run(act.openBatch, { channelId: 1 })) as { batchPk: number };
      await activity.run(act.commitPage, { ...page, batchPk, pageSize: 15 });
      const sent = (await activity.run(act.sendBatch, { ...page, batchPk })) as SendBatchResult;
      if (sent.mode !== 'async') throw new Error('expected an asynchronous Trendyol batch');
      await runFlow('getStockBatchRequests', 1);

      // Drift at the channel, reported and repaired. On the synchronous channel: a Trendyol repair would repeat a
      // body this recording already sent, which Trendyol (and its sandbox face) refuses for 15 minutes.
      await control('POST', 'channels/2/drift', { random: { count: 4, seed: 1 } });
      const reconcile = await stockflow.start('reconcileChannelStock', { channelId: 2, repair: true, tuning: TUNING });
      started.push({
        label: 'reconcileChannelStock on channel 2',
        workflowId: reconcile.workflowId,
        runId: firstRunId(reconcile),
      });
      log(`reconcileChannelStock on channel 2: ${JSON.stringify(await reconcile.result())}`);

      // What a Schedule's action runs: the trigger starts the flow under its fixed id and waits for it.
      await change('110', 31, 5, 44);
      const scheduled = await options.client.workflow.start('scheduledFlow', {
        taskQueue,
        workflowId: `replay-scheduled-${taskQueue}`,
        args: [{ flow: 'updateProductStocks', input: { channelId: 2 } }],
      });
      started.push({ label: 'scheduledFlow', workflowId: scheduled.workflowId, runId: scheduled.firstExecutionRunId });
      log(`scheduledFlow: ${JSON.stringify(await scheduled.result())}`);
    });
  } finally {
    await sandbox.close();
  }

  const runs: RecordedRun[] = [];
  for (const { label, workflowId, runId } of started) {
    for (const run of await chainHistories(options.client, workflowId, runId)) {
      runs.push({ ...run, label });
      // The awaiting children a run started (send flows on Trendyol, getStockBatchRequests).
      for (const event of run.history.events ?? []) {
        const child = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
        if (child?.workflowId && child.runId) {
          for (const childRun of await chainHistories(options.client, child.workflowId, child.runId)) {
            runs.push({ ...childRun, label: `awaitChannelBatch started by ${label}` });
          }
        }
      }
    }
  }
  return runs;
}
