/**
 * What operators and other services rely on: bad input fails at once naming the field, one run per channel and flow
 * (a second start attaches), the progress query, pause/resume between pages, and cancellation leaving no batch open.
 */
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { SendFlowSummary } from '../../workflows/send-flows';
import { temporal } from '@temporalio/proto';
import {
  batchCounts,
  FAST_TUNING,
  mismatches,
  startStockTestEnv,
  withFaults,
  type StockTestEnv,
  until,
} from '../support/stock-env';

let env: StockTestEnv;
beforeAll(async () => {
  // Small pages and a slow Omnitron give a run many pages and time to steer it.
  env = await startStockTestEnv({ skus: 300, limits: { itemsPerRequest: 10 } });
});
afterAll(async () => {
  await env?.close();
});

async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowFailedError);
    // The whole cause chain, as the Web UI shows it (an activity's failure arrives wrapped in "Activity task failed").
    const messages: string[] = [];
    for (let cause: Error | undefined = err as Error; cause; cause = cause.cause as Error | undefined) {
      messages.push(cause.message);
    }
    return messages.join(' <- ');
  }
  throw new Error('expected the workflow to fail');
}

test('bad input fails the run at once with a message naming each field', async () => {
  const bad = await env.stockflow.start('insertProductStocks', {
    channelId: -1,
    isSuccessLog: 'yes',
  } as never);
  const message = await failureOf(bad.result());
  expect(message).toMatch(/<- invalid input: /);
  expect(message).toContain('channelId:');
  expect(message).toContain('isSuccessLog:');

  const unknownTuning = await env.stockflow.start('getStockBatchRequests', {
    channelId: 1,
    tuning: { widow: 3 },
  } as never);
  expect(await failureOf(unknownTuning.result())).toContain('tuning');
});

test('isSync that contradicts the channel adapter is refused, naming isSync', async () => {
  const handle = await env.stockflow.start('updateProductStocks', { channelId: 2, isSync: false });
  expect(await failureOf(handle.result())).toContain('isSync: channel 2 uses the synchronous shopify adapter');
});

test('one run per channel and flow: a second start attaches to the running one', async () => {
  await withFaults(env, 'omnitron', { latencyMs: 20 }, async () => {
    const first = await env.stockflow.start('insertProductStocks', { channelId: 2 });
    const second = await env.stockflow.start('insertProductStocks', { channelId: 2 });
    expect(second.workflowId).toBe('stock/2/insertProductStocks');
    const [a, b] = await Promise.all([first.describe(), second.describe()]);
    expect(b.runId).toBe(a.runId);
    await first.result();
  });
});

test('pause holds the run between pages, resume continues, progress counts along', async () => {
  await env.control('POST', 'stocks', { random: { count: 250, seed: 9 } });
  await withFaults(env, 'omnitron', { latencyMs: 20 }, async () => {
    const handle = await env.stockflow.start('updateProductStocks', { channelId: 2 });
    await until(
      () => env.stockflow.progress(2, 'updateProductStocks'),
      (p) => p.pages >= 2,
    );
    // The pause is an Update: its answer is the flow's state at the moment it took effect.
    const paused = await env.stockflow.pause(2, 'updateProductStocks');
    expect(paused.paused).toBe(true);
    await expect(env.stockflow.pause(2, 'updateProductStocks')).rejects.toThrow(WorkflowUpdateFailedError);
    await new Promise((r) => setTimeout(r, 1_000));
    const later = await env.stockflow.progress(2, 'updateProductStocks');
    // At most the page in flight when the pause came finishes; then nothing moves.
    expect(later.pages - paused.pages).toBeLessThanOrEqual(1);
    const held = later.pages;
    await new Promise((r) => setTimeout(r, 500));
    expect((await env.stockflow.progress(2, 'updateProductStocks')).pages).toBe(held);

    expect(await env.stockflow.resume(2, 'updateProductStocks')).toMatchObject({ paused: false, pages: held });
    const summary = (await handle.result()) as SendFlowSummary;
    expect(summary.pages).toBeGreaterThan(held);
    expect(await mismatches(env, 2)).toEqual([]);
    // The progress bar's measure: stocks taken so far plus what Omnitron still held add up to what the run took in all.
    const finished = await env.stockflow.progress(2, 'updateProductStocks');
    expect(later.stocksRemaining).toBeGreaterThan(0);
    expect(finished.stocksRemaining).toBe(0);
    expect(later.stocksTaken + (later.stocksRemaining ?? 0)).toBe(finished.stocksTaken);
    expect(finished.stocksTaken).toBe(summary.stocksSent + summary.stocksFailed);
  });
});

/** The activity types a run has started and not finished (what a cancellation can land in the middle of). */
async function runningActivities(workflowId: string): Promise<string[]> {
  const desc = await env.temporal.client.workflow.getHandle(workflowId).describe();
  return (desc.raw.pendingActivities ?? [])
    .filter((a) => a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED)
    .map((a) => a.activityType?.name ?? '');
}

test('cancelling mid-send: the page the channel accepted is awaited to the end, none is failed behind its back', async () => {
  const earlier = new Set(env.sandbox.state.catalog.batches.all.keys());
  const acceptedBefore = env.sandbox.state.marketplace.stats().batchesAccepted;
  // Every marketplace call takes 3 s: a cancellation lands while a page is on its way to the channel.
  await withFaults(env, 'marketplace', { latencyMs: 3_000 }, async () => {
    const handle = await env.stockflow.start('insertProductStocks', { channelId: 1, tuning: FAST_TUNING });
    await until(
      () => runningActivities(handle.workflowId),
      (running) => running.includes('sendPage'),
    );
    await new Promise((r) => setTimeout(r, 500)); // the activity's Omnitron reads are done: the body is on the wire
    expect(await runningActivities(handle.workflowId)).toContain('sendPage'); // the case under test: a page in flight
    await env.stockflow.cancel(1, 'insertProductStocks');
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
  });
  const mine = () =>
    [...env.sandbox.state.catalog.batches.all.values()].filter((b) => b.channel === 1 && !earlier.has(b.pk));
  // Batches the channel has are awaited by their (abandoned) children to the end.
  await until(
    async () => mine().filter((b) => b.status === 'sent_to_remote' || b.status === 'ongoing').length,
    (open) => open === 0,
  );
  expect(await batchCounts(env, 1)).toMatchObject({ initialized: 0, commit: 0 });
  // A batch opened ahead for the next page is closed `done` and empty: only those with objects were pages.
  const done = mine().filter((b) => b.status === 'done' && b.objects.length > 0);
  const failed = mine().filter((b) => b.status === 'fail');
  expect(done.length).toBeGreaterThan(0); // the page in flight reached the channel
  // Every batch the channel accepted ended `done`: none was marked `fail` while (or after) the channel took it.
  expect(env.sandbox.state.marketplace.stats().batchesAccepted - acceptedBefore).toBe(done.length);
  // A page cancelled before it was sent is failed, and says why.
  for (const batch of failed) {
    expect(
      env.sandbox.state.catalog.reports.all
        .filter((r) => r.action_object_id === batch.pk)
        .some((r) => r.error_desc.includes('cancelled by an operator')),
    ).toBe(true);
  }
  // Whatever the cancelled run did not send is still pending: the next run sends it.
  await (await env.stockflow.start('insertProductStocks', { channelId: 1, tuning: FAST_TUNING })).result();
  expect(await mismatches(env, 1)).toEqual([]);
});

test('a batch a lost reply left initialized is failed, with a report, when the channel next plans a flow', async () => {
  const catalog = env.sandbox.state.catalog;
  const orphan = catalog.batches.create(2, 'productstock');
  const fresh = catalog.batches.create(2, 'productstock');
  orphan.modified_date = new Date(Date.now() - 11 * 60_000).toISOString();
  await (await env.stockflow.start('updateProductStocks', { channelId: 2 })).result();
  expect(catalog.batches.get(2, orphan.pk).status).toBe('fail');
  expect(catalog.batches.get(2, fresh.pk).status).toBe('initialized'); // possibly another flow's, just opened: left alone
  expect(catalog.reports.all.filter((r) => r.action_object_id === orphan.pk).map((r) => r.error_desc)).toEqual([
    'orphaned: opened by a step whose reply was lost, never committed',
  ]);
  catalog.batches.update(2, fresh.pk, { status: 'fail' });
});
