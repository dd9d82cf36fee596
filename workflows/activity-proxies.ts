/**
 * How the stock workflows call their activities. Retrying is Temporal's job (the clients never retry): activities
 * throw ApplicationFailures classified by the HTTP error mapper — non-retryable for 4xx and bad data, retryable with
 * the server's Retry-After as `nextRetryDelay` for 429, retryable with this backoff for 5xx and network failures.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { StockActivities } from '../activities/stock-types';

export const stockActivities = proxyActivities<StockActivities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    // ~30 minutes of an unreachable API before the page fails and the run moves on.
    maximumAttempts: 40,
  },
});
