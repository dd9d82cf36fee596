/**
 * What every bench case measures the same way: stockflow's run in a fresh worker process of the stack (wall time,
 * history cost, the worker's peak RSS), checked to have delivered its whole workload, and the workload built and
 * timed outside the measured run.
 */
import { performance } from 'node:perf_hooks';
import type { StockActivityDeps } from '../activities';
import { loadConfig } from '../src/config';
import { configuredStockDeps } from '../src/worker';
import type { SendFlowInput } from '../workflows/inputs';
import type { SendFlowSummary } from '../workflows/send-flows';
import { historyCost } from './history-cost';
import type { BenchSettings, StockflowMeasurement } from './results';
import { startStack, type Stack, type StackOptions } from './stack';
import { checkDelivered, prepareWorkload, type MarketplaceSettings, type Workload } from './workload';

export type FlowTuning = NonNullable<SendFlowInput['tuning']>;

/** The clients a stockflow worker of the stack builds from its environment, built in this process. */
export function stackDeps(stack: Stack): StockActivityDeps {
  const deps = configuredStockDeps(loadConfig(stack.workerEnv));
  if (!deps) throw new Error('the stack configures no Omnitron');
  return deps;
}

/** The flow's tuning: the same window and poll schedule the baselines use. */
export function flowTuning(settings: BenchSettings): FlowTuning {
  return { window: settings.window, pollInitial: settings.pollInitialMs, pollMax: settings.pollMaxMs };
}

/** A run that does not account for every stock of its workload fails the bench. */
export function checkSummary(summary: SendFlowSummary, workload: Workload): void {
  const wrong = Object.entries({
    stocksSent: [summary.stocksSent, workload.stocks],
    stocksFailed: [summary.stocksFailed, 0],
    pagesFailed: [summary.pagesFailed, 0],
    batchesFailed: [summary.batchesFailed, 0],
    batchesHandedOver: [summary.batchesHandedOver, 0],
    malformedRecords: [summary.malformedRecords, 0],
    targetsGivenUp: [summary.targetsGivenUp.length, 0],
  }).filter(([, [got, want]]) => got !== want);
  if (wrong.length > 0) {
    throw new Error(
      `stockflow on channel ${summary.channelId}: ${wrong.map(([k, [got, want]]) => `${k} ${got} (expected ${want})`).join(', ')}`,
    );
  }
}

/** stockflow's run in a fresh worker process: the workflow's wall time, its history cost, the worker's peak RSS. */
export async function measureStockflow(
  stack: Stack,
  deps: StockActivityDeps,
  workload: Workload,
  tuning: FlowTuning,
): Promise<StockflowMeasurement> {
  const worker = await stack.startWorker();
  const workerReadyRssBytes = worker.peakRssBytes();
  let run: { wallMs: number; summary: SendFlowSummary; handle: Awaited<ReturnType<Stack['stockflow']['start']>> };
  let workerPeakRssBytes: number | undefined;
  try {
    const started = performance.now();
    const handle = await stack.stockflow.start('updateProductStocks', { channelId: workload.channelId, tuning });
    const summary = (await handle.result()) as SendFlowSummary;
    run = { wallMs: performance.now() - started, summary, handle };
    workerPeakRssBytes = worker.peakRssBytes();
  } finally {
    await worker.stop();
  }
  checkSummary(run.summary, workload);
  await checkDelivered(stack.control, deps, workload);
  const history = await historyCost(stack.client, run.handle);
  return {
    wallMs: run.wallMs,
    stocksPerSecond: (run.summary.stocksSent * 1000) / run.wallMs,
    summary: run.summary,
    history,
    eventsPer1000Stocks: (history.total.events * 1000) / workload.stocks,
    bytesPer1000Stocks: (history.total.bytes * 1000) / workload.stocks,
    workerReadyRssBytes,
    workerPeakRssBytes,
  };
}

/** Builds a channel's workload, timing it (outside every measured run). */
export async function timedWorkload(
  stack: Stack,
  deps: StockActivityDeps,
  channelId: number,
  stocks: number,
  marketplace: MarketplaceSettings,
  prepMs: number[],
): Promise<Workload> {
  const started = performance.now();
  const workload = await prepareWorkload(stack.control, deps.omnitron, channelId, stocks, marketplace);
  prepMs.push(performance.now() - started);
  return workload;
}

export function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/** Runs `body` on a stack started with `options`, closing it whatever happens (Ctrl-C: see bench/stack.ts). */
export async function withStack<T>(options: StackOptions, body: (stack: Stack) => Promise<T>): Promise<T> {
  const stack = await startStack(options);
  try {
    return await body(stack);
  } finally {
    await stack.close();
  }
}
