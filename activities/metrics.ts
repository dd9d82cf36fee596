/**
 * stockflow's own counters, through the activity's metric meter (exported with the SDK's metrics, e.g. Prometheus
 * when STOCKFLOW_METRICS_ADDRESS is set): stocks sent/failed and batches done/failed, per channel. Recorded where a
 * batch finishes, once per finish (a retried step that finds the batch already finished records nothing).
 */
import { Context } from '@temporalio/activity';

export function recordFinishedBatch(
  channelId: number,
  outcome: { state: 'done'; succeeded: number; failed: number } | { state: 'failed' },
): void {
  const meter = Context.current().metricMeter;
  const channel = { channel: String(channelId) };
  if (outcome.state === 'failed') {
    meter.createCounter('stockflow_batches_failed', 'batches', 'Omnitron batch requests failed').add(1, channel);
    return;
  }
  meter.createCounter('stockflow_batches_done', 'batches', 'Omnitron batch requests done').add(1, channel);
  meter.createCounter('stockflow_stocks_sent', 'stocks', 'stocks the channel accepted').add(outcome.succeeded, channel);
  meter.createCounter('stockflow_stocks_failed', 'stocks', 'stocks that failed').add(outcome.failed, channel);
}
