import { proxyActivities } from '@temporalio/workflow';
import type { FlowRunRef, FlowStarterActivities } from '../activities/flow-starter';
import type { StockFlowName } from './definitions';

const { startOrAttachFlow } = proxyActivities<FlowStarterActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * What a Temporal Schedule runs for a stock flow. A schedule appends a timestamp to its action's workflow id, so
 * starting the flow itself from a schedule would let a scheduled and a manual run of one channel and flow run side by
 * side; this trigger instead starts the flow under its fixed id `stock/<channel>/<flow>`, or attaches to the run
 * already going, and returns which run that is. The flow validates its input itself.
 */
export async function scheduledFlow(request: {
  flow: StockFlowName;
  input: { channelId: number };
}): Promise<FlowRunRef> {
  return startOrAttachFlow(request);
}
