/**
 * The composition root: the only place where clients, activities and the Worker are wired together.
 */
import { hostname } from 'node:os';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import {
  createFlowStarterActivities,
  createSelfCheckActivities,
  createStockActivities,
  type StockActivityDeps,
} from '../activities';
import { createChannelAdapter } from './channels/registry';
import type { ChannelAdapter } from './channels/port';
import type { Config } from './config';
import { OmnitronClient } from './omnitron/client';

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
}

/** Path of the workflow bundle entry, valid both from source (ts) and from dist/ (js). */
export const WORKFLOWS_PATH = require.resolve('../workflows');

export async function createStockflowWorker(options: StockflowWorkerOptions): Promise<Worker> {
  const identity = options.identity ?? `stockflow-${process.pid}@${hostname()}`;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    identity,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: {
      ...createSelfCheckActivities({ identity }),
      ...createFlowStarterActivities(),
      ...(options.stock ? createStockActivities(options.stock) : {}),
    },
    shutdownGraceTime: (options.shutdownGraceTime ?? '30s') as WorkerOptions['shutdownGraceTime'],
  });
}

/** The real Omnitron and the configured marketplace adapters; undefined when no Omnitron is configured. */
export function configuredStockDeps(config: Config): StockActivityDeps | undefined {
  if (!config.omnitron) return undefined;
  const adapters = new Map<number, ChannelAdapter>(
    [...config.channels].map(([channelId, channel]) => [channelId, createChannelAdapter(channel.adapter)]),
  );
  return {
    omnitron: new OmnitronClient(config.omnitron),
    safetyBuffer: (channelId) => config.channels.get(channelId)?.safetyBuffer ?? 0,
    channelAdapter(channelId) {
      const adapter = adapters.get(channelId);
      if (!adapter) throw new Error(`channel ${channelId} is not in STOCKFLOW_CHANNELS_FILE`);
      return adapter;
    },
  };
}
