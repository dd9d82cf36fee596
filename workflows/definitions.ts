/**
 * Everything both sides of the wire must agree on: search-attribute keys, signals, queries and updates.
 * Pure definitions only, so the workflow bundle, the worker, the client API and the CLI can all import it.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** The Omnitron channel a run works for (Keyword, so `StockChannelId = "3"` filters in the Web UI). */
export const StockChannelId = defineSearchAttributeKey('StockChannelId', SearchAttributeType.KEYWORD);
/** The flow a run performs, e.g. `updateProductStocks`. */
export const StockFlow = defineSearchAttributeKey('StockFlow', SearchAttributeType.KEYWORD);

/** Registered on every server stockflow starts (and to be created on a real cluster). */
export const STOCKFLOW_SEARCH_ATTRIBUTES = [StockChannelId, StockFlow];

export type SelfCheckPhase = 'waiting' | 'checking-worker' | 'done';
export interface SelfCheckStatus {
  phase: SelfCheckPhase;
  releasedEarly: boolean;
}
/** Where a running self-check is. */
export const selfCheckStatusQuery = defineQuery<SelfCheckStatus>('selfCheckStatus');
/** Ends a self-check's wait before its timer fires. */
export const releaseSelfCheckSignal = defineSignal('releaseSelfCheck');

/** The four send flows: one engine, named after the Stock Service methods so operators recognise them. */
export const SEND_FLOWS = [
  'updateProductStocks',
  'insertProductStocks',
  'updateProductStocksFromExtraStockList',
  'insertProductStocksFromExtraStockList',
] as const;
export type SendFlowName = (typeof SEND_FLOWS)[number];
export const STOCK_FLOWS = [...SEND_FLOWS, 'getStockBatchRequests', 'reconcileChannelStock'] as const;
export type StockFlowName = (typeof STOCK_FLOWS)[number];

/** A stock list as a person reads it: null is the catalogue's main list (Web UI summaries, the CLI). */
export const listName = (stockListId: number | null): string =>
  stockListId === null ? 'main list' : `stock list ${stockListId}`;

export const isSendFlow = (flow: StockFlowName): flow is SendFlowName =>
  (SEND_FLOWS as readonly string[]).includes(flow);

/**
 * The task queue of the activities that call channel `channelId`'s marketplace (send, check). One queue per channel
 * lets its workers declare the channel's request rate as `maxTaskQueueActivitiesPerSecond`, which the Temporal server
 * enforces across every worker of the queue: the marketplace's limit holds cluster-wide, however many workers run.
 */
export function channelTaskQueue(taskQueue: string, channelId: number): string {
  return `${taskQueue}/channel-${channelId}`;
}

/** A run of a flow: the id is fixed per channel and flow, the run id is the chain's first. */
export interface FlowRunRef {
  workflowId: string;
  runId: string;
}

/** Which flow run a scheduled action started or attached to (null until it has). */
export const scheduledRunQuery = defineQuery<FlowRunRef | null>('run');

/** One run per channel and flow: starting a flow that runs attaches to it (see src/client.ts). */
export function flowWorkflowId(channelId: number, flow: StockFlowName): string {
  return `stock/${channelId}/${flow}`;
}

/** One awaiting workflow per Omnitron batch request, whoever starts it: a batch is never processed twice at once. */
export function batchWorkflowId(channelId: number, batchPk: number): string {
  return `stock/${channelId}/batch/${batchPk}`;
}

/**
 * Batch pks a send flow awaits itself (its open async batches and the page in flight): getStockBatchRequests leaves
 * them to it, so no batch is processed by two runs at once (workflows/awaited-batches.ts).
 */
export const awaitedBatchesQuery = defineQuery<number[]>('awaitedBatches');

/**
 * Marketplace requests one activity on a channel's task queue may make: a page's send plus one batch check it
 * carries, or two checks. The channel queue's activity rate is the adapter's requests/s divided by this for an
 * asynchronous channel (src/worker.ts), so the request rate holds whatever the mix.
 */
export const MARKETPLACE_REQUESTS_PER_CHANNEL_ACTIVITY = 2;

/** What a running send flow reports to operators (`progress` query, Web UI details). Counts only, never records. */
export interface FlowProgress {
  flow: SendFlowName;
  channelId: number;
  phase: 'planning' | 'sending' | 'awaiting-batches' | 'done';
  /** The stock list being worked on (`null` = the catalogue's main list). */
  stockListId: number | null;
  targetsDone: number;
  targetsTotal: number;
  pages: number;
  pagesFailed: number;
  /** Stocks committed into batches so far (all lists); with `stocksRemaining`, what a progress bar measures. */
  stocksTaken: number;
  /** Omnitron's count of stocks still waiting on the current list after the last page; null before the first. */
  stocksRemaining: number | null;
  stocksSent: number;
  stocksFailed: number;
  malformedRecords: number;
  batchesInFlight: number;
  batchesDone: number;
  batchesFailed: number;
  /** Async batches another run (getStockBatchRequests) took over and finishes. */
  batchesHandedOver: number;
  /** Runs of this execution chain so far (continue-as-new increments it). */
  runs: number;
  paused: boolean;
  /** A dry run: `stocksSent`/`stocksFailed` count what would be sent / would fail; nothing is committed. */
  dryRun?: boolean;
  /**
   * A batch someone else left in `commit`, which the flow waits for (Omnitron lets one batch per channel sit in
   * `commit`) until it is stale and failed; null when nothing blocks.
   */
  blockedBy: { batchPk: number; since: string | null } | null;
}

/** What a running reconcile reports (`progress` query of `reconcileChannelStock`, Web UI details). Counts only. */
export interface ReconcileProgress {
  flow: 'reconcileChannelStock';
  channelId: number;
  phase: 'planning' | 'comparing' | 'awaiting-repairs' | 'confirming' | 'done';
  /** The list being compared (its id; the main list has one too). */
  stockListId: number | null;
  targetsDone: number;
  targetsTotal: number;
  /** Channel reads so far (one chunk = one read). */
  chunks: number;
  /** Stock API pages read to their end so far (a page holds more SKUs than a chunk on most channels). */
  pages: number;
  compared: number;
  match: number;
  drift: number;
  missing: number;
  unknown: number;
  notListed: number;
  /** Repair: stocks sent with their expected quantity, of them failed, and left alone as changed since the read. */
  repaired: number;
  repairFailed: number;
  changed: number;
  confirmed: number;
  stillDrifted: number;
  runs: number;
  paused: boolean;
}

/** A send flow's progress before its first step. */
export function initialFlowProgress(flow: SendFlowName, channelId: number): FlowProgress {
  return {
    flow,
    channelId,
    phase: 'planning',
    stockListId: null,
    targetsDone: 0,
    targetsTotal: 0,
    pages: 0,
    pagesFailed: 0,
    stocksTaken: 0,
    stocksRemaining: null,
    stocksSent: 0,
    stocksFailed: 0,
    malformedRecords: 0,
    batchesInFlight: 0,
    batchesDone: 0,
    batchesFailed: 0,
    batchesHandedOver: 0,
    runs: 1,
    paused: false,
    blockedBy: null,
  };
}

/** What a running getStockBatchRequests reports: the open batches it found and how many are settled. */
export interface BatchRequestsProgress {
  flow: 'getStockBatchRequests';
  channelId: number;
  phase: 'listing' | 'awaiting-batches' | 'done';
  /** Open batches (`sent_to_remote`/`ongoing`) found. */
  found: number;
  /** Of them: awaited now, finished (done/failed), and left to the run already awaiting them. */
  inFlight: number;
  done: number;
  failed: number;
  alreadyAwaited: number;
  stocksSent: number;
  stocksFailed: number;
}

/** Every flow's `progress` answer, told apart by `flow`. */
export type AnyFlowProgress = FlowProgress | BatchRequestsProgress | ReconcileProgress;

export const progressQuery = defineQuery<FlowProgress>('progress');
export const batchRequestsProgressQuery = defineQuery<BatchRequestsProgress>('progress');
/** The `progress` query of whichever flow runs (CLI, clients that do not know the flow statically). */
export const anyProgressQuery = defineQuery<AnyFlowProgress>('progress');
export const reconcileProgressQuery = defineQuery<ReconcileProgress>('progress');
/**
 * Pause between pages (a page in flight finishes first) and resume: Updates, so the operator gets an answer — the
 * flow's progress after the change — or a refusal saying why (already paused, no pages left, a flow without pages).
 * A reconcile answers with its own progress; the names are shared so every tool sends the same `pause`/`resume`.
 */
export const pauseUpdate = defineUpdate<FlowProgress>('pause');
export const resumeUpdate = defineUpdate<FlowProgress>('resume');
export const pauseReconcileUpdate = defineUpdate<ReconcileProgress>('pause');
export const resumeReconcileUpdate = defineUpdate<ReconcileProgress>('resume');
