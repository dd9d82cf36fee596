/**
 * Asynchronous channel batches: the maximum-wait path, orphaned batches finished by getStockBatchRequests, and a batch
 * awaited by its send flow never processed a second time by the safety net.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { BatchRequestsSummary } from '../../workflows/batch-requests';
import { awaitedBatchesQuery, batchWorkflowId } from '../../workflows/definitions';
import type { SendFlowSummary } from '../../workflows/send-flows';
import { TEST_TEMPORAL_CLI } from '../support/shared-env';
import {
  batchCounts,
  FAST_TUNING,
  mismatches,
  startStockTestEnv,
  type StockTestEnv,
  until,
} from '../support/stock-env';

const execFileAsync = promisify(execFile);
const SKUS = 120;
jest.setTimeout(40_000);
let env: StockTestEnv;
beforeAll(async () => {
  env = await startStockTestEnv({ skus: SKUS, limits: { itemsPerRequest: 30 } });
});
afterAll(async () => {
  await env?.close();
});

const setBatchDelay = (batchDelayMs: number) => env.control('PUT', 'marketplace/options', { batchDelayMs });
const reports = () => env.sandbox.state.catalog.reports.all.filter((r) => r.channel === 1);
/** Every 50th product was never sent to the channel: its insert fails before reaching the marketplace. */
const DELIVERABLE = SKUS - Math.floor(SKUS / 50);

test('past the maximum wait a batch goes fail with a report, and its stocks are sent by the next run', async () => {
  await setBatchDelay(4_000); // the channel finishes, but long after the maximum wait of 1 s
  const handle = await env.stockflow.start('insertProductStocks', {
    channelId: 1,
    tuning: { ...FAST_TUNING, maxBatchWait: '1s', window: 2, maxFailedPagesInARow: 2 },
  });
  const summary = (await handle.result()) as SendFlowSummary;
  // Failed batches hand their stocks back, so the run would feed a dead channel forever: it gives the list up after
  // two batches in a row were never finished, and leaves nothing open.
  expect(summary).toMatchObject({ batchesDone: 0, stocksSent: 0, targetsGivenUp: [null] });
  expect(summary.batchesFailed).toBeGreaterThanOrEqual(2);
  expect(summary.batchesFailed).toBe(summary.pages);
  expect(await batchCounts(env, 1)).toMatchObject({ sent_to_remote: 0, ongoing: 0, commit: 0, fail: summary.pages });
  const timedOut = reports().filter((r) => /did not finish batch .* within 1s/.test(r.error_desc));
  expect(timedOut).toHaveLength(summary.pages);

  // A failed batch hands its stocks back: once the channel is quick again, the next run delivers everything (its
  // batches queue behind the slow ones still in progress at Trendyol, which applies batches in order).
  await setBatchDelay(100);
  const retry = (await (
    await env.stockflow.start('insertProductStocks', { channelId: 1, tuning: FAST_TUNING })
  ).result()) as SendFlowSummary;
  expect(retry.stocksSent).toBe(DELIVERABLE);
  expect(await mismatches(env, 1)).toEqual([]);
});

test('getStockBatchRequests finishes batches a vanished deployment left in sent_to_remote', async () => {
  await setBatchDelay(3_000); // long enough to catch the batches in flight, short enough to wait for
  await env.control('POST', 'stocks', { random: { count: 90, seed: 21 } });
  const flow = await env.stockflow.start('updateProductStocks', {
    channelId: 1,
    tuning: { ...FAST_TUNING, window: 10 },
  });
  const sent = await until(
    () => batchCounts(env, 1),
    (c) => (c.sent_to_remote ?? 0) + (c.ongoing ?? 0) > 0 && (c.commit ?? 0) === 0 && (c.initialized ?? 0) === 0,
  );
  await until(
    () => env.stockflow.progress(1, 'updateProductStocks'),
    (p) => p.phase === 'awaiting-batches',
  );
  // The old deployment vanishes: its flow, which awaited its batches itself, is gone.
  await flow.terminate('deployment removed');
  const open = [...env.sandbox.state.catalog.batches.all.values()].filter(
    (b) => b.channel === 1 && (b.status === 'sent_to_remote' || b.status === 'ongoing'),
  );
  expect(open.length).toBe((sent.sent_to_remote ?? 0) + (sent.ongoing ?? 0));

  await setBatchDelay(100);
  const check = await env.stockflow.start('getStockBatchRequests', { channelId: 1, tuning: FAST_TUNING });
  const summary = (await check.result()) as BatchRequestsSummary;
  expect(summary).toMatchObject({ found: open.length, done: open.length, failed: 0, alreadyAwaited: 0 });
  expect(await batchCounts(env, 1)).toMatchObject({ sent_to_remote: 0, ongoing: 0, commit: 0 });
  expect(await mismatches(env, 1)).toEqual([]);
});

test('a batch its send flow is awaiting is left to it: processed exactly once', async () => {
  await setBatchDelay(1_500);
  await env.control('POST', 'stocks', { random: { count: 90, seed: 33 } });
  const earlier = new Set(env.sandbox.state.catalog.batches.all.keys());
  const flow = await env.stockflow.start('updateProductStocks', {
    channelId: 1,
    tuning: { ...FAST_TUNING, window: 10 },
  });
  const progress = await until(
    () => env.stockflow.progress(1, 'updateProductStocks'),
    (p) => p.phase === 'awaiting-batches' && p.batchesInFlight > 0,
  );
  const check = (await (
    await env.stockflow.start('getStockBatchRequests', { channelId: 1, tuning: FAST_TUNING })
  ).result()) as BatchRequestsSummary;
  // Every open batch it found is the flow's (or finished by the flow while it asked): it processed none.
  expect(check.found).toBeGreaterThanOrEqual(progress.batchesInFlight);
  expect(check).toMatchObject({ alreadyAwaited: check.found, done: 0, failed: 0 });

  const summary = (await flow.result()) as SendFlowSummary;
  expect(summary.batchesDone).toBe(summary.pages);
  expect(await mismatches(env, 1)).toEqual([]);
  // One finished-check report per batch: nobody processed a batch twice.
  const checks = reports().filter(
    (r) => r.is_ok && r.error_code.includes('-Channel-CheckStocks-') && !earlier.has(r.action_object_id),
  );
  const perBatch = new Map<number, number>();
  for (const r of checks) perBatch.set(r.action_object_id, (perBatch.get(r.action_object_id) ?? 0) + 1);
  expect(perBatch.size).toBe(summary.pages);
  expect([...perBatch.values()].every((n) => n === 1)).toBe(true);
});

/** The awaiting children of a channel the Web UI lists by `StockChannelId`, with the flow that sent them. */
async function batchChildren(flow: string): Promise<string[]> {
  const ids: string[] = [];
  const query =
    `StockChannelId = "1" AND StockFlow = "${flow}" AND WorkflowType = "awaitChannelBatch" ` +
    `AND ExecutionStatus = "Running"`;
  for await (const wf of env.temporal.client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids.sort();
}

test('a flow names the batches it awaits; the children of the safety net carry channel and flow; it refuses pause and resume', async () => {
  await setBatchDelay(8_000);
  await env.control('POST', 'stocks', { random: { count: 90, seed: 45 } });
  const flow = await env.stockflow.start('updateProductStocks', {
    channelId: 1,
    tuning: { ...FAST_TUNING, window: 10 },
  });
  const sending = await until(
    () => env.stockflow.progress(1, 'updateProductStocks'),
    (p) => p.phase === 'awaiting-batches' && p.batchesInFlight > 0,
  );
  const openPks = [...env.sandbox.state.catalog.batches.all.values()]
    .filter((b) => b.channel === 1 && (b.status === 'sent_to_remote' || b.status === 'ongoing'))
    .map((b) => b.pk)
    .sort((a, b) => a - b);
  const open = openPks.map((pk) => batchWorkflowId(1, pk)).sort();
  expect(open).toHaveLength(sending.batchesInFlight);
  // The flow awaits its batches itself (no child each) and names them when asked.
  const awaited = await env.temporal.client.workflow.getHandle(flow.workflowId).query(awaitedBatchesQuery);
  expect([...awaited].sort((a, b) => a - b)).toEqual(openPks);
  expect(await batchChildren('updateProductStocks')).toEqual([]);
  await flow.terminate('deployment removed');

  const check = await env.stockflow.start('getStockBatchRequests', { channelId: 1, tuning: FAST_TUNING });
  expect(
    await until(
      () => batchChildren('getStockBatchRequests'),
      (ids) => ids.length === open.length,
    ),
  ).toEqual(open);
  // As an operator would try it, with the official Temporal CLI: refused, with the reason, never buffered.
  // (Asynchronously: the worker answering the update runs in this process.)
  const refused = await execFileAsync(
    process.env[TEST_TEMPORAL_CLI]!,
    [
      'workflow',
      'update',
      'execute',
      '--address',
      env.temporal.address,
      '--namespace',
      env.temporal.namespace,
      '--workflow-id',
      check.workflowId,
      '--name',
      'pause',
    ],
    { encoding: 'utf8' },
  ).then(
    () => 'accepted',
    (err: { stderr: string; stdout: string }) => err.stderr + err.stdout,
  );
  expect(refused).toContain('getStockBatchRequests cannot be paused or resumed');
  await expect(env.stockflow.resume(1, 'getStockBatchRequests')).rejects.toThrow(WorkflowUpdateFailedError);

  const summary = (await check.result()) as BatchRequestsSummary;
  expect(summary).toMatchObject({ found: open.length, done: open.length, failed: 0 });
  expect(await mismatches(env, 1)).toEqual([]);
});
