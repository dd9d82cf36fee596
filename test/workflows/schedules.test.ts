/**
 * The flows' Temporal Schedules on the dev server (the time-skipping server has no Schedules), in a namespace of this
 * file's own with a seeded sandbox and a worker: ensure is idempotent and applies changes in place, a trigger runs the
 * real flow against the sandbox, pause/unpause reach the schedule, and the CLI drives the same API.
 */
import type { ScheduledFlowResult } from '../../workflows/scheduled-flow';
import { WithStartWorkflowOperation, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import {
  STOCK_FLOWS,
  flowWorkflowId,
  pauseUpdate,
  resumeUpdate,
  scheduledRunQuery,
  type StockFlowName,
} from '../../workflows/definitions';
import type { SendFlowSummary } from '../../workflows/send-flows';
import { scheduleCommand } from '../../src/cli/schedules';
import {
  DEFAULT_STOCK_INTERVALS,
  describeStockSchedule,
  ensureStockSchedules,
  listStockSchedules,
  parseStockScheduleId,
  pauseStockSchedule,
  planStockSchedule,
  stockScheduleId,
  triggerStockSchedule,
  unpauseStockSchedule,
  type StockScheduleChannel,
} from '../../src/temporal/schedules';
import { FAST_TUNING, mismatches, startStockTestEnv, type StockTestEnv } from '../support/stock-env';

const MINUTE = 60_000;

/** Polls until `done` holds (visibility and schedule listing are eventually consistent); returns the last value. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, waitMs = 30_000): Promise<T> {
  const until = Date.now() + waitMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('schedule plans (pure)', () => {
  test('default intervals, SKIP overlap, the scheduledFlow trigger as action, search attributes and summary', () => {
    const plan = planStockSchedule({ channelId: 7 }, 'updateProductStocks', 'q');
    expect(plan.scheduleId).toBe('stock/7/updateProductStocks/schedule');
    expect(plan.spec).toEqual({ intervals: [{ every: '5m' }] });
    expect(plan.policies).toMatchObject({ overlap: 'SKIP', pauseOnFailure: false });
    expect(plan.action).toMatchObject({
      workflowType: 'scheduledFlow',
      workflowId: 'stock/7/updateProductStocks/scheduled',
      taskQueue: 'q',
      args: [{ flow: 'updateProductStocks', input: { channelId: 7 } }],
      staticSummary: 'updateProductStocks for channel 7 (scheduled)',
    });
    expect(plan.action.typedSearchAttributes).toEqual([
      { key: expect.objectContaining({ name: 'StockChannelId' }), value: '7' },
      { key: expect.objectContaining({ name: 'StockFlow' }), value: 'updateProductStocks' },
    ]);
    expect(DEFAULT_STOCK_INTERVALS).toEqual({
      updateProductStocks: '5m',
      insertProductStocks: '15m',
      updateProductStocksFromExtraStockList: '15m',
      insertProductStocksFromExtraStockList: '15m',
      getStockBatchRequests: '10m',
      reconcileChannelStock: '24h',
    });
  });

  test('getStockBatchRequests gets only the fields its schema takes; a bad input is refused naming the field', () => {
    const channel = { channelId: 3, input: { isSuccessLog: false, addPrice: true } };
    expect(planStockSchedule(channel, 'getStockBatchRequests', 'q').action.args).toEqual([
      { flow: 'getStockBatchRequests', input: { channelId: 3, isSuccessLog: false } },
    ]);
    expect(planStockSchedule(channel, 'insertProductStocks', 'q').action.args).toEqual([
      { flow: 'insertProductStocks', input: { channelId: 3, isSuccessLog: false, addPrice: true } },
    ]);
    expect(() =>
      planStockSchedule({ channelId: 3, input: { addPrice: 'yes' } as never }, 'updateProductStocks', 'q'),
    ).toThrow(/stock\/3\/updateProductStocks\/schedule: invalid input: addPrice/);
    expect(parseStockScheduleId('stock/12/getStockBatchRequests/schedule')).toEqual({
      channelId: 12,
      flow: 'getStockBatchRequests',
    });
    expect(parseStockScheduleId('stock/12/somethingElse/schedule')).toBeUndefined();
  });
});

describe('on the dev server', () => {
  let env: StockTestEnv;
  let client: Client;
  beforeAll(async () => {
    env = await startStockTestEnv({ skus: 60 });
    client = env.temporal.client;
  });
  afterAll(async () => {
    if (client) {
      for await (const s of client.schedule.list()) await client.schedule.getHandle(s.scheduleId).delete();
    }
    await env?.close();
  });

  const CHANNELS: StockScheduleChannel[] = [
    { channelId: 1, input: { tuning: FAST_TUNING } },
    { channelId: 2, input: { isSuccessLog: false, tuning: FAST_TUNING } },
  ];
  const allIds = CHANNELS.flatMap((c) => STOCK_FLOWS.map((f) => stockScheduleId(c.channelId, f)));

  test('ensure twice: one schedule per channel and flow, the second call updates in place and keeps them paused', async () => {
    // Created paused so no tick fires while the test runs; triggers still run.
    const first = await ensureStockSchedules(client, { taskQueue: env.taskQueue, channels: CHANNELS, paused: true });
    expect([...first.created].sort()).toEqual([...allIds].sort());
    expect(first.updated).toEqual([]);

    const changed = [{ ...CHANNELS[0]!, intervals: { updateProductStocks: '7m' } }, CHANNELS[1]!];
    const second = await ensureStockSchedules(client, { taskQueue: env.taskQueue, channels: changed });
    expect(second.created).toEqual([]);
    expect([...second.updated].sort()).toEqual([...allIds].sort());

    const listed = await eventually(
      () => listStockSchedules(client),
      (l) => l.length >= allIds.length,
    );
    // Sorted by channel, then flow: exactly the expected ids, none twice.
    expect(listed.map((s) => s.scheduleId)).toEqual(allIds);
    const every = (channelId: number, flow: StockFlowName) =>
      listed.find((s) => s.channelId === channelId && s.flow === flow)?.everyMs;
    expect(every(1, 'updateProductStocks')).toBe(7 * MINUTE);
    expect(every(2, 'updateProductStocks')).toBe(5 * MINUTE);
    expect(every(1, 'insertProductStocks')).toBe(15 * MINUTE);
    expect(every(2, 'updateProductStocksFromExtraStockList')).toBe(15 * MINUTE);
    expect(every(2, 'insertProductStocksFromExtraStockList')).toBe(15 * MINUTE);
    expect(every(1, 'getStockBatchRequests')).toBe(10 * MINUTE);
    expect(every(2, 'reconcileChannelStock')).toBe(24 * 60 * MINUTE);
    // The update left the operator-visible state alone.
    expect(listed.every((s) => s.paused && s.note === 'created paused by stockflow')).toBe(true);
    expect(listed.every((s) => s.taskQueue === env.taskQueue)).toBe(true);
    expect(listed.find((s) => s.scheduleId === 'stock/2/getStockBatchRequests/schedule')?.args).toEqual([
      { flow: 'getStockBatchRequests', input: { channelId: 2, isSuccessLog: false, tuning: FAST_TUNING } },
    ]);

    const policies = (await client.schedule.getHandle('stock/1/updateProductStocks/schedule').describe()).policies;
    expect(policies.overlap).toBe('SKIP');

    // Changed back: applied again in place.
    await ensureStockSchedules(client, { taskQueue: env.taskQueue, channels: CHANNELS });
    expect((await describeStockSchedule(client, 1, 'updateProductStocks')).everyMs).toBe(5 * MINUTE);
  });

  test('a bad input fails ensure before any schedule is touched', async () => {
    await expect(
      ensureStockSchedules(client, {
        taskQueue: env.taskQueue,
        channels: [{ channelId: 3 }, { channelId: 4, input: { window: 2 } as never }],
      }),
    ).rejects.toThrow(/stock\/4\/updateProductStocks\/schedule: invalid input/);
    await expect(describeStockSchedule(client, 3, 'updateProductStocks')).rejects.toMatchObject({
      name: 'ScheduleNotFoundError',
    });
  });

  /** The flow run a schedule's latest trigger started or attached to. */
  async function triggeredRun(flow: StockFlowName, channelId: number) {
    const schedule = client.schedule.getHandle(stockScheduleId(channelId, flow));
    const recent = await eventually(
      async () => (await schedule.describe()).info.recentActions,
      (actions) => actions.length > 0,
    );
    const trigger = recent[recent.length - 1]!.action.workflow;
    expect(trigger.workflowId).toMatch(new RegExp(`^stock/${channelId}/${flow}/scheduled-`));
    return (await client.workflow
      .getHandle(trigger.workflowId, trigger.firstExecutionRunId)
      .result()) as ScheduledFlowResult;
  }

  test('trigger runs the real flow under its fixed id: insertProductStocks on channel 2 delivers the stocks', async () => {
    await triggerStockSchedule(client, 2, 'insertProductStocks');
    const run = await triggeredRun('insertProductStocks', 2);
    expect(run.workflowId).toBe('stock/2/insertProductStocks');
    const summary = (await client.workflow.getHandle(run.workflowId, run.runId).result()) as SendFlowSummary;
    expect(summary).toMatchObject({ flow: 'insertProductStocks', channelId: 2, pagesFailed: 0, batchesFailed: 0 });
    expect(summary.stocksSent).toBeGreaterThan(0);
    expect(await mismatches(env, 2)).toEqual([]);
    // Found by its search attributes too (the flow and its trigger carry them).
    const query = `StockChannelId = "2" AND StockFlow = "insertProductStocks" AND WorkflowType = "insertProductStocks"`;
    const runs = await eventually(
      async () => {
        const found: WorkflowExecutionInfo[] = [];
        for await (const wf of client.workflow.list({ query })) found.push(wf);
        return found;
      },
      (found) => found.length > 0,
    );
    expect(runs.map((r) => r.runId)).toEqual([run.runId]);
  });

  test('the scheduled action lasts as long as its flow: it attaches to a manual run, a tick meanwhile is skipped', async () => {
    // A long manual run: held before its first page (update-with-start: the pause is there before any page is sent).
    const startManual = new WithStartWorkflowOperation('updateProductStocks', {
      workflowId: flowWorkflowId(2, 'updateProductStocks'),
      taskQueue: env.taskQueue,
      args: [{ channelId: 2, tuning: FAST_TUNING }],
      workflowIdConflictPolicy: 'FAIL',
    });
    const held = await client.workflow.executeUpdateWithStart(pauseUpdate, { startWorkflowOperation: startManual });
    expect(held).toMatchObject({ paused: true, pages: 0 });
    const manual = await startManual.workflowHandle();
    const manualRun = { workflowId: manual.workflowId, runId: (await manual.describe()).runId };
    const schedule = client.schedule.getHandle(stockScheduleId(2, 'updateProductStocks'));
    const skippedBefore = (await schedule.describe()).info.numActionsSkippedOverlap;

    await triggerStockSchedule(client, 2, 'updateProductStocks');
    const running = await eventually(
      async () => (await schedule.describe()).info.runningActions,
      (actions) => actions.length > 0,
    );
    expect(running).toHaveLength(1);
    const trigger = client.workflow.getHandle(
      running[0]!.workflow.workflowId,
      running[0]!.workflow.firstExecutionRunId,
    );
    // One run, never two: the scheduled action follows the manual run.
    expect(
      await eventually(
        () => trigger.query(scheduledRunQuery),
        (run) => run !== null,
      ),
    ).toEqual(manualRun);

    // A tick in the middle: the overlap policy applies, because the action is still running.
    await triggerStockSchedule(client, 2, 'updateProductStocks');
    expect(
      await eventually(
        async () => (await schedule.describe()).info.numActionsSkippedOverlap,
        (n) => n > skippedBefore,
      ),
    ).toBe(skippedBefore + 1);
    const info = await describeStockSchedule(client, 2, 'updateProductStocks');
    expect(info.runningWorkflowIds).toEqual([trigger.workflowId]); // what `stockflow schedule list` shows as running

    expect(await manual.executeUpdate(resumeUpdate)).toMatchObject({ paused: false });
    await manual.result();
    expect(await trigger.result()).toEqual({ ...manualRun, status: 'COMPLETED' });
    expect(
      await eventually(
        async () => (await schedule.describe()).info.runningActions,
        (actions) => actions.length === 0,
      ),
    ).toEqual([]);
  });

  test('pause and unpause are reflected in describe, with their notes', async () => {
    await unpauseStockSchedule(client, 1, 'getStockBatchRequests', 'back on');
    expect(await describeStockSchedule(client, 1, 'getStockBatchRequests')).toMatchObject({
      paused: false,
      note: 'back on',
    });
    await pauseStockSchedule(client, 1, 'getStockBatchRequests', 'marketplace maintenance');
    const handle = client.schedule.getHandle(stockScheduleId(1, 'getStockBatchRequests'));
    expect((await handle.describe()).state).toMatchObject({ paused: true, note: 'marketplace maintenance' });
  });

  describe('CLI', () => {
    const saved = { ...process.env };
    let out: string[];
    beforeEach(() => {
      process.env.TEMPORAL_ADDRESS = env.temporal.address;
      process.env.TEMPORAL_NAMESPACE = env.temporal.namespace;
      out = [];
      jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void out.push(args.join(' ')));
    });
    afterEach(() => {
      jest.restoreAllMocks();
      process.env = { ...saved };
    });
    const cli = (...args: string[]) => scheduleCommand().exitOverride().parseAsync(args, { from: 'user' });

    test('unpause and pause a whole channel, then list it as JSON and as a table', async () => {
      await cli('unpause', '--channel', '2', '--json');
      expect(JSON.parse(out[0]!)).toEqual({ unpaused: allIds.filter((id) => id.startsWith('stock/2/')) });
      await cli('pause', '--channel', '2', '--note', 'cli pause');
      expect(out.slice(1)).toEqual(allIds.filter((id) => id.startsWith('stock/2/')).map((id) => `paused ${id}`));

      out = [];
      await cli('list', '--channel', '2', '--flow', 'insertProductStocks', '--json');
      expect(JSON.parse(out.join('\n'))).toEqual([
        expect.objectContaining({
          scheduleId: 'stock/2/insertProductStocks/schedule',
          paused: true,
          note: 'cli pause',
        }),
      ]);
      out = [];
      await cli('list', '--channel', '1');
      expect(out[0]).toMatch(/^SCHEDULE\s+EVERY\s+STATE\s+NEXT RUN\s+RUNNING\s+NOTE$/);
      expect(out.slice(1).map((line) => line.split(/\s+/)[0])).toEqual(
        allIds.filter((id) => id.startsWith('stock/1/')),
      );
      expect(out[1]).toMatch(/^stock\/1\/updateProductStocks\/schedule\s+5m\s+paused/);
    });

    test('trigger refuses to run without --channel', async () => {
      await expect(cli('trigger', '--flow', 'updateProductStocks')).rejects.toThrow(/trigger needs --channel/);
    });
  });
});
