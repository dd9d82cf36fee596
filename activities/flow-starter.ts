/**
 * What a scheduled run does, with the worker's own client: start a stock flow under its fixed id or attach to the run
 * already going (USE_EXISTING), so a scheduled and a manual run of one channel and flow are always one run; then wait
 * for that run to close, so the schedule's action lasts as long as the flow (its overlap policy and "running" are
 * about the flow, not about a trigger that ended in milliseconds).
 */
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowExecutionStatusName } from '@temporalio/client';
import { rootCause } from '@temporalio/common';
import { StockflowClient } from '../src/client';
import type { FlowRunRef, StockFlowName } from '../workflows/definitions';

/** How a flow run ended, as the scheduled action reports it. */
export interface FlowRunOutcome {
  status: WorkflowExecutionStatusName;
  /** The root cause when it did not complete. */
  failure?: string;
}

const HEARTBEAT_EVERY_MS = 10_000;

export function createFlowStarterActivities() {
  return {
    async startOrAttachFlow(request: { flow: StockFlowName; input: { channelId: number } }): Promise<FlowRunRef> {
      const context = Context.current();
      const stockflow = new StockflowClient(context.client, context.info.taskQueue);
      const handle = await stockflow.start(request.flow, request.input as never);
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
    },

    /**
     * Waits for the run (and the runs it continued as) to close. It heartbeats while it waits: a worker that dies is
     * noticed and the wait resumes on another; a cancellation aborts the wait (the SDK ties the client to it).
     */
    async awaitFlowRun(run: FlowRunRef): Promise<FlowRunOutcome> {
      const context = Context.current();
      const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
      const handle = context.client.workflow.getHandle(run.workflowId, run.runId);
      try {
        await handle.result();
        return { status: 'COMPLETED' };
      } catch (err) {
        if (!(err instanceof WorkflowFailedError)) throw err;
        const { status } = await context.client.workflow.getHandle(run.workflowId).describe();
        // The client's error says only "Workflow execution failed"; the run's own failure chain says why.
        return { status: status.name, failure: rootCause(err.cause) ?? err.message };
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}

export type FlowStarterActivities = ReturnType<typeof createFlowStarterActivities>;
