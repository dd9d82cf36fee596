/**
 * A sandbox seeded with a catalogue, a stockflow worker wired to it (as in production, through the real clients over
 * loopback) and the typed client — one per test file, on the shared dev server.
 */
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { StockflowWorker } from '../../src/worker';
import type { ChannelConfig } from '../../src/channels/registry';
import { StockflowClient } from '../../src/client';
import { sandboxStockDeps } from '../../src/sandbox/connect';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server';
import { sandboxControl } from './channel-checks';
import { connectIsolatedTemporal } from './isolated-namespace';
import { createTestWorker, uniqueTaskQueue, type TestTemporal } from './temporal';

export interface StockTestEnv {
  sandbox: Sandbox;
  temporal: TestTemporal & { namespace: string };
  worker: StockflowWorker;
  workerRun: Promise<void>;
  stockflow: StockflowClient;
  taskQueue: string;
  control<T = unknown>(method: 'GET' | 'POST' | 'PUT', path: string, body?: object): Promise<T>;
  close(): Promise<void>;
}

export interface StockTestOptions {
  skus: number;
  /** More of `POST /control/seed` (e.g. `trendyolRemoteIds`). */
  seed?: Record<string, unknown>;
  limits?: ChannelConfig['limits'];
  /** The channels the worker syncs; Trendyol (1) and Shopify (2) unless a test names others. */
  channelIds?: readonly number[];
  sandbox?: SandboxOptions;
  /** Client timeout towards the sandbox (short in fault tests). */
  timeoutMs?: number;
  safetyBuffer?: number;
  /** The payload codec's converter, for the worker and `stockflow` (env.temporal.client stays without it). */
  dataConverter?: DataConverter;
}

export async function startStockTestEnv(options: StockTestOptions): Promise<StockTestEnv> {
  // Trendyol's 15-minute repeat window, shortened alike at the marketplace and in the adapter.
  const repeatWindowMs = options.sandbox?.marketplace?.repeatWindowMs ?? 2_000;
  const sandbox = await startSandbox({
    port: 0,
    ...options.sandbox,
    marketplace: { ...options.sandbox?.marketplace, repeatWindowMs },
  });
  const control = sandboxControl(sandbox);
  await control('POST', 'seed', { ...options.seed, skus: options.skus });
  // A namespace per test file: workflow ids are fixed by design (stock/<channel>/<flow>), so files running at once
  // in one namespace would attach to each other's runs.
  const temporal = await connectIsolatedTemporal('stock');
  const taskQueue = uniqueTaskQueue('stock');
  const worker = await createTestWorker(temporal, {
    namespace: temporal.namespace,
    taskQueue,
    dataConverter: options.dataConverter,
    stock: sandboxStockDeps(sandbox.urls, {
      limits: options.limits,
      timeoutMs: options.timeoutMs,
      repeatWindowMs,
      safetyBuffer: options.safetyBuffer,
      channelIds: options.channelIds ?? [1, 2],
    }),
  });
  const workerRun = worker.run();
  return {
    sandbox,
    temporal,
    worker,
    workerRun,
    stockflow: new StockflowClient(
      options.dataConverter
        ? new Client({
            connection: temporal.client.connection,
            namespace: temporal.namespace,
            dataConverter: options.dataConverter,
          })
        : temporal.client,
      taskQueue,
    ),
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

/**
 * Quick polls so async batches settle in test time (production polls from 5 s up to 5 min), and retries that back off
 * to at most 2 s instead of a minute.
 */
/**
 * Runs `fn` with faults set at one face of the sandbox and clears them afterwards, whatever `fn` does: a failing test
 * must not leave its faults to the next one.
 */
export async function withFaults<T>(
  env: Pick<StockTestEnv, 'control'>,
  face: 'omnitron' | 'whippy' | 'marketplace',
  faults: object,
  fn: () => Promise<T>,
): Promise<T> {
  await env.control('PUT', `faults/${face}`, faults);
  try {
    return await fn();
  } finally {
    await env.control('PUT', `faults/${face}`, Object.fromEntries(Object.keys(faults).map((k) => [k, 0])));
  }
}

/**
 * Polls `probe` until `done` holds (a probe that throws — no worker answering a query yet — counts as not yet), then
 * answers its value; fails naming the last value after `timeoutMs`.
 */
export async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const FAST_TUNING = { pollInitial: '100ms', pollMax: '500ms', retryMaxInterval: '2s' } as const;

/**
 * SKUs whose quantity at the marketplace differs from what Omnitron says the channel should hold, for one stock list
 * (main by default), both read from the sandbox (what the marketplace holds at the list's warehouse, where it has
 * warehouses).
 */
export async function mismatches(
  env: StockTestEnv,
  channelId: number,
  stockListId = 1,
): Promise<{ sku: string; expected: number; held: number | undefined }[]> {
  const query = `?stock_list=${stockListId}`;
  const expected = await env.control<{ quantities: Record<string, number> }>(
    'GET',
    `channels/${channelId}/expected${query}`,
  );
  const held = await env.control<{ quantities: Record<string, number | null> }>(
    'GET',
    `channels/${channelId}/held${query}`,
  );
  return Object.entries(expected.quantities)
    .map(([sku, quantity]) => ({ sku, expected: quantity, held: held.quantities[sku] ?? undefined }))
    .filter((row) => row.held !== row.expected);
}

/** Batch requests of a channel by status (from the sandbox's Omnitron). */
export async function batchCounts(env: StockTestEnv, channelId: number): Promise<Record<string, number>> {
  const { counts } = await env.control<{ counts: Record<string, number> }>(
    'GET',
    `omnitron/batches?channel=${channelId}`,
  );
  return counts;
}
