import { ApplicationFailure, proxyActivities, setHandler } from '@temporalio/workflow';
import type { FlowRunOutcome, FlowStarterActivities } from '../activities/flow-starter';
import { scheduledRunQuery, type FlowRunRef, type StockFlowName } from './definitions';

const { startOrAttachFlow } = proxyActivities<FlowStarterActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** A flow may wait a day for its last async batch (maxBatchWait): the wait is kept alive by heartbeats, not a clock. */
const { awaitFlowRun } = proxyActivities<FlowStarterActivities>({
  startToCloseTimeout: '3 days',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export type ScheduledFlowResult = FlowRunRef & FlowRunOutcome;

/**
 * What a Temporal Schedule runs for a stock flow. A schedule appends a timestamp to its action's workflow id, so
 * starting the flow itself from a schedule would let a scheduled and a manual run of one channel and flow run side by
 * side; this trigger instead starts the flow under its fixed id `stock/<channel>/<flow>`, or attaches to the run
 * already going, and then waits for that run to close: the schedule's overlap policy (SKIP) and its running actions
 * are the flow's. A run that did not complete fails the action with its root cause. The flow validates its input.
 */
export async function scheduledFlow(request: {
  flow: StockFlowName;
  input: { channelId: number };
}): Promise<ScheduledFlowResult> {
  let run: FlowRunRef | null = null;
  setHandler(scheduledRunQuery, () => run);
  run = await startOrAttachFlow(request);
  const outcome = await awaitFlowRun(run);
  if (outcome.status !== 'COMPLETED') {
    throw ApplicationFailure.nonRetryable(
      `${request.flow} for channel ${request.input.channelId} ended ${outcome.status}: ${outcome.failure ?? ''}`,
      'FlowRunNotCompleted',
    );
  }
  return { ...run, ...outcome };
}
