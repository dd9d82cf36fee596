/**
 * The composition root: the only place where clients, activities and the Worker are wired together.
 */
import { hostname } from 'node:os';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createSelfCheckActivities, createStockActivities, type StockActivityDeps } from '../activities';

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
      ...(options.stock ? createStockActivities(options.stock) : {}),
    },
    shutdownGraceTime: (options.shutdownGraceTime ?? '30s') as WorkerOptions['shutdownGraceTime'],
  });
}
