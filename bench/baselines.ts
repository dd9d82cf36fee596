/**
 * The baselines stockflow is compared with: the SAME activities over the SAME clients and sandbox, called in a plain
 * loop in this process, without Temporal. The per-page work is identical, so the ratio of stockflow's time to a
 * baseline's is what durability (workflow tasks, history, timers, task queues, a worker process) costs.
 *
 * One loop mirrors the engine of workflows/send-flows.ts: pages strictly one after another (Omnitron lets one batch
 * per channel sit in `commit`), each `openBatch -> sendPage` (commit, then send); an asynchronous batch is then awaited the
 * way awaitChannelBatch awaits it (sleep `pollInitial`, check, then sleep `pollInitial` doubling up to `pollMax` between checks), with at most
 * `window` batches awaited at once. `window` 1 is the plain sequential loop (fetch a page, send, wait for the batch,
 * next); the engine's window (4) is the pipelined loop. A synchronous channel has no batch to await, so both are the
 * same loop there. Any failure ends the loop: a baseline has no retries.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createStockActivities, type StockActivityDeps } from '../activities';
import type { StockActivities } from '../activities/stock-types';

export interface LoopOptions {
  channelId: number;
  /** Asynchronous batches awaited at once. */
  window: number;
  pollInitialMs: number;
  pollMaxMs: number;
}

export interface LoopResult {
  wallMs: number;
  pages: number;
  stocksSent: number;
  stocksFailed: number;
  /** checkBatch calls (asynchronous channel). */
  checks: number;
}

/** Calls an activity inside the mock activity context (the activities heartbeat), keeping its input and result types. */
type InContext = <A, R>(activity: (input: A) => Promise<R>, input: A) => Promise<R>;

/** Awaits one asynchronous batch like awaitChannelBatch: wait pollInitial, check, back off doubling to pollMax. */
async function awaitBatch(
  run: InContext,
  act: StockActivities,
  batch: { channelId: number; batchPk: number; remoteBatchId: string },
  options: LoopOptions,
  counts: LoopResult,
): Promise<void> {
  await sleep(options.pollInitialMs);
  for (let delayMs = options.pollInitialMs; ; delayMs = Math.min(delayMs * 2, options.pollMaxMs)) {
    counts.checks++;
    const result = await run(act.checkBatch, { ...batch, isSuccessLog: true });
    if (result.state === 'done') {
      counts.stocksSent += result.succeeded;
      counts.stocksFailed += result.failed;
      return;
    }
    await sleep(delayMs);
  }
}

/** `updateProductStocks` of one channel's main stock list, as a loop over the activities. */
export async function runActivityLoop(deps: StockActivityDeps, options: LoopOptions): Promise<LoopResult> {
  const act = createStockActivities(deps);
  const environment = new MockActivityEnvironment();
  const run: InContext = (activity, input) => environment.run(activity, input);
  const { channelId } = options;
  const counts: LoopResult = { wallMs: 0, pages: 0, stocksSent: 0, stocksFailed: 0, checks: 0 };
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const started = performance.now();

  const plan = await run(act.planFlow, { channelId, source: 'main' as const });
  const target = plan.targets[0];
  if (!plan.active || !target) throw new Error(`channel ${channelId}: nothing to send (inactive or no target)`);
  // The flow's defaults: no product objects, no prices, success logs written.
  const pageInput = { channelId, kind: 'updates' as const, target, addProductObjects: false, addPrice: false };
  for (;;) {
    while (inFlight.size >= options.window && failure === undefined) await Promise.race(inFlight);
    if (failure !== undefined) break;
    const { batchPk } = await run(act.openBatch, { channelId });
    const { page: committed, sent } = await run(act.sendPage, {
      ...pageInput,
      batchPk,
      pageSize: plan.pageSize,
      isSuccessLog: true,
    });
    if (committed.malformed > 0) throw new Error(`channel ${channelId}: ${committed.malformed} malformed stocks`);
    if (committed.fetched === 0 || !sent) break;
    counts.pages++;
    if (sent.mode === 'sync') {
      counts.stocksSent += sent.succeeded;
      counts.stocksFailed += sent.failed;
      continue;
    }
    const waiting: Promise<void> = awaitBatch(
      run,
      act,
      { channelId, batchPk, remoteBatchId: sent.remoteBatchId },
      options,
      counts,
    )
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => inFlight.delete(waiting));
    inFlight.add(waiting);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  counts.wallMs = performance.now() - started;
  return counts;
}
