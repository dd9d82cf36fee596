/**
 * `npm run bench:reconcile`: reconcileChannelStock over a whole catalogue, against plain loops of the same activities, on the bench stack (bench/stack.ts: dev server, sandbox and a worker, each a process of its own).
 *
 * Per channel (Trendyol: its main list; Shopify: every list WAREHOUSE_CODES maps), the sandbox is seeded with N SKUs,
 * every listed stock is recorded as delivered (`POST /control/channels/:id/baseline`), and D listed SKUs drift at the
 * marketplace. Then, report only:
 *
 *   - stockflow: the workflow in a fresh worker process — wall time, requests per 1,000 SKUs compared (stock API,
 *     Omnitron, marketplace, counted by the sandbox), history events and bytes per 1,000 SKUs over the continue-as-new
 *     chain, the worker's peak RSS;
 *   - the loops: planReconcile, then every chunk through reconcileChunk in this process, without Temporal, placed as
 *     the workflow places them: one after another (sequential), and 4 side by side as the workflow reads them
 *     (pipelined; the ratio is against this one: the price of durability, nothing else).
 *
 * All three must find exactly the D drifted SKUs (and nothing else) or the bench fails. Results: a table on stdout and the
 * raw numbers in bench/results/bench-reconcile.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MockActivityEnvironment } from '@temporalio/testing';
import Table from 'cli-table3';
import { Command, InvalidArgumentError } from 'commander';
import { format, resolveConfig } from 'prettier';
import { createReconcileActivities, NO_COUNTS } from '../activities/reconcile';
import type {
  ReconcileChunkInput,
  ReconcileChunkResult,
  ReconcileCounts,
  ReconcileLayout,
} from '../activities/reconcile-types';
import { loadConfig } from '../src/config';
import type { FaceStats } from '../src/sandbox/faults';
import { configuredStockDeps } from '../src/worker';
import type { ReconcileSummary } from '../workflows/reconcile';
import { spanAt } from '../workflows/reconcile-spans';
import { historyCost, type HistoryCost } from './history-cost';
import { describeBuild, describeMachine } from './report';
import { startStack, type Stack } from './stack';

/** Channel 1 is Trendyol (one quantity per item: its main list), channel 2 Shopify (a level per list's location). */
const CHANNELS = { async: { channelId: 1, lists: [1] }, sync: { channelId: 2, lists: [1, 2, 3] } } as const;
type Mode = keyof typeof CHANNELS;
const LIFTED = { requestsPerSecond: 10_000 };
const LIFTED_SHOPIFY_RESTORE_RATE = 1_000_000_000;
/** The workflow's default `tuning.readsInFlight`. */
const READS_IN_FLIGHT = 4;

interface Requests {
  stockApi: number;
  omnitron: number;
  marketplace: number;
}

interface RunMeasurement {
  wallMs: number;
  counts: ReconcileCounts;
  requests: Requests;
  requestsPer1000: Requests;
}

interface ChannelResult {
  channelId: number;
  mode: Mode;
  skus: number;
  drifted: number;
  stockflow: RunMeasurement & {
    chunks: number;
    runs: number;
    history: HistoryCost;
    eventsPer1000: number;
    bytesPer1000: number;
    workerPeakRssBytes?: number;
  };
  /** The plain loops: chunks one after another, and `READS_IN_FLIGHT` side by side as the workflow reads them. */
  sequential: RunMeasurement;
  pipelined: RunMeasurement;
}

function integer(min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected ${min} to ${max}`);
    return n;
  };
}

function log(line: string): void {
  process.stderr.write(`[bench:reconcile] ${line}\n`);
}

async function requestsSoFar(stack: Stack): Promise<Requests> {
  const stats = await stack.control<Record<'omnitron' | 'whippy' | 'marketplace', FaceStats>>('GET', 'stats');
  return {
    stockApi: stats.whippy.requests,
    omnitron: stats.omnitron.requests,
    marketplace: stats.marketplace.requests,
  };
}

function measured(counts: ReconcileCounts, wallMs: number, before: Requests, after: Requests): RunMeasurement {
  const requests = {
    stockApi: after.stockApi - before.stockApi,
    omnitron: after.omnitron - before.omnitron,
    marketplace: after.marketplace - before.marketplace,
  };
  const per = (n: number) => (n * 1000) / Math.max(1, counts.compared);
  return {
    wallMs,
    counts,
    requests,
    requestsPer1000: {
      stockApi: per(requests.stockApi),
      omnitron: per(requests.omnitron),
      marketplace: per(requests.marketplace),
    },
  };
}

/** The run must have found the drifted SKUs and nothing else wrong. */
function check(what: string, counts: ReconcileCounts, drifted: number): void {
  if (counts.drift !== drifted || counts.missing !== 0 || counts.unknown !== 0) {
    throw new Error(
      `${what}: drift ${counts.drift} (expected ${drifted}), missing ${counts.missing}, unknown ${counts.unknown}`,
    );
  }
}

/**
 * planReconcile, then every list's chunks through reconcileChunk (and reportChunk for what is wrong) in this process,
 * without Temporal: placed as the
 * workflow places them, `window` read side by side and counted in list order.
 */
async function runLoop(stack: Stack, channelId: number, window: number): Promise<RunMeasurement> {
  const deps = configuredStockDeps(loadConfig(stack.workerEnv));
  if (!deps) throw new Error('the stack configures no Omnitron');
  const act = createReconcileActivities(deps);
  const env = new MockActivityEnvironment();
  const run = <R>(step: () => Promise<R>) => env.run(step) as Promise<R>;
  const before = await requestsSoFar(stack);
  const started = performance.now();
  const plan = await run(() => act.planReconcile({ channelId }));
  const counts = { ...NO_COUNTS };
  for (const target of plan.targets) {
    let layout: ReconcileLayout | undefined;
    let next = 0;
    let ended = false;
    const reading: Promise<ReconcileChunkResult>[] = [];
    for (;;) {
      while (!ended && reading.length < (layout ? window : 1)) {
        const input: ReconcileChunkInput = {
          channelId,
          target,
          span: spanAt(layout, next++),
          runKey: `benchloop${window}`,
          repair: false,
          readChannel: true,
        };
        // As the workflow does: compare on the channel's side, then report what is wrong (Omnitron only).
        reading.push(
          run(async () => {
            const chunk = await act.reconcileChunk(input);
            if (chunk.findings.length > 0) {
              const { findings, safetyBuffer } = chunk;
              await act.reportChunk({ ...input, findings, safetyBuffer });
            }
            return chunk;
          }),
        );
      }
      const chunk = await reading.shift();
      if (!chunk) break;
      for (const key of Object.keys(counts) as (keyof ReconcileCounts)[]) counts[key] += chunk.counts[key];
      layout ??= chunk.layout;
      ended ||= chunk.end;
    }
  }
  return measured(counts, performance.now() - started, before, await requestsSoFar(stack));
}

async function benchChannel(stack: Stack, mode: Mode, skus: number, drift: number): Promise<ChannelResult> {
  const { channelId, lists } = CHANNELS[mode];
  await stack.seed(skus);
  // As in `npm run bench`: no request limit binds, Shopify's cost bucket refills at once (the workflow and the loop
  // meet the same marketplace; throttling is measured by the rate-limited case there).
  await stack.control('PUT', 'marketplace/options', { shopifyRestoreRate: LIFTED_SHOPIFY_RESTORE_RATE });
  for (const list of lists) await stack.control('POST', `channels/${channelId}/baseline`, { stock_list: list });
  const { drifted } = await stack.control<{ drifted: { held: number | null; was: number | null }[] }>(
    'POST',
    `channels/${channelId}/drift`,
    { random: { count: drift, seed: 42 } },
  );
  const driftedCount = drifted.filter((d) => d.held !== d.was).length;

  log(`channel ${channelId} (${mode}): stockflow over ${skus} SKUs × ${lists.length} list(s), ${driftedCount} drifted`);
  const worker = await stack.startWorker();
  const before = await requestsSoFar(stack);
  const started = performance.now();
  const handle = await stack.stockflow.start('reconcileChannelStock', { channelId });
  const summary = (await handle.result()) as ReconcileSummary;
  const wallMs = performance.now() - started;
  const workerPeakRssBytes = worker.peakRssBytes();
  await worker.stop();
  const flow = measured(summary, wallMs, before, await requestsSoFar(stack));
  check('stockflow', summary, driftedCount);
  const history = await historyCost(stack.client, handle);
  log(`  stockflow ${(wallMs / 1000).toFixed(1)} s`);

  const sequential = await runLoop(stack, channelId, 1);
  check('sequential loop', sequential.counts, driftedCount);
  log(`  sequential loop ${(sequential.wallMs / 1000).toFixed(1)} s`);
  const pipelined = await runLoop(stack, channelId, READS_IN_FLIGHT);
  check('pipelined loop', pipelined.counts, driftedCount);
  log(`  pipelined loop ${(pipelined.wallMs / 1000).toFixed(1)} s`);
  return {
    channelId,
    mode,
    skus,
    drifted: driftedCount,
    stockflow: {
      ...flow,
      chunks: summary.chunks,
      runs: summary.runs,
      history,
      eventsPer1000: (history.total.events * 1000) / summary.compared,
      bytesPer1000: (history.total.bytes * 1000) / summary.compared,
      workerPeakRssBytes,
    },
    sequential,
    pipelined,
  };
}

function formatResults(results: ChannelResult[]): string {
  const table = new Table({
    style: { head: [], border: [] },
    head: [
      'channel',
      'SKUs compared',
      'drift found',
      'stockflow s',
      'sequential loop s',
      'pipelined loop s',
      '÷ pipelined',
      'requests / 1k (stock API, Omnitron, marketplace)',
      'events / 1k',
      'KiB / 1k',
      'runs',
      'worker RSS',
    ],
  });
  for (const r of results) {
    const q = r.stockflow.requestsPer1000;
    table.push([
      `${r.channelId} ${r.mode === 'async' ? 'Trendyol' : 'Shopify'}`,
      r.stockflow.counts.compared.toLocaleString('en-US'),
      r.stockflow.counts.drift,
      (r.stockflow.wallMs / 1000).toFixed(1),
      (r.sequential.wallMs / 1000).toFixed(1),
      (r.pipelined.wallMs / 1000).toFixed(1),
      `${(r.stockflow.wallMs / r.pipelined.wallMs).toFixed(2)}×`,
      `${q.stockApi.toFixed(1)}, ${q.omnitron.toFixed(1)}, ${q.marketplace.toFixed(1)}`,
      r.stockflow.eventsPer1000.toFixed(1),
      (r.stockflow.bytesPer1000 / 1024).toFixed(1),
      r.stockflow.runs,
      r.stockflow.workerPeakRssBytes ? `${Math.round(r.stockflow.workerPeakRssBytes / 2 ** 20)} MiB` : '-',
    ]);
  }
  return table.toString();
}

async function main(): Promise<void> {
  const options = new Command('bench:reconcile')
    .description('reconcileChannelStock over a whole catalogue against the plain loop of its activities')
    .option('--skus <n>', 'SKUs in the catalogue', integer(1, 1_000_000), 100_000)
    .option('--drift <n>', 'listed SKUs drifted at the marketplace (main list)', integer(1, 100_000), 1_000)
    .option('--channels <list>', 'async (Trendyol), sync (Shopify)', (t) => t.split(',') as Mode[], [
      'async',
      'sync',
    ] as Mode[])
    .option('--out <file>', 'JSON results file', 'bench/results/bench-reconcile.json')
    .parse(process.argv)
    .opts<{ skus: number; drift: number; channels: Mode[]; out: string }>();
  const bad = options.channels.filter((m) => !(m in CHANNELS));
  if (bad.length > 0) throw new InvalidArgumentError(`--channels: ${bad.join(', ')} is not async or sync`);
  const startedAt = new Date().toISOString();
  const [machine, build] = [await describeMachine(), await describeBuild()];
  const stack = await startStack({ limits: { 1: LIFTED, 2: LIFTED } });
  const results: ChannelResult[] = [];
  try {
    for (const mode of options.channels) results.push(await benchChannel(stack, mode, options.skus, options.drift));
  } finally {
    await stack.close();
  }
  const outFile = resolve(options.out);
  mkdirSync(dirname(outFile), { recursive: true });
  const json = JSON.stringify({ startedAt, machine, build, skus: options.skus, drift: options.drift, results });
  writeFileSync(outFile, await format(json, { ...(await resolveConfig(outFile)), parser: 'json' }));
  console.log(
    `machine: ${machine.cpu}, ${machine.cores} cores; ${machine.temporalCli}; build ${build.commit}` +
      `${build.dirty ? ' with uncommitted changes' : ''}; marketplace request limits lifted (channels file 10,000 ` +
      `requests/s, Shopify cost bucket restore 1,000,000,000/s)`,
  );
  console.log(formatResults(results));
  console.log(`raw numbers in ${options.out}`);
}

main().catch((err: unknown) => {
  console.error(`bench:reconcile failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
