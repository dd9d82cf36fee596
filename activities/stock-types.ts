/**
 * The contract between the stock workflows and their activities: small inputs and summaries only (ids, counts),
 * never stock records — records stay in Omnitron and move between activities through the batch request.
 */

/** Where one send target's stocks go: a stock list (null = the catalogue's main list) and its channel warehouse. */
export interface FlowTarget {
  stockListId: number | null;
  warehouseCode: string | null;
}

export type StockKind = 'updates' | 'inserts';

export interface FlowPlan {
  /** An inactive channel: the flow does nothing. */
  active: boolean;
  mode: 'sync' | 'async';
  /** Page size = the adapter's items per request. */
  pageSize: number;
  targets: FlowTarget[];
}

export interface PlanFlowInput {
  channelId: number;
  /** `main`: the catalogue's stock list; `extra`: each mapped (stock list, warehouse code). */
  source: 'main' | 'extra';
  isSync?: boolean;
  /** A batch of the channel left in `commit` this long (ms) by someone else is failed (absent: 30 minutes). */
  staleCommitAfterMs?: number;
}

/** A batch of the channel that someone else left in `commit`, which Omnitron's one-batch-in-commit rule waits for. */
export interface CommitBlocker {
  batchPk: number;
  /** When it was last touched (its `modified_date`), if Omnitron said. */
  since: string | null;
}

export interface BatchRef {
  channelId: number;
  batchPk: number;
}

export interface CommitPageInput extends BatchRef {
  kind: StockKind;
  target: FlowTarget;
  pageSize: number;
  /** Absent: false, as in {@link SendBatchInput}. */
  addProductObjects?: boolean;
  addPrice?: boolean;
  isSuccessLog: boolean;
  /** See {@link PlanFlowInput.staleCommitAfterMs}. */
  staleCommitAfterMs?: number;
}

export interface PreviewPageInput {
  channelId: number;
  kind: StockKind;
  target: FlowTarget;
  pageSize: number;
  /** 1-based: a dry run pages through the list instead of committing its head. */
  page: number;
  addProductObjects: boolean;
  addPrice: boolean;
  /** At most this many items of each outcome come back as examples. */
  examples: number;
}

/** One stock a dry run would send, or would fail, as the summary shows it: ids and a quantity, no record. */
export interface PreviewItem {
  /** Omnitron's product stock (malformed records without a pk: absent). */
  stockPk?: number;
  /** Known when the page's products were read (product objects, remote_id_attribute) or the item has an identity. */
  sku?: string;
  remoteId?: string;
  quantity?: number;
  /** Why it would fail. */
  reason?: string;
}

export interface PreviewPageResult {
  fetched: number;
  /** Stocks that would go to the channel, and those that would fail before it (by reason). */
  wouldSend: number;
  wouldFail: Record<string, number>;
  examples: { send: PreviewItem[]; fail: PreviewItem[] };
  /** Omnitron has a page after this one. */
  more: boolean;
}

export interface CommitPageResult {
  /** Well-formed records Omnitron handed out. */
  fetched: number;
  /**
   * Records that failed validation. Those with a pk are committed too (sendBatch fails and reports them when it reads
   * them back); those without one are reported here and left out.
   */
  malformed: number;
  /** Objects committed into the batch (0 = nothing left: the batch was closed `done` empty). */
  committed: number;
  /** Stocks Omnitron still holds for this list after this page (its `count` less the page); unknown on a retry. */
  remaining?: number;
  /** Whether the batch is already finished (an empty page, or a retry that finds it done). */
  closed: boolean;
  /**
   * Another batch of the channel sits in `commit` (not stale yet), so nothing could be committed: this batch was
   * closed empty and the flow waits before its next page.
   */
  blockedBy?: CommitBlocker;
  /**
   * The batch was `fail` with no objects before anything was committed: a batch opened ahead for this page and
   * failed meanwhile as an orphan by another flow's sweep (activities/batch-sweeps.ts). Nothing was taken; the page
   * is tried again in a fresh batch.
   */
  swept?: boolean;
}

export interface SendBatchInput extends BatchRef {
  kind: StockKind;
  target: FlowTarget;
  /** Absent: false (the flows send only what is on, to keep each page's history small). */
  addProductObjects?: boolean;
  addPrice?: boolean;
  isSuccessLog: boolean;
}

/**
 * Objects of an async batch that failed at send (refused before sending, e.g. PriceNotFound, or by the channel at
 * once) and were reported then: pks and reasons only, so the check settles them with that reason and no second report.
 */
export interface FailedAtSend {
  pk: number;
  reason: 'channel_app' | 'remote';
}

export type SendBatchResult =
  | { mode: 'sync'; succeeded: number; failed: number }
  | { mode: 'async'; remoteBatchId: string; sent: number; failed: number; failedAtSend?: FailedAtSend[] };

/** One page in one step: commit into the open batch, then send it (see activities/send-page.ts). */
export interface SendPageInput extends CommitPageInput {
  /**
   * Async batches of the flow due for a check, asked after the page in the same activity (a request each, counted in
   * the channel queue's rate: see src/worker.ts). A check that fails comes back `pending`: the flow asks again later.
   */
  checks?: PageCheck[];
  /**
   * Open the next page's batch once this page is committed and hand it back (`nextBatchPk`), so the next page needs
   * no openBatch activity of its own (issue #12). Its pk is checkpointed with the page: a retry takes it again, a
   * failure carries it in its details ({@link PageCheckpoint}), a cancelled attempt closes it.
   */
  openNext?: boolean;
  /**
   * The flow's window is full: ask these first, at `at` (epoch ms; the activity sleeps until then), and take the
   * page only if one of them finished, so a full window costs no timer and no activity of its own (issue #12).
   */
  checksFirst?: { checks: PageCheck[]; at: number };
}

/**
 * What sendPage checkpoints: the page's batch, the next page's batch opened ahead, and the channel's answer once it
 * has one (activities/send-batch.ts). The failure of a sendPage carries it as its details.
 */
export interface PageCheckpoint {
  batchPk: number;
  nextBatchPk?: number;
}

/** `sent` is absent when there was nothing to send: blocked, nothing left, or the batch already finished. */
export interface SendPageResult {
  page: CommitPageResult;
  sent?: SendBatchResult;
  checked?: BatchCheck[];
  /** The next page's batch, opened ahead (`openNext`); absent when this page found nothing to send. */
  nextBatchPk?: number;
  /** `checksFirst` all came back pending: the page was not taken (its batch is untouched, `page` is empty). */
  skipped?: boolean;
}

/** What one check of an async batch found. */
export interface BatchCheck {
  batchPk: number;
  result: CheckBatchResult;
}

export interface CheckBatchInput extends BatchRef {
  remoteBatchId: string;
  isSuccessLog: boolean;
  /** From the send; absent for batches found by getStockBatchRequests (their send-time failures are re-reported). */
  failedAtSend?: FailedAtSend[];
}

/** A check a page carries: the page's channel and success logging apply (older histories repeat them here). */
export type PageCheck = Omit<CheckBatchInput, 'channelId' | 'isSuccessLog'> & Partial<CheckBatchInput>;

/** `failed`: the channel can no longer tell (e.g. its result expired); the batch was failed with a report. */
export type CheckBatchResult =
  { state: 'pending' } | { state: 'done'; succeeded: number; failed: number } | { state: 'failed'; reason: string };

export interface FailBatchInput extends BatchRef {
  reason: string;
  /** Leave a batch the channel has (`sent_to_remote`/`ongoing`) alone: a cancellation fails only what was not sent. */
  unlessSent?: boolean;
}

export interface OpenBatch {
  batchPk: number;
  remoteBatchId: string;
}

/** The stock activities as the workflows call them; `createStockActivities` implements exactly this. */
export interface StockActivities {
  planFlow(input: PlanFlowInput): Promise<FlowPlan>;
  /** A fresh `initialized` batch request for one page. */
  openBatch(input: { channelId: number }): Promise<{ batchPk: number }>;
  /** Fetches one page of `updates/`/`inserts/` and commits it into the batch; idempotent per batch. */
  commitPage(input: CommitPageInput): Promise<CommitPageResult>;
  /** Sends the batch's objects to the channel; sync: results processed and `done`; async: `sent_to_remote`. */
  sendBatch(input: SendBatchInput): Promise<SendBatchResult>;
  /**
   * `commitPage` then `sendBatch` as one activity on the channel's queue: one server round trip for both. Each step is
   * idempotent by the batch's status, and the send's answer is checkpointed, so a retry resumes where it failed.
   */
  sendPage(input: SendPageInput): Promise<SendPageResult>;
  /** Asks the channel about an async batch; when finished, processes results and marks the batch `done`. */
  checkBatch(input: CheckBatchInput): Promise<CheckBatchResult>;
  /** checkBatch for several batches in one activity; each finished check is checkpointed (a retry skips it). */
  checkBatches(input: {
    channelId: number;
    checks: CheckBatchInput[];
    /** Ask at this time (epoch ms; the activity waits until then, within MAX_CHECK_WAIT_MS), else at once. */
    at?: number;
  }): Promise<BatchCheck[]>;
  /** Marks a batch `fail` (unless already finished) with a batch-level error report. */
  failBatch(input: FailBatchInput): Promise<void>;
  /** Closes a batch opened ahead for a page the run does not take (`done`, empty, as an empty page closes its own). */
  closeUnusedBatch(input: BatchRef): Promise<void>;
  /** Batches of the channel in `sent_to_remote` or `ongoing`. */
  listOpenBatches(input: { channelId: number; limit: number }): Promise<OpenBatch[]>;
  /** A dry run's page: fetched at its offset (nothing committed) and resolved to what the channel would get. */
  previewPage(input: PreviewPageInput): Promise<PreviewPageResult>;
}
