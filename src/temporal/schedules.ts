/**
 * Temporal Schedules that run every stock flow of every configured channel on its own cadence — the Temporal stand-in
 * for the Channel App's periodic tasks. One schedule per channel and flow, id `stock/<channelId>/<flow>/schedule`, so
 * `ensureStockSchedules` can run at every deployment: it creates what is missing and updates the rest in place.
 *
 * A Schedule appends `-<timestamp>` to its action's workflow id, so the action is not the flow itself but the
 * `scheduledFlow` trigger (`stock/<channelId>/<flow>/scheduled-<ts>`), which starts the flow under its fixed id or
 * attaches to the run already going: scheduled and manual runs of one channel and flow are always one run.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
  type Workflow,
} from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import {
  STOCK_FLOWS,
  StockChannelId,
  StockFlow,
  flowWorkflowId,
  isSendFlow,
  type StockFlowName,
} from '../../workflows/definitions';
import {
  batchRequestsInputSchema,
  reconcileInputSchema,
  sendFlowInputSchema,
  type SendFlowInput,
} from '../../workflows/inputs';
import { issueLines } from '../../workflows/issues';

/**
 * How often each flow runs unless a channel says otherwise. Updates are what keep a marketplace honest, so they run
 * most often; inserts and the extra-stock-list flows (our choice: the same as inserts) less; the batch safety net in
 * between, so a batch whose awaiting child gave up is picked up within minutes.
 */
export const DEFAULT_STOCK_INTERVALS: Readonly<Record<StockFlowName, string>> = {
  updateProductStocks: '5m',
  insertProductStocks: '15m',
  updateProductStocksFromExtraStockList: '15m',
  insertProductStocksFromExtraStockList: '15m',
  getStockBatchRequests: '10m',
  // A full read of every list at the channel: daily, report only (repair is an operator's decision).
  reconcileChannelStock: '24h',
};

/** Extra flow input for a channel's scheduled runs; `getStockBatchRequests` takes only `isSuccessLog` and `tuning`. */
export type ScheduledFlowInput = Omit<SendFlowInput, 'channelId'>;

export interface StockScheduleChannel {
  channelId: number;
  /** Per-flow cadence overrides ("2m", "1h"); the rest use {@link DEFAULT_STOCK_INTERVALS}. */
  intervals?: Partial<Record<StockFlowName, string>>;
  input?: ScheduledFlowInput;
}

export interface EnsureStockSchedulesOptions {
  taskQueue: string;
  channels: StockScheduleChannel[];
  /**
   * New schedules start paused (to review them in the Web UI before they run). Existing schedules keep their state
   * either way: re-deploying must never unpause what an operator paused.
   */
  paused?: boolean;
}

/** The schedule of one channel and flow. */
export function stockScheduleId(channelId: number, flow: StockFlowName): string {
  return `${flowWorkflowId(channelId, flow)}/schedule`;
}

const SCHEDULE_ID = /^stock\/(\d+)\/([A-Za-z]+)\/schedule$/;

/** Channel and flow of a stockflow schedule id, or undefined for any other schedule in the namespace. */
export function parseStockScheduleId(scheduleId: string): { channelId: number; flow: StockFlowName } | undefined {
  const [, channel, flow] = SCHEDULE_ID.exec(scheduleId) ?? [];
  if (!channel || !(STOCK_FLOWS as readonly string[]).includes(flow ?? '')) return undefined;
  return { channelId: Number(channel), flow: flow as StockFlowName };
}

/** The input schema a flow validates with. */
const inputSchemaOf = (flow: StockFlowName) =>
  isSendFlow(flow)
    ? sendFlowInputSchema
    : flow === 'reconcileChannelStock'
      ? reconcileInputSchema
      : batchRequestsInputSchema;

/**
 * The flow's input as the schedule passes it. Validated here with the workflow's own schema so a bad configuration
 * fails `ensure` at once instead of every scheduled run; defaults are left to the workflow (not baked into the
 * schedule), so a changed default reaches scheduled runs without re-ensuring.
 */
export function scheduledFlowInput(channelId: number, flow: StockFlowName, input: ScheduledFlowInput = {}): object {
  const args: Record<string, unknown> = isSendFlow(flow)
    ? { channelId, ...input }
    : { channelId, isSuccessLog: input.isSuccessLog, tuning: input.tuning };
  for (const key of Object.keys(args)) if (args[key] === undefined) delete args[key];
  const parsed = inputSchemaOf(flow).safeParse(args);
  if (!parsed.success) {
    const fields = issueLines(parsed.error, 'input');
    throw new TypeError(`schedule ${stockScheduleId(channelId, flow)}: invalid input: ${fields.join('; ')}`);
  }
  return args;
}

interface StockSchedulePlan {
  scheduleId: string;
  spec: ScheduleSpec;
  action: ScheduleOptionsStartWorkflowAction<Workflow>;
  policies: { overlap: ScheduleOverlapPolicy; catchupWindow: Duration; pauseOnFailure: boolean };
  typedSearchAttributes: { key: typeof StockChannelId; value: string }[];
}

/** Everything a schedule of one channel and flow should be (pure, so it is unit-testable). */
export function planStockSchedule(channel: StockScheduleChannel, flow: StockFlowName, taskQueue: string) {
  const { channelId } = channel;
  const every = (channel.intervals?.[flow] ?? DEFAULT_STOCK_INTERVALS[flow]) as Duration;
  const attributes = [
    { key: StockChannelId, value: String(channelId) },
    { key: StockFlow, value: flow },
  ];
  const plan: StockSchedulePlan = {
    scheduleId: stockScheduleId(channelId, flow),
    spec: { intervals: [{ every }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'scheduledFlow',
      // The server appends `-<timestamp>`; the trigger starts or attaches to `stock/<channelId>/<flow>`.
      workflowId: `${flowWorkflowId(channelId, flow)}/scheduled`,
      taskQueue,
      args: [{ flow, input: scheduledFlowInput(channelId, flow, channel.input) }],
      typedSearchAttributes: attributes,
      staticSummary: `${flow} for channel ${channelId} (scheduled)`,
    },
    policies: {
      // Never two scheduled runs of one flow at once; a tick while one runs is dropped (the running one sends it all).
      overlap: ScheduleOverlapPolicy.SKIP,
      // After an outage run once, not once per missed tick: each run drains everything that is pending anyway.
      catchupWindow: '1 minute',
      // A failed run (channel down) must not stop the sync: the next tick tries again.
      pauseOnFailure: false,
    },
    // On the schedule itself too, so `temporal schedule list --query 'StockChannelId = "3"'` finds a channel's.
    typedSearchAttributes: attributes,
  };
  return plan;
}

const isAlreadyRunning = (err: unknown) =>
  err instanceof ScheduleAlreadyRunning || (err as Error | undefined)?.name === 'ScheduleAlreadyRunning';
const isNotFound = (err: unknown) =>
  err instanceof ScheduleNotFoundError || (err as Error | undefined)?.name === 'ScheduleNotFoundError';

/**
 * Creates the schedule of every configured channel and flow, or updates the existing one (action with its args and
 * task queue, interval, policies) — never a second one: the schedule id is the channel and flow. Paused/unpaused
 * state and notes are left as they are.
 */
export async function ensureStockSchedules(
  client: Client,
  options: EnsureStockSchedulesOptions,
): Promise<{ created: string[]; updated: string[] }> {
  // Plan everything first, so one channel's bad input changes nothing at all.
  const plans = options.channels.flatMap((channel) =>
    STOCK_FLOWS.map((flow) => planStockSchedule(channel, flow, options.taskQueue)),
  );
  const created: string[] = [];
  const updated: string[] = [];
  for (const plan of plans) {
    try {
      await client.schedule.create({
        ...plan,
        state: { paused: options.paused ?? false, note: options.paused ? 'created paused by stockflow' : undefined },
      });
      created.push(plan.scheduleId);
    } catch (err) {
      if (!isAlreadyRunning(err)) throw err;
      await client.schedule.getHandle(plan.scheduleId).update((prev) => ({
        ...prev,
        spec: plan.spec,
        action: plan.action,
        policies: plan.policies,
        typedSearchAttributes: plan.typedSearchAttributes,
      }));
      updated.push(plan.scheduleId);
    }
  }
  return { created, updated };
}

export interface StockScheduleInfo {
  scheduleId: string;
  channelId: number;
  flow: StockFlowName;
  /** Interval in milliseconds. */
  everyMs: number | undefined;
  paused: boolean;
  note: string | undefined;
  nextActionTimes: Date[];
  /** Workflow ids of the runs the schedule started that are still going. */
  runningWorkflowIds: string[];
  lastActionAt: Date | undefined;
  taskQueue: string;
  args: unknown[];
}

function toInfo(description: ScheduleDescription, channelId: number, flow: StockFlowName): StockScheduleInfo {
  const interval = description.spec.intervals?.[0]?.every;
  const recent = description.info.recentActions;
  return {
    scheduleId: description.scheduleId,
    channelId,
    flow,
    everyMs: typeof interval === 'number' ? interval : undefined,
    paused: description.state.paused,
    note: description.state.note,
    nextActionTimes: description.info.nextActionTimes,
    runningWorkflowIds: description.info.runningActions.map((a) => a.workflow.workflowId),
    lastActionAt: recent.length ? recent[recent.length - 1]?.takenAt : undefined,
    taskQueue: description.action.taskQueue,
    args: [...(description.action.args ?? [])],
  };
}

/**
 * stockflow's schedules in the client's namespace (others are ignored), by channel then flow. The listing is
 * eventually consistent (a schedule created a moment ago may be missing); each one found is described afresh.
 */
export async function listStockSchedules(
  client: Client,
  filter: { channelId?: number; flow?: StockFlowName } = {},
): Promise<StockScheduleInfo[]> {
  const found: { scheduleId: string; channelId: number; flow: StockFlowName }[] = [];
  for await (const summary of client.schedule.list()) {
    const parsed = parseStockScheduleId(summary.scheduleId);
    if (!parsed) continue;
    if (filter.channelId !== undefined && parsed.channelId !== filter.channelId) continue;
    if (filter.flow !== undefined && parsed.flow !== filter.flow) continue;
    found.push({ scheduleId: summary.scheduleId, ...parsed });
  }
  const infos: StockScheduleInfo[] = [];
  for (const { scheduleId, channelId, flow } of found) {
    try {
      infos.push(toInfo(await client.schedule.getHandle(scheduleId).describe(), channelId, flow));
    } catch (err) {
      if (!isNotFound(err)) throw err; // deleted since it was listed
    }
  }
  return infos.sort((a, b) => a.channelId - b.channelId || STOCK_FLOWS.indexOf(a.flow) - STOCK_FLOWS.indexOf(b.flow));
}

/** The schedule of one channel and flow, described (throws ScheduleNotFoundError when there is none). */
export async function describeStockSchedule(
  client: Client,
  channelId: number,
  flow: StockFlowName,
): Promise<StockScheduleInfo> {
  return toInfo(await client.schedule.getHandle(stockScheduleId(channelId, flow)).describe(), channelId, flow);
}

/**
 * Runs the flow now through its schedule (also when the schedule is paused). With SKIP, nothing starts while a
 * scheduled trigger is still going. A manual run (`stockflow sync`, StockflowClient) is not seen by SKIP: the trigger
 * attaches to it instead (see the module comment), so either way one run sends.
 */
export async function triggerStockSchedule(client: Client, channelId: number, flow: StockFlowName): Promise<void> {
  await client.schedule.getHandle(stockScheduleId(channelId, flow)).trigger(ScheduleOverlapPolicy.SKIP);
}

/**
 * Stops the flow's future scheduled runs; a run already going is not touched (pause or cancel it as a flow). The note
 * shows in the Web UI and `schedule list`, so say why (e.g. "marketplace maintenance until 14:00").
 */
export async function pauseStockSchedule(
  client: Client,
  channelId: number,
  flow: StockFlowName,
  note = 'paused via stockflow',
): Promise<void> {
  await client.schedule.getHandle(stockScheduleId(channelId, flow)).pause(note);
}

/** Resumes the schedule at its next tick (missed ticks are not caught up beyond the one-minute catch-up window). */
export async function unpauseStockSchedule(
  client: Client,
  channelId: number,
  flow: StockFlowName,
  note = 'unpaused via stockflow',
): Promise<void> {
  await client.schedule.getHandle(stockScheduleId(channelId, flow)).unpause(note);
}
