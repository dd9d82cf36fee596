/**
 * How the stock workflows call their activities. Retrying is Temporal's job (the clients never retry): activities
 * throw ApplicationFailures classified by the HTTP error mapper — non-retryable for 4xx and bad data, retryable with
 * the server's Retry-After as `nextRetryDelay` for 429, retryable with this backoff for 5xx and network failures.
 */
import { proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { StockActivities } from '../activities/stock-types';
import { channelTaskQueue } from './definitions';
import { durationMs, type Tuning } from './inputs';

/**
 * Activities of one channel with the run's retry ceiling (`retryMaxInterval`; absent in inputs of runs started before
 * it existed, hence the default here too). Activities heartbeat while they work, so a worker that dies mid-activity is
 * noticed after the heartbeat timeout, not after the whole start-to-close timeout.
 *
 * The two that call the marketplace (`sendBatch`, `checkBatch`) go to the channel's own task queue, whose workers
 * carry the channel's request rate (src/worker.ts); Omnitron-only steps stay on the workflow's queue.
 */
export function stockActivities(channelId: number, tuning: Partial<Pick<Tuning, 'retryMaxInterval'>>): StockActivities {
  const options: ActivityOptions = {
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: '20 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: durationMs(tuning.retryMaxInterval ?? '1 minute'),
      // About half an hour of an unreachable API (at the default ceiling) before the page fails and the run goes on.
      maximumAttempts: 40,
    },
  };
  const { planFlow, openBatch, commitPage, failBatch, listOpenBatches } = proxyActivities<StockActivities>(options);
  const { sendBatch, checkBatch } = proxyActivities<StockActivities>({
    ...options,
    taskQueue: channelTaskQueue(workflowInfo().taskQueue, channelId),
  });
  return { planFlow, openBatch, commitPage, sendBatch, checkBatch, failBatch, listOpenBatches };
}
