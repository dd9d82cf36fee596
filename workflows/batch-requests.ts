import { condition, log, patched, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { stockActivities } from './activity-proxies';
import { startAwaitingBatch } from './channel-batch';
import {
  StockChannelId,
  StockFlow,
  batchRequestsProgressQuery,
  pauseUpdate,
  resumeUpdate,
  type BatchRequestsProgress,
} from './definitions';
import { batchRequestsInputSchema, parseInput, type BatchRequestsInput } from './inputs';
import { refusePauseResume } from './steering';

export interface BatchRequestsSummary {
  channelId: number;
  /** Batches found in `sent_to_remote`/`ongoing`. */
  found: number;
  /** Awaited and finished by this run. */
  done: number;
  failed: number;
  stocksSent: number;
  stocksFailed: number;
  /** Already awaited by another run (its send flow, or an earlier check): left to it, never processed twice. */
  alreadyAwaited: number;
}

/** The patch under which the safety net asks the running send flows which batches they await (issue #12). */
const ASK_SEND_FLOWS = 'ask-send-flows-for-their-batches';

/** Open batches examined per run; a larger backlog is picked up by the next scheduled run. */
const BATCHES_PER_RUN = 500;

/**
 * The safety net (the Stock Service's "get stock batch requests"): every batch of the channel still waiting for an
 * asynchronous channel — for instance left by an older deployment — is checked and finished the same way a send flow
 * finishes its own, by the same child workflow under the same id, so a batch another run awaits is never touched.
 */
export async function getStockBatchRequests(rawInput: BatchRequestsInput): Promise<BatchRequestsSummary> {
  const input = parseInput(batchRequestsInputSchema, rawInput);
  const { channelId, tuning } = input;
  const act = stockActivities(channelId, tuning);
  upsertSearchAttributes([
    { key: StockChannelId, value: String(channelId) },
    { key: StockFlow, value: 'getStockBatchRequests' },
  ]);
  const summary: BatchRequestsSummary = {
    channelId,
    found: 0,
    done: 0,
    failed: 0,
    stocksSent: 0,
    stocksFailed: 0,
    alreadyAwaited: 0,
  };
  let inFlight = 0;
  let listed = false;
  const progress = (): BatchRequestsProgress => ({
    flow: 'getStockBatchRequests',
    channelId,
    phase: !listed
      ? 'listing'
      : inFlight > 0 || summary.done + summary.failed + summary.alreadyAwaited < summary.found
        ? 'awaiting-batches'
        : 'done',
    found: summary.found,
    inFlight,
    done: summary.done,
    failed: summary.failed,
    alreadyAwaited: summary.alreadyAwaited,
    stocksSent: summary.stocksSent,
    stocksFailed: summary.stocksFailed,
  });
  setHandler(batchRequestsProgressQuery, progress);
  refusePauseResume(
    { pause: pauseUpdate, resume: resumeUpdate },
    'getStockBatchRequests cannot be paused or resumed: it takes no pages, it only awaits batches already sent',
  );

  const openInOmnitron = await act.listOpenBatches({ channelId, limit: BATCHES_PER_RUN });
  let open = openInOmnitron;
  if (openInOmnitron.length > 0 && patched(ASK_SEND_FLOWS)) {
    // Since issue #12 a send flow awaits its async batches itself, without a child: leave those to it. A flow owns a
    // batch from before its send until it is settled, so a batch open both before and after the question, and not
    // named in the answer, is no running flow's; one sent after the first listing is left for the next run.
    const awaitedByFlows = new Set(await act.batchesAwaitedByFlows({ channelId }));
    const stillOpen = new Set((await act.listOpenBatches({ channelId, limit: BATCHES_PER_RUN })).map((b) => b.batchPk));
    open = openInOmnitron.filter((b) => stillOpen.has(b.batchPk) && !awaitedByFlows.has(b.batchPk));
  }
  summary.alreadyAwaited += openInOmnitron.length - open.length;
  summary.found = openInOmnitron.length;
  listed = true;
  log.info('open batches found', { found: openInOmnitron.length, leftToOthers: openInOmnitron.length - open.length });
  for (const batch of open) {
    await condition(() => inFlight < tuning.window);
    const child = await startAwaitingBatch({ channelId, ...batch }, input.isSuccessLog, tuning);
    if (!child) {
      summary.alreadyAwaited++;
      continue;
    }
    inFlight++;
    void child.result().then(
      (outcome) => {
        inFlight--;
        if (outcome.state === 'done') {
          summary.done++;
          summary.stocksSent += outcome.succeeded;
          summary.stocksFailed += outcome.failed;
        } else summary.failed++;
      },
      () => {
        inFlight--;
        summary.failed++;
      },
    );
  }
  await condition(() => inFlight === 0);
  log.info('open batches settled', { ...summary });
  return summary;
}
