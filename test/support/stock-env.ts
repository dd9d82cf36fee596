/**
 * A sandbox seeded with a catalogue, a stockflow worker wired to it (as in production, through the real clients over
 * loopback) and the typed client — one per test file, on the shared dev server.
 */
import axios from 'axios';
import type { Worker } from '@temporalio/worker';
import type { ChannelConfig } from '../../src/channels/registry';
import { StockflowClient } from '../../src/client';
import { sandboxStockDeps } from '../../src/sandbox/connect';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server';
import { connectTestTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from './temporal';

export interface StockTestEnv {
  sandbox: Sandbox;
  temporal: TestTemporal;
  worker: Worker;
  workerRun: Promise<void>;
  stockflow: StockflowClient;
  taskQueue: string;
  control<T = unknown>(method: 'GET' | 'POST' | 'PUT', path: string, body?: object): Promise<T>;
  close(): Promise<void>;
}

export interface StockTestOptions {
  skus: number;
  limits?: ChannelConfig['limits'];
  sandbox?: SandboxOptions;
  /** Client timeout towards the sandbox (short in fault tests). */
  timeoutMs?: number;
}

export async function startStockTestEnv(options: StockTestOptions): Promise<StockTestEnv> {
  const sandbox = await startSandbox({ port: 0, ...options.sandbox });
  const control = async <T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: object): Promise<T> =>
    (await axios.request<T>({ method, url: `${sandbox.urls.control}${path}`, data: body })).data;
  await control('POST', 'seed', { skus: options.skus });
  const temporal = await connectTestTemporal();
  const taskQueue = uniqueTaskQueue('stock');
  const worker = await createTestWorker(temporal, {
    taskQueue,
    stock: sandboxStockDeps(sandbox.urls, { limits: options.limits, timeoutMs: options.timeoutMs }),
  });
  const workerRun = worker.run();
  return {
    sandbox,
    temporal,
    worker,
    workerRun,
    stockflow: new StockflowClient(temporal.client, taskQueue),
    taskQueue,
    control,
    close: async () => {
      worker.shutdown();
      await workerRun;
      await temporal.close();
      await sandbox.close();
    },
  };
}

/** Quick polls so async batches settle in test time; production polls from 5 s up to 5 min. */
export const FAST_POLLING = { pollInitial: '100ms', pollMax: '500ms' } as const;
