/** The shape of `npm run bench`'s JSON file (and what the tables are printed from). Times in ms, sizes in bytes. */
import type { SendFlowSummary } from '../workflows/send-flows';
import type { LoopResult } from './baselines';
import type { HistoryCost } from './history-cost';
import type { Build, Machine } from './report';
import type { Workload } from './workload';

export interface BenchSettings {
  /** Changed stocks per channel (the `--skus` option). */
  stocks: number;
  batchDelayMs: number;
  pollInitialMs: number;
  pollMaxMs: number;
  /** Async batches awaited at once: the flow's tuning and the pipelined baseline. */
  window: number;
  /** The channels file's requestsPerSecond outside the rate-limited case (high enough never to bind). */
  liftedRequestsPerSecond: number;
  /** The sandbox Shopify cost bucket's restore rate outside the rate-limited case (never throttles). */
  liftedShopifyRestoreRate: number;
}

export interface StockflowMeasurement {
  /** From starting the workflow to its result (the worker was already up). */
  wallMs: number;
  stocksPerSecond: number;
  summary: SendFlowSummary;
  history: HistoryCost;
  /** Flow chain and awaitChannelBatch children together. */
  eventsPer1000Stocks: number;
  bytesPer1000Stocks: number;
  /** The worker process's VmHWM when it was ready, and after the run. */
  workerReadyRssBytes?: number;
  workerPeakRssBytes?: number;
}

export interface BaselineMeasurement extends LoopResult {
  window: number;
  stocksPerSecond: number;
}

export interface ChannelResult {
  channelId: number;
  marketplace: string;
  mode: 'sync' | 'async';
  itemsPerRequest: number;
  /** Per measured run, how long building its workload took (not part of any measured time). */
  workloadPrepMs: number[];
  workload: Workload;
  stockflow: StockflowMeasurement;
  sequential?: BaselineMeasurement;
  pipelined?: BaselineMeasurement;
}

export interface RateLimitedResult {
  channelId: number;
  marketplace: string;
  itemsPerRequest: number;
  requestsPerSecond: number;
  workload: Workload;
  stockflow: StockflowMeasurement;
  /** stocks / (items per request × rate): the time the sends alone need at the rate. */
  boundMs: number;
  /** The marketplace requests the run got answered (sends and batch checks, not the 429s) ÷ the rate. */
  requestBoundMs: number;
  /**
   * The bound of the channel's budget, which sends and checks share: a send per page plus one check per async batch,
   * at the rate (issue #12's target: the run within 1.10× of it).
   */
  budgetBoundMs: number;
  /** Every marketplace request of the run, 429s included. */
  marketplaceRequests: number;
  received429s: number;
}

/** One adapter of bench/marketplaces.ts at its default limits against its face's documented budgets. */
export interface MarketplaceResult {
  channelId: number;
  marketplace: string;
  mode: 'sync' | 'async';
  itemsPerRequest: number;
  requestsPerSecond: number;
  workload: Workload;
  stockflow: StockflowMeasurement;
  /** (sends, plus one check per batch when asynchronous) ÷ the adapter's requests per second. */
  boundMs: number;
  /** Every request the face answered during the run, throttled ones included. */
  marketplaceRequests: number;
  /** Requests the face answered with its marketplace's throttling signal. */
  throttled: number;
}

export interface BenchResults {
  startedAt: string;
  wallMs: number;
  /** As given (`--out`), relative to where the bench ran. */
  outFile: string;
  machine: Machine;
  build: Build;
  settings: BenchSettings;
  channels: ChannelResult[];
  rateLimited?: RateLimitedResult;
  /** Channels 3-6 at their default limits (absent with `--skip-marketplaces`). */
  marketplaces?: MarketplaceResult[];
  /** `--cluster`: the same runs on the native compose cluster (Temporal server on PostgreSQL). */
  cluster?: { channels: ChannelResult[]; rateLimited?: RateLimitedResult };
}
