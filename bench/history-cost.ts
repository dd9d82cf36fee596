/**
 * What a finished flow cost the Temporal server in history: every run of its continue-as-new chain and of every
 * awaitChannelBatch child it started (found in the runs' ChildWorkflowExecutionStarted events, each child followed
 * through its own chain), as fetched from the server. Bytes are the histories' protobuf encoding, as the server
 * stores and sends them.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { chainHistories, firstRunId, type RunHistory } from '../test/support/histories';

export interface HistoryPart {
  runs: number;
  events: number;
  bytes: number;
  /** The longest single run, in events (what the 51,200-event limit applies to). */
  maxRunEvents: number;
}

export interface HistoryCost {
  flow: HistoryPart;
  children: HistoryPart;
  total: HistoryPart;
  /**
   * Activity type -> the task queues it was scheduled on: shows whether the marketplace calls ran on a per-channel,
   * rate-limited queue in the build measured.
   */
  activityTaskQueues: Record<string, string[]>;
}

/** Encoded with @temporalio/proto's own protobufjs copy (this install carries several; see test/support/histories). */
function encodedBytes(run: RunHistory): number {
  return temporal.api.history.v1.History.encode(run.history).finish().length;
}

function part(runs: readonly RunHistory[]): HistoryPart {
  const events = runs.map((r) => r.history.events?.length ?? 0);
  return {
    runs: runs.length,
    events: events.reduce((a, b) => a + b, 0),
    bytes: runs.reduce((n, r) => n + encodedBytes(r), 0),
    maxRunEvents: Math.max(0, ...events),
  };
}

function taskQueues(runs: readonly RunHistory[]): Record<string, string[]> {
  const queues = new Map<string, Set<string>>();
  for (const run of runs) {
    for (const event of run.history.events ?? []) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      const type = scheduled?.activityType?.name;
      const queue = scheduled?.taskQueue?.name;
      if (type && queue) queues.set(type, (queues.get(type) ?? new Set()).add(queue));
    }
  }
  return Object.fromEntries([...queues].map(([type, names]) => [type, [...names]]));
}

export async function historyCost(client: Client, handle: WorkflowHandle): Promise<HistoryCost> {
  const flowRuns = await chainHistories(client, handle.workflowId, firstRunId(handle));
  const childRuns: RunHistory[] = [];
  for (const run of flowRuns) {
    for (const event of run.history.events ?? []) {
      const child = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (child?.workflowId && child.runId) {
        childRuns.push(...(await chainHistories(client, child.workflowId, child.runId)));
      }
    }
  }
  const runs = [...flowRuns, ...childRuns];
  return { flow: part(flowRuns), children: part(childRuns), total: part(runs), activityTaskQueues: taskQueues(runs) };
}
