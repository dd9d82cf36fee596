/**
 * Registers stockflow's namespace and custom search attributes on a real cluster (the dev server gets them as start
 * flags). Runs at worker start-up, so a fresh cluster needs no manual `temporal operator namespace create` or
 * `search-attribute create`; several workers starting at once race harmlessly (an "already exists" is success).
 */
import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { STOCKFLOW_SEARCH_ATTRIBUTES } from '../../workflows/definitions';

const INDEXED_TYPE = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
} as const;

const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;
const grpcCode = (err: unknown) => (err as { code?: number }).code;

/** How long a new namespace keeps closed workflows (the Web UI's history of runs). */
const NAMESPACE_RETENTION_MS = 7 * 24 * 3_600_000;

/** Registers the namespace when the cluster lacks it; true when it did. */
export async function ensureNamespace(
  connection: Pick<Connection, 'workflowService'>,
  namespace: string,
): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return false;
  } catch (err) {
    if (grpcCode(err) !== GRPC_NOT_FOUND) throw err;
  }
  let registered = true;
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs(NAMESPACE_RETENTION_MS),
    });
  } catch (err) {
    if (grpcCode(err) !== GRPC_ALREADY_EXISTS) throw err;
    registered = false;
  }
  // The frontend learns of a new namespace through its cache (refreshed every few seconds): until then a worker
  // polling it is refused. Wait until it takes requests for it.
  for (let waited = 0; ; waited += 500) {
    try {
      await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
      return registered;
    } catch (err) {
      if (grpcCode(err) !== GRPC_NOT_FOUND || waited >= 30_000) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * Adds the attributes the namespace lacks; returns the names it added. Idempotent. A namespace registered a moment
 * ago may not be known to every frontend yet: asked again for up to 30 s.
 */
export async function ensureSearchAttributes(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
): Promise<string[]> {
  for (let waited = 0; ; waited += 500) {
    try {
      return await addMissingSearchAttributes(connection, namespace);
    } catch (err) {
      if (![GRPC_NOT_FOUND, GRPC_ALREADY_EXISTS].includes(grpcCode(err) ?? -1) || waited >= 30_000) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function addMissingSearchAttributes(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([
    ...Object.keys(existing.customAttributes ?? {}),
    ...Object.keys(existing.systemAttributes ?? {}),
  ]);
  const missing = STOCKFLOW_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_TYPE[key.type as 'KEYWORD']])),
  });
  return missing.map((key) => key.name);
}

/**
 * Waits until the frontend takes queries (and so workflow starts) naming the attributes: on SQL visibility they live
 * in the namespace's metadata, which a frontend learns through its namespace cache some seconds later.
 */
export async function awaitSearchAttributes(
  connection: Pick<Connection, 'workflowService'>,
  namespace: string,
  timeoutMs = 60_000,
): Promise<void> {
  const query = STOCKFLOW_SEARCH_ATTRIBUTES.map((key) => `${key.name} = "-"`).join(' AND ');
  for (let waited = 0; ; waited += 500) {
    try {
      await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1, query });
      return;
    } catch (err) {
      if (waited >= timeoutMs) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
