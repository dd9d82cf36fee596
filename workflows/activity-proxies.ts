/**
 * How the stock workflows call their activities. Retrying is Temporal's job (the clients never retry): activities
 * throw ApplicationFailures classified by the HTTP error mapper — non-retryable for 4xx and bad data, retryable with
 * the server's Retry-After as `nextRetryDelay` for 429, retryable with this backoff for 5xx and network failures.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { StockActivities } from '../activities/stock-types';
import { durationMs, type Tuning } from './inputs';

/**
 * Activities with the run's retry ceiling (`retryMaxInterval`; absent in inputs of runs started before it existed,
 * hence the default here too). Activities heartbeat while they work, so a worker that dies mid-activity is noticed
 * after the heartbeat timeout, not after the whole start-to-close timeout.
 */
export function stockActivities(tuning: Partial<Pick<Tuning, 'retryMaxInterval'>>): StockActivities {
  return proxyActivities<StockActivities>({
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: '20 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: durationMs(tuning.retryMaxInterval ?? '1 minute'),
      // About half an hour of an unreachable API (at the default ceiling) before the page fails and the run goes on.
      maximumAttempts: 40,
    },
  });
}
