/**
 * A send flow's own watch over its asynchronous channel batches (issue #12): no child workflow per batch. The flow
 * keeps each open batch's ids and check schedule in its state (carried over continue-as-new, so the pipeline never
 * drains), carries due checks on its next page's `sendPage`, and only when its window is full or its lists are done
 * waits with a durable timer and asks in a `checkBatches` activity of its own.
 *
 * The first check of a batch waits for the channel's observed pace, not a fixed backoff: a first check that finds the
 * batch still pending lengthens the wait for the next batches, one that finds it finished shortens it a little, so
 * almost every batch needs one check. Later checks back off from `pollInitial` doubling to `pollMax`; past
 * `maxBatchWait` the batch is failed with a report, as awaitChannelBatch does.
 *
 * `getStockBatchRequests` leaves these batches alone: it asks the running send flows of the channel which batches they
 * await (the `awaitedBatches` query, which includes the page in flight) before it awaits any.
 */
import { CancellationScope, isCancellation, log, sleep } from '@temporalio/workflow';
import type { BatchCheck, CheckBatchInput, FailedAtSend, PageCheck } from '../activities/stock-types';
import type { stockActivities } from './activity-proxies';
import { startAwaitingBatch, type ChannelBatchOutcome } from './channel-batch';
import { MARKETPLACE_REQUESTS_PER_CHANNEL_ACTIVITY } from './definitions';
import { durationMs } from './durations';
import type { Tuning } from './inputs';

/** An async batch the flow sent and awaits itself: ids and its check schedule, never records. */
export interface AwaitedBatch {
  batchPk: number;
  remoteBatchId: string;
  failedAtSend?: FailedAtSend[];
  /** Workflow time (ms) of the send, and of the next check. */
  sentAt: number;
  dueAt: number;
  /** The pause after the next check that finds it pending. */
  delayMs: number;
  checks: number;
}

/** What a run hands the next over continue-as-new. */
export interface BatchWatchCarry {
  awaiting: AwaitedBatch[];
  /** The wait before a batch's first check, learnt from the channel. */
  firstCheckMs: number;
}

/** A page's `sendPage` makes one send request, so it carries one check; a `checkBatches` activity asks up to two. */
const CHECKS_PER_PAGE = MARKETPLACE_REQUESTS_PER_CHANNEL_ACTIVITY - 1;
const CHECKS_PER_ACTIVITY = MARKETPLACE_REQUESTS_PER_CHANNEL_ACTIVITY;
/** How the first-check wait follows the channel: longer by a quarter after a pending answer, 5% shorter after done. */
const LONGER_AFTER_PENDING = 1.25;
const SHORTER_AFTER_DONE = 0.95;
const FIRST_CHECK_FLOOR_MS = 100;

/**
 * How a send flow awaits its async batches: itself ({@link watchBatches}), or, in histories from before issue #12,
 * with a child workflow per batch (`awaitWithChildren`, workflows/channel-batch.ts).
 */
export interface BatchAwaiter {
  readonly size: number;
  /** The pks awaited (for the `awaitedBatches` query). */
  pks(): number[];
  /** What continue-as-new carries; undefined: nothing can be carried, the flow drains first. */
  carry(): BatchWatchCarry | undefined;
  /** A batch the channel took. */
  add(batch: { batchPk: number; remoteBatchId: string; failedAtSend?: FailedAtSend[] }): Promise<void>;
  /** The most overdue checks for the next page to carry. */
  checksForNextPage(): PageCheck[];
  /**
   * With `window` batches open (after failing those past their maximum wait): the check the next page asks before
   * it takes its page, and when, if that is soon (within `pollMax`); undefined: below the window, or not soon.
   */
  checksBeforePage(window: number): Promise<{ checks: PageCheck[]; at: number } | undefined>;
  /** Settles what checks found (finished batches leave; pending ones are due again later). */
  record(checked: readonly BatchCheck[]): void;
  /** Returns once fewer than `n` batches are open (0 < n). */
  waitBelow(n: number): Promise<void>;
  /** A cancelled flow leaves every batch it awaits to an awaiting child (abandoned), never unwatched. */
  handOver(): Promise<void>;
}

/** Callbacks of an awaiter: a batch finished or failed (undefined: its wait failed), or another run awaits it. */
export interface AwaiterEvents {
  settled(outcome: ChannelBatchOutcome | undefined): void;
  handedOver(): void;
}

export function watchBatches(options: {
  channelId: number;
  isSuccessLog: boolean;
  tuning: Tuning;
  act: ReturnType<typeof stockActivities>;
  carry?: BatchWatchCarry;
  events: AwaiterEvents;
  /**
   * A check due within `pollMax` waits inside its activity (workflow timers fire on the server's next second), and a
   * full window's check rides on the next page ({@link BatchAwaiter.checksBeforePage}); histories from before wait
   * with a timer.
   */
  waitInActivities?: boolean;
}): BatchAwaiter {
  const { channelId, isSuccessLog, tuning, act } = options;
  const { settled } = options.events;
  const pollInitialMs = durationMs(tuning.pollInitial);
  const pollMaxMs = durationMs(tuning.pollMax);
  const maxWaitMs = durationMs(tuning.maxBatchWait);
  const awaiting = new Map<number, AwaitedBatch>((options.carry?.awaiting ?? []).map((b) => [b.batchPk, b]));
  let firstCheckMs = options.carry?.firstCheckMs ?? pollInitialMs;

  /** A page's check: the page supplies its channel and success logging (activities/send-page.ts). */
  const pageCheck = (b: AwaitedBatch): PageCheck => ({
    batchPk: b.batchPk,
    remoteBatchId: b.remoteBatchId,
    ...(b.failedAtSend?.length ? { failedAtSend: b.failedAtSend } : {}),
  });
  const checkInput = (b: AwaitedBatch): CheckBatchInput => ({ channelId, isSuccessLog, ...pageCheck(b) });
  const due = (limit: number, withinMs = 0) =>
    [...awaiting.values()]
      .filter((b) => b.dueAt <= Date.now() + withinMs)
      .sort((a, b) => a.dueAt - b.dueAt)
      .slice(0, limit);
  const leave = (batchPk: number, outcome: ChannelBatchOutcome | undefined) => {
    awaiting.delete(batchPk);
    settled(outcome);
  };

  const failExpired = async () => {
    const now = Date.now();
    for (const b of [...awaiting.values()].filter((b) => b.checks > 0 && now - b.sentAt >= maxWaitMs)) {
      await act.failBatch({
        channelId,
        batchPk: b.batchPk,
        reason: `the channel did not finish batch ${b.remoteBatchId} within ${String(tuning.maxBatchWait)}`,
      });
      leave(b.batchPk, { batchPk: b.batchPk, state: 'failed', succeeded: 0, failed: 0 });
    }
  };

  /** Fails batches past `maxBatchWait`, then waits for the earliest due check and asks it (with any others due). */
  const checkNext = async () => {
    await failExpired();
    if (awaiting.size === 0) return;
    const earliest = Math.min(...[...awaiting.values()].map((b) => b.dueAt));
    const wait = earliest - Date.now();
    const inActivity = options.waitInActivities === true && wait > 0 && wait <= pollMaxMs;
    if (wait > 0 && !inActivity) await sleep(wait);
    const batches = due(CHECKS_PER_ACTIVITY, inActivity ? wait : 0);
    try {
      const checks = batches.map(checkInput);
      watch.record(await act.checkBatches({ channelId, checks, ...(inActivity ? { at: earliest } : {}) }));
    } catch (err) {
      if (isCancellation(err)) throw err;
      // Checks that failed for good: the batches stay open in Omnitron for getStockBatchRequests, as a failed
      // awaiting child left them; the flow counts them failed and goes on.
      log.warn('batch checks failed; left to getStockBatchRequests', { batchPks: batches.map((b) => b.batchPk) });
      for (const b of batches) leave(b.batchPk, undefined);
    }
  };

  const watch: BatchAwaiter = {
    get size() {
      return awaiting.size;
    },
    pks: () => [...awaiting.keys()],
    carry: () => ({ awaiting: [...awaiting.values()], firstCheckMs }),
    async add(batch) {
      const now = Date.now();
      const { failedAtSend, ...ids } = batch;
      awaiting.set(batch.batchPk, {
        ...ids,
        ...(failedAtSend?.length ? { failedAtSend } : {}),
        sentAt: now,
        dueAt: now + firstCheckMs,
        delayMs: pollInitialMs,
        checks: 0,
      });
    },
    checksForNextPage: () => due(CHECKS_PER_PAGE).map(pageCheck),
    async checksBeforePage(window) {
      if (!options.waitInActivities) return undefined;
      await failExpired();
      if (awaiting.size < window) return undefined;
      const next = [...awaiting.values()].sort((a, b) => a.dueAt - b.dueAt)[0]!;
      if (next.dueAt - Date.now() > pollMaxMs) return undefined;
      return { checks: [pageCheck(next)], at: next.dueAt };
    },
    record(checked) {
      const now = Date.now();
      for (const { batchPk, result } of checked) {
        const b = awaiting.get(batchPk);
        if (!b) continue;
        b.checks++;
        if (b.checks === 1) {
          firstCheckMs =
            result.state === 'pending'
              ? Math.min(pollMaxMs, Math.max(firstCheckMs, now - b.sentAt) * LONGER_AFTER_PENDING)
              : Math.max(FIRST_CHECK_FLOOR_MS, firstCheckMs * SHORTER_AFTER_DONE);
        }
        if (result.state === 'done') {
          log.info('channel batch finished', { batchPk, checks: b.checks, succeeded: result.succeeded });
          leave(batchPk, { batchPk, state: 'done', succeeded: result.succeeded, failed: result.failed });
        } else if (result.state === 'failed') {
          log.warn('channel batch failed', { batchPk, checks: b.checks, reason: result.reason });
          leave(batchPk, { batchPk, state: 'failed', succeeded: 0, failed: 0 });
        } else {
          b.dueAt = now + b.delayMs;
          b.delayMs = Math.min(b.delayMs * 2, pollMaxMs);
        }
      }
    },
    async waitBelow(n) {
      while (awaiting.size >= n) await checkNext();
    },
    async handOver() {
      await CancellationScope.nonCancellable(async () => {
        for (const b of [...awaiting.values()]) {
          // Already awaited by a child (getStockBatchRequests got there): nothing to hand over.
          await startAwaitingBatch(
            { channelId, batchPk: b.batchPk, remoteBatchId: b.remoteBatchId, failedAtSend: b.failedAtSend },
            isSuccessLog,
            tuning,
          );
          awaiting.delete(b.batchPk);
        }
      });
    },
  };
  return watch;
}
