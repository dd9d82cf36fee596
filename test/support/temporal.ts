/**
 * Test-file side of the shared Temporal dev server: connections to it, the once-per-run workflow bundle, and a worker
 * per test on its own task queue (so tests in parallel files never steal each other's tasks).
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createStockflowWorker, type StockflowWorker, type StockflowWorkerOptions } from '../../src/worker';
import { TEST_TEMPORAL_ADDRESS, TEST_WORKFLOW_BUNDLE } from './shared-env';

export interface TestTemporal {
  address: string;
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through jest so the global setup starts the server`);
  return value;
}

export async function connectTestTemporal(): Promise<TestTemporal> {
  const address = required(TEST_TEMPORAL_ADDRESS);
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    address,
    client: new Client({ connection, namespace: 'default' }),
    nativeConnection,
    close: async () => {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

/** The stockflow worker, wired as in production, but with the shared bundle and a fresh task queue. */
export async function createTestWorker(
  temporal: TestTemporal,
  options: Partial<StockflowWorkerOptions> = {},
): Promise<StockflowWorker> {
  return createStockflowWorker({
    connection: temporal.nativeConnection,
    namespace: 'default',
    taskQueue: options.taskQueue ?? uniqueTaskQueue(),
    workflowBundle: { codePath: required(TEST_WORKFLOW_BUNDLE) },
    shutdownGraceTime: '1s',
    ...options,
  });
}
