/**
 * How the stock workflows call their activities. Retrying is Temporal's job (the clients never retry): activities
 * throw ApplicationFailures classified by the HTTP error mapper — non-retryable for 4xx and bad data, retryable with
 * the server's Retry-After as `nextRetryDelay` for 429, retryable with this backoff for 5xx and network failures.
 */
import { ActivityCancellationType, proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { ReconcileActivities, ReconcileChunkInput, ReconcileChunkResult } from '../activities/reconcile-types';
import type { AwaitedByFlowsActivities } from '../activities/awaited-by-flows';
import type { StockActivities } from '../activities/stock-types';
import { channelTaskQueue, listName } from './definitions';
import { durationMs } from './durations';
import type { Tuning } from './inputs';

/**
 * Activities of one channel with the run's retry ceiling (`retryMaxInterval`). Activities heartbeat while they work,
 * so a worker that dies mid-activity is noticed after the heartbeat timeout, not after the whole start-to-close
 * timeout.
 *
 * The ones that call the marketplace (`sendPage`, `sendBatch`, `checkBatch`, `checkBatches`) go to the channel's own
 * task queue, whose workers carry the channel's request rate (src/worker.ts); Omnitron-only steps stay on the workflow's queue. Every call
 * carries a one-line summary (batch, list, channel) that the Web UI shows on the activity.
 */
function activityOptions(tuning: Pick<Tuning, 'retryMaxInterval'>): ActivityOptions {
  return {
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: '20 seconds',
    // A cancelled run waits for its activity to stop: the activity aborts its HTTP call in progress, unless it is
    // past the point of no return (a page on its way to the channel), which it finishes. Only then does the run fail
    // its open batch, so it never fails a batch the channel is taking.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: durationMs(tuning.retryMaxInterval),
      // About half an hour of an unreachable API (at the default ceiling) before the page fails and the run goes on.
      maximumAttempts: 40,
    },
  };
}

export function stockActivities(
  channelId: number,
  tuning: Pick<Tuning, 'retryMaxInterval'>,
): StockActivities & AwaitedByFlowsActivities {
  const options = activityOptions(tuning);
  const onMain = proxyActivities<StockActivities>(options);
  const queries = proxyActivities<AwaitedByFlowsActivities>(options);
  const channelOptions = { ...options, taskQueue: channelTaskQueue(workflowInfo().taskQueue, channelId) };
  const onChannel = proxyActivities<StockActivities>(channelOptions);
  return {
    planFlow: (i) =>
      onMain.planFlow.executeWithOptions(
        { ...options, summary: `plan the ${i.source} stock lists of channel ${i.channelId}` },
        [i],
      ),
    openBatch: (i) =>
      onMain.openBatch.executeWithOptions({ ...options, summary: `open a batch for channel ${i.channelId}` }, [i]),
    commitPage: (i) =>
      onMain.commitPage.executeWithOptions(
        {
          ...options,
          summary: `commit a page of ${i.kind} (${listName(i.target.stockListId)}) into batch ${i.batchPk}`,
        },
        [i],
      ),
    sendBatch: (i) =>
      onChannel.sendBatch.executeWithOptions(
        { ...channelOptions, summary: `send batch ${i.batchPk} to channel ${i.channelId}` },
        [i],
      ),
    sendPage: (i) =>
      onChannel.sendPage.executeWithOptions(
        {
          ...channelOptions,
          summary: `send a page of ${i.kind} (${listName(i.target.stockListId)}) in batch ${i.batchPk} to channel ${i.channelId}`,
        },
        [i],
      ),
    checkBatch: (i) =>
      onChannel.checkBatch.executeWithOptions(
        { ...channelOptions, summary: `ask channel ${i.channelId} about batch ${i.batchPk} (${i.remoteBatchId})` },
        [i],
      ),
    checkBatches: (i) =>
      onChannel.checkBatches.executeWithOptions(
        {
          ...channelOptions,
          summary: `ask channel ${i.channelId} about batches ${i.checks.map((c) => c.batchPk).join(', ')}`,
        },
        [i],
      ),
    failBatch: (i) => onMain.failBatch.executeWithOptions({ ...options, summary: `fail batch ${i.batchPk}` }, [i]),
    closeUnusedBatch: (i) =>
      onMain.closeUnusedBatch.executeWithOptions({ ...options, summary: `close unused batch ${i.batchPk}` }, [i]),
    previewPage: (i) =>
      onMain.previewPage.executeWithOptions(
        {
          ...options,
          summary: `preview page ${i.page} of ${i.kind} (${listName(i.target.stockListId)}), nothing committed`,
        },
        [i],
      ),
    batchesAwaitedByFlows: (i) =>
      queries.batchesAwaitedByFlows.executeWithOptions(
        { ...options, summary: `ask the running send flows of channel ${i.channelId} which batches they await` },
        [i],
      ),
    listOpenBatches: (i) =>
      onMain.listOpenBatches.executeWithOptions(
        { ...options, summary: `list open batches of channel ${i.channelId}` },
        [i],
      ),
  };
}

/**
 * Reconciliation's activities. `reconcileChunk` reads the channel once, so it runs on the channel's rate-limited queue
 * and counts its failed reads itself (after `readAttempts` its SKUs are `unknown`; nothing is lost by moving on);
 * `reconcileChunkUnread` is the same step without the channel read, on the workflow's queue.
 */
export function reconcileActivities(
  channelId: number,
  tuning: Pick<Tuning, 'retryMaxInterval'>,
): Omit<ReconcileActivities, 'reconcileChunk'> & {
  reconcileChunk(input: ReconcileChunkInput): Promise<ReconcileChunkResult>;
  reconcileChunkUnread(input: ReconcileChunkInput): Promise<ReconcileChunkResult>;
} {
  const options = activityOptions(tuning);
  const readOptions: ActivityOptions = {
    ...options,
    taskQueue: channelTaskQueue(workflowInfo().taskQueue, channelId),
    // The activity counts failed reads itself (readAttempts, in its input): an Omnitron call failing after a good
    // read is retried as any other step.
  };
  const onMain = proxyActivities<ReconcileActivities>(options);
  const onChannel = proxyActivities<ReconcileActivities>(readOptions);
  const where = (i: Pick<ReconcileChunkInput, 'target' | 'span'>) =>
    `stock list ${i.target.stockListId} from page ${i.span.page}`;
  return {
    planReconcile: (i) =>
      onMain.planReconcile.executeWithOptions(
        { ...options, summary: `plan the stock lists of channel ${i.channelId}` },
        [i],
      ),
    reconcileChunk: (i) =>
      onChannel.reconcileChunk.executeWithOptions({ ...readOptions, summary: `compare ${where(i)}` }, [i]),
    reconcileChunkUnread: (i) =>
      onMain.reconcileChunk.executeWithOptions(
        { ...options, summary: `count ${where(i)} unknown (the channel read failed)` },
        [i],
      ),
    reportChunk: (i) =>
      onMain.reportChunk.executeWithOptions(
        { ...options, summary: `report ${i.findings.length} SKUs held wrong in ${where(i)}` },
        [i],
      ),
    commitRepairs: (i) =>
      onMain.commitRepairs.executeWithOptions(
        { ...options, summary: `commit ${i.repairs.length} drifted stocks into batch ${i.batchPk}` },
        [i],
      ),
    confirmRepairs: (i) =>
      onChannel.confirmRepairs.executeWithOptions(
        { ...readOptions, summary: `re-read ${i.stockPks.length} repaired stocks at channel ${i.channelId}` },
        [i],
      ),
  };
}
