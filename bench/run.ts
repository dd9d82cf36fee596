/**
 * `npm run bench`: stockflow's updateProductStocks against the sandbox on loopback and a Temporal dev server, each in
 * a process of its own (bench/stack.ts), for N changed stocks per channel:
 *
 *   - per channel (Trendyol: asynchronous; Shopify: synchronous): stockflow's full run in a fresh worker process
 *     (wall time, stocks/s, history events and bytes per 1,000 stocks over the flow's continue-as-new chain and its
 *     awaitChannelBatch children, the worker's peak RSS), then the two baselines of bench/baselines.ts over the same
 *     clients and sandbox without Temporal (sequential, and pipelined with the flow's window);
 *   - a rate-limited case: the sandbox's marketplace answers 429 beyond R requests/s and the channels file declares R;
 *     the run's time against the bound N / (items per request × R) and the 429s the marketplace sent.
 *
 * Every run faces the same workload, rebuilt from a fresh seed (bench/workload.ts), and must deliver all of it: the
 * bench fails (exit 1) when a run or baseline leaves the marketplace out of step with Omnitron. Results: tables on
 * stdout and every raw number in a JSON file (bench/results/bench.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError } from 'commander';
import { format, resolveConfig } from 'prettier';
import type { StockActivityDeps } from '../activities';
import { tuningSchema } from '../workflows/inputs';
import { runActivityLoop } from './baselines';
import { benchMarketplaces } from './marketplaces';
import { flowTuning, log, measureStockflow, stackDeps, timedWorkload, withStack } from './measure';
import { describeBuild, describeMachine, formatReport } from './report';
import type { BaselineMeasurement, BenchResults, BenchSettings, ChannelResult, RateLimitedResult } from './results';
import type { Stack, StackOptions } from './stack';
import { checkDelivered, type Workload } from './workload';

const MAX_STOCKS = 1_000_000;
/** The stack's channels file: channel 1 is Trendyol (asynchronous), channel 2 Shopify (synchronous). */
const CHANNEL_OF_MODE = { async: 1, sync: 2 } as const;
type Mode = keyof typeof CHANNEL_OF_MODE;
/** The rate-limited case runs on the asynchronous channel, the one with the documented request limit. */
const RATE_LIMITED_CHANNEL = CHANNEL_OF_MODE.async;
/** Outside the rate-limited case no request limit may bind: stockflow and the baselines meet the same marketplace. */
const LIFTED_REQUESTS_PER_SECOND = 10_000;
/** Points a second the sandbox's Shopify cost bucket refills outside the rate-limited case: it never throttles. */
const LIFTED_SHOPIFY_RESTORE_RATE = 1_000_000_000;
/** Default changed stocks of each marketplace row: twenty full pages at the async adapters' default page size. */
const MARKETPLACE_STOCKS = 20_000;
/** Default changed stocks of the rate-limited case: long enough to hold the rate, short enough to keep the bench. */
const RATE_LIMITED_STOCKS = 20_000;

interface BenchOptions {
  skus: number;
  channels: Mode[];
  rate: number;
  rateSkus?: number;
  batchDelay: number;
  pollInitial: number;
  pollMax: number;
  out: string;
  skipBaselines?: boolean;
  skipRateLimited?: boolean;
  marketplaceSkus: number;
  skipMarketplaces?: boolean;
  cluster?: boolean;
}

function integer(min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max.toLocaleString('en-US')}`);
    }
    return n;
  };
}

function positive(text: string): number {
  const n = Number(text);
  if (!(n > 0)) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function modes(text: string): Mode[] {
  const list = text.split(',').map((m) => m.trim());
  const bad = list.filter((m) => !(m in CHANNEL_OF_MODE));
  if (bad.length > 0 || list.length === 0) throw new InvalidArgumentError('expected async, sync or async,sync');
  return [...new Set(list as Mode[])];
}

function parseOptions(argv: string[]): BenchOptions {
  return new Command('bench')
    .description('stockflow updateProductStocks against the sandbox and a dev server, with baselines')
    .option('--skus <n>', 'changed stocks per channel', integer(1, MAX_STOCKS), 100_000)
    .option('--channels <list>', 'async (Trendyol, channel 1), sync (Shopify, channel 2)', modes, ['async', 'sync'])
    .option('--rate <R>', 'requests/s of the rate-limited case (Trendyol)', positive, 2)
    .option(
      '--rate-skus <n>',
      `changed stocks of the rate-limited case (default: --skus, at most ${RATE_LIMITED_STOCKS})`,
      integer(1, MAX_STOCKS),
    )
    .option('--batch-delay <ms>', 'how long a Trendyol batch stays IN_PROGRESS', integer(0, 600_000), 500)
    .option(
      '--poll-initial <ms>',
      'first pause between batch checks (flow tuning and baselines)',
      integer(1, 600_000),
      500,
    )
    .option('--poll-max <ms>', 'longest pause between batch checks', integer(1, 600_000), 5_000)
    .option('--out <file>', 'JSON results file', 'bench/results/bench.json')
    .option('--skip-baselines', 'measure stockflow only')
    .option('--skip-rate-limited', 'leave out the rate-limited case')
    .option(
      '--marketplace-skus <n>',
      'changed stocks of each marketplace row (channels 3-6 at their default limits)',
      integer(1, MAX_STOCKS),
      MARKETPLACE_STOCKS,
    )
    .option('--skip-marketplaces', 'leave out the marketplace rows (channels 3-6)')
    .option('--cluster', 'also run everything on the native compose cluster (Temporal server on PostgreSQL)')
    .parse(argv)
    .opts<BenchOptions>();
}

async function measureBaseline(
  stack: Stack,
  deps: StockActivityDeps,
  workload: Workload,
  settings: BenchSettings,
  window: number,
): Promise<BaselineMeasurement> {
  const result = await runActivityLoop(deps, {
    channelId: workload.channelId,
    window,
    pollInitialMs: settings.pollInitialMs,
    pollMaxMs: settings.pollMaxMs,
  });
  if (result.stocksSent !== workload.stocks || result.stocksFailed !== 0) {
    throw new Error(
      `baseline (window ${window}) on channel ${workload.channelId}: ${result.stocksSent} stocks sent, ` +
        `${result.stocksFailed} failed, ${workload.stocks} expected`,
    );
  }
  await checkDelivered(stack.control, deps, workload);
  return { ...result, window, stocksPerSecond: (result.stocksSent * 1000) / result.wallMs };
}

async function benchChannel(
  stack: Stack,
  deps: StockActivityDeps,
  mode: Mode,
  settings: BenchSettings,
  options: BenchOptions,
): Promise<ChannelResult> {
  const channelId = CHANNEL_OF_MODE[mode];
  const { descriptor } = deps.channelAdapter(channelId);
  if (descriptor.mode !== mode) throw new Error(`channel ${channelId} is ${descriptor.mode}, expected ${mode}`);
  const marketplace = {
    options: { batchDelayMs: settings.batchDelayMs, shopifyRestoreRate: settings.liftedShopifyRestoreRate },
    faults: { requestsPerSecond: 0 },
  };
  const prepMs: number[] = [];
  /**
   * A fresh workload and fresh clients for each measurement: the workload reseeds the sandbox, which forgets every
   * Omnitron token as a new Omnitron would, and one client logs in at most 3 times in 6 minutes (src/omnitron/session.ts).
   */
  const measured = async <R>(measure: (deps: StockActivityDeps, workload: Workload) => Promise<R>) => {
    const fresh = stackDeps(stack);
    return measure(fresh, await timedWorkload(stack, fresh, channelId, settings.stocks, marketplace, prepMs));
  };
  const tuning = flowTuning(settings);

  log(`channel ${channelId} (${descriptor.name}): stockflow over ${settings.stocks} changed stocks`);
  const [first, stockflow] = await measured(async (fresh, workload) => [
    workload,
    await measureStockflow(stack, fresh, workload, tuning),
  ]);
  log(`  stockflow ${(stockflow.wallMs / 1000).toFixed(1)} s`);
  let sequential: BaselineMeasurement | undefined;
  let pipelined: BaselineMeasurement | undefined;
  if (!options.skipBaselines) {
    sequential = await measured((fresh, workload) => measureBaseline(stack, fresh, workload, settings, 1));
    log(`  sequential ${(sequential.wallMs / 1000).toFixed(1)} s`);
    pipelined = await measured((fresh, workload) => measureBaseline(stack, fresh, workload, settings, settings.window));
    log(`  pipelined ${(pipelined.wallMs / 1000).toFixed(1)} s`);
  }
  return {
    channelId,
    marketplace: descriptor.name,
    mode,
    itemsPerRequest: descriptor.limits.itemsPerRequest,
    workloadPrepMs: prepMs,
    workload: first,
    stockflow,
    sequential,
    pipelined,
  };
}

async function benchRateLimited(
  stack: Stack,
  deps: StockActivityDeps,
  stocks: number,
  requestsPerSecond: number,
  settings: BenchSettings,
): Promise<RateLimitedResult> {
  const channelId = RATE_LIMITED_CHANNEL;
  const { descriptor } = deps.channelAdapter(channelId);
  if (descriptor.limits.requestsPerSecond !== requestsPerSecond) {
    throw new Error(
      `channel ${channelId} declares ${descriptor.limits.requestsPerSecond} requests/s, not ${requestsPerSecond}`,
    );
  }
  log(`rate-limited: channel ${channelId} (${descriptor.name}) at ${requestsPerSecond} requests/s, ${stocks} stocks`);
  const workload = await timedWorkload(
    stack,
    deps,
    channelId,
    stocks,
    { options: { batchDelayMs: settings.batchDelayMs }, faults: { requestsPerSecond } },
    [],
  );
  const tuning = flowTuning(settings);
  const stockflow = await measureStockflow(stack, deps, workload, tuning);
  const { marketplace } = await stack.control<{
    marketplace: { requests: number; rateLimited429: number; injected429: number };
  }>('GET', 'stats');
  const received429s = marketplace.rateLimited429 + marketplace.injected429;
  log(`  stockflow ${(stockflow.wallMs / 1000).toFixed(1)} s, ${received429s} 429s`);
  return {
    channelId,
    marketplace: descriptor.name,
    itemsPerRequest: descriptor.limits.itemsPerRequest,
    requestsPerSecond,
    workload,
    stockflow,
    boundMs: (stocks / (descriptor.limits.itemsPerRequest * requestsPerSecond)) * 1000,
    requestBoundMs: ((marketplace.requests - received429s) / requestsPerSecond) * 1000,
    budgetBoundMs: ((2 * Math.ceil(stocks / descriptor.limits.itemsPerRequest)) / requestsPerSecond) * 1000,
    marketplaceRequests: marketplace.requests,
    received429s,
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv);
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const outFile = resolve(options.out);
  const machine = await describeMachine();
  const build = await describeBuild();
  const settings: BenchSettings = {
    stocks: options.skus,
    batchDelayMs: options.batchDelay,
    pollInitialMs: options.pollInitial,
    pollMaxMs: options.pollMax,
    window: tuningSchema.parse({}).window,
    liftedRequestsPerSecond: LIFTED_REQUESTS_PER_SECOND,
    liftedShopifyRestoreRate: LIFTED_SHOPIFY_RESTORE_RATE,
  };

  const lifted = { requestsPerSecond: LIFTED_REQUESTS_PER_SECOND };
  /** Every channel's runs and the rate-limited case, on one kind of Temporal. */
  const benchOn = async (temporal: StackOptions['temporal']) => {
    const channels = await withStack({ temporal, limits: { 1: lifted, 2: lifted } }, async (stack) => {
      const deps = stackDeps(stack);
      const results: ChannelResult[] = [];
      for (const mode of options.channels) results.push(await benchChannel(stack, deps, mode, settings, options));
      return results;
    });
    let rateLimited: RateLimitedResult | undefined;
    if (!options.skipRateLimited) {
      const stocks = options.rateSkus ?? Math.min(options.skus, RATE_LIMITED_STOCKS);
      rateLimited = await withStack(
        { temporal, limits: { [RATE_LIMITED_CHANNEL]: { requestsPerSecond: options.rate } } },
        (stack) => benchRateLimited(stack, stackDeps(stack), stocks, options.rate, settings),
      );
    }
    const marketplaces = options.skipMarketplaces
      ? undefined
      : await benchMarketplaces(temporal, options.marketplaceSkus, settings);
    return { channels, rateLimited, marketplaces };
  };
  const { channels, rateLimited, marketplaces } = await benchOn('dev-server');
  if (options.cluster) log('the same on the native compose cluster (Temporal server on PostgreSQL)');
  const cluster = options.cluster ? await benchOn('cluster') : undefined;

  machine.loadAverageAtEnd = loadavg()[0];
  const results: BenchResults = {
    startedAt,
    wallMs: performance.now() - started,
    outFile: options.out,
    machine,
    build,
    settings,
    channels,
    rateLimited,
    marketplaces,
    cluster,
  };
  mkdirSync(dirname(outFile), { recursive: true });
  // Formatted by the project's Prettier settings, so a results file kept in the repository passes `prettier --check`.
  const json = await format(JSON.stringify(results), { ...(await resolveConfig(outFile)), parser: 'json' });
  writeFileSync(outFile, json);
  console.log(formatReport(results));
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
