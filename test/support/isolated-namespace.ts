/**
 * A Temporal namespace of its own for one test file. Workflow ids are fixed by design — `stock/<channel>/<flow>` and
 * `stock/<channel>/batch/<batchPk>` — and every sandbox seeds channels 1 and 2 and numbers batches from 1, so two test
 * files running at once in the shared `default` namespace would attach to each other's runs (USE_EXISTING) or collide
 * on batch children. A namespace per file keeps them apart without touching the ids.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { NativeConnection } from '@temporalio/worker';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import { TEST_TEMPORAL_ADDRESS } from './shared-env';
import type { TestTemporal } from './temporal';

export interface IsolatedTemporal extends TestTemporal {
  namespace: string;
}

/** Registers `stockflow-<prefix>-<uuid>` with the stockflow search attributes; resolves once it takes workflows. */
export async function connectIsolatedTemporal(prefix: string, address?: string): Promise<IsolatedTemporal> {
  const target = address ?? process.env[TEST_TEMPORAL_ADDRESS];
  if (!target) throw new Error(`${TEST_TEMPORAL_ADDRESS} is not set: run tests through jest (global setup)`);
  const namespace = `stockflow-${prefix}-${randomUUID().slice(0, 8)}`;
  const connection = await Connection.connect({ address: target });
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  // The frontend learns of a new namespace through its cache; wait until it answers for it.
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      await ensureSearchAttributes(connection, namespace);
      await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
      break;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const nativeConnection = await NativeConnection.connect({ address: target });
  return {
    address: target,
    namespace,
    client: new Client({ connection, namespace }),
    nativeConnection,
    close: async () => {
      await connection.close();
      await nativeConnection.close();
    },
  };
}
