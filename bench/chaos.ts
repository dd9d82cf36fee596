/**
 * `npm run chaos`: stockflow's updateProductStocks on two seeded channels at once (channel 1 Trendyol, asynchronous;
 * channel 2 Shopify, synchronous; `--channels 3,6` runs Hepsiburada and eBay instead), each scenario on a fresh stack of processes (bench/stack.ts: Temporal dev server
 * with its own database, the sandbox, `stockflow worker` processes configured like a deployment) and a fresh catalogue
 * in which N listed stocks per channel changed since the marketplaces were last in step:
 *
 *   worker-kill     SIGKILL the worker three times (at a quarter, half and three quarters of the run) and start a new
 *                   one each time, as a supervisor would
 *   server-restart  stop the dev server half-way and start it again on the same database
 *   faults          the marketplace answers 10% 503, 5% 429 with Retry-After, 2% never (timeouts); Omnitron 5% 503
 *   malformed       Omnitron hands out 1% of the product stocks malformed, the same rows in every answer
 *   two-clients     two clients, each with its own connection, start the flow for the same channel at the same moment
 *   reconcile       reconcileChannelStock --repair instead of the flow, with marketplace drift, faults and a kill
 *                   (bench/chaos-reconcile.ts)
 *
 * Each scenario ends with the sandbox's view (bench/verify.ts): every listed SKU at the marketplace against Omnitron's
 * expectation, batches left open, pages sent twice. Results: a table and details on stdout, progress on stderr, raw
 * numbers in a JSON file. Exits 1 when a scenario did not complete or left anything wrong, stuck or sent twice.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Client,
  Connection,
  WorkflowFailedError,
  type WorkflowHandleWithFirstExecutionRunId as Handle,
} from '@temporalio/client';
import Table from 'cli-table3';
import { Command, InvalidArgumentError, Option } from 'commander';
import { OmnitronClient } from '../src/omnitron/client';
import { DEFAULT_CREDENTIALS } from '../src/sandbox/catalog-state';
import type { FaceStats, FaultConfig } from '../src/sandbox/faults';
import type { MarketplaceStats } from '../src/sandbox/marketplace-state';
import { StockflowClient } from '../src/client';
import type { FlowProgress, ReconcileProgress } from '../workflows/definitions';
import type { ReconcileSummary } from '../workflows/reconcile';
import type { SendFlowSummary } from '../workflows/send-flows';
import { chainHistories } from '../test/support/histories';
import { expectedQuantities } from '../test/support/channel-checks';
import { RECONCILE_SCENARIO } from './chaos-reconcile';
import { describeMachine, type Machine } from './report';
import { SANDBOX_CHANNEL_IDS } from '../src/sandbox/connect';
import { startStack, type Stack, type StackOptions, type WorkerProcess } from './stack';
import { skusOutOfStep, verifyChannel, type ChannelVerdict } from './verify';
import { catalogueFor } from './workload';

const FLOW = 'updateProductStocks';
/** Trendyol (asynchronous) and Shopify (synchronous) unless `--channels` names other seeded channels. */
const DEFAULT_CHANNELS = [1, 2];
/**
 * Trendyol refuses a body it accepted within the last 15 minutes; a send cut by a kill is sent again and waits that
 * window out. Shortened at the marketplace and in the channels file alike, so a scenario takes minutes, not quarters.
 */
const REPEAT_WINDOW_MS = 5_000;
/** Added at a main-list location to every listed product: seeded reserved stock is at most 3, so each quantity moves. */
const STOCK_CHANGE = 5;
const CHANGES_PER_REQUEST = 10_000;
/** How long a scenario's flows may take before it counts as not completed. */
const SCENARIO_DEADLINE_MS = 30 * 60_000;
const MAX_STOCKS = 1_000_000;
const PROGRESS_EVERY_MS = 15_000;

interface Check {
  what: string;
  ok: boolean;
}

export interface FlowOutcome {
  channelId: number;
  workflowId: string;
  firstRunId: string;
  summary?: SendFlowSummary | ReconcileSummary;
  failure?: string;
}

export interface ScenarioRun {
  stack: Stack;
  /** The channels whose flows the scenario runs, one flow each (each on a marketplace of its own). */
  channels: readonly number[];
  /** SKUs of the catalogue (a reconcile compares every one of them per list). */
  catalogueSkus: number;
  worker: WorkerProcess;
  /** The scenario's other worker processes (`workers` > 1), running from the start. */
  others: WorkerProcess[];
  /** Stocks each channel must deliver (listed SKUs out of step at the marketplace when the flows start). */
  toDeliver: Record<number, number>;
  details: string[];
  checks: Check[];
  /** Set once every flow ended (or the deadline passed): disruptions still waiting give up. */
  flowsEnded: boolean;
  log(line: string): void;
  /** Waits until the runs have settled `share` of their work; false when they ended (or the deadline passed) first. */
  progressReached(handles: Handle[], share: number): Promise<number | false>;
}

export interface Scenario {
  id: string;
  title: string;
  defaultStocks: number;
  stack?: StackOptions;
  /** Worker processes running the flows (default 1). */
  workers?: number;
  faults?: Partial<Record<'omnitron' | 'marketplace', Partial<FaultConfig>>>;
  /** Starts the flows; default: one client, both channels. */
  start?(run: ScenarioRun): Promise<Handle[]>;
  /** What happens to the stack while the flows run. */
  disrupt?(run: ScenarioRun, handles: Handle[]): Promise<void>;
  /** What only this scenario checks, once the flows ended. */
  after?(run: ScenarioRun, outcomes: FlowOutcome[]): Promise<void>;
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** Changed stocks per channel; the catalogue has a few more SKUs (every 50th product is never listed). */
  stocks: number;
  catalogueSkus: number;
  toDeliver: Record<number, number>;
  completed: boolean;
  skusWrong: number;
  batchesStuck: number;
  pagesSentTwice: number;
  /** From starting the flows until both ended (disruptions included). */
  durationMs: number;
  checks: Check[];
  details: string[];
  flows: FlowOutcome[];
  channels: ChannelVerdict[];
  faceStats?: Record<string, FaceStats>;
  marketplaceStats?: MarketplaceStats;
  error?: string;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const whole = (n: number) => n.toLocaleString('en-US');
const percent = (part: number, total: number) => (total > 0 ? `${((100 * part) / total).toFixed(1)}%` : '—');

// ---------------------------------------------------------------------------------------------- the catalogue

/**
 * A fresh catalogue whose `stocks` listed products are out of step at both channels: seeded, recorded as delivered
 * (Omnitron and marketplace agree), then every listed product's stock raised at a main-list location. Returns what
 * each channel must deliver, counted at the marketplace.
 */
async function prepareChangedStocks(
  stack: Stack,
  stocks: number,
  channels: readonly number[],
): Promise<Record<number, number>> {
  await stack.seed(catalogueFor(stocks));
  for (const channelId of channels) await stack.control('POST', `channels/${channelId}/baseline`, {});
  const listed = Object.keys(await expectedQuantities(stack.control, channels[0] ?? 1));
  for (let i = 0; i < listed.length; i += CHANGES_PER_REQUEST) {
    const changes = listed
      .slice(i, i + CHANGES_PER_REQUEST)
      .map((sku) => ({ sku, location: '110', delta: STOCK_CHANGE }));
    await stack.control('POST', 'stocks', { changes });
  }
  const toDeliver: Record<number, number> = {};
  for (const channelId of channels) {
    toDeliver[channelId] = await skusOutOfStep(stack.control, channelId);
    if (toDeliver[channelId] !== stocks) {
      throw new Error(
        `channel ${channelId}: ${toDeliver[channelId]} stocks out of step after preparing, not ${stocks}`,
      );
    }
  }
  return toDeliver;
}

// ---------------------------------------------------------------------------------------------- flows

async function startFlows(run: ScenarioRun): Promise<Handle[]> {
  return Promise.all(run.channels.map((channelId) => run.stack.stockflow.start(FLOW, { channelId })));
}

/**
 * The flow's result, waiting through a dev server that is away for a moment (the long poll fails; the run goes on):
 * its summary, or why there is none (the run failed, or the deadline passed first).
 */
async function outcomeOf(handle: Handle, channelId: number, deadline: number): Promise<FlowOutcome> {
  const outcome: FlowOutcome = { channelId, workflowId: handle.workflowId, firstRunId: handle.firstExecutionRunId };
  while (performance.now() < deadline) {
    try {
      outcome.summary = (await handle.result()) as SendFlowSummary;
      return outcome;
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        outcome.failure = err.cause?.message ?? err.message;
        return outcome;
      }
      await sleep(1_000);
    }
  }
  outcome.failure = `not finished within ${seconds(SCENARIO_DEADLINE_MS)}`;
  return outcome;
}

/**
 * Share of their work the runs have settled, averaged over the channels: a send flow's stocks sent or failed of those
 * to deliver; a reconcile's SKUs compared of the catalogue's (per list).
 */
async function progressShare(run: ScenarioRun, handles: Handle[]): Promise<number | undefined> {
  try {
    const shares = await Promise.all(
      handles.map(async (handle, i) => {
        const p = await handle.query<FlowProgress | ReconcileProgress>('progress');
        if (p.flow === 'reconcileChannelStock') return p.compared / (run.catalogueSkus * Math.max(1, p.targetsTotal));
        const channelId = run.channels[i] ?? 0;
        return (p.stocksSent + p.stocksFailed) / (run.toDeliver[channelId] ?? 1);
      }),
    );
    return shares.reduce((a, b) => a + b, 0) / shares.length;
  } catch {
    return undefined; // no worker answers queries right now (it is starting, or the server is away)
  }
}

/** Waits until the flows have settled `share` of their stocks; false when they ended (or the deadline passed) first. */
async function progressReached(run: ScenarioRun, handles: Handle[], share: number): Promise<number | false> {
  for (;;) {
    if (run.flowsEnded) return false;
    const current = await progressShare(run, handles);
    if (current !== undefined && current >= share) return current;
    await sleep(250);
  }
}

/** A progress line on stderr every {@link PROGRESS_EVERY_MS} until the flows end, so a slow scenario shows where it is. */
async function reportProgress(run: ScenarioRun, handles: Handle[]): Promise<void> {
  while (!run.flowsEnded) {
    await sleep(PROGRESS_EVERY_MS);
    if (run.flowsEnded) return;
    const lines = await Promise.all(
      handles.map(async (handle, i) => {
        try {
          const p = await handle.query<FlowProgress | ReconcileProgress>('progress');
          if (p.flow === 'reconcileChannelStock') {
            return `channel ${p.channelId}: ${p.phase}, ${whole(p.compared)} compared, drift ${whole(p.drift)}, repaired ${whole(p.repaired)}`;
          }
          return `channel ${run.channels[i]}: ${p.phase}, ${whole(p.stocksSent + p.stocksFailed)} settled, ${p.pages} pages, ${p.batchesInFlight} in flight`;
        } catch {
          return `channel ${run.channels[i]}: no answer`;
        }
      }),
    );
    run.log(lines.join('; '));
  }
}

// ---------------------------------------------------------------------------------------------- scenarios

export const SCENARIOS: Scenario[] = [
  {
    id: 'worker-kill',
    title: 'worker SIGKILL ×3, restarted',
    defaultStocks: 100_000,
    async disrupt(run, handles) {
      const kills = [0.25, 0.5, 0.75];
      let done = 0;
      for (const share of kills) {
        const reached = await progressReached(run, handles, share);
        if (reached === false) break;
        const killed = run.worker.pid;
        await run.worker.kill();
        const restarting = performance.now();
        run.worker = await run.stack.startWorker();
        done++;
        run.log(`kill ${done}: worker ${killed} SIGKILLed at ${percent(reached, 1)} of the stocks settled`);
        run.details.push(
          `kill ${done} at ${percent(reached, 1)} of the stocks settled: pid ${killed} SIGKILLed, new worker ` +
            `${run.worker.pid} ready ${seconds(performance.now() - restarting)} later`,
        );
      }
      run.checks.push({ what: `${kills.length} kills during the run (done: ${done})`, ok: done === kills.length });
    },
  },
  {
    id: 'server-restart',
    title: 'dev server restart (same database)',
    defaultStocks: 20_000,
    async disrupt(run, handles) {
      const reached = await progressReached(run, handles, 0.5);
      if (reached === false) {
        run.checks.push({ what: 'dev server restarted during the run', ok: false });
        return;
      }
      const worker = run.worker;
      const stopping = performance.now();
      await run.stack.restartTemporal();
      const away = performance.now() - stopping;
      run.log(`dev server restarted at ${percent(reached, 1)} (away ${seconds(away)})`);
      run.checks.push({ what: 'dev server restarted during the run', ok: true });
      run.details.push(
        `dev server stopped at ${percent(reached, 1)} of the stocks settled, serving again ${seconds(away)} later`,
      );
      // A worker that died with the connection would need a supervisor; stockflow's worker should ride it out.
      await sleep(5_000);
      const survived = worker.child.exitCode === null && worker.child.signalCode === null;
      run.checks.push({ what: 'the worker process survived the restart (no supervisor needed)', ok: survived });
      run.details.push(
        survived
          ? `worker ${worker.pid} kept running and reconnected by itself`
          : `worker ${worker.pid} exited (${worker.child.exitCode ?? worker.child.signalCode}); a new one was started`,
      );
      if (!survived) run.worker = await run.stack.startWorker();
    },
  },
  {
    id: 'kill-and-restart',
    title: 'three workers: one SIGKILLed, then the Temporal server restarted',
    defaultStocks: 20_000,
    workers: 3,
    async disrupt(run, handles) {
      const atKill = await progressReached(run, handles, 0.3);
      if (atKill !== false) {
        const killed = run.worker.pid;
        await run.worker.kill();
        run.details.push(
          `worker ${killed} (of 3) SIGKILLed at ${percent(atKill, 1)} of the stocks settled; not replaced`,
        );
        run.log(`worker ${killed} SIGKILLed at ${percent(atKill, 1)}`);
      }
      run.checks.push({ what: 'one of three workers SIGKILLed during the run', ok: atKill !== false });
      const atRestart = await progressReached(run, handles, 0.6);
      if (atRestart !== false) {
        const stopping = performance.now();
        await run.stack.restartTemporal();
        const away = performance.now() - stopping;
        run.details.push(`Temporal server restarted at ${percent(atRestart, 1)}, serving again ${seconds(away)} later`);
        run.log(`Temporal server restarted at ${percent(atRestart, 1)} (away ${seconds(away)})`);
      }
      run.checks.push({ what: 'Temporal server restarted during the run', ok: atRestart !== false });
      await sleep(5_000);
      const alive = run.others.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
      run.checks.push({ what: 'the two other workers rode the restart out', ok: alive.length === run.others.length });
    },
  },
  {
    id: 'faults',
    title: 'marketplace 10% 5xx, 5% 429, 2% timeouts; Omnitron 5% 5xx',
    // Half the others' size: under these rates a page takes seconds of retry backoff (see the README), and the whole
    // `npm run chaos` should stay within about a quarter of an hour on a small machine.
    defaultStocks: 10_000,
    // The adapters give up on a held request after 3 s (the sandbox holds it 8 s, then drops it): a real timeout.
    stack: { timeoutMs: { 1: 3_000, 2: 3_000 } },
    faults: {
      marketplace: {
        errorRate: 0.1,
        rateLimitRate: 0.05,
        retryAfterSeconds: 2,
        timeoutRate: 0.02,
        timeoutHoldMs: 8_000,
      },
      omnitron: { errorRate: 0.05 },
    },
  },
  {
    id: 'faults-clean',
    title: 'the faults scenario without its faults (what the faults run is compared with)',
    defaultStocks: 10_000,
    stack: { timeoutMs: { 1: 3_000, 2: 3_000 } },
  },
  {
    id: 'malformed',
    title: 'Omnitron 1% malformed records (persistent)',
    defaultStocks: 20_000,
    faults: { omnitron: { malformedRate: 0.01, malformedPersistent: true } },
  },
  {
    id: 'two-clients',
    title: 'two clients start the same flows at once',
    defaultStocks: 20_000,
    async start(run) {
      // A second client with a connection of its own, as another service would have.
      const connection = await Connection.connect({ address: run.stack.temporal.address });
      try {
        const clients = [
          run.stack.stockflow,
          new StockflowClient(new Client({ connection, namespace: run.stack.temporal.namespace }), run.stack.taskQueue),
        ];
        // Every start in flight together: both clients, every channel.
        const [a, b] = await Promise.all(
          clients.map((client) => Promise.all(run.channels.map((channelId) => client.start(FLOW, { channelId })))),
        );
        run.channels.forEach((channelId, i) => {
          const runIds = [a?.[i]?.firstExecutionRunId, b?.[i]?.firstExecutionRunId];
          run.checks.push({
            what: `channel ${channelId}: both clients got the same run`,
            ok: runIds[0] !== undefined && runIds[0] === runIds[1],
          });
          run.details.push(`channel ${channelId}: client A got run ${runIds[0]}, client B run ${runIds[1]}`);
        });
        return a ?? [];
      } finally {
        await connection.close();
      }
    },
    async after(run, outcomes) {
      for (const outcome of outcomes) {
        let executions = 0;
        for await (const execution of run.stack.client.workflow.list({
          query: `WorkflowId = '${outcome.workflowId}'`,
        })) {
          if (execution.workflowId === outcome.workflowId) executions++;
        }
        const runs = outcome.summary?.runs ?? 0;
        // One chain: as many executions as the summary's runs (continue-as-new), and no second chain beside it.
        run.checks.push({
          what: `channel ${outcome.channelId}: exactly one run chain (${executions} executions, summary runs ${runs})`,
          ok: executions === runs && runs >= 1,
        });
      }
    },
  },
  RECONCILE_SCENARIO,
];

// ---------------------------------------------------------------------------------------------- one scenario

/**
 * What the flows' own histories (every run of each chain; not their batch children) say about retries: per activity
 * type, calls, attempts, and attempts that followed a timeout (a dead worker's activity is noticed by its heartbeat
 * timeout). A retried attempt adds no event; its count is on the start event written when the activity closes.
 */
async function historyDetails(stack: Stack, outcomes: FlowOutcome[]): Promise<string> {
  const byType = new Map<string, { calls: number; attempts: number; afterTimeout: number }>();
  let workflowTaskTimeouts = 0;
  for (const outcome of outcomes) {
    for (const { history } of await chainHistories(stack.client, outcome.workflowId, outcome.firstRunId)) {
      const typeOf = new Map<string, string>();
      for (const event of history.events ?? []) {
        const scheduled = event.activityTaskScheduledEventAttributes;
        if (scheduled) typeOf.set(String(event.eventId), scheduled.activityType?.name ?? '?');
        const started = event.activityTaskStartedEventAttributes;
        if (started) {
          const type = typeOf.get(String(started.scheduledEventId)) ?? '?';
          const counts = byType.get(type) ?? { calls: 0, attempts: 0, afterTimeout: 0 };
          counts.calls++;
          counts.attempts += started.attempt ?? 1;
          if (started.lastFailure?.timeoutFailureInfo) counts.afterTimeout++;
          byType.set(type, counts);
        }
        if (event.workflowTaskTimedOutEventAttributes) workflowTaskTimeouts++;
      }
    }
  }
  const types = [...byType].map(
    ([type, c]) =>
      `${type} ${whole(c.calls)} calls / ${whole(c.attempts)} attempts` +
      (c.afterTimeout > 0 ? ` (${c.afterTimeout} after a timeout)` : ''),
  );
  return `flows' histories: ${types.join(', ')}; ${workflowTaskTimeouts} workflow-task timeouts`;
}

const NO_FAULTS: Partial<FaultConfig> = { errorRate: 0, rateLimitRate: 0, timeoutRate: 0, malformedRate: 0 };

function flowDetails(outcome: FlowOutcome, toDeliver: number): string {
  const s = outcome.summary;
  if (!s) return `channel ${outcome.channelId}: ${outcome.failure}`;
  if ('reportPrefix' in s) {
    return (
      `channel ${s.channelId} reconcile: ${whole(s.compared)} compared, ${whole(s.match)} match, ${whole(s.drift)} ` +
      `drift, ${s.missing} missing, ${s.unknown} unknown, ${whole(s.notListed)} not listed; repaired ` +
      `${whole(s.repaired)} (${s.repairFailed} failed, ${s.changed} changed), confirmed ${s.confirmed} / still ` +
      `drifted ${s.stillDrifted}; ${s.runs} run(s)`
    );
  }
  return (
    `channel ${s.channelId} (${toDeliver.toLocaleString('en-US')} to deliver): ${whole(s.pages)} pages ` +
    `(${s.pagesFailed} failed), ${whole(s.stocksSent)} stocks sent, ${whole(s.stocksFailed)} failed, ` +
    `${whole(s.malformedRecords)} malformed, batches ${whole(s.batchesDone)} done / ${s.batchesFailed} failed / ` +
    `${s.batchesHandedOver} handed over, ${s.runs} run(s), lists given up: ` +
    `${s.targetsGivenUp.length === 0 ? 'none' : s.targetsGivenUp.map((t) => (t === 0 ? 'main' : t)).join(', ')}`
  );
}

function verdictDetails(v: ChannelVerdict): string[] {
  const lines = [
    `channel ${v.channelId} at ${v.marketplace}: ${whole(v.skusChecked)} SKUs compared, ${whole(v.skusWrong.length)} wrong` +
      `${v.skusWrong.length > 0 ? ` (e.g. ${v.skusWrong.slice(0, 3).join(', ')})` : ''}; batches ` +
      `${Object.entries(v.batchCounts)
        .filter(([, n]) => n > 0)
        .map(([status, n]) => `${status} ${whole(n)}`)
        .join(', ')}; sent twice: ${v.batchesRedelivering} batches re-delivering ` +
      `(${v.stocksDeliveredTwice} stocks), ${v.marketplaceBodiesAcceptedAgain} bodies accepted again`,
  ];
  for (const b of v.stuck) {
    lines.push(
      `channel ${v.channelId}: batch ${b.pk} stuck in ${b.status} with ${b.objects} objects (last change ${b.modified_date})`,
    );
  }
  if (v.malformed.distinct > 0) {
    lines.push(
      `channel ${v.channelId}: ${whole(v.malformed.distinct)} product stocks handed out malformed ` +
        `(${whole(v.malformed.handouts)} times in all), ${whole(v.malformed.reports)} "malformed" error reports; ` +
        `${v.malformed.withoutReport.length} without a report; ${whole(v.excusedMalformed.length)} SKUs not ` +
        `delivered for that reason (excluded from SKUs wrong)`,
    );
  }
  return lines;
}

/** The sandbox's marketplace counters: every face's requests, and Trendyol's and Shopify's own where they ran. */
function marketplaceDetails(m: MarketplaceStats, marketplaces: readonly string[]): string {
  return [
    `marketplaces: ${whole(m.requests)} requests`,
    ...(marketplaces.includes('trendyol')
      ? [
          `Trendyol ${whole(m.batchesAccepted)} batches accepted, ${whole(m.repeatedBodyRejections)} refused as a ` +
            `repeated body, ${whole(m.itemFailures)} item failures`,
        ]
      : []),
    ...(marketplaces.includes('shopify')
      ? [`Shopify ${whole(m.shopifyMutations)} mutations, ${whole(m.shopifyThrottled)} throttled`]
      : []),
  ].join('; ');
}

function faultDetails(stats: Record<string, FaceStats>): string[] {
  return ['marketplace', 'omnitron']
    .map((face) => ({ face, s: stats[face] }))
    .filter((f): f is { face: string; s: FaceStats } => f.s !== undefined)
    .filter(({ s }) => s.injected5xx + s.injected429 + s.injectedTimeouts + s.malformedRecords > 0)
    .map(
      ({ face, s }) =>
        `${face}: ${whole(s.requests)} requests, injected ${whole(s.injected5xx)} 503 (${percent(s.injected5xx, s.requests)}), ` +
        `${whole(s.injected429)} 429 (${percent(s.injected429, s.requests)}), ${whole(s.injectedTimeouts)} timeouts ` +
        `(${percent(s.injectedTimeouts, s.requests)}), ${whole(s.malformedRecords)} malformed records`,
    );
}

export async function runScenario(
  scenario: Scenario,
  stocks: number,
  temporal: StackOptions['temporal'] = 'dev-server',
  channels: readonly number[] = DEFAULT_CHANNELS,
): Promise<ScenarioResult> {
  const result: ScenarioResult = {
    id: scenario.id,
    title: scenario.title,
    stocks,
    catalogueSkus: catalogueFor(stocks),
    toDeliver: {},
    completed: false,
    skusWrong: 0,
    batchesStuck: 0,
    pagesSentTwice: 0,
    durationMs: 0,
    checks: [],
    details: [],
    flows: [],
    channels: [],
  };
  const began = performance.now();
  const log = (line: string) =>
    process.stderr.write(`[chaos ${scenario.id} +${seconds(performance.now() - began)}] ${line}\n`);
  let stack: Stack | undefined;
  try {
    stack = await startStack({
      temporal,
      repeatWindowMs: REPEAT_WINDOW_MS,
      channels,
      // Retried faults are the point here: the workers' warnings about them would drown the output.
      workerEnv: { STOCKFLOW_LOG_LEVEL: 'ERROR' },
      ...scenario.stack,
    });
    result.toDeliver = await prepareChangedStocks(stack, stocks, channels);
    log(`catalogue of ${whole(result.catalogueSkus)} SKUs, ${whole(stocks)} changed stocks per channel`);
    for (const [face, config] of Object.entries(scenario.faults ?? {}))
      await stack.control('PUT', `faults/${face}`, config);
    const run: ScenarioRun = {
      stack,
      channels,
      catalogueSkus: result.catalogueSkus,
      worker: await stack.startWorker(),
      others: await Promise.all(Array.from({ length: (scenario.workers ?? 1) - 1 }, () => stack!.startWorker())),
      toDeliver: result.toDeliver,
      details: result.details,
      checks: result.checks,
      flowsEnded: false,
      log,
      progressReached: (handles, share) => progressReached(run, handles, share),
    };
    const started = performance.now();
    const handles = await (scenario.start ?? startFlows)(run);
    log(`flows started: ${handles.map((h) => h.workflowId).join(', ')}`);
    const deadline = started + SCENARIO_DEADLINE_MS;
    const outcomes = Promise.all(handles.map((h, i) => outcomeOf(h, channels[i] ?? 0, deadline))).then((all) => {
      run.flowsEnded = true;
      return all;
    });
    const reporting = reportProgress(run, handles);
    await scenario.disrupt?.(run, handles);
    result.flows = await outcomes;
    await reporting;
    result.durationMs = performance.now() - started;
    result.completed = result.flows.every((f) => f.summary !== undefined);
    log(`flows ended after ${seconds(result.durationMs)}: ${result.completed ? 'completed' : 'NOT completed'}`);

    result.faceStats = await stack.control<Record<string, FaceStats>>('GET', 'stats');
    result.marketplaceStats = await stack.control<MarketplaceStats>('GET', 'marketplace/stats');
    for (const face of ['omnitron', 'marketplace']) await stack.control('PUT', `faults/${face}`, NO_FAULTS);
    await scenario.after?.(run, result.flows);
    const retries = await historyDetails(stack, result.flows);
    const omnitron = new OmnitronClient({
      baseURL: stack.sandbox.urls.omnitron,
      username: DEFAULT_CREDENTIALS.username,
      password: DEFAULT_CREDENTIALS.password,
    });
    for (const channelId of channels) result.channels.push(await verifyChannel(stack.control, omnitron, channelId));
    for (const v of result.channels.filter((c) => c.malformed.distinct > 0)) {
      result.checks.push({
        what: `channel ${v.channelId}: every record handed out malformed has a "malformed" error report`,
        ok: v.malformed.withoutReport.length === 0,
      });
    }
    result.skusWrong = result.channels.reduce((n, v) => n + v.skusWrong.length, 0);
    result.batchesStuck = result.channels.reduce((n, v) => n + v.batchesStuck, 0);
    result.pagesSentTwice = result.channels.reduce((n, v) => n + v.pagesSentTwice, 0);
    result.details.push(
      ...result.flows.map((f) => flowDetails(f, result.toDeliver[f.channelId] ?? 0)),
      ...result.channels.flatMap(verdictDetails),
      retries,
      ...faultDetails(result.faceStats),
      marketplaceDetails(
        result.marketplaceStats,
        result.channels.map((v) => v.marketplace),
      ),
    );
  } catch (err) {
    result.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`failed: ${result.error}`);
  } finally {
    await stack?.close();
  }
  return result;
}

export function passed(r: ScenarioResult): boolean {
  return (
    r.error === undefined &&
    r.completed &&
    r.skusWrong === 0 &&
    r.batchesStuck === 0 &&
    r.pagesSentTwice === 0 &&
    r.checks.every((c) => c.ok)
  );
}

// ---------------------------------------------------------------------------------------------- report

/** "channel 3 (hepsiburada) and channel 6 (ebay)", from the scenarios' verdicts. */
function channelsRun(results: readonly ScenarioResult[]): string {
  const seen = new Map<number, string>();
  for (const r of results) for (const v of r.channels) seen.set(v.channelId, v.marketplace);
  return [...seen].map(([id, marketplace]) => `channel ${id} (${marketplace})`).join(' and ') || 'no channel';
}

function formatResults(results: ScenarioResult[], machine: Machine, wallMs: number): string {
  const table = new Table({
    head: [
      'scenario',
      'N (stocks/channel)',
      'completed',
      'SKUs wrong',
      'batches stuck',
      'pages sent twice',
      'duration',
    ],
    style: { head: [], border: [] },
  });
  for (const r of results) {
    table.push([
      r.id,
      whole(r.stocks),
      r.error ? 'error' : r.completed ? 'yes' : 'no',
      whole(r.skusWrong),
      whole(r.batchesStuck),
      whole(r.pagesSentTwice),
      seconds(r.durationMs),
    ]);
  }
  const lines = [
    `stockflow chaos — ${new Date().toISOString()}`,
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGiB} GiB, Node ${machine.node}, ` +
      `${machine.temporalCli}; load average ${machine.loadAverageAtStart.toFixed(2)} at start, ` +
      `${(loadavg()[0] ?? 0).toFixed(2)} at end`,
    `flows: ${FLOW} on ${channelsRun(results)} at once, production tuning; N listed stocks changed per channel on a ` +
      `fresh catalogue; Trendyol's 15-minute repeat window shortened to ${seconds(REPEAT_WINDOW_MS)} at the sandbox ` +
      `and in the channels file`,
    table.toString(),
  ];
  for (const r of results) {
    lines.push('', `${r.id}: ${r.title} — ${passed(r) ? 'PASS' : 'FAIL'}`);
    lines.push(...r.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}`));
    lines.push(...r.details.map((d) => `  ${d}`));
    if (r.error) lines.push(`  error: ${r.error.split('\n')[0]}`);
  }
  lines.push(
    '',
    `total wall time ${seconds(wallMs)}; ${results.filter(passed).length} of ${results.length} scenarios passed`,
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------- main

interface ChaosOptions {
  skus?: number;
  only?: string[];
  out: string;
  cluster?: boolean;
  channels: number[];
}

function stockCount(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_STOCKS) {
    throw new InvalidArgumentError(`expected a whole number from 1 to ${whole(MAX_STOCKS)}`);
  }
  return n;
}

function scenarioList(text: string): string[] {
  const ids = text.split(',').map((s) => s.trim());
  const unknown = ids.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0 || ids.length === 0) {
    throw new InvalidArgumentError(`expected one or more of ${SCENARIOS.map((s) => s.id).join(', ')}`);
  }
  return ids;
}

function channelList(text: string): number[] {
  const ids = text.split(',').map(Number);
  if (ids.length === 0 || ids.some((id) => !SANDBOX_CHANNEL_IDS.includes(id)) || new Set(ids).size !== ids.length) {
    throw new InvalidArgumentError(`expected distinct channels of ${SANDBOX_CHANNEL_IDS.join(', ')}`);
  }
  return ids;
}

async function main(): Promise<void> {
  const options = new Command('chaos')
    .description('fault-injection scenarios against stockflow on a stack of processes; verifies every SKU after each')
    .addOption(
      new Option('--skus <n>', 'changed stocks per channel in every scenario (default: per scenario)').argParser(
        stockCount,
      ),
    )
    .option('--only <scenarios>', `comma-separated: ${SCENARIOS.map((s) => s.id).join(', ')}`, scenarioList)
    .option('--out <file>', 'JSON results file', 'bench/results/chaos.json')
    .option('--cluster', 'run on the native compose cluster (Temporal server on PostgreSQL) instead of the dev server')
    .option(
      '--channels <ids>',
      'comma-separated seeded channels, each on a marketplace of its own (1 Trendyol, 2 Shopify, 3 Hepsiburada, ' +
        '4 N11, 5 Amazon, 6 eBay)',
      channelList,
      DEFAULT_CHANNELS,
    )
    .parse(process.argv)
    .opts<ChaosOptions>();

  const machine = await describeMachine();
  const began = performance.now();
  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS.filter((s) => !options.only || options.only.includes(s.id))) {
    results.push(
      await runScenario(
        scenario,
        options.skus ?? scenario.defaultStocks,
        options.cluster ? 'cluster' : 'dev-server',
        options.channels,
      ),
    );
  }
  const wallMs = performance.now() - began;
  if (options.cluster) {
    console.log('on the native compose cluster (src/cluster/: Temporal server on PostgreSQL, from docker-compose.yml)');
  }
  console.log(formatResults(results, machine, wallMs));
  const out = resolve(options.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ startedAt: new Date(Date.now() - wallMs).toISOString(), wallMs, machine, results }, null, 2)}\n`,
  );
  console.log(`results: ${out}`);
  if (!results.every(passed)) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  });
}
