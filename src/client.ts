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
  pauseReconcileUpdate,
  pauseUpdate,
  anyProgressQuery,
  reconcileProgressQuery,
  resumeReconcileUpdate,
  resumeUpdate,
  type BatchRequestsProgress,
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

/** What a flow's `progress` query and its pause/resume answers hold. */
export type ProgressOf<F extends StockFlowName> = F extends 'reconcileChannelStock'
  ? ReconcileProgress
  : F extends 'getStockBatchRequests'
    ? BatchRequestsProgress
    : FlowProgress;

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

  /** A running flow's counts so far (each flow answers with its own kind, told apart by `flow`). */
  progress<F extends StockFlowName>(channelId: number, flow: F): Promise<ProgressOf<F>> {
    return this.handle(channelId, flow).query(anyProgressQuery) as Promise<ProgressOf<F>>;
  }

  /** A running reconcile's counts so far. */
  reconcileProgress(channelId: number): Promise<ReconcileProgress> {
    return this.handle(channelId, 'reconcileChannelStock').query(reconcileProgressQuery);
  }

  /**
   * Pauses the running flow before its next page and answers with its progress after the change; a flow that cannot
   * be paused (already paused, past its last page, getStockBatchRequests) refuses with a WorkflowUpdateFailedError
   * whose cause says why.
   */
  pause<F extends StockFlowName>(channelId: number, flow: F): Promise<ProgressOf<F>> {
    return this.steer(channelId, flow, 'pause');
  }

  /** Resumes a paused flow; answers with its progress, or refuses when it is not paused. */
  resume<F extends StockFlowName>(channelId: number, flow: F): Promise<ProgressOf<F>> {
    return this.steer(channelId, flow, 'resume');
  }

  private steer<F extends StockFlowName>(
    channelId: number,
    flow: F,
    which: 'pause' | 'resume',
  ): Promise<ProgressOf<F>> {
    const handle = this.handle(channelId, flow);
    const answer =
      flow === 'reconcileChannelStock'
        ? handle.executeUpdate(which === 'pause' ? pauseReconcileUpdate : resumeReconcileUpdate)
        : handle.executeUpdate(which === 'pause' ? pauseUpdate : resumeUpdate);
    return answer as Promise<ProgressOf<F>>;
  }

  /** Cancels the run; its open batch is failed with a report, batches already sent are still awaited to the end. */
  async cancel(channelId: number, flow: StockFlowName): Promise<void> {
    await this.handle(channelId, flow).cancel();
  }
}
