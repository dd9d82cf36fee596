/**
 * The composition root: the only place where clients, activities and the Workers are wired together.
 */
import { hostname } from 'node:os';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { channelTaskQueue, MARKETPLACE_REQUESTS_PER_CHANNEL_ACTIVITY } from '../workflows/definitions';
import {
  createAwaitedByFlowsActivities,
  createFlowStarterActivities,
  createReconcileActivities,
  createSelfCheckActivities,
  createStockActivities,
  type StockActivityDeps,
} from '../activities';
import { createChannelAdapter } from './channels/registry';
import type { ChannelAdapter } from './channels/port';
import type { Config } from './config';
import { OmnitronClient } from './omnitron/client';
import { WhippyStockClient } from './stock-api/client';

export interface StockflowWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A pre-built bundle (tests bundle once per run; the Docker image ships one); else bundled from source now. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** How long shutdown lets in-flight activities finish (the SDK's default, 0, cancels them at once). */
  shutdownGraceTime?: string;
  identity?: string;
  /** Omnitron and the channel adapters; without them only the self-check runs (nothing to sync with). */
  stock?: StockActivityDeps;
  /** The payload codec's converter (src/temporal/codec.ts); absent: payloads in the clear. */
  dataConverter?: WorkerOptions['dataConverter'];
}

/** Path of the workflow bundle entry, valid both from source (ts) and from dist/ (js). */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * The Workers of one stockflow process, run and stopped together: one on the main task queue (workflows and the
 * Omnitron-only activities) and one per configured channel on that channel's queue, where the marketplace calls run.
 * A channel worker declares the adapter's `requestsPerSecond` (per activity: {@link channelActivitiesPerSecond}) as
 * `maxTaskQueueActivitiesPerSecond`; the Temporal server applies it to the queue as a whole, so the channel's rate
 * holds across every worker process of the cluster.
 */
export class StockflowWorker {
  constructor(readonly workers: readonly Worker[]) {}

  /** Runs every worker until all have stopped; if one fails, the others are shut down and the failure is thrown. */
  async run(): Promise<void> {
    const runs = this.workers.map((worker) =>
      worker.run().catch((err: unknown) => {
        this.shutdown();
        throw err;
      }),
    );
    const results = await Promise.allSettled(runs);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Runs the workers while `fn` runs, then shuts them down (the SDK's runUntil, for the whole group). */
  async runUntil<R>(fn: Promise<R> | (() => Promise<R>)): Promise<R> {
    const running = this.run();
    try {
      return await (typeof fn === 'function' ? fn() : fn);
    } finally {
      this.shutdown();
      await running;
    }
  }

  /** Graceful shutdown of every worker (in-flight activities get the shutdown grace time). */
  shutdown(): void {
    for (const worker of this.workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  }
}

/**
 * The channel queue's activity rate: the adapter's request rate, divided for an asynchronous channel by the requests
 * one of its activities may make (a send and a batch check it carries, see workflows/definitions.ts).
 */
export function channelActivitiesPerSecond(descriptor: ChannelAdapter['descriptor']): number {
  const { requestsPerSecond } = descriptor.limits;
  return descriptor.mode === 'async'
    ? requestsPerSecond / MARKETPLACE_REQUESTS_PER_CHANNEL_ACTIVITY
    : requestsPerSecond;
}

export async function createStockflowWorker(options: StockflowWorkerOptions): Promise<StockflowWorker> {
  const identity = options.identity ?? `stockflow-${process.pid}@${hostname()}`;
  const stockActivities = options.stock
    ? { ...createStockActivities(options.stock), ...createReconcileActivities(options.stock) }
    : {};
  const common = {
    connection: options.connection,
    namespace: options.namespace,
    identity,
    shutdownGraceTime: (options.shutdownGraceTime ?? '30s') as WorkerOptions['shutdownGraceTime'],
    dataConverter: options.dataConverter,
  };
  const main = await Worker.create({
    ...common,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: {
      ...createSelfCheckActivities({ identity }),
      ...createFlowStarterActivities(),
      ...createAwaitedByFlowsActivities(),
      ...stockActivities,
    },
  });
  const stock = options.stock;
  const channelWorkers = stock
    ? await Promise.all(
        stock.channelIds.map((channelId) =>
          Worker.create({
            ...common,
            taskQueue: channelTaskQueue(options.taskQueue, channelId),
            activities: stockActivities,
            maxTaskQueueActivitiesPerSecond: channelActivitiesPerSecond(stock.channelAdapter(channelId).descriptor),
          }),
        ),
      )
    : [];
  return new StockflowWorker([main, ...channelWorkers]);
}

/** The real Omnitron and the configured marketplace adapters; undefined when no Omnitron is configured. */
export function configuredStockDeps(config: Config): StockActivityDeps | undefined {
  if (!config.omnitron) return undefined;
  const adapters = new Map<number, ChannelAdapter>(
    [...config.channels].map(([channelId, channel]) => [channelId, createChannelAdapter(channel.adapter)]),
  );
  return {
    omnitron: new OmnitronClient(config.omnitron),
    whippy: config.whippy && new WhippyStockClient(config.whippy),
    channelIds: [...adapters.keys()],
    safetyBuffer: (channelId) => config.channels.get(channelId)?.safetyBuffer ?? 0,
    channelAdapter(channelId) {
      const adapter = adapters.get(channelId);
      if (!adapter) throw new Error(`channel ${channelId} is not in STOCKFLOW_CHANNELS_FILE`);
      return adapter;
    },
  };
}
