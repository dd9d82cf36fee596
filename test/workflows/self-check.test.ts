import { randomUUID } from 'node:crypto';
import type { StockflowWorker } from '../../src/worker';
import { releaseSelfCheckSignal, selfCheckStatusQuery } from '../../workflows/definitions';
import type { selfCheck } from '../../workflows/self-check';
import { connectTestTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from '../support/temporal';

let temporal: TestTemporal;
beforeAll(async () => {
  temporal = await connectTestTemporal();
});
afterAll(async () => {
  await temporal.close();
});

/** Runs `fn` while a stockflow worker polls `taskQueue`, then shuts the worker down. */
async function withWorker<T>(taskQueue: string, fn: (worker: StockflowWorker) => Promise<T>): Promise<T> {
  const worker = await createTestWorker(temporal, { taskQueue });
  return worker.runUntil(fn(worker));
}

describe('selfCheck on the dev server', () => {
  test('a signal ends the durable timer early and the query tracks the phase', async () => {
    const taskQueue = uniqueTaskQueue('self-check');
    await withWorker(taskQueue, async () => {
      const handle = await temporal.client.workflow.start<typeof selfCheck>('selfCheck', {
        taskQueue,
        workflowId: `self-check-${randomUUID()}`,
        args: [{ wait: '1 hour' }],
      });
      // The workflow is parked on its one-hour timer until the signal arrives.
      await expect(handle.query(selfCheckStatusQuery)).resolves.toEqual({ phase: 'waiting', releasedEarly: false });
      await handle.signal(releaseSelfCheckSignal);
      const result = await handle.result();
      expect(result.releasedEarly).toBe(true);
      expect(result.worker.taskQueue).toBe(taskQueue);
      expect(result.worker.identity).toMatch(/^stockflow-\d+@/);
      await expect(handle.query(selfCheckStatusQuery)).resolves.toEqual({ phase: 'done', releasedEarly: true });

      // The history holds a real timer that was started and then cancelled by the signal, not a busy loop.
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.filter((e) => e.timerStartedEventAttributes)).toHaveLength(1);
      expect(events.filter((e) => e.timerCanceledEventAttributes)).toHaveLength(1);
      expect(events.filter((e) => e.activityTaskCompletedEventAttributes)).toHaveLength(1);
    });
  });

  test('without a signal the durable timer fires and the activity answers', async () => {
    const taskQueue = uniqueTaskQueue('self-check');
    await withWorker(taskQueue, async () => {
      const started = Date.now();
      const result = await temporal.client.workflow.execute<typeof selfCheck>('selfCheck', {
        taskQueue,
        workflowId: `self-check-${randomUUID()}`,
        args: [{ wait: '1500ms' }],
      });
      expect(result.releasedEarly).toBe(false);
      expect(result.worker.attempt).toBe(1);
      // A fired timer cannot come back before its duration on a real (not time-skipping) server.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    });
  });
});
