import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ParentClosePolicy,
  startChild,
  type ChildWorkflowHandle,
  continueAsNew,
  isCancellation,
  log,
  sleep,
  workflowInfo,
  CancellationScope,
  condition,
} from '@temporalio/workflow';
import type { FailedAtSend } from '../activities/stock-types';
import { stockActivities } from './activity-proxies';
import type { AwaiterEvents, BatchAwaiter } from './awaited-batches';
import { StockChannelId, StockFlow, batchWorkflowId } from './definitions';
import { durationMs } from './durations';
import type { Tuning } from './inputs';

export interface AwaitChannelBatchInput {
  channelId: number;
  batchPk: number;
  remoteBatchId: string;
  isSuccessLog: boolean;
  /** Objects reported failed at send (absent when the safety net found the batch). */
  failedAtSend?: FailedAtSend[];
  /** Durations as validated by the flow inputs: "5 minutes", "30s" or milliseconds. */
  maxBatchWait: string | number;
  pollInitial: string | number;
  pollMax: string | number;
  retryMaxInterval: string | number;
  /** Carried over continue-as-new: when the wait began (ms since epoch) and the current poll delay (ms). */
  waitStartedAt?: number;
  delayMs?: number;
}

export interface ChannelBatchOutcome {
  batchPk: number;
  state: 'done' | 'failed';
  succeeded: number;
  failed: number;
}

/** Checks before a continue-as-new keeps this workflow's history small even over a 24-hour wait. */
const CHECKS_PER_RUN = 200;

/**
 * Waits for one asynchronous channel batch with durable timers (backoff from `pollInitial` doubling up to `pollMax`),
 * then has its results processed and the Omnitron batch marked `done`; past `maxBatchWait` the batch goes `fail` with
 * an error report. Its workflow id is derived from the batch pk, so the send flow that sent the batch and the
 * `getStockBatchRequests` safety net can never process the same batch at once.
 */
export async function awaitChannelBatch(input: AwaitChannelBatchInput): Promise<ChannelBatchOutcome> {
  const startedAt = input.waitStartedAt ?? Date.now();
  const deadline = startedAt + durationMs(input.maxBatchWait);
  let delayMs = input.delayMs ?? durationMs(input.pollInitial);
  const { channelId, batchPk } = input;
  const act = stockActivities(channelId, input);
  try {
    // A batch just sent is never finished at once: the first check waits one poll interval, sparing a request from
    // the channel's rate budget.
    if (input.waitStartedAt === undefined) await sleep(delayMs);
    for (let check = 0; ; check++) {
      const result = await act.checkBatch({
        channelId,
        batchPk,
        remoteBatchId: input.remoteBatchId,
        isSuccessLog: input.isSuccessLog,
        failedAtSend: input.failedAtSend,
      });
      if (result.state === 'done') {
        log.info('channel batch finished', {
          batchPk,
          checks: check + 1,
          succeeded: result.succeeded,
          failed: result.failed,
        });
        return { batchPk, state: 'done', succeeded: result.succeeded, failed: result.failed };
      }
      if (result.state === 'failed') {
        log.warn('channel batch failed', { batchPk, checks: check + 1, reason: result.reason });
        return { batchPk, state: 'failed', succeeded: 0, failed: 0 };
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        await act.failBatch({
          channelId,
          batchPk,
          reason: `the channel did not finish batch ${input.remoteBatchId} within ${String(input.maxBatchWait)}`,
        });
        return { batchPk, state: 'failed', succeeded: 0, failed: 0 };
      }
      await sleep(Math.min(delayMs, remaining));
      delayMs = Math.min(delayMs * 2, durationMs(input.pollMax));
      if (check + 1 >= CHECKS_PER_RUN || workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof awaitChannelBatch>({ ...input, waitStartedAt: startedAt, delayMs });
      }
    }
  } catch (err) {
    if (isCancellation(err)) {
      // An operator cancelled the wait: the batch must not stay open forever.
      await CancellationScope.nonCancellable(() =>
        act.failBatch({ channelId, batchPk, reason: 'cancelled by an operator' }),
      );
    }
    throw err;
  }
}

/**
 * Starts the awaiting child of an async batch under the batch's own workflow id, abandoned on parent close (a
 * cancelled or terminated flow must not orphan a sent batch). `undefined` when another run already awaits it.
 */
export async function startAwaitingBatch(
  batch: { channelId: number; batchPk: number; remoteBatchId: string; failedAtSend?: FailedAtSend[] },
  isSuccessLog: boolean,
  tuning: Tuning,
): Promise<ChildWorkflowHandle<typeof awaitChannelBatch> | undefined> {
  const { maxBatchWait, pollInitial, pollMax, retryMaxInterval } = tuning;
  const input: AwaitChannelBatchInput = {
    ...batch,
    isSuccessLog,
    maxBatchWait,
    pollInitial,
    pollMax,
    retryMaxInterval,
  };
  try {
    return await startChild(awaitChannelBatch, {
      workflowId: batchWorkflowId(input.channelId, input.batchPk),
      args: [input],
      staticSummary: `awaits channel ${input.channelId}'s batch ${input.remoteBatchId} (Omnitron batch ${input.batchPk})`,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      // Filtering the Web UI by channel (or by the flow that sent it) finds the batch where a slow page waits.
      typedSearchAttributes: [
        { key: StockChannelId, value: String(input.channelId) },
        { key: StockFlow, value: workflowInfo().workflowType },
      ],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    throw err;
  }
}

/**
 * The awaiter of histories from before issue #12: a child workflow per async batch, settling in the background. Open
 * children cannot be carried over continue-as-new, so the flow drains them first (`carry` is undefined).
 */
export function awaitWithChildren(options: {
  channelId: number;
  isSuccessLog: boolean;
  tuning: Tuning;
  events: AwaiterEvents;
}): BatchAwaiter {
  const { channelId, isSuccessLog, tuning, events } = options;
  const inFlight = new Map<number, ChildWorkflowHandle<typeof awaitChannelBatch>>();
  return {
    get size() {
      return inFlight.size;
    },
    pks: () => [],
    carry: () => undefined,
    // A full window waits for a child to finish (waitBelow): no check rides on a page.
    checksBeforePage: () => Promise.resolve(undefined),
    async add(batch) {
      // If getStockBatchRequests got there first (it found the batch `sent_to_remote` a moment after we sent it),
      // that run finishes the batch: hand it over.
      const child = await startAwaitingBatch({ channelId, ...batch }, isSuccessLog, tuning);
      if (!child) {
        events.handedOver();
        return;
      }
      inFlight.set(batch.batchPk, child);
      const settle = (outcome: ChannelBatchOutcome | undefined) => {
        inFlight.delete(batch.batchPk);
        events.settled(outcome);
      };
      void child.result().then(settle, () => settle(undefined));
    },
    checksForNextPage: () => [],
    record: () => undefined,
    waitBelow: (n) => condition(() => inFlight.size < n),
    // Abandoned children go on awaiting their batches after the flow closes.
    handOver: async () => undefined,
  };
}
