/**
 * What a retried activity finds from its previous attempt (its last heartbeat details, as Temporal hands them over):
 * openBatch takes the batch the lost reply had created instead of leaving it an orphan in `initialized`.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createStockActivities } from '../../activities';
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
  expect(checkpoints).toContainEqual({ batchPk });

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
