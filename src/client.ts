/**
 * The typed API other services use to run stockflow's flows: start (or attach to) a flow, read its progress, pause,
 * resume or cancel it. One run per channel and flow: the workflow id is `stock/<channelId>/<flow>`, and starting a
 * flow that is running attaches to it (atomically, via the server's USE_EXISTING conflict policy).
 */
import {
  WorkflowIdConflictPolicy,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import {
  StockChannelId,
  StockFlow,
  flowWorkflowId,
  pauseSignal,
  progressQuery,
  reconcileProgressQuery,
  resumeSignal,
  type FlowProgress,
  type ReconcileProgress,
  type SendFlowName,
  type StockFlowName,
} from '../workflows/definitions';
import type { BatchRequestsInput, ReconcileInput, SendFlowInput } from '../workflows/inputs';

export type FlowInput<F extends StockFlowName> = F extends SendFlowName
  ? SendFlowInput
  : F extends 'reconcileChannelStock'
    ? ReconcileInput
    : BatchRequestsInput;

export class StockflowClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /**
   * Starts `flow` for the input's channel, or attaches to the run already going; returns its handle, whose
   * `firstExecutionRunId` is the run started or attached to.
   */
  async start<F extends StockFlowName>(flow: F, input: FlowInput<F>): Promise<WorkflowHandleWithFirstExecutionRunId> {
    return this.client.workflow.start(flow, {
      taskQueue: this.taskQueue,
      workflowId: flowWorkflowId(input.channelId, flow),
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: [
        { key: StockChannelId, value: String(input.channelId) },
        { key: StockFlow, value: flow },
      ],
      staticSummary: `${flow} for channel ${input.channelId}`,
    });
  }

  /** The handle of the latest run of `flow` for a channel (running or not). */
  handle(channelId: number, flow: StockFlowName): WorkflowHandle {
    return this.client.workflow.getHandle(flowWorkflowId(channelId, flow));
  }

  progress(channelId: number, flow: StockFlowName): Promise<FlowProgress> {
    return this.handle(channelId, flow).query(progressQuery);
  }

  /** A running reconcile's counts so far. */
  reconcileProgress(channelId: number): Promise<ReconcileProgress> {
    return this.handle(channelId, 'reconcileChannelStock').query(reconcileProgressQuery);
  }

  pause(channelId: number, flow: StockFlowName): Promise<void> {
    return this.handle(channelId, flow).signal(pauseSignal);
  }

  resume(channelId: number, flow: StockFlowName): Promise<void> {
    return this.handle(channelId, flow).signal(resumeSignal);
  }

  /** Cancels the run; its open batch is failed with a report, batches already sent are still awaited to the end. */
  async cancel(channelId: number, flow: StockFlowName): Promise<void> {
    await this.handle(channelId, flow).cancel();
  }
}
