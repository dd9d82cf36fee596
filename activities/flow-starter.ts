/**
 * Starts a stock flow under its fixed id, or attaches to the run already going (USE_EXISTING), with the worker's own
 * client. Scheduled runs go through it, so a scheduled and a manual run of one channel and flow are always one run.
 */
import { Context } from '@temporalio/activity';
import { StockflowClient } from '../src/client';
import type { StockFlowName } from '../workflows/definitions';

export interface FlowRunRef {
  workflowId: string;
  runId: string;
}

export function createFlowStarterActivities() {
  return {
    async startOrAttachFlow(request: { flow: StockFlowName; input: { channelId: number } }): Promise<FlowRunRef> {
      const context = Context.current();
      const stockflow = new StockflowClient(context.client, context.info.taskQueue);
      const handle = await stockflow.start(request.flow, request.input as never);
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
    },
  };
}

export type FlowStarterActivities = ReturnType<typeof createFlowStarterActivities>;
