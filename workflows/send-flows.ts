import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  rootCause,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  CommitPageResult,
  FailedAtSend,
  FlowPlan,
  FlowTarget,
  PageCheckpoint,
  SendBatchResult,
  SendPageInput,
  StockKind,
} from '../activities/stock-types';
import type { StepDetails } from '../activities/failures';
import { stockActivities } from './activity-proxies';
import { watchBatches, type AwaiterEvents, type BatchAwaiter, type BatchWatchCarry } from './awaited-batches';
import { awaitWithChildren } from './channel-batch';
import {
  StockChannelId,
  StockFlow,
  awaitedBatchesQuery,
  initialFlowProgress,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  type FlowProgress,
  type SendFlowName,
} from './definitions';
import { durationMs } from './durations';
import { runDryRun, type DryRunCarry, type DryRunSummary } from './dry-run';
import { parseInput, sendFlowInputSchema, type SendFlowInput, type SendFlowOptions } from './inputs';
import { handlePauseResume } from './steering';
import { summarise, type SendFlowSummary } from './send-summary';

export type { SendFlowSummary } from './send-summary';

/** What one execution chain carries over continue-as-new: cursors and counters, never records. */
export interface SendFlowCarry {
  plan: FlowPlan;
  targetIndex: number;
  progress: FlowProgress;
  /** Async batches still awaited (the flow awaits its own since issue #12: nothing drains before continuing). */
  batches?: BatchWatchCarry;
  /** The next page's batch, opened ahead by the last sendPage (issue #12: no openBatch activity per page). */
  nextBatchPk?: number;
}

/** The patch under which a page is committed and sent by one `sendPage` activity (issue #12). */
const SEND_PAGE_IN_ONE_ACTIVITY = 'send-page-in-one-activity';
/**
 * The patch under which sendPage opens the next page's batch, so a page is one activity, and a full window's check
 * rides on the next page while short check waits happen inside activities, not on timers (issue #12).
 */
const OPEN_NEXT_BATCH_IN_SEND_PAGE = 'open-next-batch-in-send-page';

/** How long a flow waits before it tries again to commit past a batch someone else holds in `commit`. */
const BLOCKED_WAIT_FIRST_MS = 15_000;
const BLOCKED_WAIT_MAX_MS = 2 * 60_000;

const SHAPES: Record<SendFlowName, { kind: StockKind; source: 'main' | 'extra' }> = {
  updateProductStocks: { kind: 'updates', source: 'main' },
  insertProductStocks: { kind: 'inserts', source: 'main' },
  updateProductStocksFromExtraStockList: { kind: 'updates', source: 'extra' },
  insertProductStocksFromExtraStockList: { kind: 'inserts', source: 'extra' },
};

/**
 * The one engine behind the four send flows. Per target (the main stock list, or each mapped extra list with its
 * warehouse code), page after page until Omnitron hands out nothing more:
 *   openBatch -> sendPage (fetch + commit, then remote ids/products/prices + send; on the channel queue)
 *   sync channel: results processed and the batch `done` inside sendPage;
 *   async channel: the flow awaits its batches itself (workflows/awaited-batches.ts), at most `window` open at once;
 *   due checks ride on the next page's sendPage, else a durable timer and a checkBatches activity.
 * (Histories from before issue #12 run openBatch, commitPage and sendBatch as activities and start a child per async
 * batch: `patched(SEND_PAGE_IN_ONE_ACTIVITY)` tells them apart.)
 * A page that fails for good is failed in Omnitron with a report and the run goes on; a stock list that keeps failing
 * is given up for this run while the other lists still run. The workflow never sees a stock record.
 */
async function runSendFlow(
  flow: SendFlowName,
  rawInput: SendFlowInput,
  anyCarry: SendFlowCarry | DryRunCarry | undefined,
): Promise<SendFlowSummary | DryRunSummary> {
  const input: SendFlowOptions = parseInput(sendFlowInputSchema, rawInput);
  if (input.dryRun) {
    return runDryRun(flow, SHAPES[flow], input, rawInput, anyCarry && 'dryRun' in anyCarry ? anyCarry : undefined);
  }
  const carry = anyCarry && !('dryRun' in anyCarry) ? anyCarry : undefined;
  const { channelId, tuning } = input;
  const { kind, source } = SHAPES[flow];
  const act = stockActivities(channelId, tuning);
  // Issue #12: a page is one activity and the flow awaits its own async batches. Histories from before run openBatch,
  // commitPage and sendBatch as activities and await each batch in a child workflow (replayed as they were).
  const oneActivityAPage = patched(SEND_PAGE_IN_ONE_ACTIVITY);
  // Since then sendPage also opens the next page's batch; histories from before open each page's with openBatch.
  const opensAhead = oneActivityAPage && patched(OPEN_NEXT_BATCH_IN_SEND_PAGE);
  /** The batch the next page commits into, opened ahead by the last sendPage; undefined: openBatch opens one. */
  let nextBatchPk = carry?.nextBatchPk;

  const progress: FlowProgress = carry
    ? {
        ...carry.progress,
        runs: carry.progress.runs + 1,
        batchesInFlight: 0,
      }
    : initialFlowProgress(flow, channelId);
  const givenUp: (number | null)[] = [];
  const blocked = () =>
    progress.blockedBy
      ? `\n\nwaiting for batch ${progress.blockedBy.batchPk}, left in commit by another process since ` +
        `${progress.blockedBy.since ?? 'an unknown time'} (failed once stale)`
      : '';
  const publish = () =>
    setCurrentDetails(
      `**${flow}** for channel ${channelId} — ${progress.phase}${progress.paused ? ' (paused)' : ''}\n\n` +
        `stock list ${progress.stockListId ?? 'main'} (${progress.targetsDone}/${progress.targetsTotal} done), ` +
        `pages ${progress.pages} (${progress.pagesFailed} failed), stocks sent ${progress.stocksSent}, ` +
        `failed ${progress.stocksFailed}, batches in flight ${progress.batchesInFlight}, done ${progress.batchesDone}, ` +
        `failed ${progress.batchesFailed}, run ${progress.runs}` +
        blocked(),
    );

  setHandler(progressQuery, () => progress);
  handlePauseResume(
    progress,
    { pause: pauseUpdate, resume: resumeUpdate },
    {
      name: flow,
      // Awaiting batches between runs (before continue-as-new) still has pages to come; after the last list, none.
      pagesLeft: () =>
        progress.phase !== 'done' &&
        !(progress.phase === 'awaiting-batches' && progress.targetsDone === progress.targetsTotal),
      publish,
    },
  );
  upsertSearchAttributes([
    { key: StockChannelId, value: String(channelId) },
    { key: StockFlow, value: flow },
  ]);

  const staleCommitAfterMs = durationMs(tuning.staleCommitAfter);
  const plan = carry?.plan ?? (await act.planFlow({ channelId, source, isSync: input.isSync, staleCommitAfterMs }));
  progress.targetsTotal = plan.targets.length;
  if (!plan.active) {
    progress.phase = 'done';
    publish();
    return summarise(flow, progress, plan, givenUp);
  }

  /** Async batches that ended `fail` in a row: a channel that stops finishing batches is not fed more pages. */
  let batchFailuresInARow = 0;
  const events: AwaiterEvents = {
    settled(outcome) {
      progress.batchesInFlight = batches.size;
      batchFailuresInARow = outcome?.state === 'done' ? 0 : batchFailuresInARow + 1;
      if (outcome?.state === 'done') {
        progress.batchesDone++;
        progress.stocksSent += outcome.succeeded;
        progress.stocksFailed += outcome.failed;
      } else {
        progress.batchesFailed++;
      }
      publish();
    },
    handedOver: () => progress.batchesHandedOver++,
  };
  const { isSuccessLog } = input;
  const batches: BatchAwaiter = oneActivityAPage
    ? watchBatches({
        channelId,
        isSuccessLog,
        tuning,
        act,
        carry: carry?.batches,
        events,
        waitInActivities: opensAhead,
      })
    : awaitWithChildren({ channelId, isSuccessLog, tuning, events });
  progress.batchesInFlight = batches.size;
  /** The page being sent: getStockBatchRequests must not take its batch between the send and `batches.add`. */
  let pageInFlight: number | undefined;
  setHandler(awaitedBatchesQuery, () => [...batches.pks(), ...(pageInFlight === undefined ? [] : [pageInFlight])]);
  const awaitBatch = async (batch: { batchPk: number; remoteBatchId: string; failedAtSend?: FailedAtSend[] }) => {
    await batches.add(batch);
    progress.batchesInFlight = batches.size;
  };
  const drain = async () => {
    progress.phase = 'awaiting-batches';
    publish();
    await batches.waitBelow(1);
  };

  /**
   * One page. `processed`: the page went through (its items may still have failed one by one — those are reported
   * and Omnitron keeps them out of the next fetch until their stock changes); `failed`: the page as a whole failed
   * (retries exhausted, or every record malformed); `empty`: nothing more to hand out; `blocked`: another batch of
   * the channel holds `commit` (see `progress.blockedBy`), nothing was taken; `retry`: the batch opened ahead was
   * failed meanwhile by another flow's orphan sweep, nothing was taken.
   */
  const sendPage = async (
    target: FlowTarget,
    checksFirst?: SendPageInput['checksFirst'],
  ): Promise<'processed' | 'empty' | 'failed' | 'blocked' | 'retry'> => {
    // openBatch is a regular activity, not a local one: its checkpoint keeps a batch created by an attempt whose
    // worker died from becoming an orphan (a local activity cannot heartbeat; the chaos kill scenario left one).
    const batchPk = nextBatchPk ?? (await act.openBatch({ channelId })).batchPk;
    nextBatchPk = undefined;
    pageInFlight = batchPk;
    let committed = false;
    /** Set once the channel has the page: from then on a cancellation awaits the batch instead of failing it. */
    let sentAsync: { remoteBatchId: string; failedAtSend?: FailedAtSend[] } | undefined;
    try {
      const sendInput = {
        channelId,
        batchPk,
        kind,
        target,
        ...(input.addProductObjects ? { addProductObjects: true } : {}),
        ...(input.addPrice ? { addPrice: true } : {}),
        isSuccessLog: input.isSuccessLog,
      };
      const pageInput = { ...sendInput, pageSize: plan.pageSize, staleCommitAfterMs };
      let page: CommitPageResult;
      let sent: SendBatchResult | undefined;
      if (oneActivityAPage) {
        const checks = checksFirst ? [] : batches.checksForNextPage();
        const result = await act.sendPage({
          ...pageInput,
          ...(checks.length > 0 ? { checks } : {}),
          ...(opensAhead ? { openNext: true } : {}),
          ...(checksFirst ? { checksFirst } : {}),
        });
        ({ page, sent, nextBatchPk } = result);
        batches.record(result.checked ?? []);
        if (result.skipped) {
          // The window is still full: the page was not taken and its batch waits for the next try.
          nextBatchPk = batchPk;
          return 'retry';
        }
        if (page.swept) return 'retry';
      } else page = await act.commitPage(pageInput);
      committed = true;
      progress.blockedBy = page.blockedBy ?? null;
      if (page.blockedBy) return 'blocked';
      progress.malformedRecords += page.malformed;
      if (page.remaining !== undefined) progress.stocksRemaining = page.remaining;
      if (page.committed === 0) {
        progress.stocksRemaining = 0;
        return page.malformed > 0 ? 'failed' : 'empty';
      }
      progress.pages++;
      progress.stocksTaken += page.committed;
      if (page.closed) return 'processed'; // a retry found the batch already finished
      sent ??= await act.sendBatch(sendInput);
      if (sent.mode === 'sync') {
        progress.stocksSent += sent.succeeded;
        progress.stocksFailed += sent.failed;
        progress.batchesDone++;
        return 'processed';
      }
      // Every object of the batch, including those refused before sending, is counted once when the batch finishes.
      sentAsync = sent;
      await awaitBatch({ batchPk, remoteBatchId: sent.remoteBatchId, failedAtSend: sent.failedAtSend });
      return 'processed';
    } catch (err) {
      if (isCancellation(err)) {
        // Never leave a batch in `initialized`/`commit` behind a cancelled run; one the channel has is awaited to the
        // end by its (abandoned) child instead, and failBatch leaves it alone if the answer never reached us.
        await CancellationScope.nonCancellable(() =>
          sentAsync
            ? awaitBatch({ batchPk, ...sentAsync })
            : act.failBatch({ channelId, batchPk, reason: 'the flow was cancelled by an operator', unlessSent: true }),
        );
        throw err;
      }
      nextBatchPk ??= batchOpenedAhead(err);
      progress.pagesFailed++;
      progress.batchesFailed++;
      log.warn('page failed', { batchPk, stockListId: target.stockListId ?? 'main', committed });
      await act.failBatch({
        channelId,
        batchPk,
        reason: `${oneActivityAPage ? 'committing or sending' : committed ? 'sending' : 'committing'} the page failed: ${rootCause(err) ?? String(err)}`,
      });
      return 'failed';
    } finally {
      pageInFlight = undefined;
      publish();
    }
  };

  try {
    return await sendTargets();
  } catch (err) {
    // A cancelled flow's awaited batches go on being awaited, by abandoned children.
    if (isCancellation(err)) {
      await closeBatchOpenedAhead();
      await batches.handOver();
    }
    throw err;
  }

  /** A batch opened ahead for a page the run does not take is closed empty, never left `initialized`. */
  async function closeBatchOpenedAhead() {
    const batchPk = nextBatchPk;
    nextBatchPk = undefined;
    if (batchPk !== undefined)
      await CancellationScope.nonCancellable(() => act.closeUnusedBatch({ channelId, batchPk }));
  }

  async function sendTargets(): Promise<SendFlowSummary> {
    let pagesThisRun = 0;
    for (let targetIndex = carry?.targetIndex ?? 0; targetIndex < plan.targets.length; targetIndex++) {
      const target = plan.targets[targetIndex]!;
      progress.stockListId = target.stockListId;
      progress.stocksRemaining = null;
      progress.phase = 'sending';
      publish();
      log.info('stock list started', {
        stockListId: target.stockListId ?? 'main',
        warehouseCode: target.warehouseCode,
      });
      let failedInARow = 0;
      let blockedWaitMs = BLOCKED_WAIT_FIRST_MS;
      for (;;) {
        if (pagesThisRun >= tuning.pagesPerRun || workflowInfo().continueAsNewSuggested) {
          if (!batches.carry()) await drain();
          await condition(allHandlersFinished);
          log.info('continuing as new', { pages: progress.pages, targetIndex, runs: progress.runs });
          return continueAsNew<(input: SendFlowInput, carry?: SendFlowCarry) => Promise<SendFlowSummary>>(rawInput, {
            plan,
            targetIndex,
            progress,
            batches: batches.carry(),
            nextBatchPk,
          });
        }
        // Paused: no page is taken, but the batches already sent are still awaited.
        while (progress.paused && batches.size > 0) await batches.waitBelow(batches.size);
        await condition(() => !progress.paused);
        // A full window's check rides on the next page (it asks first and takes its page once a batch finished);
        // histories from before wait with a timer and a checkBatches activity of their own.
        const checksFirst = await batches.checksBeforePage(tuning.window);
        if (!checksFirst) await batches.waitBelow(tuning.window);
        pagesThisRun++;
        const outcome = await sendPage(target, checksFirst);
        if (outcome === 'empty') break;
        if (outcome === 'retry') {
          pagesThisRun--;
          continue;
        }
        if (outcome === 'blocked') {
          pagesThisRun--;
          await sleep(blockedWaitMs);
          blockedWaitMs = Math.min(blockedWaitMs * 2, BLOCKED_WAIT_MAX_MS);
          continue;
        }
        blockedWaitMs = BLOCKED_WAIT_FIRST_MS;
        failedInARow = outcome === 'failed' ? failedInARow + 1 : 0;
        if (failedInARow >= tuning.maxFailedPagesInARow || batchFailuresInARow >= tuning.maxFailedPagesInARow) {
          log.warn('stock list given up for this run', {
            stockListId: target.stockListId ?? 'main',
            pagesFailedInARow: failedInARow,
            batchesFailedInARow: batchFailuresInARow,
          });
          givenUp.push(target.stockListId);
          break;
        }
      }
      progress.targetsDone++;
    }
    await drain();
    await closeBatchOpenedAhead();
    progress.phase = 'done';
    publish();
    const summary = summarise(flow, progress, plan, givenUp);
    log.info('flow done', {
      pages: summary.pages,
      stocksSent: summary.stocksSent,
      stocksFailed: summary.stocksFailed,
      batchesDone: summary.batchesDone,
      batchesFailed: summary.batchesFailed,
      runs: summary.runs,
    });
    return summary;
  }
}

/** Stocks of products already on the channel whose stock changed, from the catalogue's main stock list. */
export function updateProductStocks(
  input: SendFlowInput,
  carry?: SendFlowCarry | DryRunCarry,
): Promise<SendFlowSummary | DryRunSummary> {
  return runSendFlow('updateProductStocks', input, carry);
}

/** Stocks never sent to the channel, from the main stock list. */
export function insertProductStocks(
  input: SendFlowInput,
  carry?: SendFlowCarry | DryRunCarry,
): Promise<SendFlowSummary | DryRunSummary> {
  return runSendFlow('insertProductStocks', input, carry);
}

/** `updateProductStocks` once per extra stock list mapped to a channel warehouse by WAREHOUSE_CODES. */
export function updateProductStocksFromExtraStockList(
  input: SendFlowInput,
  carry?: SendFlowCarry | DryRunCarry,
): Promise<SendFlowSummary | DryRunSummary> {
  return runSendFlow('updateProductStocksFromExtraStockList', input, carry);
}

/** `insertProductStocks` once per extra stock list mapped to a channel warehouse by WAREHOUSE_CODES. */
export function insertProductStocksFromExtraStockList(
  input: SendFlowInput,
  carry?: SendFlowCarry | DryRunCarry,
): Promise<SendFlowSummary | DryRunSummary> {
  return runSendFlow('insertProductStocksFromExtraStockList', input, carry);
}

/** The batch a failed sendPage had opened ahead: its last checkpoint rides on the failure (activities/failures.ts). */
function batchOpenedAhead(err: unknown): number | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  // A timeout's heartbeat details wrap the checkpoint with the attempt's stall count (StepDetails).
  const heartbeat = cause instanceof TimeoutFailure ? (cause.lastHeartbeatDetails as Partial<StepDetails>) : undefined;
  const checkpoint =
    cause instanceof ApplicationFailure
      ? cause.details?.[0]
      : heartbeat?.stockflowStep === 1
        ? heartbeat.checkpoint
        : heartbeat;
  const pk = (checkpoint as Partial<PageCheckpoint> | null | undefined)?.nextBatchPk;
  return typeof pk === 'number' ? pk : undefined;
}
