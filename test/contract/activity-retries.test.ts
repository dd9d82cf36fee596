/**
 * What a retried activity finds from its previous attempt (its last heartbeat details, as Temporal hands them over):
 * openBatch takes the batch the lost reply had created instead of leaving it an orphan in `initialized`; sendPage
 * takes the next page's batch it had opened; a failed attempt's delay grows with the attempts that made no progress.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createStockActivities } from '../../activities';
import { FIRST_RETRY_MS, type StepDetails } from '../../activities/failures';
import { sandboxStockDeps } from '../../src/sandbox/connect';
import { startSandbox, type Sandbox } from '../../src/sandbox/server';
import { batchCounts, sandboxControl } from '../support/channel-checks';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  await sandboxControl(sandbox)('POST', 'seed', { skus: 20 });
});
afterAll(() => sandbox.close());

const activities = () => createStockActivities(sandboxStockDeps(sandbox.urls));
/** One attempt of an activity, with what the previous attempt checkpointed (its last heartbeat details). */
const attempt = (heartbeatDetails?: unknown) => {
  const environment = new MockActivityEnvironment(heartbeatDetails === undefined ? {} : { heartbeatDetails });
  return {
    environment,
    run: <A, R>(fn: (input: A) => Promise<R>, input: A) => environment.run(fn, input) as Promise<R>,
  };
};

test('openBatch checkpoints the batch it created, and a retry takes that batch while it is still initialized', async () => {
  const first = attempt();
  const checkpoints: unknown[] = [];
  first.environment.on('heartbeat', (details: unknown) => checkpoints.push(details));
  const { batchPk } = await first.run(activities().openBatch, { channelId: 1 });
  expect(checkpoints).toContainEqual({ stockflowStep: 1, checkpoint: { batchPk }, stalls: 0 } satisfies StepDetails);

  const retried = await attempt({ batchPk }).run(activities().openBatch, { channelId: 1 });
  expect(retried.batchPk).toBe(batchPk);
  expect((await batchCounts(sandboxControl(sandbox), 1)).initialized).toBe(1);
});

test('a retry whose checkpointed batch moved on (committed, finished) opens a fresh one', async () => {
  const { batchPk } = await attempt().run(activities().openBatch, { channelId: 2 });
  await attempt().run(activities().failBatch, { channelId: 2, batchPk, reason: 'test: the batch moved on' });
  const retried = await attempt({ batchPk }).run(activities().openBatch, { channelId: 2 });
  expect(retried.batchPk).not.toBe(batchPk);
});

test("sendPage opens the next page's batch with its page, and a retry of the page takes that batch again", async () => {
  const { batchPk } = await attempt().run(activities().openBatch, { channelId: 2 });
  const page = {
    channelId: 2,
    batchPk,
    kind: 'inserts' as const,
    target: { stockListId: null, warehouseCode: null },
    pageSize: 5,
    isSuccessLog: true,
    openNext: true,
  };
  const initializedBefore = (await batchCounts(sandboxControl(sandbox), 2)).initialized;
  const first = attempt();
  const checkpoints: StepDetails[] = [];
  first.environment.on('heartbeat', (details: StepDetails) => checkpoints.push(details));
  const result = await first.run(activities().sendPage, page);
  expect(result.page.committed).toBe(5);
  const next = result.nextBatchPk!;
  expect(next).toBeGreaterThan(batchPk);
  // The first checkpoint names the batch opened ahead before the page goes to the channel.
  expect(checkpoints[0]).toEqual({ stockflowStep: 1, checkpoint: { batchPk, nextBatchPk: next }, stalls: 0 });
  // A retry after the reply was lost answers from the batch and hands back the same next batch, still initialized.
  const retried = await attempt(checkpoints.at(-1)).run(activities().sendPage, page);
  expect(retried).toMatchObject({ nextBatchPk: next, page: { committed: 5 } });
  // The page's batch left `initialized`, the next one took its place: nothing more was opened.
  expect((await batchCounts(sandboxControl(sandbox), 2)).initialized).toBe(initializedBefore);
});

test('a failed attempt is retried after 250 ms, doubling with each attempt in a row that made no progress', async () => {
  const control = sandboxControl(sandbox);
  await control('PUT', 'faults/omnitron', { errorRate: 1 });
  try {
    const delays: unknown[] = [];
    const stalls: number[] = [];
    for (const previous of [undefined, 1, 3] as const) {
      const failing = attempt(previous === undefined ? undefined : { stockflowStep: 1, stalls: previous });
      failing.environment.on('heartbeat', (d: StepDetails) => stalls.push(d.stalls));
      const err = await failing.run(activities().openBatch, { channelId: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).nonRetryable).toBeFalsy();
      delays.push((err as ApplicationFailure).nextRetryDelay);
    }
    expect(delays).toEqual([FIRST_RETRY_MS, FIRST_RETRY_MS * 2, FIRST_RETRY_MS * 8]);
    // Each failed attempt leaves its stall count in its last heartbeat for the next attempt.
    expect(stalls.slice(-1)).toEqual([4]);
  } finally {
    await control('PUT', 'faults/omnitron', { errorRate: 0 });
  }
});
