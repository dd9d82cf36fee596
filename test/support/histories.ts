/**
 * Histories of whole execution chains: a flow that continues-as-new is one workflow id with several runs, and a bound
 * on history growth (or a replay) only means something over every run, not just the latest.
 */
import { createRequire } from 'node:module';
import type { Client, WorkflowHandle } from '@temporalio/client';
import * as proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

export type History = temporal.api.history.v1.IHistory;

export interface RunHistory {
  workflowId: string;
  runId: string;
  workflowType: string;
  history: History;
}

/** The workflow type a history belongs to (from its first event). */
export function workflowTypeOf(history: History): string {
  const name = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  if (!name) throw new Error('history does not start with WorkflowExecutionStarted');
  return name;
}

/** Every run of a chain, first to last, following each ContinuedAsNew event's new run id. */
export async function chainHistories(client: Client, workflowId: string, firstRunId: string): Promise<RunHistory[]> {
  const runs: RunHistory[] = [];
  for (let runId: string | undefined = firstRunId; runId;) {
    const history: History = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.push({ workflowId, runId, workflowType: workflowTypeOf(history), history });
    const last: temporal.api.history.v1.IHistoryEvent | undefined = history.events?.[history.events.length - 1];
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    if (runs.length > 10_000) throw new Error(`${workflowId}: more than 10,000 runs, giving up`);
  }
  return runs;
}

/** The first run id of a started handle (`workflow.start` returns it; StockflowClient types the handle more loosely). */
export function firstRunId(handle: WorkflowHandle): string {
  const id = (handle as { firstExecutionRunId?: string }).firstExecutionRunId;
  if (!id) throw new Error(`${handle.workflowId}: the handle does not come from a start`);
  return id;
}

/**
 * History <-> the canonical proto JSON the Temporal CLI reads and writes. Not `historyToJSON`/`historyFromJSON` of
 * @temporalio/common: in this install @temporalio/common and @temporalio/proto each carry their own copy of protobufjs
 * 8, so those helpers throw "type must be a Type" (protojson's instanceof check sees the other copy's Type). The
 * protojson of @temporalio/proto's own copy works on its types.
 */
const protoRequire = createRequire(require.resolve('@temporalio/proto'));
const protojson = protoRequire('protobufjs/ext/protojson') as {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): History | null;
};
// The generated module's types lack the reflection methods the patched root has at run time.
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType(
  'temporal.api.history.v1.History',
);

export function historyToJson(history: History): string {
  return JSON.stringify(
    protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)),
    null,
    2,
  );
}

export function historyFromJson(json: unknown): History {
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
  if (!history) throw new TypeError('not a history');
  return history;
}
