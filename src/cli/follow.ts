/** Following a running flow from the CLI: its `progress` answers until its result settles. */
import { setTimeout as delay } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { anyProgressQuery, type AnyFlowProgress } from '../../workflows/definitions';

/** How often `sync --wait` and `reconcile --wait` ask the run for its progress. */
const POLL_MS = 500;

/** Polls `progress` until the run's result settles; never throws (a failed run is part of the outcome). */
export async function followProgress<P extends AnyFlowProgress>(
  handle: WorkflowHandle,
  onProgress: (p: P) => void,
): Promise<void> {
  let settled = false;
  const closed = handle.result().then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    // A query can hang while no worker answers (or fail during continue-as-new): never wait on it past the close.
    const progress = await Promise.race([handle.query(anyProgressQuery).catch(() => undefined), closed]);
    if (typeof progress === 'object' && !settled) onProgress(progress as P);
    await Promise.race([delay(POLL_MS, undefined, { ref: false }), closed]);
  }
}
